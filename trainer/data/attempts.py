"""Answers saved before they are scored, scoring and re-scoring, and reading attempts back
(effective bands after coach overrides, coach comments), each checked against who asks.

    attempt_id = save_attempt(actor, "task.listening.001", recording=upload)  # file + row committed
    outcome = score_attempt(attempt_id, progress=status.write)                # ScoreOutcome (no scores)
    detail = get_attempt(actor, attempt_id)                                   # AttemptDetail, checked

A recording is written to ``storage_dir/recordings/`` (and, for workers on other machines,
the database) and its attempt row committed before scoring starts, so a crash during
scoring loses nothing: the attempt stays ``scoring`` (or ``failed`` with the reason) and
``trainer rescore ATTEMPT_ID`` scores it again.

Workers (trainer.jobs) score in steps: ``queue_attempt`` (a new job token), ``claim_attempt``
(one more try), ``note_stage``, ``run_job``, then ``record_report`` with the token or
``release_attempt``. Only the run holding the current token stores a report, so a job
delivered twice (a worker killed mid-job) still ends with exactly one.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from trainer.config import get_settings
from trainer.content import get_bank
from trainer.data.access import (
    AccessDenied,
    Actor,
    NotFound,
    acting_user,
    attempt_scope,
    coach_applicant_ids,
    visible_attempt,
    visible_user,
)
from trainer.data.attempt_views import (
    AttemptDetail,
    AttemptSummary,
    CommentView,
    DimensionResult,
    MockCallView,
    OverrideView,
    Progress,
    RecordingMissing,
    ScoreOutcome,
)
from trainer.data.interviews import visible_invitation
from trainer.data.recordings import RecordingSource, fetch_recording, prepare_answer
from trainer.data.storage import (
    Attempt,
    AttemptKind,
    AttemptScore,
    AttemptStatus,
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

log = logging.getLogger(__name__)


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
    ``trainer.data.interviews.submit_answer``."""
    kind = AttemptKind(kind)
    if kind == AttemptKind.INTERVIEW:
        raise ValueError("Interview answers are saved with trainer.data.interviews.submit_answer().")
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


@dataclass(frozen=True)
class ScoringJob:
    """What a worker needs to score an attempt: nothing in it lives only on the web machine
    (the recording is fetched from the database when this machine lacks it)."""

    attempt_id: int
    token: str
    try_number: int
    task_id: str | None
    recording_file: str | None
    answer_text: str | None
    reference_text: str | None
    answered_turns: tuple[int, ...] | None = None  # a whole mock call: the turns it joined


@dataclass(frozen=True)
class QueueState:
    """Where an answer is on its way to a report, for the page that waits for it."""

    attempt_id: int
    status: AttemptStatus
    place: int | None  # waiting for a worker: 1 is next; None once a worker has it
    stage: str | None  # the scoring stage a worker has reached ("transcribing", ...)
    tries: int
    reason: str | None  # why the last try failed, or why the answer cannot be scored

    @property
    def finished(self) -> bool:
        return self.status in (AttemptStatus.SCORED, AttemptStatus.UNSCORABLE, AttemptStatus.FAILED)


def queue_attempt(attempt_id: int) -> str | None:
    """Mark a saved attempt as waiting to be scored, with a new job token (an earlier job
    for it can then no longer store a report). Returns the token to send with the job, or
    None when there is nothing to score (an interview item left unanswered)."""
    with transaction() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound(f"There is no attempt {attempt_id}.")
        if attempt.recording_file is None and attempt.answer_text is None:
            return None
        attempt.job_token = uuid.uuid4().hex
        attempt.status = AttemptStatus.RECORDED
        attempt.queued_at = utcnow()
        attempt.scoring_stage = None
        attempt.scoring_tries = 0
        attempt.status_code = attempt.status_reason = None
        return attempt.job_token


