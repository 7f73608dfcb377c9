"""The coach's side: the review queue, band overrides (audited), comments the applicant sees, and
the pairs of machine and coach bands the calibration page compares.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.content import get_bank
from trainer.data.access import (
    AccessDenied,
    Actor,
    NotFound,
    acting_user,
    attempt_scope,
    coaches_attempt,
    require_role,
)
from trainer.data.attempt_views import (
    MAX_COMMENT_LENGTH,
    TRAINING_KINDS,
    AttemptSummary,
    CalibrationPair,
    CommentView,
    OverrideView,
)
from trainer.data.attempts import (
    _check_cohort,
    _comment_view,
    _latest_overrides,
    _names,
    _override_view,
    _summary,
    list_attempts,
)
from trainer.data.storage import (
    Attempt,
    AttemptScore,
    AttemptStatus,
    CohortMember,
    Comment,
    Role,
    ScoreOverride,
    User,
    audit,
    transaction,
    utcnow,
)


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
