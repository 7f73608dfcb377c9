"""Who may see what, in one place. Every query of trainer.data.accounts, trainer.data.records and
trainer.data.interviews that returns users, attempts, reports or interviews goes through here.

- an applicant sees themselves and their own practice and mock-call attempts (not the
  scores of an interview they took: those belong to the recruiter);
- a coach sees the applicants of the cohorts they belong to and those applicants'
  practice and mock-call attempts;
- a recruiter sees the candidates of the invitations they sent and those interviews'
  attempts;
- an admin sees everything.

The role is read from the database on every call (``acting_user``), not trusted from the
``Actor`` object, so a disabled account or a changed role takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from trainer.data.storage import Attempt, AttemptKind, CohortMember, Invitation, Role, User


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a page calls the data layer (from accounts.sign_in or
    accounts.profile_actor)."""

    user_id: int
    role: Role
    name: str


class AccessDenied(PermissionError):
    """The acting user may not see or do this. ``str(error)`` can be shown on the page."""


class NotFound(AccessDenied):
    """No such object. A subclass of AccessDenied: pages can treat "not yours" and "not
    there" alike, and ids do not reveal what exists."""


def acting_user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise AccessDenied("Your account is not active. Please sign in again.")
    if user.role != actor.role:
        raise AccessDenied("Your role has changed. Please sign in again.")
    return user


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise AccessDenied(f"Only a {allowed} may do this.")


def coach_applicant_ids(coach_id: int) -> Select:
    """Ids of the applicants in the cohorts the coach belongs to."""
    mine = select(CohortMember.cohort_id).where(CohortMember.user_id == coach_id)
    return (
        select(CohortMember.user_id)
        .join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id.in_(mine), User.role == Role.APPLICANT)
    )


def recruiter_invitation_ids(recruiter_id: int) -> Select:
    return select(Invitation.id).where(Invitation.recruiter_id == recruiter_id)


def user_scope(user: User) -> ColumnElement[bool]:
    """A condition on ``User`` rows: the users ``user`` may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.COACH:
        return or_(User.id == user.id, User.id.in_(coach_applicant_ids(user.id)))
    if user.role == Role.RECRUITER:
        candidates = select(Invitation.candidate_id).where(Invitation.recruiter_id == user.id)
        return or_(User.id == user.id, User.id.in_(candidates))
    return User.id == user.id


def attempt_scope(user: User) -> ColumnElement[bool]:
    """A condition on ``Attempt`` rows: the attempts ``user`` may see."""
    training = Attempt.kind != AttemptKind.INTERVIEW
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.COACH:
        return and_(training, Attempt.user_id.in_(coach_applicant_ids(user.id)))
    if user.role == Role.RECRUITER:
        return Attempt.invitation_id.in_(recruiter_invitation_ids(user.id))
    if user.role == Role.APPLICANT:
        return and_(training, Attempt.user_id == user.id)
    return false()


def visible_user(session: Session, user: User, user_id: int) -> User:
    """The user ``user_id`` if ``user`` may see them; AccessDenied/NotFound otherwise."""
    target = session.scalar(select(User).where(User.id == user_id, user_scope(user)))
    if target is not None:
        return target
    if user.role == Role.ADMIN:
        raise NotFound(f"There is no user {user_id}.")
    raise AccessDenied("You may not see this person's data.")


def visible_attempt(session: Session, user: User, attempt_id: int) -> Attempt:
    attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id, attempt_scope(user)))
    if attempt is not None:
        return attempt
    if user.role == Role.ADMIN:
        raise NotFound(f"There is no attempt {attempt_id}.")
    raise AccessDenied("You may not see this attempt.")


def coaches_attempt(session: Session, user: User, attempt_id: int) -> Attempt:
    """An attempt the user may review: a coach of the applicant's cohort, or an admin."""
    require_role(user, Role.COACH, Role.ADMIN)
    attempt = visible_attempt(session, user, attempt_id)
    if attempt.kind == AttemptKind.INTERVIEW:
        raise AccessDenied("Interview answers are assessed by the recruiter, not reviewed by coaches.")
    return attempt
