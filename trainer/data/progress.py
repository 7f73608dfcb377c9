"""Progress over time (dimensions and level) and the export of a person's own data as JSON or CSV."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from trainer.content import DIMENSIONS
from trainer.data.access import (
    Actor,
    acting_user,
    attempt_scope,
    require_role,
    visible_user,
)
from trainer.data.attempt_views import TRAINING_KINDS, DimensionPoint, LevelPoint
from trainer.data.attempts import _detail, _latest_overrides
from trainer.data.csv_export import to_csv
from trainer.data.storage import (
    Attempt,
    AttemptKind,
    AttemptScore,
    AttemptStatus,
    Role,
    transaction,
    utcnow,
)
from trainer.scoring import report_words


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
    """Overall score, CEFR level and words of each scored practice and mock-call attempt,
    oldest first."""
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
        return [
            LevelPoint(a.id, a.created_at, a.task_type, a.overall_score, a.level, report_words(a.report, a.answer_text))
            for a in session.scalars(query)
        ]


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
    """One row per answer (a practice answer, a whole mock call, ...):
    scores and effective bands per dimension, and the answer (transcript or typed text).
    The turns of a mock call are parts of the call, whose row has their recordings joined
    and scored as one; they are not rows of their own (they would read as unscored
    answers). They stay in the JSON export, with their call's id and position."""
    rows = []
    for a in export_data(actor, user_id)["attempts"]:
        if a["kind"] == AttemptKind.MOCK_CALL and a["position"] is not None:
            continue
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
