"""Attempts: answers saved before they are scored, scoring and re-scoring, the feedback view
(effective bands after coach overrides, coach comments), progress, export of one's own data,
the coach's review queue and calibration data, and mock calls turn by turn.

    attempt_id = save_attempt(actor, "task.listening.001", recording=upload)  # file + row committed
    outcome = score_attempt(attempt_id, progress=status.write)                # ScoreOutcome (no scores)
    detail = get_attempt(actor, attempt_id)                                   # AttemptDetail, checked

A recording is written to ``storage_dir/recordings/`` and its attempt row committed before
scoring starts, so a crash during scoring loses nothing: the attempt stays ``scoring`` (or
``failed`` with the reason) and ``trainer rescore ATTEMPT_ID`` scores it again. Every
function that returns attempts, reports or users takes the acting user and refuses what the
role may not see (``trainer.access``); overrides and edits write the audit log in the same
transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from trainer.content import DIMENSIONS, get_bank
from trainer.data.access import (
    AccessDenied,
    Actor,
    NotFound,
    acting_user,
    attempt_scope,
    coach_applicant_ids,
    coaches_attempt,
    require_role,
    visible_attempt,
    visible_user,
)
from trainer.data.csv_export import to_csv
from trainer.data.interviews import visible_invitation
from trainer.data.recordings import RecordingSource, prepare_answer
from trainer.data.storage import (
    Attempt,
    AttemptKind,
    AttemptScore,
    AttemptStatus,
    AuditEntry,
    CallStatus,
    CohortMember,
    Comment,
    MockCall,
    Role,
    ScoreOverride,
    User,
    audit,
    recording_path,
    storage_root,
    transaction,
    utcnow,
)
from trainer.scoring import Report, score_file, score_text
from trainer.speech.audio import AudioError, from_array, load_audio

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

MAX_COMMENT_LENGTH = 5000
TRAINING_KINDS = (AttemptKind.PRACTICE, AttemptKind.MOCK_CALL)
# Silence put between the turns of a mock call when they are joined into the whole call.
TURN_GAP_SECONDS = 0.6


class RecordingMissing(RuntimeError):
    """The attempt's recording is not on disk any more."""


# --------------------------------------------------------------------------- views


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


# --------------------------------------------------------------------------- saving answers


def save_attempt(
    actor: Actor,
    task_id: str | None = None,
    *,
    recording: RecordingSource | None = None,
    filename: str | None = None,
    text: str | None = None,
    reference_text: str | None = None,
    kind: AttemptKind | str = AttemptKind.PRACTICE,
    mock_call_id: int | None = None,
    position: int | None = None,
) -> int:
    """Save the actor's answer: the recording (bytes, a path, or an upload such as
    ``st.audio_input``'s) is written to disk and the attempt row committed, status
    ``recorded``. Returns the attempt id; score it next with ``score_attempt``.

    ``task_id`` is a task of the bank; without one the answer is a free answer, or read
    aloud when ``reference_text`` is given. Chat replies pass ``text`` instead of a
    recording. Turns of a mock call pass ``kind="mock_call"``, ``mock_call_id`` and
    ``position`` (from ``start_mock_call``). Interview answers go through
    ``trainer.interviews.submit_answer``."""
    kind = AttemptKind(kind)
    if kind == AttemptKind.INTERVIEW:
        raise ValueError("Interview answers are saved with trainer.interviews.submit_answer().")
    with transaction() as session:
        me = acting_user(session, actor)
        if kind == AttemptKind.MOCK_CALL:
            call = _own_open_call(session, me, mock_call_id)
            task_id = task_id or call.task_id
            if position is None:
                raise ValueError("A mock-call turn needs its position (turn number).")
        elif mock_call_id is not None:
            raise ValueError("Only mock-call turns belong to a mock call.")
    # A mock call's turn gets one turn's answer time and must hold speech (an empty turn
    # would spoil the whole call); anything else the task's own time (prepare_answer).
    limits = (
        dict(answer_seconds=get_bank().get_task(task_id).answer_seconds, require_speech=True)
        if kind == AttemptKind.MOCK_CALL
        else {}
    )
    prepared = prepare_answer(
        me.id, task_id, recording=recording, filename=filename, text=text, reference_text=reference_text, **limits
    )
    try:
        with transaction() as session:
            attempt = prepared.attempt(me.id, kind, mock_call_id=mock_call_id, position=position)
            session.add(attempt)
            session.flush()
            return attempt.id
    except BaseException:
        prepared.discard()
        raise


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Job:
    task_id: str | None
    recording_file: str | None
    answer_text: str | None
    reference_text: str | None


