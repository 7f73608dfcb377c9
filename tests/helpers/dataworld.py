"""Helpers for the data-layer tests: people in roles, and attempts carrying real reports."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from trainer.config import PROJECT_ROOT
from trainer.data import accounts, records
from trainer.data.access import Actor
from trainer.data.storage import Invitation, Role, transaction, utcnow

PASSWORD = "a-long-test-password"


def admin(login: str = "root") -> Actor:
    accounts.create_admin("Admin", login, PASSWORD)
    return accounts.sign_in(login, PASSWORD)


def staff(by: Actor, role: Role, login: str, name: str | None = None) -> Actor:
    accounts.create_user(by, name or login.title(), role, login=login, password=PASSWORD)
    return accounts.sign_in(login, PASSWORD)


def applicant(name: str) -> Actor:
    return accounts.create_profile(name)


def scored_attempt(actor: Actor, sample, **kwargs) -> int:
    """Save an attempt for ``actor`` with the sample's answer and store the sample's real
    report on it (as score_attempt would)."""
    task_id, answer, report = sample
    if isinstance(answer, str):
        attempt_id = records.save_attempt(actor, task_id, text=answer, **kwargs)
    else:
        attempt_id = records.save_attempt(actor, task_id, recording=answer, **kwargs)
    records.record_report(attempt_id, report)
    return attempt_id


def expire(invitation_id: int, ago: timedelta = timedelta(seconds=1)) -> None:
    """Move an invitation's expiry into the past, as if its time had run out ``ago`` (instead
    of waiting for it)."""
    with transaction() as session:
        session.get(Invitation, invitation_id).expires_at = utcnow() - ago


def cli(*args: str, stdin: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``trainer ARGS`` in a new process with this test's environment (database, storage)."""
    return subprocess.run(
        [sys.executable, "-m", "trainer.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
    )
