"""Accounts: users and roles, passwords (argon2id), sign-in with a rate limit, cohorts, and
the pick-a-profile mode.

    actor = sign_in("maria", "s3cret-pass")        # Actor; SignInFailed / SignInLocked
    actor = create_profile("Maria")               # pick-a-profile mode: no password
    actor = profile_actor(user_id)                # ... picked from list_profiles()
    coach = create_user(admin, "Ana", Role.COACH, login="ana", password="...")
    cohort = create_cohort(admin, "June batch"); add_member(admin, cohort.id, coach.id)

Passwords are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile, rehashed on
sign-in when the parameters change; the ``password_hash_profile`` setting "test" picks argon2's
cheapest parameters, for the test suite only). Failed sign-ins are counted per login:
``signin_max_failures`` within ``signin_window_minutes`` lock the login for
``signin_lockout_minutes`` (settings), measured by ``now()``, which tests replace to move time
on. A login that does not exist is counted and answered the same way, so failures do not reveal
which logins exist. Changes by admins go to the audit log in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from trainer.config import get_settings
from trainer.data.access import AccessDenied, Actor, NotFound, acting_user, require_role, user_scope, visible_user
from trainer.data.storage import (
    Cohort,
    CohortMember,
    Origin,
    Role,
    SignInFailure,
    User,
    audit,
    transaction,
    utcnow,
)
from trainer.data.web_sessions import revoke_user_sessions

MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B's minimum for user-chosen passwords
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 200
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{2,199}$")

# The argon2 parameters per ``password_hash_profile`` setting.
HASH_PROFILES = {"default": profiles.RFC_9106_LOW_MEMORY, "test": profiles.CHEAPEST}


@cache
def _hasher_for(profile: str) -> PasswordHasher:
    if profile not in HASH_PROFILES:
        raise ValueError(f"Unknown password_hash_profile {profile!r}; use one of {', '.join(HASH_PROFILES)}.")
    return PasswordHasher.from_parameters(HASH_PROFILES[profile])


def _hasher() -> PasswordHasher:
    return _hasher_for(get_settings().password_hash_profile)


@cache
def _dummy_hash(profile: str) -> str:
    """Verified against when the login does not exist, so that answer takes as long as a wrong password."""
    return _hasher_for(profile).hash("no such user: constant-time answer")


def now() -> datetime:
    """The time sign-in failures and lockouts are measured by (tests replace it)."""
    return utcnow()


class AccountError(ValueError):
    """Input an account operation cannot accept; ``str(error)`` is for the page."""


class SignInFailed(Exception):
    """Wrong login or password (deliberately not saying which)."""

    def __init__(self, message: str = "Wrong login or password."):
        super().__init__(message)


class SignInLocked(SignInFailed):
    def __init__(self, until: datetime):
        self.until = until
        minutes = max(1, round((until - now()).total_seconds() / 60))
        super().__init__(
            f"Too many failed sign-ins. Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    role: Role
    origin: Origin
    login: str | None
    email: str | None
    active: bool
    has_password: bool
    created_at: datetime


@dataclass(frozen=True)
class CohortView:
    id: int
    name: str
    description: str
    created_at: datetime
    member_ids: tuple[int, ...]


def user_view(user: User) -> UserView:
    return UserView(
        user.id,
        user.name,
        user.role,
        user.origin,
        user.login,
        user.email,
        user.active,
        user.password_hash is not None,
        user.created_at,
    )


def _actor(user: User) -> Actor:
    return Actor(user.id, user.role, user.name)


# --------------------------------------------------------------------------- validation


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("That password is too long.")
    if password.strip() == "" or len(set(password)) < 3:
        raise AccountError("Please choose a less predictable password.")


def normal_login(login: str) -> str:
    return login.strip().lower()


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise AccountError("Please enter a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError(f"A name can have at most {MAX_NAME_LENGTH} characters.")
    return name


def _clean_login(login: str) -> str:
    login = normal_login(login)
    if not LOGIN_PATTERN.match(login):
        raise AccountError(
            "A login has 3-200 characters: letters, digits and . _ @ + -, starting with a letter or digit."
        )
    return login


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or len(email) > 320:
        raise AccountError(f"{email!r} is not an e-mail address.")
    return email


def _check_free(session, login: str | None, email: str | None, except_id: int | None = None) -> None:
    if login and session.scalar(select(User.id).where(User.login == login, User.id != (except_id or -1))):
        raise AccountError(f"The login {login!r} is already taken.")
    if email and session.scalar(select(User.id).where(User.email == email, User.id != (except_id or -1))):
        raise AccountError(f"The e-mail address {email!r} is already used by another account.")


def _audit_user(user: User) -> dict:
    return {
        "name": user.name,
        "role": user.role.value,
        "login": user.login,
        "email": user.email,
        "active": user.active,
        "origin": user.origin.value,
    }


# --------------------------------------------------------------------------- sign-in


def sign_in(login: str, password: str) -> Actor:
    """The actor for a login and password. Raises SignInLocked while the login is locked
    (even with the right password) and SignInFailed for a wrong login or password."""
    key = normal_login(login)
    settings = get_settings()
    hasher, at = _hasher(), now()
    with transaction() as session:
        locked_until = _locked_until(session, key, at)
        if locked_until is not None:
            raise SignInLocked(locked_until)
        user = session.scalar(select(User).where(User.login == key)) if key else None
        usable = user is not None and user.active and user.password_hash is not None
        dummy = _dummy_hash(settings.password_hash_profile)
        valid = verify_password(user.password_hash if usable else dummy, password) and usable
        if valid:
            session.execute(delete(SignInFailure).where(SignInFailure.login == key))
            if hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hasher.hash(password)
            return _actor(user)
        session.add(SignInFailure(login=key[:200], at=at))
    # outside the transaction block: the failure is committed before we raise
    if settings.signin_max_failures > 0:
        with transaction() as session:
            locked_until = _locked_until(session, key, now())
        if locked_until is not None:
            raise SignInLocked(locked_until)
    raise SignInFailed()


def sso_actor(email: str) -> Actor:
    """The actor for a single sign-on identity: the active account (not a profile or an
    interview candidate) with this e-mail address. The identity provider has checked who
    it is; which account and role it maps to is decided here, by an admin-set e-mail."""
    key = (email or "").strip().lower()
    with transaction() as session:
        user = session.scalar(select(User).where(User.email == key, User.origin == Origin.ACCOUNT)) if key else None
        if user is None or not user.active:
            raise AccessDenied("No active account uses this e-mail address. Ask an admin to add it to your account.")
        return _actor(user)


def _locked_until(session, key: str, now: datetime) -> datetime | None:
    """Locked when the last ``max_failures`` failures fell within the window and the last
    one is more recent than the lockout time."""
    settings = get_settings()
    limit = settings.signin_max_failures
    if limit <= 0:
        return None
    window = timedelta(minutes=settings.signin_window_minutes)
    lockout = timedelta(minutes=settings.signin_lockout_minutes)
    recent = session.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.login == key, SignInFailure.at >= now - window - lockout)
        .order_by(SignInFailure.at.desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    last, first = recent[0], recent[-1]
    if last - first <= window and now < last + lockout:
        return last + lockout
    return None


def unlock(login: str) -> int:
    """Forget the failed sign-ins of a login (command line). Returns how many."""
    with transaction() as session:
        result = session.execute(delete(SignInFailure).where(SignInFailure.login == normal_login(login)))
        return result.rowcount or 0


# --------------------------------------------------------------------------- profiles (issue 5 mode)


def create_profile(name: str) -> Actor:
    """An applicant picked by name, with no password: for a single-learner install where
    nobody signs in. Names are unique among profiles (case-insensitive)."""
    name = _clean_name(name)
    with transaction() as session:
        taken = session.scalar(
            select(User.id).where(User.origin == Origin.PROFILE, func.lower(User.name) == name.lower())
        )
        if taken:
            raise AccountError(f"There is already a profile called {name!r}: pick it from the list.")
        user = User(name=name, role=Role.APPLICANT, origin=Origin.PROFILE, active=True, created_at=utcnow())
        session.add(user)
        session.flush()
        audit(session, None, "user.create", "user", user.id, None, _audit_user(user))
        return _actor(user)


def list_profiles() -> list[UserView]:
    """The profiles to pick from: active applicants created by name (never accounts with a
    password, never interview candidates)."""
    with transaction() as session:
        users = session.scalars(
            select(User)
            .where(User.origin == Origin.PROFILE, User.active, User.password_hash.is_(None))
            .order_by(User.name)
        ).all()
        return [user_view(u) for u in users]


def profile_actor(user_id: int) -> Actor:
    with transaction() as session:
        user = session.get(User, user_id)
        if user is None or user.origin != Origin.PROFILE or not user.active or user.password_hash:
            raise AccessDenied("This profile cannot be picked; please sign in.")
        return _actor(user)


# --------------------------------------------------------------------------- users


def create_admin(name: str, login: str, password: str, email: str | None = None) -> UserView:
    """The first admin (or another one), from the command line: no acting user."""
    return _create_user(None, name, Role.ADMIN, login, password, email)


def create_user(
    actor: Actor,
    name: str,
    role: Role | str,
    *,
    login: str | None = None,
    password: str | None = None,
    email: str | None = None,
) -> UserView:
    """An admin creates an account. Coaches, recruiters and admins need a login and a
    password; applicant accounts may have both or neither."""
    with transaction() as session:
        require_role(acting_user(session, actor), Role.ADMIN)
    return _create_user(actor.user_id, name, Role(role), login, password, email)


def _create_user(
    actor_id: int | None, name: str, role: Role, login: str | None, password: str | None, email: str | None
) -> UserView:
    name = _clean_name(name)
    login = _clean_login(login) if login else None
    email = _clean_email(email) if email else None
    if role != Role.APPLICANT and not (login and password):
        raise AccountError(f"A {role.value} needs a login and a password.")
    if bool(login) != bool(password):
        raise AccountError("Give both a login and a password, or neither.")
    password_hash = hash_password(password) if password else None
    try:
        with transaction() as session:
            _check_free(session, login, email)
            user = User(
                name=name,
                role=role,
                origin=Origin.ACCOUNT,
                login=login,
                email=email,
                password_hash=password_hash,
                active=True,
                created_at=utcnow(),
            )
            session.add(user)
            session.flush()
            audit(session, actor_id, "user.create", "user", user.id, None, _audit_user(user))
            return user_view(user)
    except IntegrityError as error:  # a concurrent create took the login or e-mail
        raise AccountError("That login or e-mail address is already taken.") from error


def update_user(
    actor: Actor,
    user_id: int,
    *,
    name: str | None = None,
    role: Role | str | None = None,
    login: str | None = None,
    email: str | None = None,
    active: bool | None = None,
) -> UserView:
    """An admin edits an account. None leaves a field as it is; ``email=""`` removes it."""
    with transaction() as session:
        admin = acting_user(session, actor)
        require_role(admin, Role.ADMIN)
        user = visible_user(session, admin, user_id)
        before = _audit_user(user)
        if name is not None:
            user.name = _clean_name(name)
        if role is not None:
            if user.id == admin.id and Role(role) != Role.ADMIN:
                raise AccountError("You cannot take away your own admin role.")
            user.role = Role(role)
        if login is not None:
            new_login = _clean_login(login)
            _check_free(session, new_login, None, user.id)
            user.login = new_login
        if email is not None:
            new_email = _clean_email(email) if email else None
            _check_free(session, None, new_email, user.id)
            user.email = new_email
        if active is not None:
            if user.id == admin.id and not active:
                raise AccountError("You cannot deactivate your own account.")
            user.active = active
            if not active:
                revoke_user_sessions(session, user.id)
        if user.role != Role.APPLICANT and not (user.login and user.password_hash):
            raise AccountError(f"A {user.role.value} needs a login and a password first.")
        after = _audit_user(user)
        if after != before:
            audit(
                session,
                admin.id,
                "user.update",
                "user",
                user.id,
                {k: v for k, v in before.items() if after[k] != v},
                {k: v for k, v in after.items() if before[k] != v},
            )
        return user_view(user)


def set_password(
    actor: Actor, user_id: int, new_password: str, *, current_password: str | None = None, login: str | None = None
) -> UserView:
    """Change your own password (with the current one) or, as an admin, anyone's. A profile
    given a password (and a login) becomes an account that signs in."""
    password_hash = hash_password(new_password)
    with transaction() as session:
        me = acting_user(session, actor)
        if me.id != user_id:
            require_role(me, Role.ADMIN)
        user = visible_user(session, me, user_id)
        if me.id == user_id and me.password_hash and not verify_password(me.password_hash, current_password or ""):
            raise AccountError("Your current password is not right.")
        if login:
            new_login = _clean_login(login)
            _check_free(session, new_login, None, user.id)
            user.login = new_login
        if not user.login:
            raise AccountError("Give this account a login along with the password.")
        before = {"password": "set" if user.password_hash else "none", "login": user.login, "origin": user.origin.value}
        user.password_hash = password_hash
        revoke_user_sessions(session, user.id)  # every browser signed in with the old password
        if user.origin == Origin.PROFILE:
            user.origin = Origin.ACCOUNT
        audit(
            session,
            me.id,
            "user.password",
            "user",
            user.id,
            before,
            {"password": "changed", "login": user.login, "origin": user.origin.value},
        )
        return user_view(user)


def get_user(actor: Actor, user_id: int) -> UserView:
    with transaction() as session:
        return user_view(visible_user(session, acting_user(session, actor), user_id))


def list_users(
    actor: Actor, *, role: Role | str | None = None, cohort_id: int | None = None, include_inactive: bool = False
) -> list[UserView]:
    """The users the actor may see (admin: everyone; coach: the applicants of their cohorts;
    recruiter: their candidates; applicant: themselves)."""
    with transaction() as session:
        me = acting_user(session, actor)
        query = select(User).where(user_scope(me)).order_by(User.name, User.id)
        if role is not None:
            query = query.where(User.role == Role(role))
        if cohort_id is not None:
            query = query.where(User.id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))
        if not include_inactive:
            query = query.where(User.active)
        return [user_view(u) for u in session.scalars(query)]


# --------------------------------------------------------------------------- cohorts


def _cohort_view(session, cohort: Cohort) -> CohortView:
    ids = session.scalars(
        select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.user_id)
    ).all()
    return CohortView(cohort.id, cohort.name, cohort.description, cohort.created_at, tuple(ids))


def create_cohort(actor: Actor, name: str, description: str = "") -> CohortView:
    name = _clean_name(name)
    with transaction() as session:
        require_role(acting_user(session, actor), Role.ADMIN)
        if session.scalar(select(Cohort.id).where(func.lower(Cohort.name) == name.lower())):
            raise AccountError(f"There is already a cohort called {name!r}.")
        cohort = Cohort(name=name, description=description.strip(), created_by_id=actor.user_id, created_at=utcnow())
        session.add(cohort)
        session.flush()
        audit(
            session,
            actor.user_id,
            "cohort.create",
            "cohort",
            cohort.id,
            None,
            {"name": cohort.name, "description": cohort.description},
        )
        return _cohort_view(session, cohort)


def _cohort(session, cohort_id: int) -> Cohort:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"There is no cohort {cohort_id}.")
    return cohort


def add_member(actor: Actor, cohort_id: int, user_id: int) -> CohortView:
    """Put an applicant or a coach in a cohort (admin)."""
    with transaction() as session:
        admin = acting_user(session, actor)
        require_role(admin, Role.ADMIN)
        cohort = _cohort(session, cohort_id)
        user = visible_user(session, admin, user_id)
        if user.role not in (Role.APPLICANT, Role.COACH):
            raise AccountError("Only applicants and coaches belong to cohorts.")
        if session.get(CohortMember, (cohort_id, user_id)) is None:
            session.add(CohortMember(cohort_id=cohort_id, user_id=user_id, added_at=utcnow()))
            audit(
                session,
                admin.id,
                "cohort.add_member",
                "cohort",
                cohort_id,
                None,
                {"user_id": user_id, "role": user.role.value},
            )
            session.flush()
        return _cohort_view(session, cohort)


def remove_member(actor: Actor, cohort_id: int, user_id: int) -> CohortView:
    with transaction() as session:
        admin = acting_user(session, actor)
        require_role(admin, Role.ADMIN)
        cohort = _cohort(session, cohort_id)
        member = session.get(CohortMember, (cohort_id, user_id))
        if member is not None:
            session.delete(member)
            audit(session, admin.id, "cohort.remove_member", "cohort", cohort_id, {"user_id": user_id}, None)
            session.flush()
        return _cohort_view(session, cohort)


def list_cohorts(actor: Actor) -> list[CohortView]:
    """Admin: every cohort; anyone else: the cohorts they belong to."""
    with transaction() as session:
        me = acting_user(session, actor)
        query = select(Cohort).order_by(Cohort.name)
        if me.role != Role.ADMIN:
            query = query.where(Cohort.id.in_(select(CohortMember.cohort_id).where(CohortMember.user_id == me.id)))
        return [_cohort_view(session, c) for c in session.scalars(query)]