def _rows(result) -> int:
    """Rows an UPDATE changed (SQLAlchemy's CursorResult.rowcount)."""
    return int(result.rowcount)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_attempt(attempt_id: int, token: str) -> ScoringJob | None:
    """Take the job ``token`` for ``attempt_id`` (status ``scoring``, one more try). None when
    the token is no longer current (the report is stored, or a newer job replaced it) or
    the attempt has had every try (``scoring_tries``): it then ends ``failed``."""
    stale_before = utcnow() - timedelta(seconds=get_settings().job_visibility_seconds)
    with transaction() as session:
        taken = session.execute(
            update(Attempt)
            .where(
                Attempt.id == attempt_id,
                Attempt.job_token == token,
                # not while another run of this job is alive (a resent duplicate): its worker
                # beats (keep_alive) more often than job_visibility_seconds
                or_(
                    Attempt.status != AttemptStatus.SCORING,
                    Attempt.scoring_alive_at.is_(None),
                    Attempt.scoring_alive_at < stale_before,
                ),
            )
            .values(
                status=AttemptStatus.SCORING,
                scored_by=worker_name(),
                scoring_tries=Attempt.scoring_tries + 1,
                scoring_started_at=utcnow(),
                scoring_alive_at=utcnow(),
                scoring_stage="starting",
            )
        )
        if _rows(taken) != 1:
            return None
        attempt = session.get_one(Attempt, attempt_id)
        session.refresh(attempt)
        tries = get_settings().scoring_tries
        if attempt.scoring_tries > tries:
            _end_failed(attempt, f"scoring stopped {tries} times before it finished (a worker was stopped or crashed)")
            return None
        return ScoringJob(
            attempt.id,
            token,
            attempt.scoring_tries,
            attempt.task_id,
            attempt.recording_file,
            attempt.answer_text,
            attempt.reference_text,
            _answered_turns(session, attempt),
        )


def keep_alive(attempt_id: int, token: str) -> None:
    """The running try's sign of life, so that a duplicate of its job does not take it over."""
    with transaction() as session:
        session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id, Attempt.job_token == token, Attempt.status == AttemptStatus.SCORING)
            .values(scoring_alive_at=utcnow())
        )


def note_stage(attempt_id: int, token: str, stage: str) -> None:
    """Record the scoring stage a worker has reached, for the waiting page."""
    with transaction() as session:
        session.execute(
            update(Attempt).where(Attempt.id == attempt_id, Attempt.job_token == token).values(scoring_stage=stage)
        )


def release_attempt(attempt_id: int, token: str, reason: str, final: bool) -> ScoreOutcome:
    """A try failed with ``reason``: back in the queue to be tried again, or (``final``)
    ``failed`` with the reason, to be rescored by hand."""
    with transaction() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None or attempt.job_token != token:
            status = attempt.status if attempt is not None else AttemptStatus.FAILED
            return ScoreOutcome(attempt_id, status)
        if final:
            _end_failed(attempt, reason)
        else:
            attempt.status = AttemptStatus.RECORDED
            attempt.scoring_stage = "waiting to try again"
            attempt.status_reason = reason
        return ScoreOutcome(attempt_id, attempt.status, attempt.status_reason, attempt.status_code)


def _end_failed(attempt: Attempt, reason: str) -> None:
    attempt.status = AttemptStatus.FAILED
    attempt.status_code = "scoring_error"
    attempt.status_reason = reason
    attempt.scoring_stage = None
    attempt.job_token = None


def queue_state(attempt_id: int) -> QueueState:
    """The attempt's status, its place among the answers waiting for a worker, and the stage
    its worker has reached."""
    with transaction() as session:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound(f"There is no attempt {attempt_id}.")
        place = None
        if attempt.status == AttemptStatus.RECORDED and attempt.queued_at is not None:
            ahead = session.scalar(
                select(func.count())
                .select_from(Attempt)
                .where(
                    Attempt.status == AttemptStatus.RECORDED,
                    Attempt.job_token.is_not(None),
                    Attempt.queued_at < attempt.queued_at,
                )
            )
            place = int(ahead or 0) + 1
        return QueueState(
            attempt.id,
            attempt.status,
            place,
            attempt.scoring_stage,
            attempt.scoring_tries,
            attempt.status_reason,
        )


