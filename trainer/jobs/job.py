"""The scoring job a worker runs for one attempt."""

from __future__ import annotations

import logging

from trainer.config import get_settings
from trainer.data import records

log = logging.getLogger(__name__)


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