def score_attempt(attempt_id: int, progress: Progress | None = None) -> ScoreOutcome:
    """Score a saved attempt (again) with trainer.scoring and store the report.

    The attempt is marked ``scoring`` (committed) first. An error while scoring leaves it
    ``failed`` with the error as the reason; a process that dies leaves it ``scoring``.
    Either way the recording and row are kept, and this function (or ``trainer rescore``)
    can run again. Returns the outcome without scores: read those with ``get_attempt``."""
    with transaction() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound(f"There is no attempt {attempt_id}.")
        if attempt.recording_file is None and attempt.answer_text is None:  # an interview item left unanswered
            return ScoreOutcome(attempt_id, attempt.status, attempt.status_reason, attempt.status_code)
        attempt.status = AttemptStatus.SCORING
        attempt.scoring_started_at = utcnow()
        job = _Job(attempt.task_id, attempt.recording_file, attempt.answer_text, attempt.reference_text)
    try:
        report = _run_scoring(job, progress)
    except Exception as error:  # any failure: keep the attempt, say why, let it be re-scored
        log.exception("scoring attempt %s failed", attempt_id)
        reason = f"{type(error).__name__}: {error}"
        with transaction() as session:
            attempt = session.get(Attempt, attempt_id)
            attempt.status = AttemptStatus.FAILED
            attempt.status_code = "scoring_error"
            attempt.status_reason = reason
        return ScoreOutcome(attempt_id, AttemptStatus.FAILED, reason, "scoring_error")
    return record_report(attempt_id, report)


def _run_scoring(job: _Job, progress: Progress | None):

    task = get_bank().get_task(job.task_id) if job.task_id else None
    if job.answer_text is not None:
        return score_text(job.answer_text, task, progress=progress)
    path = recording_path(job.recording_file) if job.recording_file else None
    if path is None or not path.is_file():
        raise RecordingMissing(f"the recording {job.recording_file} is not in {storage_root()}")
    return score_file(path, task, reference_text=job.reference_text, progress=progress)


def _score_snapshot(session: Session, attempt: Attempt) -> dict:
    bands = dict(
        session.execute(
            select(AttemptScore.dimension, AttemptScore.band).where(AttemptScore.attempt_id == attempt.id)
        ).all()
    )
    return {
        "scored_at": attempt.scored_at.isoformat() if attempt.scored_at else None,
        "overall_score": attempt.overall_score,
        "level": attempt.level,
        "engine_version": attempt.engine_version,
        "bands": bands,
    }


def record_report(attempt_id: int, report: Report) -> ScoreOutcome:
    """Store a ``scoring.Report`` as the attempt's result: the report JSON, overall score
    and level, one row per dimension. Replacing an earlier result is audited."""
    with transaction() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound(f"There is no attempt {attempt_id}.")
        previous = _score_snapshot(session, attempt) if attempt.scored_at is not None else None
        attempt.report = report.to_dict()
        attempt.engine_version = report.engine_version
        attempt.scored_at = utcnow()
        session.execute(delete(AttemptScore).where(AttemptScore.attempt_id == attempt_id))
        if report.scorable and report.overall is not None:
            attempt.status = AttemptStatus.SCORED
            attempt.status_code = attempt.status_reason = None
            attempt.overall_score = report.overall.score
            attempt.level = report.overall.level
            for name, dimension in report.dimensions.items():
                session.add(
                    AttemptScore(attempt_id=attempt_id, dimension=name, score=dimension.score, band=dimension.band)
                )
        else:
            attempt.status = AttemptStatus.UNSCORABLE
            attempt.status_code = report.reason_code
            attempt.status_reason = report.reason
            attempt.overall_score = attempt.level = None
        session.flush()
        if previous is not None:
            audit(session, None, "attempt.rescore", "attempt", attempt_id, previous, _score_snapshot(session, attempt))
        return ScoreOutcome(attempt_id, attempt.status, attempt.status_reason, attempt.status_code)


