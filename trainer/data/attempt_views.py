"""What the data layer hands to pages about attempts: summaries, details, reviews, progress points,
mock calls and audit entries (plain dataclasses), and the constants the attempt modules share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from trainer.data.storage import (
    AttemptKind,
    AttemptStatus,
    CallStatus,
)
from trainer.scoring import Report

Progress = Callable[[str], None]

MAX_COMMENT_LENGTH = 5000

TRAINING_KINDS = (AttemptKind.PRACTICE, AttemptKind.MOCK_CALL)

# Silence put between the turns of a mock call when they are joined into the whole call.
TURN_GAP_SECONDS = 0.6


class RecordingMissing(RuntimeError):
    """The attempt's recording is not on disk any more."""


@dataclass(frozen=True)
class ScoreOutcome:
    """What scoring did, without the scores (safe to show during an interview)."""

    attempt_id: int
    status: AttemptStatus
    reason: str | None = None  # unscorable: for the applicant; failed: the error
    reason_code: str | None = None

    @property
    def message(self) -> str | None:
        """A message for the page, None when the answer was scored."""
        if self.status == AttemptStatus.UNSCORABLE:
            return self.reason
        if self.status == AttemptStatus.FAILED:
            return (
                "We could not score this answer right now. Your recording is saved and "
                "will be scored again; you do not need to record it again."
            )
        return None


@dataclass(frozen=True)
class AttemptSummary:
    id: int
    user_id: int
    user_name: str
    task_id: str | None
    task_type: str
    kind: AttemptKind
    status: AttemptStatus
    status_reason: str | None
    overall_score: float | None
    level: str | None
    created_at: datetime
    scored_at: datetime | None
    reviewed_at: datetime | None
    mock_call_id: int | None
    invitation_id: int | None
    position: int | None


@dataclass(frozen=True)
class OverrideView:
    id: int
    attempt_id: int
    dimension: str
    machine_band: int
    coach_band: int
    reason: str
    coach_id: int
    coach_name: str
    created_at: datetime


@dataclass(frozen=True)
class CommentView:
    id: int
    attempt_id: int
    author_id: int
    author_name: str
    text: str  # as typed: escape it when rendering
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True)
class DimensionResult:
    """One dimension of a scored attempt: the machine's score and band, and the band that
    counts (the latest coach override, else the machine's) with that band's wording."""

    name: str
    score: float  # the machine's 0-100 score
    machine_band: int
    band: int  # effective band
    label: str  # of the effective band
    descriptor: str
    override: OverrideView | None

    @property
    def overridden(self) -> bool:
        return self.override is not None


@dataclass(frozen=True)
class AttemptDetail:
    summary: AttemptSummary
    report: Report | None  # machine scores and evidence, None until scored
    dimensions: dict[str, DimensionResult]
    comments: tuple[CommentView, ...]
    overrides: tuple[OverrideView, ...]  # every override, oldest first
    recording_path: Path | None
    answer_text: str | None
    reference_text: str | None

    @property
    def id(self) -> int:
        return self.summary.id


@dataclass(frozen=True)
class DimensionPoint:
    attempt_id: int
    at: datetime
    task_type: str
    dimension: str
    score: float
    machine_band: int
    band: int  # effective


@dataclass(frozen=True)
class LevelPoint:
    attempt_id: int
    at: datetime
    task_type: str
    overall_score: float
    level: str
    words: int | None = None  # of the transcript or typed reply (scoring.report_words)


@dataclass(frozen=True)
class CalibrationPair:
    attempt_id: int
    dimension: str
    machine_band: int
    coach_band: int
    coach_id: int
    at: datetime
    confirmed: bool  # True: the coach reviewed the attempt and kept the machine's band


@dataclass(frozen=True)
class MockCallView:
    id: int
    user_id: int
    task_id: str
    scenario_id: str | None
    status: CallStatus
    started_at: datetime
    finished_at: datetime | None
    turns: tuple[AttemptSummary, ...]  # in turn order
    call_attempt_id: int | None  # the whole call, once finished


@dataclass(frozen=True)
class AuditEntryView:
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    object_type: str
    object_id: int | None
    before: dict | None
    after: dict | None
