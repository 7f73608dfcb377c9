"""Sign-ins that last across refreshes and tabs: server-side sessions behind a cookie.

    code = grant_sign_in(actor)             # the sign-in page, after the password check
    token, expires_at = redeem_grant(code)  # /auth/session: the token goes in the cookie
    actor = session_actor(token)            # every page run of a tab that sent the cookie
    actor = grant_actor(code)               # every page run of the tab that signed in
    end_session(token); end_grant(code)     # sign-out

A Streamlit page talks to the browser over a websocket and cannot set a cookie, so the
sign-in page hands a one-time code to the server route ``/auth/session``
(trainer.webapp.server), which sets an HttpOnly, SameSite cookie with a fresh random token.
The tab that signed in keeps the code (in its server-side session state, never in a URL)
to follow the session it was exchanged for: a sign-out in another tab ends it there too.

Codes and tokens are stored as SHA-256 hashes only. A code can be exchanged within
``GRANT_SECONDS``, once. Sessions end ``session_hours`` (setting) after sign-in, at
sign-out, and at once when the account's password changes or an admin deactivates it
(``revoke_user_sessions``, called by trainer.data.accounts in the same transaction).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from trainer.config import get_settings
from trainer.data.access import Actor
from trainer.data.storage import SignInGrant, User, WebSession, transaction, utcnow

GRANT_SECONDS = 60
TOKEN_BYTES = 32  # 256 random bits; OWASP's session management cheat sheet asks for >= 64
KEEP_ENDED_DAYS = 30  # ended sessions and spent codes are deleted after this


def now() -> datetime:
    """The time sessions are measured by (tests replace it)."""
    return utcnow()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _actor(user: User | None) -> Actor | None:
    return Actor(user.id, user.role, user.name) if user is not None and user.active else None


def _session_open(web_session: WebSession | None, at: datetime) -> bool:
    return web_session is not None and web_session.revoked_at is None and web_session.expires_at > at


def grant_sign_in(actor: Actor) -> str:
    """A one-time code that ``redeem_grant`` exchanges for a session of this actor."""
    code = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction() as session:
        session.add(
            SignInGrant(
                code_hash=_digest(code), user_id=actor.user_id, expires_at=now() + timedelta(seconds=GRANT_SECONDS)
            )
        )
    return code


def redeem_grant(code: str) -> tuple[str, datetime] | None:
    """A new session's token and its expiry for a code not yet exchanged and not too old;
    None otherwise (a code used twice, too old, made up, or its account deactivated)."""
    at = now()
    with transaction() as session:
        grant = session.scalar(select(SignInGrant).where(SignInGrant.code_hash == _digest(code or "")))
        if grant is None or grant.used_at is not None:
            return None
        grant.used_at = at
        if grant.expires_at < at or _actor(session.get(User, grant.user_id)) is None:
            return None
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires_at = at + timedelta(hours=get_settings().session_hours)
        web_session = WebSession(token_hash=_digest(token), user_id=grant.user_id, created_at=at, expires_at=expires_at)
        session.add(web_session)
        session.flush()
        grant.session_id = web_session.id
        _forget_old(session, at)
        return token, expires_at


def _forget_old(session: Session, at: datetime) -> None:
    cutoff = at - timedelta(days=KEEP_ENDED_DAYS)
    session.execute(delete(SignInGrant).where(SignInGrant.expires_at < cutoff))
    session.execute(delete(WebSession).where(WebSession.expires_at < cutoff))


def session_actor(token: str | None) -> Actor | None:
    """The actor signed in with this session token; None when there is no such session, it
    has ended or expired, or the account is no longer active."""
    if not token:
        return None
    with transaction() as session:
        web_session = session.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
        if web_session is None or not _session_open(web_session, now()):
            return None
        return _actor(session.get(User, web_session.user_id))


def grant_actor(code: str | None) -> Actor | None:
    """For the tab that signed in with this code: its actor while the session the code was
    exchanged for is open, or, when the browser never exchanged it (no cookie: the tab's
    sign-in holds for that tab alone), while the code has not been ended. None otherwise."""
    if not code:
        return None
    with transaction() as session:
        grant = session.scalar(select(SignInGrant).where(SignInGrant.code_hash == _digest(code)))
        if grant is None:
            return None
        if grant.session_id is not None:
            if not _session_open(session.get(WebSession, grant.session_id), now()):
                return None
        elif grant.used_at is not None:
            return None
        return _actor(session.get(User, grant.user_id))


def end_session(token: str | None) -> bool:
    """Sign out: the session ends for every tab that carries it. True when one was open."""
    if not token:
        return False
    with transaction() as session:
        result = cast(
            CursorResult,
            session.execute(
                update(WebSession)
                .where(WebSession.token_hash == _digest(token), WebSession.revoked_at.is_(None))
                .values(revoked_at=now())
            ),
        )
        return bool(result.rowcount)


def end_grant(code: str | None) -> bool:
    """Sign out the tab that signed in with this code: its session ends (for every tab) and
    a code not yet exchanged can no longer be. True when something was open."""
    if not code:
        return False
    at = now()
    with transaction() as session:
        grant = session.scalar(select(SignInGrant).where(SignInGrant.code_hash == _digest(code)))
        if grant is None:
            return False
        ended = grant.used_at is None
        grant.used_at = grant.used_at or at
        if grant.session_id is not None:
            result = cast(
                CursorResult,
                session.execute(
                    update(WebSession)
                    .where(WebSession.id == grant.session_id, WebSession.revoked_at.is_(None))
                    .values(revoked_at=at)
                ),
            )
            ended = ended or bool(result.rowcount)
        return ended


def revoke_user_sessions(session: Session, user_id: int) -> int:
    """End every session of a user and spend their codes (a password change, a
    deactivation), inside the caller's transaction. Returns how many sessions were open."""
    at = now()
    session.execute(
        update(SignInGrant).where(SignInGrant.user_id == user_id, SignInGrant.used_at.is_(None)).values(used_at=at)
    )
    result = cast(
        CursorResult,
        session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=at)
        ),
    )
    return result.rowcount or 0


def open_sessions(user_id: int) -> int:
    """How many sessions of a user are open now."""
    with transaction() as session:
        return (
            session.scalar(
                select(func.count(WebSession.id)).where(
                    WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > now()
                )
            )
            or 0
        )