def unfinished_attempt_ids() -> list[int]:
    """Attempts saved but not (successfully) scored: recorded, scoring or failed."""
    with transaction() as session:
        return list(
            session.scalars(
                select(Attempt.id)
                .where(Attempt.status.in_([AttemptStatus.RECORDED, AttemptStatus.SCORING, AttemptStatus.FAILED]))
                .order_by(Attempt.id)
            )
        )


# --------------------------------------------------------------------------- reading attempts


def _summary(attempt: Attempt, user_name: str) -> AttemptSummary:
    return AttemptSummary(
        attempt.id,
        attempt.user_id,
        user_name,
        attempt.task_id,
        attempt.task_type,
        attempt.kind,
        attempt.status,
        attempt.status_reason,
        attempt.overall_score,
        attempt.level,
        attempt.created_at,
        attempt.scored_at,
        attempt.reviewed_at,
        attempt.mock_call_id,
        attempt.invitation_id,
        attempt.position,
    )


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _override_view(o: ScoreOverride, names: dict[int, str]) -> OverrideView:
    return OverrideView(
        o.id,
        o.attempt_id,
        o.dimension,
        o.machine_band,
        o.coach_band,
        o.reason,
        o.coach_id,
        names.get(o.coach_id, ""),
        o.created_at,
    )


def _comment_view(c: Comment, names: dict[int, str]) -> CommentView:
    return CommentView(c.id, c.attempt_id, c.author_id, names.get(c.author_id, ""), c.text, c.created_at, c.updated_at)


def _latest_overrides(session: Session, attempt_ids: Sequence[int]) -> dict[tuple[int, str], ScoreOverride]:
    latest: dict[tuple[int, str], ScoreOverride] = {}
    if not attempt_ids:
        return latest
    for o in session.scalars(
        select(ScoreOverride)
        .where(ScoreOverride.attempt_id.in_(attempt_ids))
        .order_by(ScoreOverride.created_at, ScoreOverride.id)
    ):
        latest[(o.attempt_id, o.dimension)] = o
    return latest


def _band_wording(dimension: str, band: int) -> tuple[str, str]:

    for b in get_bank().get_rubric(dimension).bands:
        if b.band == band:
            return b.label, b.descriptor.strip()
    return "", ""


def _detail(session: Session, attempt: Attempt) -> AttemptDetail:
    overrides = list(
        session.scalars(
            select(ScoreOverride)
            .where(ScoreOverride.attempt_id == attempt.id)
            .order_by(ScoreOverride.created_at, ScoreOverride.id)
        )
    )
    comments = list(
        session.scalars(
            select(Comment).where(Comment.attempt_id == attempt.id).order_by(Comment.created_at, Comment.id)
        )
    )
    names = _names(session, [attempt.user_id, *(o.coach_id for o in overrides), *(c.author_id for c in comments)])
    override_views = tuple(_override_view(o, names) for o in overrides)
    latest = {o.dimension: o for o in override_views}
    report = Report.from_dict(attempt.report) if attempt.report else None
    dimensions: dict[str, DimensionResult] = {}
    if attempt.status == AttemptStatus.SCORED:
        for row in session.scalars(select(AttemptScore).where(AttemptScore.attempt_id == attempt.id)):
            override = latest.get(row.dimension)
            band = override.coach_band if override else row.band
            machine = report.dimensions.get(row.dimension) if report else None
            if override is None and machine is not None:
                label, descriptor = machine.label, machine.descriptor
            else:
                label, descriptor = _band_wording(row.dimension, band)
            dimensions[row.dimension] = DimensionResult(
                row.dimension, row.score, row.band, band, label, descriptor, override
            )
        order = list(report.dimensions) if report else []
        dimensions = dict(sorted(dimensions.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))
    path = recording_path(attempt.recording_file) if attempt.recording_file else None
    return AttemptDetail(
        _summary(attempt, names.get(attempt.user_id, "")),
        report,
        dimensions,
        tuple(_comment_view(c, names) for c in comments),
        override_views,
        path,
        attempt.answer_text,
        attempt.reference_text,
    )


def get_attempt(actor: Actor, attempt_id: int) -> AttemptDetail:
    """One attempt with its report, effective bands, overrides and comments, if the actor
    may see it (AccessDenied otherwise; NotFound, a kind of AccessDenied, if absent)."""
    with transaction() as session:
        me = acting_user(session, actor)
        return _detail(session, visible_attempt(session, me, attempt_id))


