"""Reading the audit log: who changed what, when (admins; others see their own entries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from trainer.data.access import (
    Actor,
    acting_user,
    require_role,
)
from trainer.data.attempt_views import AuditEntryView
from trainer.data.attempts import _names
from trainer.data.storage import (
    AuditEntry,
    Role,
    transaction,
)


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