def waiting_jobs() -> list[tuple[int, str]]:
    """(attempt id, job token) of the attempts queued or being scored, oldest first: a worker
    that starts sends their jobs again, in case the broker lost them (a job already done or
    running elsewhere is skipped by its token)."""
    with transaction() as session:
        rows = session.execute(
            select(Attempt.id, Attempt.job_token)
            .where(
                Attempt.job_token.is_not(None),
                Attempt.status.in_([AttemptStatus.RECORDED, AttemptStatus.SCORING]),
            )
            .order_by(Attempt.queued_at)
        ).all()
        return [(attempt_id, token) for attempt_id, token in rows if token is not None]


def run_job(job: ScoringJob, progress: Progress | None = None) -> Report:
    """Score what a claimed job holds (no database writes)."""
    task = get_bank().get_task(job.task_id) if job.task_id else None
    if job.answer_text is not None:
        return score_text(job.answer_text, task, progress=progress)
    path = fetch_recording(job.recording_file) if job.recording_file else None
    if path is None:
        raise RecordingMissing(f"the recording {job.recording_file} is not in {storage_root()} nor in the database")
    return score_file(
        path, task, reference_text=job.reference_text, progress=progress, answered_turns=job.answered_turns
    )


def score_attempt(attempt_id: int, progress: Progress | None = None) -> ScoreOutcome:
    """Score a saved attempt (again) here and now, in this process, and store the report:
    the inline path (``scoring = "inline"``, ``trainer rescore --here``); workers do the same
    steps one by one (trainer.jobs).

    The attempt is marked ``scoring`` (committed) first. An error while scoring leaves it
    ``failed`` with the error as the reason; a process that dies leaves it ``scoring``.
    Either way the recording and row are kept, and it can be scored again. Returns the
    outcome without scores: read those with ``get_attempt``."""
    token = queue_attempt(attempt_id)
    job = claim_attempt(attempt_id, token) if token is not None else None
    if token is None or job is None:
        state = queue_state(attempt_id)
        return ScoreOutcome(attempt_id, state.status, state.reason)
    try:
        report = run_job(job, progress)
    except Exception as error:  # any failure: keep the attempt, say why, let it be re-scored
        log.exception("scoring attempt %s failed", attempt_id)
        return release_attempt(attempt_id, token, f"{type(error).__name__}: {error}", final=True)
    stored = record_report(attempt_id, report, token=token)
    return stored if stored is not None else ScoreOutcome(attempt_id, queue_state(attempt_id).status)


def _answered_turns(session: Session, attempt: Attempt) -> tuple[int, ...] | None:
    """For the whole recording of a mock call: the turns (positions) its recording joined,
    i.e. the call's turns answered with a recording; None for any other attempt."""
    if attempt.mock_call_id is None or attempt.position is not None:
        return None
    positions = session.scalars(
        select(Attempt.position)
        .where(
            Attempt.mock_call_id == attempt.mock_call_id,
            Attempt.position.is_not(None),
            Attempt.recording_file.is_not(None),
        )
        .distinct()
    ).all()
    return tuple(sorted(p for p in positions if p is not None))


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


def record_report(attempt_id: int, report: Report, token: str | None = None) -> ScoreOutcome | None:
    """Store a ``scoring.Report`` as the attempt's result: the report JSON, overall score
    and level, one row per dimension. Replacing an earlier result is audited.

    With the job's ``token``, only while that token is current, and it is used up in the
    same transaction: of two runs of one job, the second stores nothing and gets None."""
    with transaction() as session:
        if token is not None:
            taken = session.execute(
                update(Attempt).where(Attempt.id == attempt_id, Attempt.job_token == token).values(job_token=None)
            )
            if _rows(taken) != 1:
                return None
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound(f"There is no attempt {attempt_id}.")
        previous = _score_snapshot(session, attempt) if attempt.scored_at is not None else None
        if token is not None:
            session.refresh(attempt)
        attempt.job_token = None
        attempt.scoring_stage = None
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