def _check_cohort(session: Session, me: User, cohort_id: int) -> None:
    if me.role == Role.ADMIN:
        return
    if me.role != Role.COACH or session.get(CohortMember, (cohort_id, me.id)) is None:
        raise AccessDenied("You may not see this cohort.")


def list_attempts(
    actor: Actor,
    *,
    user_id: int | None = None,
    kinds: Sequence[AttemptKind | str] | None = None,
    statuses: Sequence[AttemptStatus | str] | None = None,
    task_type: str | None = None,
    task_id: str | None = None,
    cohort_id: int | None = None,
    mock_call_id: int | None = None,
    invitation_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    reviewed: bool | None = None,
    newest_first: bool = True,
    limit: int | None = 500,
) -> list[AttemptSummary]:
    """The attempts the actor may see, filtered. Filters naming a user, cohort, mock call
    or interview the actor may not see raise AccessDenied (not an empty list)."""
    with transaction() as session:
        me = acting_user(session, actor)
        query = select(Attempt, User.name).join(User, User.id == Attempt.user_id).where(attempt_scope(me))
        if user_id is not None:
            visible_user(session, me, user_id)
            query = query.where(Attempt.user_id == user_id)
        if cohort_id is not None:
            _check_cohort(session, me, cohort_id)
            query = query.where(
                Attempt.user_id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id))
            )
        if mock_call_id is not None:
            _visible_call(session, me, mock_call_id)
            query = query.where(Attempt.mock_call_id == mock_call_id)
        if invitation_id is not None:
            visible_invitation(session, me, invitation_id)
            query = query.where(Attempt.invitation_id == invitation_id)
        if kinds:
            query = query.where(Attempt.kind.in_([AttemptKind(k) for k in kinds]))
        if statuses:
            query = query.where(Attempt.status.in_([AttemptStatus(s) for s in statuses]))
        if task_type:
            query = query.where(Attempt.task_type == task_type)
        if task_id:
            query = query.where(Attempt.task_id == task_id)
        if since is not None:
            query = query.where(Attempt.created_at >= since)
        if until is not None:
            query = query.where(Attempt.created_at < until)
        if min_score is not None:
            query = query.where(Attempt.overall_score >= min_score)
        if max_score is not None:
            query = query.where(Attempt.overall_score <= max_score)
        if reviewed is not None:
            query = query.where(Attempt.reviewed_at.is_not(None) if reviewed else Attempt.reviewed_at.is_(None))
        order = (Attempt.created_at.desc(), Attempt.id.desc()) if newest_first else (Attempt.created_at, Attempt.id)
        query = query.order_by(*order).limit(limit)
        return [_summary(a, name) for a, name in session.execute(query)]


# --------------------------------------------------------------------------- coach review


def review_queue(
    actor: Actor,
    *,
    cohort_id: int | None = None,
    task_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    include_reviewed: bool = False,
    limit: int | None = 500,
) -> list[AttemptSummary]:
    """Scored practice and mock-call attempts of the coach's applicants not yet reviewed,
    oldest first."""
    with transaction() as session:
        require_role(acting_user(session, actor), Role.COACH, Role.ADMIN)
    return list_attempts(
        actor,
        kinds=TRAINING_KINDS,
        statuses=[AttemptStatus.SCORED],
        cohort_id=cohort_id,
        task_type=task_type,
        since=since,
        until=until,
        min_score=min_score,
        max_score=max_score,
        reviewed=None if include_reviewed else False,
        newest_first=False,
        limit=limit,
    )


def mark_reviewed(actor: Actor, attempt_id: int) -> AttemptSummary:
    """The coach has looked at this attempt: it leaves the queue, and the bands they did
    not override count as agreement in calibration."""
    with transaction() as session:
        me = acting_user(session, actor)
        attempt = coaches_attempt(session, me, attempt_id)
        before = {
            "reviewed_at": attempt.reviewed_at.isoformat() if attempt.reviewed_at else None,
            "reviewed_by_id": attempt.reviewed_by_id,
        }
        attempt.reviewed_at = utcnow()
        attempt.reviewed_by_id = me.id
        audit(
            session,
            me.id,
            "attempt.review",
            "attempt",
            attempt.id,
            before,
            {"reviewed_at": attempt.reviewed_at.isoformat(), "reviewed_by_id": me.id},
        )
        return _summary(attempt, _names(session, [attempt.user_id]).get(attempt.user_id, ""))


