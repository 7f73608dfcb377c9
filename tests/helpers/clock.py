"""A clock for the tests: it starts at the real time and moves only when the test says so."""

from __future__ import annotations

from datetime import datetime, timedelta

from trainer.data.storage import utcnow


class Clock:
    """Call it for the time; ``advance(minutes=15)`` moves it on (instead of sleeping)."""

    def __init__(self, start: datetime | None = None):
        self.time = start or utcnow()

    def __call__(self) -> datetime:
        return self.time

    def advance(self, **delta: float) -> datetime:
        self.time += timedelta(**delta)
        return self.time
