"""The scoring job a worker runs for one attempt."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from trainer.config import get_settings
from trainer.data import records

log = logging.getLogger(__name__)


@contextmanager
def _beating(attempt_id: int, token: str):
    """While the block runs, mark the try alive several times per ``job_visibility_seconds``:
    a job longer than that (a long answer on a busy machine) keeps its claim against a
    resent duplicate."""
    every = max(0.5, get_settings().job_visibility_seconds / 4)
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            try:
                records.keep_alive(attempt_id, token)
            except Exception:  # noqa: BLE001 - a missed beat only lets a duplicate run too
                log.warning("attempt %s: could not mark the try alive", attempt_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"beat-{attempt_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


class TryAgain(RuntimeError):
    """A try that should be repeated later (a service did not answer)."""


def score_job(attempt_id: int, token: str) -> None:
    """The job: claim the attempt, score it with its stage noted as it goes, store the report.

    A try that raises goes back to the queue with a backoff (Dramatiq's retries) until the
    attempt has had ``scoring_tries`` tries; then it ends ``failed`` with the reason, to be
    rescored. A report made while the grammar checker was down is tried again the same way,
    and stored as it is (grammar "unavailable") on the last try."""
    job = records.claim_attempt(attempt_id, token)
    if job is None:  # done already, running elsewhere, replaced by a newer job, or out of tries
        return
    last_try = job.try_number >= get_settings().scoring_tries
    try:
        with _beating(attempt_id, token):
            report = records.run_job(job, progress=lambda stage: records.note_stage(attempt_id, token, stage))
    except Exception as error:
        log.exception("scoring attempt %s failed (try %s)", attempt_id, job.try_number)
        records.release_attempt(attempt_id, token, f"{type(error).__name__}: {error}", final=last_try)
        if last_try:
            return
        raise
    if report.services_down and not last_try:
        reason = f"the {', '.join(report.services_down)} did not answer; trying again shortly"
        records.release_attempt(attempt_id, token, reason, final=False)
        raise TryAgain(reason)
    records.record_report(attempt_id, report, token=token)