def override_band(actor: Actor, attempt_id: int, dimension: str, band: int, reason: str) -> OverrideView:
    """A coach sets the band of one dimension, with a reason. The applicant then sees this
    band; the machine's stays in the report. Audited (before: the band that counted)."""

    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Please give a reason for changing the band.")
    with transaction() as session:
        me = acting_user(session, actor)
        attempt = coaches_attempt(session, me, attempt_id)
        if attempt.status != AttemptStatus.SCORED:
            raise ValueError("Only a scored attempt can have its bands changed.")
        row = session.get(AttemptScore, (attempt_id, dimension))
        if row is None:
            raise ValueError(f"This attempt has no {dimension} score.")
        bands = sorted(b.band for b in get_bank().get_rubric(dimension).bands)
        if band not in bands:
            raise ValueError(f"A {dimension} band is one of {', '.join(map(str, bands))}.")
        previous = _latest_overrides(session, [attempt_id]).get((attempt_id, dimension))
        before = {
            "dimension": dimension,
            "band": previous.coach_band if previous else row.band,
            "source": "coach" if previous else "machine",
            "machine_band": row.band,
        }
        override = ScoreOverride(
            attempt_id=attempt_id,
            dimension=dimension,
            machine_band=row.band,
            coach_band=band,
            reason=reason,
            coach_id=me.id,
            created_at=utcnow(),
        )
        session.add(override)
        session.flush()
        audit(
            session,
            me.id,
            "attempt.override",
            "attempt",
            attempt_id,
            before,
            {"dimension": dimension, "band": band, "source": "coach", "reason": reason, "override_id": override.id},
        )
        return _override_view(override, {me.id: me.name})


def _clean_comment(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError("The comment is empty.")
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValueError(f"A comment can have at most {MAX_COMMENT_LENGTH} characters.")
    return text


def add_comment(actor: Actor, attempt_id: int, text: str) -> CommentView:
    """A coach's comment, shown to the applicant with the attempt. Audited."""
    text = _clean_comment(text)
    with transaction() as session:
        me = acting_user(session, actor)
        attempt = coaches_attempt(session, me, attempt_id)
        comment = Comment(attempt_id=attempt.id, author_id=me.id, text=text, created_at=utcnow())
        session.add(comment)
        session.flush()
        audit(session, me.id, "comment.create", "comment", comment.id, None, {"attempt_id": attempt.id, "text": text})
        return _comment_view(comment, {me.id: me.name})


def _own_comment(session: Session, me: User, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"There is no comment {comment_id}.")
    coaches_attempt(session, me, comment.attempt_id)
    if comment.author_id != me.id and me.role != Role.ADMIN:
        raise AccessDenied("Only the author (or an admin) can change a comment.")
    return comment


def edit_comment(actor: Actor, comment_id: int, text: str) -> CommentView:
    text = _clean_comment(text)
    with transaction() as session:
        me = acting_user(session, actor)
        comment = _own_comment(session, me, comment_id)
        before = {"attempt_id": comment.attempt_id, "text": comment.text}
        comment.text = text
        comment.updated_at = utcnow()
        audit(
            session,
            me.id,
            "comment.edit",
            "comment",
            comment.id,
            before,
            {"attempt_id": comment.attempt_id, "text": text},
        )
        return _comment_view(comment, _names(session, [comment.author_id]))


def delete_comment(actor: Actor, comment_id: int) -> None:
    with transaction() as session:
        me = acting_user(session, actor)
        comment = _own_comment(session, me, comment_id)
        audit(
            session,
            me.id,
            "comment.delete",
            "comment",
            comment.id,
            {"attempt_id": comment.attempt_id, "text": comment.text},
            None,
        )
        session.delete(comment)


def calibration_pairs(
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    cohort_id: int | None = None,
    dimension: str | None = None,
    include_confirmed: bool = True,
) -> list[CalibrationPair]:
    """(machine band, coach band) pairs per dimension for the calibration page.

    One pair per overridden dimension (the latest override, dated by it), and, with
    ``include_confirmed``, one per dimension the coach kept when marking an attempt
    reviewed (dated by the review). Coaches get their cohorts' attempts, admins all."""
    with transaction() as session:
        me = acting_user(session, actor)
        require_role(me, Role.COACH, Role.ADMIN)
        scope = select(Attempt.id).where(
            attempt_scope(me), Attempt.kind.in_(TRAINING_KINDS), Attempt.status == AttemptStatus.SCORED
        )
        if cohort_id is not None:
            _check_cohort(session, me, cohort_id)
            scope = scope.where(
                Attempt.user_id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id))
            )
        ids = list(session.scalars(scope))
        latest = _latest_overrides(session, ids)
        pairs: list[CalibrationPair] = []

        def in_period(at: datetime) -> bool:
            return (since is None or at >= since) and (until is None or at < until)

        for (attempt_id, dim), o in latest.items():
            if (dimension is None or dim == dimension) and in_period(o.created_at):
                pairs.append(
                    CalibrationPair(attempt_id, dim, o.machine_band, o.coach_band, o.coach_id, o.created_at, False)
                )
        if include_confirmed and ids:
            reviewed = session.execute(
                select(
                    Attempt.id, Attempt.reviewed_by_id, Attempt.reviewed_at, AttemptScore.dimension, AttemptScore.band
                )
                .join(AttemptScore, AttemptScore.attempt_id == Attempt.id)
                .where(Attempt.id.in_(ids), Attempt.reviewed_at.is_not(None))
            )
            for attempt_id, coach_id, at, dim, band in reviewed:
                if (attempt_id, dim) in latest or (dimension is not None and dim != dimension):
                    continue
                if in_period(at):
                    pairs.append(CalibrationPair(attempt_id, dim, band, band, coach_id, at, True))
        return sorted(pairs, key=lambda p: (p.at, p.attempt_id, p.dimension))


