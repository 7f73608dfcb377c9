"""Scoring on workers with real parts: Debian's redis-server (started here on loopback, in a
temporary folder), worker processes started as ``trainer worker``, real speech (espeak-ng),
Whisper and LanguageTool, on PostgreSQL (workers as on other machines: separate folders)
and on the one-machine default (SQLite, the app's own Redis and workers)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import _use_database
from tests.helpers import dataworld
from tests.helpers.ports import free_port
from trainer import jobs
from trainer.config import get_settings
from trainer.content import get_bank
from trainer.data import AttemptStatus, records
from trainer.data.storage import Attempt, AuditEntry, transaction
from trainer.jobs.embedded import start_redis, start_worker
from trainer.speech.asr import resolve_whisper_model

pytestmark = pytest.mark.slow

VISIBILITY_SECONDS = 4  # a killed worker's job is back in the queue this long after its last heartbeat
ANSWERS = [  # (task, text spoken): a mix of task types
    ("task.listening.001", "The customer ordered {answer}, a blue jacket."),
    ("task.open_question.001", "I like helping people. I worked in a shop for two years and I was patient with customers."),
    ("task.repeat.001", None),
    ("task.read_aloud.001", None),
    ("task.open_question.002", "I am calm when a customer is angry. I listen first, then I explain what I can do today."),
]  # fmt: skip


def _wait(condition: Callable[[], object], timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _speech_for(task_id: str, text: str | None, spoken) -> Path:
    task = get_bank().get_task(task_id)
    if text is None:
        text = task.text
    elif "{answer}" in text:
        text = text.format(answer=task.answers[0])
    path, _ = spoken(text, "calm_male")
    return path


def _attempts(ids: list[int]) -> list[Attempt]:
    with transaction() as session:
        return list(session.scalars(select(Attempt).where(Attempt.id.in_(ids)).order_by(Attempt.id)))


def _rescore_audits(ids: list[int]) -> int:
    with transaction() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "attempt.rescore", AuditEntry.object_id.in_(ids))
        )
        return len(list(entries))


def _worker_env(**extra: str) -> dict[str, str]:
    return {
        "TRAINER_WHISPER_MODEL": resolve_whisper_model(),
        "TRAINER_WORKER_THREADS": "1",
        "TRAINER_JOB_VISIBILITY_SECONDS": str(VISIBILITY_SECONDS),
        **extra,
    }


def _start_embedded(monkeypatch, workers: int, **extra: str) -> jobs.EmbeddedQueue:
    """The one-machine default (the app's own Redis and ``workers`` workers), in this test's
    storage folder; the workers inherit this process's environment."""
    for name, value in _worker_env(**extra).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return jobs.start_embedded(workers=workers)


@pytest.fixture
def quick_visibility(monkeypatch):
    monkeypatch.setenv("TRAINER_JOB_VISIBILITY_SECONDS", str(VISIBILITY_SECONDS))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except Exception:  # noqa: BLE001 - a worker that does not stop is killed
            process.kill()


def _kill_mid_job(victim, ids: list[int]) -> int:
    """Once ``victim`` has finished one job and is in the middle of another, SIGKILL it.
    Returns the attempt it was scoring."""
    mark = f":{victim.pid}"

    def busy_after_one_done():
        rows = _attempts(ids)
        done = [a for a in rows if a.status == AttemptStatus.SCORED and (a.scored_by or "").endswith(mark)]
        running = [a for a in rows if a.status == AttemptStatus.SCORING and (a.scored_by or "").endswith(mark)]
        return running[0].id if done and running else None

    attempt_id = _wait(busy_after_one_done, 240, f"worker {victim.pid} to finish a job and start another")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    return attempt_id


def _submit_answers(spoken, count: int) -> list[int]:
    applicant = dataworld.applicant("Ana")
    ids = []
    for n in range(count):
        task_id, text = ANSWERS[n % len(ANSWERS)]
        attempt_id = records.save_attempt(applicant, task_id, recording=_speech_for(task_id, text, spoken))
        assert jobs.submit(attempt_id)
        ids.append(attempt_id)
    return ids


def _check_every_answer_scored_once(ids: list[int], killed_attempt: int, workers) -> None:
    rows = _wait(lambda: (r := _attempts(ids)) and all(a.status == AttemptStatus.SCORED for a in r) and r, 300,
                 "every answer to be scored")  # fmt: skip
    assert _rescore_audits(ids) == 0, "an answer got a second report"
    assert all(a.job_token is None and a.report is not None for a in rows)
    killed = next(a for a in rows if a.id == killed_attempt)
    assert killed.scoring_tries == 2, "the killed worker's job should have been finished by another worker"
    assert not killed.scored_by.endswith(f":{workers[0].pid}")
    by_worker = {a.scored_by.rsplit(":", 1)[1] for a in rows}
    assert {str(w.pid) for w in workers} <= by_worker, f"the jobs were not split between the workers: {by_worker}"


def test_two_workers_on_two_machines_score_every_answer_once_when_one_is_killed(
    request, tmp_path, monkeypatch, spoken, quick_visibility
):
    """PostgreSQL and a broker are all the workers share: each has its own folder (as on
    another machine) and reads the recordings from the database."""
    backend = _use_database(request, "postgresql", tmp_path / "web", monkeypatch)
    next(backend)
    url, redis_process = start_redis(tmp_path / "broker")
    monkeypatch.setenv("TRAINER_BROKER_URL", url)
    get_settings.cache_clear()
    env = _worker_env(DATABASE_URL=os.environ["DATABASE_URL"])
    workers = [
        start_worker(url, environment={**env, "TRAINER_STORAGE_DIR": str(tmp_path / f"machine-{name}")})
        for name in "ab"
    ]
    try:
        ids = _submit_answers(spoken, 10)
        killed_attempt = _kill_mid_job(workers[0], ids)
        _check_every_answer_scored_once(ids, killed_attempt, workers)
        assert not (tmp_path / "machine-a" / "trainer.db").exists()
    finally:
        _stop(workers)
        redis_process.terminate()
        next(backend, None)


def test_the_one_machine_default_scores_every_answer_once_when_a_worker_is_killed(
    app_database, tmp_path, monkeypatch, spoken, quick_visibility
):
    """SQLite, and the Redis and two workers the web server starts for itself."""
    queue = _start_embedded(monkeypatch, workers=2)
    try:
        ids = _submit_answers(spoken, 10)
        first_workers = list(queue.workers)
        killed_attempt = _kill_mid_job(first_workers[0], ids)
        _check_every_answer_scored_once(ids, killed_attempt, first_workers)
        _wait(lambda: queue.restarts == 1 and all(p.poll() is None for p in queue.workers), 30,
              "the app to start a worker in place of the killed one")  # fmt: skip
    finally:
        queue.stop()


def test_a_job_that_fails_every_time_ends_failed_with_its_reason_and_can_be_rescored(
    app_database, tmp_path, monkeypatch, spoken, quick_visibility
):
    queue = _start_embedded(monkeypatch, workers=1)
    try:
        applicant = dataworld.applicant("Ben")
        attempt_id = records.save_attempt(applicant, "task.listening.001", recording=_speech_for(*ANSWERS[0], spoken))
        stored = records.get_attempt(applicant, attempt_id).recording_path
        content = stored.read_bytes()
        stored.unlink()  # lost from the disk: every try fails
        jobs.submit(attempt_id)
        state = _wait(lambda: (s := records.queue_state(attempt_id)).finished and s, 120, "the job to give up")
        assert state.status == AttemptStatus.FAILED
        assert "RecordingMissing" in (state.reason or "")
        assert state.tries == get_settings().scoring_tries

        stored.write_bytes(content)  # put back: `trainer rescore` queues it again and a worker scores it
        monkeypatch.setenv("TRAINER_SCORING", "queue")
        rescored = dataworld.cli("rescore", str(attempt_id))
        assert rescored.returncode == 0, rescored.stderr
        assert f"attempt {attempt_id}: queued for the workers" in rescored.stdout
        state = _wait(lambda: (s := records.queue_state(attempt_id)).finished and s, 120, "the rescore")
        assert state.status == AttemptStatus.SCORED, state
    finally:
        queue.stop()


def test_a_dead_grammar_server_is_tried_again_then_scored_without_grammar(
    app_database, tmp_path, monkeypatch, quick_visibility
):
    dead = f"http://127.0.0.1:{free_port()}"
    queue = _start_embedded(monkeypatch, workers=1, TRAINER_LANGUAGETOOL_URL=dead)
    try:
        chat = get_bank().get_task("task.chat_reply.001")
        cleo = dataworld.applicant("Cleo")
        attempt_id = records.save_attempt(cleo, chat.id, text=chat.sample_reply)
        jobs.submit(attempt_id)
        state = _wait(lambda: (s := records.queue_state(attempt_id)).finished and s, 120, "the answer to be scored")
        assert state.status == AttemptStatus.SCORED, state
        assert state.tries == get_settings().scoring_tries
        report = records.get_attempt(cleo, attempt_id).report
        assert "grammar" in report.unavailable and report.services_down == ["grammar checker"]
    finally:
        queue.stop()


def test_a_broker_restart_loses_nothing_queued(app_database, tmp_path, monkeypatch, quick_visibility):
    """Jobs queued while no worker runs survive Redis being killed and started again (every
    job is on disk before the web server is told it is queued)."""
    url, first = start_redis(tmp_path / "broker")
    chat = get_bank().get_task("task.chat_reply.001")
    applicant = dataworld.applicant("Dan")
    ids = [records.save_attempt(applicant, chat.id, text=chat.sample_reply) for _ in range(3)]
    for attempt_id in ids:
        jobs.submit(attempt_id, url)
    assert jobs.queue_depth(url) == 3
    first.kill()
    first.wait(10)
    url, second = start_redis(tmp_path / "broker")
    assert jobs.queue_depth(url) == 3
    worker = start_worker(url, environment=_worker_env())
    try:
        _wait(lambda: all(a.status == AttemptStatus.SCORED for a in _attempts(ids)), 120, "the queued answers")
        assert _rescore_audits(ids) == 0
    finally:
        _stop([worker])
        second.terminate()
