"""The one-machine default: the web server starts a Redis of its own and its worker
processes, and stops them when it stops.

Redis listens on loopback only, with a random password, and writes every job to disk before
answering (``appendfsync always``), so a restart of the server or of Redis loses nothing
queued. Both kinds of child ask the kernel to stop them if the web server dies.
"""

from __future__ import annotations

import ctypes
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from trainer.config import get_settings
from trainer.jobs.broker import QueueUnavailable, embedded_url_file

log = logging.getLogger(__name__)

REDIS_START_SECONDS = 20.0
WATCH_SECONDS = 2.0  # how often dead workers are looked for
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux: a child whose parent dies gets SIGTERM, so no Redis or worker outlives the app.
    # "Parent" is the starting *thread*: start them from one that lives as long as the app.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@dataclass
class EmbeddedQueue:
    """What ``start_embedded`` started: stop it with ``stop()``. A worker that dies (killed,
    out of memory) is started again by ``watch()``; its job goes back to the queue."""

    url: str
    redis_process: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    restarts: int = 0
    threads: int = 0  # per worker; 0: the worker's own default
    _stopping: threading.Event = field(default_factory=threading.Event)

    def watch(self, every_seconds: float = WATCH_SECONDS) -> None:
        """Start a thread that replaces dead workers until ``stop()``. The replacements are
        children of that thread, which lives until then (see ``_die_with_parent``)."""

        def loop() -> None:
            while not self._stopping.wait(every_seconds):
                for index, process in enumerate(self.workers):
                    if process.poll() is not None and not self._stopping.is_set():
                        log.warning(
                            "scoring worker %s exited with %s; starting another", process.pid, process.returncode
                        )
                        self.workers[index] = start_worker(self.url, self.threads)
                        self.restarts += 1

        threading.Thread(target=loop, name="scoring-workers", daemon=True).start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        for process in self.workers:
            if process.poll() is None:
                process.terminate()
        for process in self.workers:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.redis_process is not None and self.redis_process.poll() is None:
            self.redis_process.terminate()
            try:
                self.redis_process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.redis_process.kill()


def start_redis(folder: Path) -> tuple[str, subprocess.Popen | None]:
    """A Redis for this storage folder: the running one if its URL still answers, else a
    new one on a free loopback port. Returns its URL and the process (None if reused)."""
    url_file = folder / "broker_url"
    if url_file.is_file() and _answers(url_file.read_text().strip()):
        return url_file.read_text().strip(), None
    executable = shutil.which("redis-server")
    if executable is None:
        raise QueueUnavailable("redis-server is not installed (Debian: apt-get install redis-server)")
    folder.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(16)
    port = _free_port()
    command = [
        executable,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--requirepass", password,
        "--dir", str(folder),
        "--appendonly", "yes",
        "--appendfsync", "always",
        "--save", "",
        "--daemonize", "no",
        "--logfile", str(folder / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    deadline = time.monotonic() + REDIS_START_SECONDS
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise QueueUnavailable(f"Redis did not start; see {folder / 'redis.log'}")
        time.sleep(0.05)
    partial = url_file.with_suffix(".part")
    partial.write_text(url)
    partial.chmod(0o600)
    partial.replace(url_file)
    return url, process


def start_worker(url: str, threads: int = 0, environment: dict[str, str] | None = None) -> subprocess.Popen:
    """A ``trainer worker`` process for the broker at ``url``."""
    env = {**os.environ, **(environment or {}), "TRAINER_BROKER_URL": url}
    command = [sys.executable, "-m", "trainer.cli", "worker"] + (["--threads", str(threads)] if threads else [])
    return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)


def start_embedded(workers: int | None = None) -> EmbeddedQueue:
    """Start what scoring needs on this machine: Redis unless ``broker_url`` names one, and
    ``embedded_workers`` worker processes (``workers`` overrides it; -1: one per core, each
    with ``worker_threads`` threads, else an equal share of the cores). Call it from a thread
    that lives as long as the app (its main or event-loop thread): they stop when it ends."""
    settings = get_settings()
    count = settings.embedded_workers if workers is None else workers
    cores = max(1, os.cpu_count() or 1)
    if count < 0:
        count = cores
    threads = settings.worker_threads or max(1, cores // max(1, count))
    if settings.broker_url:
        queue = EmbeddedQueue(settings.broker_url)
    else:
        url, process = start_redis(embedded_url_file().parent)
        queue = EmbeddedQueue(url, process)
    queue.threads = threads
    queue.workers = [start_worker(queue.url, threads) for _ in range(count)]
    queue.watch()
    log.info("scoring queue: %s worker process(es)", count)
    return queue