# --------------------------------------------------------------------------- progress, export


def dimension_history(
    actor: Actor, user_id: int | None = None, *, since: datetime | None = None, until: datetime | None = None
) -> list[DimensionPoint]:
    """Every scored dimension of the user's practice and mock-call attempts, oldest first,
    with the effective band (the coach's, if overridden)."""
    with transaction() as session:
        me = acting_user(session, actor)
        user_id = me.id if user_id is None else user_id
        visible_user(session, me, user_id)
        query = (
            select(Attempt, AttemptScore)
            .join(AttemptScore, AttemptScore.attempt_id == Attempt.id)
            .where(
                attempt_scope(me),
                Attempt.user_id == user_id,
                Attempt.kind.in_(TRAINING_KINDS),
                Attempt.status == AttemptStatus.SCORED,
            )
            .order_by(Attempt.created_at, Attempt.id, AttemptScore.dimension)
        )
        if since is not None:
            query = query.where(Attempt.created_at >= since)
        if until is not None:
            query = query.where(Attempt.created_at < until)
        rows = session.execute(query).all()
        latest = _latest_overrides(session, list({a.id for a, _ in rows}))
        points = []
        for attempt, score in rows:
            override = latest.get((attempt.id, score.dimension))
            points.append(
                DimensionPoint(
                    attempt.id,
                    attempt.created_at,
                    attempt.task_type,
                    score.dimension,
                    score.score,
                    score.band,
                    override.coach_band if override else score.band,
                )
            )
        return points


def level_history(
    actor: Actor, user_id: int | None = None, *, since: datetime | None = None, until: datetime | None = None
) -> list[LevelPoint]:
    """Overall score and CEFR level of each scored practice and mock-call attempt, oldest first."""
    with transaction() as session:
        me = acting_user(session, actor)
        user_id = me.id if user_id is None else user_id
        visible_user(session, me, user_id)
        query = (
            select(Attempt)
            .where(
                attempt_scope(me),
                Attempt.user_id == user_id,
                Attempt.kind.in_(TRAINING_KINDS),
                Attempt.status == AttemptStatus.SCORED,
            )
            .order_by(Attempt.created_at, Attempt.id)
        )
        if since is not None:
            query = query.where(Attempt.created_at >= since)
        if until is not None:
            query = query.where(Attempt.created_at < until)
        return [LevelPoint(a.id, a.created_at, a.task_type, a.overall_score, a.level) for a in session.scalars(query)]


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"cannot export {type(value).__name__}")


