"""A worker process: loads the speech model once, shares this machine's LanguageTool server,
and scores jobs on a few threads until it is told to stop (SIGTERM or SIGINT)."""

from __future__ import annotations

import logging
import os
import signal
import threading

import dramatiq

from trainer.config import get_settings
from trainer.jobs.broker import connect, resend_waiting

log = logging.getLogger(__name__)


def worker_threads() -> int:
    configured = get_settings().worker_threads
    return configured if configured > 0 else max(1, os.cpu_count() or 1)


def warm_up() -> None:
    """Load the speech model and start (or find) this machine's grammar server before the
    first job, so no answer waits for them."""
    from trainer.features.collocations import norms
    from trainer.features.grammar import GrammarUnavailable, server
    from trainer.features.grammar_range import ParserUnavailable, get_parser
    from trainer.speech.asr import get_whisper_model

    get_whisper_model()
    log.info("worker warm-up: speech model ready")
    norms()
    log.info("worker warm-up: word-pair counts ready")
    try:
        get_parser()
        log.info("worker warm-up: grammar parser ready")
    except ParserUnavailable as error:  # grammar is then scored on accuracy alone, with a warning
        log.warning("worker warm-up: grammar parser not ready: %s", error)
    try:
        server().ensure_running()
        log.info("worker warm-up: grammar server ready")
    except GrammarUnavailable as error:  # each job tries again, then scores without grammar
        log.warning("worker warm-up: grammar server not ready: %s", error)


def run_worker(threads: int = 0, url: str | None = None, stop: threading.Event | None = None) -> None:
    """Score jobs from the broker until SIGTERM/SIGINT (or ``stop`` is set). Jobs in flight
    are finished (or handed back to the queue) before it returns."""
    threads = threads or worker_threads()
    broker, _ = connect(url)
    warm_up()
    resent = resend_waiting(url)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=1000)
    # Take a job only when a thread is free, so that idle workers elsewhere get the rest.
    worker.queue_prefetch = threads
    worker.start()
    log.info("worker %s: %s threads, %s waiting jobs sent again", os.getpid(), threads, resent)
    print(f"worker ready: pid {os.getpid()}, {threads} threads", flush=True)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=60_000)
        broker.close()
