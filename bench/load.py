"""A hiring day's load on the scoring path: K simulated applicants on loopback, each saving a
spoken answer (20-30 s, a mix of task types), waiting for its feedback as the page does
(polling the queue state), and answering again a minute after the last answer.

  nice .venv/bin/python bench/load.py [--applicants 5 20 50] [--modes inline queue-1 queue-2]
                                      [--minutes 3] [--drain-minutes 4]

Modes:
  inline    the old path: every applicant's answer scored in its own thread of one process
            (as N Streamlit sessions did), no queue
  queue-N   the one-machine default: the app's Redis and N worker processes
            (threads per worker: the cores divided among them)

Each run is bounded: applicants start answers for ``--minutes``, then the run waits up to
``--drain-minutes`` for the last feedback. Printed per run: answers scored per minute,
submit-to-feedback p50/p95, how long the save itself took (what the page waits for before
it can answer), queue depth over time (the waiting jobs, sampled every 10 s), CPU seconds
per answer (the scoring processes plus the LanguageTool server) and resident memory per
worker, and answers lost or failed. Everything runs on SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANSWER_EVERY_SECONDS = 60.0  # each applicant answers once a minute
POLL_SECONDS = 1.0  # what the waiting page does
DEPTH_SAMPLE_SECONDS = 10.0
OPEN_ANSWER = (
    "I would like to work in a call center because I enjoy talking with people and helping "
    "them solve their problems. In my last job at a retail store, I answered customer "
    "questions every day, and I learned how to stay calm and polite, even when a customer "
    "was upset. I think these skills would help me in a customer service role."
)
CALL_ANSWER = (
    "Thank you for calling, my name is Ana. I am sorry to hear that your package is late. "
    "May I have your order number, please? Thank you. I can see the parcel left our "
    "warehouse on Monday, and it will arrive tomorrow before noon. Is there anything else I can help you with?"
)


@dataclass
class Answer:
    task_id: str
    path: Path
    seconds: float


@dataclass
class Run:
    mode: str
    applicants: int
    latencies: list[float] = field(default_factory=list)
    save_seconds: list[float] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    submitted: int = 0


def make_answers() -> list[Answer]:
    """The answer mix, spoken by espeak-ng voices (cached on disk)."""
    from trainer.content import get_bank
    from trainer.speech.audio import load_audio
    from trainer.speech.tts import synthesize

    bank = get_bank()
    mix = [
        ("task.open_question.001", OPEN_ANSWER, "calm_male"),
        ("task.read_aloud.001", bank.get_task("task.read_aloud.001").text, "calm_female"),
        ("task.role_play.001", CALL_ANSWER, "calm_female"),
        ("task.repeat.001", bank.get_task("task.repeat.001").text, "calm_male"),
        ("task.open_question.002", OPEN_ANSWER.replace("retail store", "restaurant"), "calm_female"),
    ]
    answers = []
    for task_id, text, voice in mix:
        path = synthesize(text, voice)
        answers.append(Answer(task_id, path, load_audio(path).duration))
    return answers


def _grammar_process() -> psutil.Process | None:
    from trainer.features.grammar import server

    pid = server().pid()
    return psutil.Process(pid) if pid else None


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def run_once(mode: str, applicants: int, answers: list[Answer], minutes: float, drain_minutes: float) -> dict:
    from trainer import jobs
    from trainer.config import get_settings
    from trainer.data import AttemptStatus, accounts, records, storage

    folder = Path(tempfile.mkdtemp(prefix=f"load-{mode}-{applicants}-"))
    os.environ["TRAINER_STORAGE_DIR"] = str(folder)
    os.environ.pop("DATABASE_URL", None)
    workers_wanted = int(mode.split("-")[1]) if mode.startswith("queue") else 0
    os.environ["TRAINER_WORKER_THREADS"] = str(max(1, (os.cpu_count() or 1) // max(1, workers_wanted)))
    get_settings.cache_clear()
    storage.dispose_engines()
    profiles = [accounts.create_profile(f"Applicant {n}") for n in range(applicants)]
    queue = None
    if workers_wanted:
        queue = jobs.start_embedded(workers=workers_wanted)
        _wait_ready(jobs, len(queue.workers))
        scorers = [psutil.Process(p.pid) for p in queue.workers]
    else:
        from trainer.speech.asr import get_whisper_model

        get_whisper_model()
        scorers = [psutil.Process()]
    grammar = _grammar_process()
    measured = scorers + ([grammar] if grammar else [])
    cpu_before = _cpu(measured)
    run = Run(mode, applicants)
    lock = threading.Lock()
    stop_at = time.monotonic() + minutes * 60
    give_up_at = stop_at + drain_minutes * 60
    started = time.monotonic()

    def applicant(n: int) -> None:
        rng = random.Random(n)
        time.sleep(rng.uniform(0, ANSWER_EVERY_SECONDS))  # arrivals spread over the first minute
        while time.monotonic() < stop_at:
            answer = rng.choice(answers)
            began = time.monotonic()
            try:
                attempt_id = records.save_attempt(profiles[n], answer.task_id, recording=answer.path)
                if queue is not None:
                    jobs.submit(attempt_id)
                saved = time.monotonic()
                if queue is None:
                    records.score_attempt(attempt_id)
                while not (state := records.queue_state(attempt_id)).finished:
                    if time.monotonic() > give_up_at:
                        raise TimeoutError(f"attempt {attempt_id} not scored by the end of the run")
                    time.sleep(POLL_SECONDS)
            except Exception as error:  # noqa: BLE001 - counted and shown: nobody may see one
                with lock:
                    run.errors.append(f"{type(error).__name__}: {error}")
                return
            done = time.monotonic()
            with lock:
                run.submitted += 1
                run.save_seconds.append(saved - began)
                if state.status == AttemptStatus.SCORED:
                    run.latencies.append(done - began)
                else:
                    run.failed += 1
            time.sleep(max(5.0, ANSWER_EVERY_SECONDS - (done - began)))

    threads = [threading.Thread(target=applicant, args=(n,), daemon=True) for n in range(applicants)]
    for thread in threads:
        thread.start()
    rss = 0.0
    while any(t.is_alive() for t in threads):
        time.sleep(DEPTH_SAMPLE_SECONDS)
        run.depth.append(_waiting(jobs, records) if queue else _scoring_now(records))
        rss = max(rss, max(_rss_mb(p) for p in scorers))
    elapsed = time.monotonic() - started
    cpu = _cpu(measured) - cpu_before
    if queue is not None:
        queue.stop()
    scored = len(run.latencies)
    latencies = sorted(run.latencies)
    return {
        "mode": mode,
        "K": applicants,
        "answers": run.submitted,
        "scored/min": round(scored / (elapsed / 60), 1),
        "p50 s": round(statistics.median(latencies), 1) if latencies else "-",
        "p95 s": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else "-",
        "save p95 s": round(sorted(run.save_seconds)[int(0.95 * (len(run.save_seconds) - 1))], 2)
        if run.save_seconds
        else "-",
        "CPU s/answer": round(cpu / scored, 1) if scored else "-",
        "RSS/worker MB": round(rss),
        "failed": run.failed,
        "errors": len(run.errors),
        "depth every 10 s": " ".join(str(d) for d in run.depth),
        **({"first error": run.errors[0][:80]} if run.errors else {}),
    }


def _wait_ready(jobs, workers: int, timeout: float = 300.0) -> None:
    """Until every worker has loaded its models and asked the broker for work (a worker
    sends its first heartbeat then)."""
    broker, _ = jobs.broker.connect()
    deadline = time.monotonic() + timeout
    while broker.client.zcard(f"{jobs.broker.NAMESPACE}:__heartbeats__") < workers:
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not start")
        time.sleep(0.5)


def _waiting(jobs, records) -> int:
    try:
        return jobs.queue_depth()
    except jobs.QueueUnavailable:
        return -1


def _scoring_now(records) -> int:
    from sqlalchemy import func, select

    from trainer.data.storage import Attempt, AttemptStatus, transaction

    with transaction() as session:
        return int(session.scalar(select(func.count()).where(Attempt.status == AttemptStatus.SCORING)) or 0)


def _rss_mb(process: psutil.Process) -> float:
    try:
        return process.memory_info().rss / 1e6
    except psutil.NoSuchProcess:
        return 0.0


def print_table(rows: list[dict]) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("| " + " | ".join(c.ljust(widths[c]) for c in columns) + " |")
    print("|" + "|".join("-" * (widths[c] + 2) for c in columns) + "|")
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applicants", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--modes", nargs="+", default=["inline", "queue-1", "queue-2"])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long applicants keep answering")
    parser.add_argument("--drain-minutes", type=float, default=4.0, help="how long to wait for the last feedback")
    args = parser.parse_args()
    os.environ.setdefault("TRAINER_PASSWORD_HASH_PROFILE", "test")
    os.environ["TRAINER_SCORING"] = "queue"
    answers = make_answers()
    print(f"# bench/load.py  {time.strftime('%Y-%m-%d %H:%M')}  cores {os.cpu_count()}  "
          f"load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print("answers: " + ", ".join(f"{a.task_id} {a.seconds:.0f} s" for a in answers))
    rows = []
    for applicants in args.applicants:
        for mode in args.modes:
            row = run_once(mode, applicants, answers, args.minutes, args.drain_minutes)
            rows.append(row)
            print(row, flush=True)
    print()
    print_table(rows)
    print(f"\nload average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