def export_data(actor: Actor, user_id: int | None = None) -> dict:
    """Everything stored about a user that they may see, as JSON-ready data: the account,
    and every practice and mock-call attempt with its report, effective bands, overrides
    and comments. Your own data, or anyone's for an admin."""
    with transaction() as session:
        me = acting_user(session, actor)
        user_id = me.id if user_id is None else user_id
        if user_id != me.id:
            require_role(me, Role.ADMIN)
        user = visible_user(session, me, user_id)
        attempts = session.scalars(
            select(Attempt)
            .where(attempt_scope(me), Attempt.user_id == user_id)
            .order_by(Attempt.created_at, Attempt.id)
        ).all()
        exported = []
        for attempt in attempts:
            detail = _detail(session, attempt)
            exported.append(
                {
                    **asdict(detail.summary),
                    "recording_file": attempt.recording_file,
                    "answer_text": attempt.answer_text,
                    "reference_text": attempt.reference_text,
                    "transcript": detail.report.transcript.text if detail.report and detail.report.transcript else None,
                    "dimensions": {
                        name: {"score": d.score, "machine_band": d.machine_band, "band": d.band}
                        for name, d in detail.dimensions.items()
                    },
                    "overrides": [asdict(o) for o in detail.overrides],
                    "comments": [asdict(c) for c in detail.comments],
                    "report": attempt.report,
                }
            )
        data = {
            "exported_at": utcnow(),
            "user": {
                "id": user.id,
                "name": user.name,
                "role": user.role,
                "login": user.login,
                "email": user.email,
                "created_at": user.created_at,
            },
            "attempts": exported,
        }
        return json.loads(json.dumps(data, default=_jsonable))


def export_json(actor: Actor, user_id: int | None = None) -> str:
    return json.dumps(export_data(actor, user_id), indent=2, ensure_ascii=False)


CSV_COLUMNS = [
    "attempt_id",
    "created_at",
    "kind",
    "task_id",
    "task_type",
    "status",
    "overall_score",
    "level",
    *[f"{d}_{part}" for d in DIMENSIONS for part in ("score", "band")],
    "answer",
]


def export_csv(actor: Actor, user_id: int | None = None) -> str:
    """One row per attempt: scores and effective bands per dimension, and the answer
    (transcript or typed text)."""
    rows = []
    for a in export_data(actor, user_id)["attempts"]:
        row = {
            "attempt_id": a["id"],
            "created_at": a["created_at"],
            "kind": a["kind"],
            "task_id": a["task_id"],
            "task_type": a["task_type"],
            "status": a["status"],
            "overall_score": a["overall_score"],
            "level": a["level"],
            "answer": a["answer_text"] or a["transcript"] or "",
        }
        for name, d in a["dimensions"].items():
            row[f"{name}_score"] = d["score"]
            row[f"{name}_band"] = d["band"]
        rows.append(row)
    return to_csv(rows, CSV_COLUMNS)


# --------------------------------------------------------------------------- mock calls


def _call_view(session: Session, call: MockCall) -> MockCallView:
    rows = session.execute(
        select(Attempt, User.name)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.mock_call_id == call.id)
        .order_by(Attempt.position, Attempt.created_at, Attempt.id)
    ).all()
    turns = tuple(_summary(a, n) for a, n in rows if a.position is not None)
    whole = [a.id for a, _ in rows if a.position is None]
    return MockCallView(
        call.id,
        call.user_id,
        call.task_id,
        call.scenario_id,
        call.status,
        call.started_at,
        call.finished_at,
        turns,
        whole[-1] if whole else None,
    )


def _visible_call(session: Session, me: User, mock_call_id: int | None) -> MockCall:
    call = session.get(MockCall, mock_call_id) if mock_call_id is not None else None
    allowed = call is not None and (
        me.role == Role.ADMIN
        or (me.role == Role.APPLICANT and call.user_id == me.id)
        or (
            me.role == Role.COACH
            and session.scalar(coach_applicant_ids(me.id).where(CohortMember.user_id == call.user_id)) is not None
        )
    )
    if allowed:
        return call
    if me.role == Role.ADMIN:
        raise NotFound(f"There is no mock call {mock_call_id}.")
    raise AccessDenied("You may not see this mock call.")


def _own_open_call(session: Session, me: User, mock_call_id: int | None) -> MockCall:
    call = session.get(MockCall, mock_call_id) if mock_call_id is not None else None
    if call is None or call.user_id != me.id:
        raise AccessDenied("This is not your mock call.")
    if call.status != CallStatus.IN_PROGRESS:
        raise ValueError("This mock call is finished; start a new one.")
    return call


def start_mock_call(actor: Actor, task_id: str) -> MockCallView:
    """Start a simulated call on a role-play task; save each answered turn with
    ``save_attempt(actor, kind="mock_call", mock_call_id=..., position=N, recording=...)``."""

    try:
        task = get_bank().get_task(task_id)
    except KeyError as error:
        raise ValueError(f"There is no task {task_id!r} in the task bank.") from error
    if task.type != "role_play":
        raise ValueError("A mock call needs a role-play task.")
    with transaction() as session:
        me = acting_user(session, actor)
        call = MockCall(
            user_id=me.id,
            task_id=task.id,
            scenario_id=getattr(task, "scenario", None),
            status=CallStatus.IN_PROGRESS,
            started_at=utcnow(),
        )
        session.add(call)
        session.flush()
        return _call_view(session, call)


def get_mock_call(actor: Actor, mock_call_id: int) -> MockCallView:
    with transaction() as session:
        return _call_view(session, _visible_call(session, acting_user(session, actor), mock_call_id))


def list_mock_calls(actor: Actor, user_id: int | None = None) -> list[MockCallView]:
    with transaction() as session:
        me = acting_user(session, actor)
        user_id = me.id if user_id is None else user_id
        visible_user(session, me, user_id)
        calls = session.scalars(
            select(MockCall).where(MockCall.user_id == user_id).order_by(MockCall.started_at.desc(), MockCall.id.desc())
        ).all()
        return [_call_view(session, _visible_call(session, me, c.id)) for c in calls]


def finish_mock_call(actor: Actor, mock_call_id: int) -> int:
    """End the call: the turns' recordings (the latest take of each) are joined, with a short pause between them, into
    one recording of the whole call, saved as an attempt on the role-play task. Returns that
    attempt's id, to score with ``score_attempt`` for the full call report."""
    import numpy as np

    with transaction() as session:
        me = acting_user(session, actor)
        call = _own_open_call(session, me, mock_call_id)
        latest_take: dict[int, str] = {}  # a turn recorded again replaces the earlier take
        for position, relative in session.execute(
            select(Attempt.position, Attempt.recording_file)
            .where(Attempt.mock_call_id == call.id, Attempt.position.is_not(None), Attempt.recording_file.is_not(None))
            .order_by(Attempt.position, Attempt.id)
        ):
            latest_take[position] = relative
        files = [latest_take[p] for p in sorted(latest_take)]
        task_id = call.task_id
    pieces = []
    for relative in files:
        try:
            audio = load_audio(recording_path(relative), require_speech=False, min_seconds=0.0)
        except AudioError as error:  # that turn stays saved on its own; the call goes on without it
            log.warning("mock call %s: turn %s left out: %s", mock_call_id, relative, error)
            continue
        pieces += [audio.samples, np.zeros(int(TURN_GAP_SECONDS * audio.sample_rate), np.float32)]
    if not pieces:
        raise ValueError("No turn of this call has a usable recording yet.")
    whole = from_array(np.concatenate(pieces[:-1]), source="mock call").to_wav_bytes()
    # made here from the turns, each checked when it was saved: no limit on the whole
    prepared = prepare_answer(me.id, task_id, recording=whole, filename="call.wav", answer_seconds=None)
    try:
        with transaction() as session:
            call = _own_open_call(session, acting_user(session, actor), mock_call_id)
            attempt = prepared.attempt(me.id, AttemptKind.MOCK_CALL, mock_call_id=call.id, position=None)
            session.add(attempt)
            call.status = CallStatus.FINISHED
            call.finished_at = utcnow()
            session.flush()
            return attempt.id
    except BaseException:
        prepared.discard()
        raise


# --------------------------------------------------------------------------- audit log


def audit_log(
    actor: Actor,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[AuditEntryView]:
    """The audit log, newest first (admins)."""
    with transaction() as session:
        require_role(acting_user(session, actor), Role.ADMIN)
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        if object_type is not None:
            query = query.where(AuditEntry.object_type == object_type)
        if object_id is not None:
            query = query.where(AuditEntry.object_id == object_id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        entries = session.scalars(query).all()
        names = _names(session, [e.actor_id for e in entries])
        return [
            AuditEntryView(
                e.id,
                e.at,
                e.actor_id,
                names.get(e.actor_id) if e.actor_id else None,
                e.action,
                e.object_type,
                e.object_id,
                e.before,
                e.after,
            )
            for e in entries
        ]
