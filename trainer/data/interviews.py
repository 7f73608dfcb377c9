"""Mock interviews: templates (ordered tasks, time limits, a pass bar), invitations with
single-use access codes, the candidate's flow and the recruiter's results.

Recruiter::

    template = create_template(recruiter, "Voice account screen",
                               ["task.read_aloud.001", TemplateItem("task.open_question.002", answer_seconds=60)],
                               pass_level="B2")
    new = create_invitation(recruiter, template.id, "Juan Dela Cruz")  # new.code: show it once
    results = interview_results(recruiter, template.id)                # ranked, with pass/fail

Candidate (no account: every call takes the code, checked each time)::

    progress = redeem(code)            # again with the same code resumes where they left off
    progress = give_consent(code)
    attempt_id = submit_answer(code, progress.next_item.position, recording=upload)
    records.score_attempt(attempt_id)  # outcome only: no scores are shown to the candidate

Codes are 12 random characters (60 bits, Crockford base32, shown as XXXX-XXXX-XXXX); only
their SHA-256 is stored. Such a code cannot be guessed, so a fast hash is enough (unlike
passwords) and lets a code be found by its hash. A code opens the interview until it
expires, is revoked, or every item is answered (then it is spent). Items are answered in
order, once each (no retakes: also a unique constraint on invitation and position).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer.config import get_settings
from trainer.content import CEFR_LEVELS, DIMENSIONS, get_bank
from trainer.data.access import AccessDenied, Actor, NotFound, acting_user, require_role
from trainer.data.accounts import _clean_email, _clean_name
from trainer.data.csv_export import to_csv
from trainer.data.recordings import RecordingSource, prepare_answer
from trainer.data.storage import (
    Attempt,
    AttemptKind,
    AttemptScore,
    AttemptStatus,
    InterviewTemplate,
    Invitation,
    Origin,
    Role,
    User,
    audit,
    transaction,
    utcnow,
)
from trainer.scoring import AnswerEvidence, LevelEstimate, report_words, session_level
from trainer.scoring.report import ScoreInterval

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 12
# An answer begun before the code expired is still accepted this long after its item's
# preparation and answer time, so a recording is not lost to the clock.
SUBMIT_GRACE = timedelta(minutes=2)
FINAL_STATUSES = (AttemptStatus.SCORED, AttemptStatus.UNSCORABLE)
# After a task's answer time, the seconds a candidate still has to press Stop (the recorder
# then saves what was said) before the task closes unanswered. Not part of the answer time
# the task states: the clock shows it apart, as "time is up".
STOP_GRACE_SECONDS = 10


class InvitationError(Exception):
    """A code that cannot be used now; ``str(error)`` is written for the candidate."""


class InvalidCode(InvitationError):
    def __init__(self):
        super().__init__("This access code is not valid. Please check it and try again.")


class CodeExpired(InvitationError):
    def __init__(self):
        super().__init__("This access code has expired. Please ask the recruiter for a new one.")


class CodeRevoked(InvitationError):
    def __init__(self):
        super().__init__("This access code has been withdrawn. Please contact the recruiter.")


class CodeSpent(InvitationError):
    def __init__(self):
        super().__init__("This interview is complete: the access code has been used. Thank you!")


class ConsentRequired(InvitationError):
    def __init__(self):
        super().__init__("Please read and accept the consent statement first.")


class AnswerOutOfOrder(InvitationError):
    """A retake of an answered item, or an item ahead of the next one."""


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class TemplateItem:
    task_id: str
    prep_seconds: int | None = None  # None: the task's own time from the bank
    answer_seconds: int | None = None


@dataclass(frozen=True)
class InterviewItem:
    position: int  # 0-based
    task_id: str
    task_type: str
    prep_seconds: int
    answer_seconds: int


@dataclass(frozen=True)
class ItemClock:
    """Where a candidate is in one task's time. ``phase``: "preparation", "answer" (the
    answer time the task states, ``InterviewItem.answer_seconds``), "stop" (the answer time
    is over; ``STOP_GRACE_SECONDS`` to press Stop) or "closed" (the task closes unanswered).
    ``seconds`` is the phase's length, ``ends_at`` when it ends (``time.time()`` scale)."""

    phase: str
    seconds: int
    ends_at: float

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.ends_at - now)


def item_clock(item: InterviewItem, answer_from: float, now: float) -> ItemClock:
    """The phase of ``item`` at ``now`` when its answer time starts (or started) at
    ``answer_from``: preparation until then, then the answer time, then the stop grace."""
    answer_until = answer_from + item.answer_seconds
    if now < answer_from:
        return ItemClock("preparation", item.prep_seconds, answer_from)
    if now < answer_until:
        return ItemClock("answer", item.answer_seconds, answer_until)
    if now < answer_until + STOP_GRACE_SECONDS:
        return ItemClock("stop", STOP_GRACE_SECONDS, answer_until + STOP_GRACE_SECONDS)
    return ItemClock("closed", 0, answer_until + STOP_GRACE_SECONDS)


@dataclass(frozen=True)
class TemplateView:
    id: int
    name: str
    created_by_id: int
    created_at: datetime
    items: tuple[InterviewItem, ...]
    pass_level: str | None
    pass_minimums: dict[str, float]
    archived: bool

    @property
    def has_bar(self) -> bool:
        return bool(self.pass_level or self.pass_minimums)

    @property
    def bar_text(self) -> str:
        """The pass bar in words: "level B2 or above; fluency at least 60", or "no pass bar set"."""
        parts = [f"level {self.pass_level} or above"] if self.pass_level else []
        parts += [f"{name.replace('_', ' ')} at least {minimum:g}" for name, minimum in self.pass_minimums.items()]
        return "; ".join(parts) or "no pass bar set"


@dataclass(frozen=True)
class InvitationView:
    id: int
    template_id: int
    template_name: str
    recruiter_id: int
    candidate_id: int
    candidate_name: str
    candidate_email: str | None
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    consent_at: datetime | None
    finished_at: datetime | None
    revoked_at: datetime | None
    answered: int
    total: int

    @property
    def status(self) -> str:
        """finished, revoked, expired, in_progress or invited."""
        if self.finished_at:
            return "finished"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "in_progress" if self.redeemed_at else "invited"


@dataclass(frozen=True)
class NewInvitation:
    invitation: InvitationView
    code: str  # shown to the recruiter once; only its hash is stored


@dataclass(frozen=True)
class CandidateProgress:
    invitation_id: int
    candidate_name: str
    template_name: str
    consent_given: bool
    answered: int
    total: int
    expires_at: datetime
    next_item: InterviewItem | None  # None once every item is answered

    @property
    def finished(self) -> bool:
        return self.next_item is None


@dataclass(frozen=True)
class CandidateResult:
    invitation_id: int
    candidate_id: int
    candidate_name: str
    status: str  # of the invitation
    answered: int
    total: int
    overall_score: float | None  # mean over answered items (an unscorable answer counts 0)
    level: str | None
    dimensions: dict[str, float] = field(default_factory=dict)  # mean score per dimension
    # None until every item is answered and scored, and always None when the interview
    # sets no pass bar: finishing is not passing (``verdict`` tells the cases apart)
    passed: bool | None = None
    attempt_ids: tuple[int, ...] = ()
    rank: int | None = None  # place among the interview's candidates; None: not ranked (withdrawn)
    # the level of the answers with the range it could be in (scoring.session_level)
    level_estimate: LevelEstimate | None = None
    # where the overall score likely lies, from the answers' intervals (None: no answer has one)
    overall_interval: ScoreInterval | None = None
    complete: bool = False  # every item answered and scored

    @property
    def pending(self) -> bool:
        return not self.complete

    @property
    def verdict(self) -> str:
        """pending, pass, fail, or "no bar set" (finished, but the interview has no pass bar)."""
        if not self.complete:
            return "pending"
        if self.passed is None:
            return NO_BAR_VERDICT
        return "pass" if self.passed else "fail"


# --------------------------------------------------------------------------- codes


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normal_code(code: str) -> str:
    """Upper case without separators; letters people mistake for digits read as those digits."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def code_hash(code: str) -> str:
    return hashlib.sha256(normal_code(code).encode()).hexdigest()


# --------------------------------------------------------------------------- templates


def _items(template: InterviewTemplate) -> tuple[InterviewItem, ...]:
    return tuple(
        InterviewItem(i, item["task_id"], item["task_type"], item["prep_seconds"], item["answer_seconds"])
        for i, item in enumerate(template.items)
    )


def _template_view(template: InterviewTemplate) -> TemplateView:
    return TemplateView(
        template.id,
        template.name,
        template.created_by_id,
        template.created_at,
        _items(template),
        template.pass_level,
        dict(template.pass_minimums or {}),
        template.archived,
    )


def _resolve_items(items: Sequence[TemplateItem | str]) -> list[dict]:

    if not items:
        raise ValueError("An interview needs at least one task.")
    max_seconds = get_settings().max_audio_seconds
    resolved = []
    for item in items:
        item = TemplateItem(item) if isinstance(item, str) else item
        try:
            task = get_bank().get_task(item.task_id)
        except KeyError as error:
            raise ValueError(f"There is no task {item.task_id!r} in the task bank.") from error
        prep = task.prep_seconds if item.prep_seconds is None else item.prep_seconds
        answer = task.answer_seconds if item.answer_seconds is None else item.answer_seconds
        if prep < 0 or answer <= 0:
            raise ValueError(f"{task.id}: preparation time must be 0 or more and answer time more than 0.")
        if task.type != "chat_reply" and answer > max_seconds:
            raise ValueError(f"{task.id}: answers can be at most {max_seconds:g} seconds long.")
        resolved.append(
            {"task_id": task.id, "task_type": task.type, "prep_seconds": int(prep), "answer_seconds": int(answer)}
        )
    return resolved


def create_template(
    actor: Actor,
    name: str,
    items: Sequence[TemplateItem | str],
    *,
    pass_level: str | None = None,
    pass_minimums: dict[str, float] | None = None,
) -> TemplateView:
    """An interview: tasks of the bank in order, with preparation and answer times (the
    task's own unless given) and a pass bar: an overall CEFR level, minimum scores (0-100)
    per dimension, or both. Recruiters and admins."""
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("Please name the interview.")
    if pass_level is not None and pass_level not in CEFR_LEVELS:
        raise ValueError(f"The pass level is one of {', '.join(CEFR_LEVELS)}.")
    minimums = {k: float(v) for k, v in (pass_minimums or {}).items()}
    for dimension, minimum in minimums.items():
        if dimension not in DIMENSIONS:
            raise ValueError(f"{dimension!r} is not a dimension ({', '.join(DIMENSIONS)}).")
        if not 0 <= minimum <= 100:
            raise ValueError("Minimum scores are between 0 and 100.")
    resolved = _resolve_items(items)
    with transaction() as session:
        me = acting_user(session, actor)
        require_role(me, Role.RECRUITER, Role.ADMIN)
        template = InterviewTemplate(
            name=name,
            created_by_id=me.id,
            created_at=utcnow(),
            items=resolved,
            pass_level=pass_level,
            pass_minimums=minimums,
            archived=False,
        )
        session.add(template)
        session.flush()
        audit(
            session,
            me.id,
            "template.create",
            "interview_template",
            template.id,
            None,
            {"name": name, "items": resolved, "pass_level": pass_level, "pass_minimums": minimums},
        )
        return _template_view(template)


def _template(session: Session, me: User, template_id: int) -> InterviewTemplate:
    require_role(me, Role.RECRUITER, Role.ADMIN)
    template = session.get(InterviewTemplate, template_id)
    if template is None:
        raise NotFound(f"There is no interview template {template_id}.")
    return template


def list_templates(actor: Actor, *, include_archived: bool = False) -> list[TemplateView]:
    """Every interview template (they hold no personal data; recruiters share them)."""
    with transaction() as session:
        require_role(acting_user(session, actor), Role.RECRUITER, Role.ADMIN)
        query = select(InterviewTemplate).order_by(InterviewTemplate.created_at.desc(), InterviewTemplate.id.desc())
        if not include_archived:
            query = query.where(InterviewTemplate.archived.is_(False))
        return [_template_view(t) for t in session.scalars(query)]


def get_template(actor: Actor, template_id: int) -> TemplateView:
    with transaction() as session:
        return _template_view(_template(session, acting_user(session, actor), template_id))


def archive_template(actor: Actor, template_id: int) -> TemplateView:
    """No new invitations for it; existing ones and their results stay. Owner or admin."""
    with transaction() as session:
        me = acting_user(session, actor)
        template = _template(session, me, template_id)
        if template.created_by_id != me.id and me.role != Role.ADMIN:
            raise AccessDenied("Only the recruiter who made this interview (or an admin) can archive it.")
        if not template.archived:
            template.archived = True
            audit(
                session,
                me.id,
                "template.archive",
                "interview_template",
                template.id,
                {"archived": False},
                {"archived": True},
            )
        return _template_view(template)


# --------------------------------------------------------------------------- invitations (recruiter)


def _answered(session: Session, invitation_ids: Sequence[int]) -> dict[int, int]:
    if not invitation_ids:
        return {}
    return dict(
        session.execute(
            select(Attempt.invitation_id, func.count())
            .where(Attempt.invitation_id.in_(invitation_ids))
            .group_by(Attempt.invitation_id)
        ).all()
    )


def _invitation_view(session: Session, invitation: Invitation, answered: int | None = None) -> InvitationView:
    template = session.get(InterviewTemplate, invitation.template_id)
    candidate = session.get(User, invitation.candidate_id)
    if answered is None:
        answered = _answered(session, [invitation.id]).get(invitation.id, 0)
    return InvitationView(
        invitation.id,
        template.id,
        template.name,
        invitation.recruiter_id,
        candidate.id,
        candidate.name,
        invitation.candidate_email,
        invitation.created_at,
        invitation.expires_at,
        invitation.redeemed_at,
        invitation.consent_at,
        invitation.finished_at,
        invitation.revoked_at,
        answered,
        len(template.items),
    )


def visible_invitation(session: Session, me: User, invitation_id: int) -> Invitation:
    """The invitation if ``me`` sent it or is an admin; AccessDenied/NotFound otherwise."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is not None and (
        me.role == Role.ADMIN or (me.role == Role.RECRUITER and invitation.recruiter_id == me.id)
    ):
        return invitation
    if me.role == Role.ADMIN:
        raise NotFound(f"There is no interview {invitation_id}.")
    raise AccessDenied("You may not see this interview.")


def create_invitation(
    actor: Actor,
    template_id: int,
    candidate_name: str,
    *,
    candidate_email: str | None = None,
    valid_for: timedelta | None = None,
) -> NewInvitation:
    """Invite a candidate: a new candidate user and a single-use code, valid for
    ``valid_for`` (default: the ``invitation_valid_days`` setting). The code is in the
    result only; give it to the candidate."""

    name = _clean_name(candidate_name)
    email = _clean_email(candidate_email) if candidate_email else None
    valid_for = valid_for or timedelta(days=get_settings().invitation_valid_days)
    if valid_for <= timedelta(0):
        raise ValueError("An invitation must be valid for some time.")
    code = new_code()
    now = utcnow()
    with transaction() as session:
        me = acting_user(session, actor)
        template = _template(session, me, template_id)
        if template.archived:
            raise ValueError("This interview is archived; pick another one.")
        candidate = User(name=name, role=Role.APPLICANT, origin=Origin.INVITATION, active=True, created_at=now)
        session.add(candidate)
        session.flush()
        invitation = Invitation(
            template_id=template.id,
            recruiter_id=me.id,
            candidate_id=candidate.id,
            candidate_email=email,
            code_hash=code_hash(code),
            created_at=now,
            expires_at=now + valid_for,
            next_position=0,
        )
        session.add(invitation)
        session.flush()
        audit(
            session,
            me.id,
            "invitation.create",
            "invitation",
            invitation.id,
            None,
            {
                "template_id": template.id,
                "candidate_id": candidate.id,
                "candidate_name": name,
                "expires_at": invitation.expires_at.isoformat(),
            },
        )
        return NewInvitation(_invitation_view(session, invitation, 0), code)


def list_invitations(actor: Actor, template_id: int | None = None) -> list[InvitationView]:
    """The recruiter's own invitations (an admin's: all), newest first."""
    with transaction() as session:
        me = acting_user(session, actor)
        require_role(me, Role.RECRUITER, Role.ADMIN)
        query = select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())
        if me.role != Role.ADMIN:
            query = query.where(Invitation.recruiter_id == me.id)
        if template_id is not None:
            query = query.where(Invitation.template_id == template_id)
        invitations = session.scalars(query).all()
        answered = _answered(session, [i.id for i in invitations])
        return [_invitation_view(session, i, answered.get(i.id, 0)) for i in invitations]


def get_invitation(actor: Actor, invitation_id: int) -> InvitationView:
    with transaction() as session:
        return _invitation_view(session, visible_invitation(session, acting_user(session, actor), invitation_id))


def revoke_invitation(actor: Actor, invitation_id: int) -> InvitationView:
    """Withdraw a code; what the candidate already recorded stays."""
    with transaction() as session:
        me = acting_user(session, actor)
        invitation = visible_invitation(session, me, invitation_id)
        if invitation.revoked_at is None and invitation.finished_at is None:
            invitation.revoked_at = utcnow()
            audit(
                session,
                me.id,
                "invitation.revoke",
                "invitation",
                invitation.id,
                {"revoked_at": None},
                {"revoked_at": invitation.revoked_at.isoformat()},
            )
        return _invitation_view(session, invitation)


# --------------------------------------------------------------------------- the candidate


def _by_code(session: Session, code: str, *, lock: bool = False, grace: timedelta = timedelta(0)) -> Invitation:
    query = select(Invitation).where(Invitation.code_hash == code_hash(code))
    if lock:
        query = query.with_for_update()  # PostgreSQL: one answer at a time per interview
    invitation = session.scalar(query)
    if invitation is None:
        raise InvalidCode()
    if invitation.finished_at is not None:
        raise CodeSpent()
    if invitation.revoked_at is not None:
        raise CodeRevoked()
    if utcnow() >= invitation.expires_at + grace:
        raise CodeExpired()
    return invitation


def _progress(session: Session, invitation: Invitation) -> CandidateProgress:
    template = session.get(InterviewTemplate, invitation.template_id)
    candidate = session.get(User, invitation.candidate_id)
    items = _items(template)
    position = invitation.next_position
    return CandidateProgress(
        invitation.id,
        candidate.name,
        template.name,
        invitation.consent_at is not None,
        position,
        len(items),
        invitation.expires_at,
        items[position] if position < len(items) else None,
    )


def redeem(code: str) -> CandidateProgress:
    """Open the interview with its code: the first time, or again to resume an unfinished
    one (it continues at the first unanswered item). Raises an InvitationError (InvalidCode,
    CodeExpired, CodeRevoked, CodeSpent) with a message for the candidate."""
    with transaction() as session:
        invitation = _by_code(session, code)
        if invitation.redeemed_at is None:
            invitation.redeemed_at = utcnow()
        return _progress(session, invitation)


def give_consent(code: str) -> CandidateProgress:
    """The candidate accepted the consent statement (recorded once, with the time)."""
    with transaction() as session:
        invitation = _by_code(session, code)
        if invitation.redeemed_at is None:
            invitation.redeemed_at = utcnow()
        if invitation.consent_at is None:
            invitation.consent_at = utcnow()
            audit(
                session,
                invitation.candidate_id,
                "invitation.consent",
                "invitation",
                invitation.id,
                {"consent_at": None},
                {"consent_at": invitation.consent_at.isoformat()},
            )
        return _progress(session, invitation)


def submit_answer(
    code: str,
    position: int,
    *,
    recording: RecordingSource | None = None,
    filename: str | None = None,
    text: str | None = None,
) -> int:
    """Save the answer to item ``position`` (the progress's ``next_item``): the recording is
    on disk and the attempt committed before this returns, and the interview moves on.
    Returns the attempt id, to score with ``records.score_attempt`` (no scores are shown
    to the candidate). Answering the last item spends the code. An answer that breaks the
    rules of ``recordings.prepare_answer`` (a reply over the task's words, a recording longer
    than the item's answer time or unreadable) is refused: nothing is saved and the item
    stays open."""
    with transaction() as session:
        invitation = _by_code(session, code, grace=_grace(session, code, position))
        template = session.get(InterviewTemplate, invitation.template_id)
        item = _check_turn(invitation, template, position)
        candidate_id = invitation.candidate_id
    prepared = prepare_answer(
        candidate_id,
        item.task_id,
        recording=recording,
        filename=filename,
        text=text,
        answer_seconds=item.answer_seconds,
    )  # the interview's time for this item
    try:
        with transaction() as session:
            invitation = _by_code(session, code, lock=True, grace=_grace(session, code, position))
            template = session.get(InterviewTemplate, invitation.template_id)
            _check_turn(invitation, template, position)
            attempt = prepared.attempt(
                candidate_id, AttemptKind.INTERVIEW, invitation_id=invitation.id, position=position
            )
            session.add(attempt)
            invitation.next_position = position + 1
            if invitation.next_position >= len(template.items):
                invitation.finished_at = utcnow()
            session.flush()
            return attempt.id
    except BaseException:
        prepared.discard()
        raise


NO_ANSWER_CODE = "no_answer"
NO_ANSWER_REASON = "No answer was given within the time limit."


def submit_no_answer(code: str, position: int) -> int:
    """The item's time ran out with nothing recorded (or typed): the item is closed with an
    unscorable attempt (counting 0, like any unscorable answer) and the interview moves
    on. Returns the attempt id. Same checks as ``submit_answer``: in order, once."""
    with transaction() as session:
        invitation = _by_code(session, code, lock=True, grace=_grace(session, code, position))
        template = session.get(InterviewTemplate, invitation.template_id)
        item = _check_turn(invitation, template, position)
        now = utcnow()
        attempt = Attempt(
            user_id=invitation.candidate_id,
            task_id=item.task_id,
            task_type=item.task_type,
            kind=AttemptKind.INTERVIEW,
            invitation_id=invitation.id,
            position=position,
            status=AttemptStatus.UNSCORABLE,
            status_code=NO_ANSWER_CODE,
            status_reason=NO_ANSWER_REASON,
            created_at=now,
            scored_at=now,
        )
        session.add(attempt)
        invitation.next_position = position + 1
        if invitation.next_position >= len(template.items):
            invitation.finished_at = now
        session.flush()
        return attempt.id


def _grace(session: Session, code: str, position: int) -> timedelta:
    """How long after expiry an answer to this item is still taken: its own time plus a margin."""
    invitation = session.scalar(select(Invitation).where(Invitation.code_hash == code_hash(code)))
    if invitation is None:
        return timedelta(0)
    items = session.get(InterviewTemplate, invitation.template_id).items
    if not 0 <= position < len(items):
        return timedelta(0)
    return timedelta(seconds=items[position]["prep_seconds"] + items[position]["answer_seconds"]) + SUBMIT_GRACE


def _check_turn(invitation: Invitation, template: InterviewTemplate, position: int) -> InterviewItem:
    if invitation.consent_at is None:
        raise ConsentRequired()
    if position < invitation.next_position:
        raise AnswerOutOfOrder("This question has already been answered; answers cannot be retaken.")
    if position != invitation.next_position or position >= len(template.items):
        raise AnswerOutOfOrder("Please answer the questions in order.")
    return _items(template)[position]


# --------------------------------------------------------------------------- results


NO_BAR_VERDICT = "no bar set"


def _meets_bar(template: InterviewTemplate, overall: float, dimensions: dict[str, float]) -> bool | None:
    """Whether a finished interview meets its template's bar; None when it sets none."""
    if not template.pass_level and not template.pass_minimums:
        return None
    if template.pass_level and overall < get_bank().levels.cut_score(template.pass_level):
        return False
    for dimension, minimum in (template.pass_minimums or {}).items():
        if dimensions.get(dimension, -1.0) < minimum:
            return False
    return True


def _result(session: Session, invitation: Invitation, template: InterviewTemplate) -> CandidateResult:

    view = _invitation_view(session, invitation)
    attempts = session.scalars(
        select(Attempt).where(Attempt.invitation_id == invitation.id).order_by(Attempt.position)
    ).all()
    final = [a for a in attempts if a.status in FINAL_STATUSES]
    overall = level = estimate = interval = None
    dimensions: dict[str, float] = {}
    if final:
        overall = round(sum(a.overall_score or 0.0 for a in final) / len(final), 1)
        level = get_bank().levels.level_for(overall)
        estimate = session_level(
            [AnswerEvidence(a.overall_score or 0.0, report_words(a.report, a.answer_text)) for a in final]
        )
        rows = session.execute(
            select(AttemptScore.dimension, func.avg(AttemptScore.score))
            .where(AttemptScore.attempt_id.in_([a.id for a in final]))
            .group_by(AttemptScore.dimension)
        ).all()
        dimensions = {
            d: round(float(v), 1)
            for d, v in sorted(rows, key=lambda r: DIMENSIONS.index(r[0]) if r[0] in DIMENSIONS else 99)
        }
        interval = interview_interval(overall, [(a.overall_score or 0.0, a.report) for a in final])
    complete = invitation.finished_at is not None and len(final) == len(template.items) and overall is not None
    passed = _meets_bar(template, overall, dimensions) if complete and overall is not None else None
    return CandidateResult(
        invitation.id,
        view.candidate_id,
        view.candidate_name,
        view.status,
        view.answered,
        view.total,
        overall,
        level,
        dimensions,
        passed,
        tuple(a.id for a in attempts),
        level_estimate=estimate,
        overall_interval=interval,
        complete=complete,
    )


def interview_interval(overall: float, items: Sequence[tuple[float, dict | None]]) -> ScoreInterval | None:
    """The interval of an interview's overall score (the mean of its answers' overall scores)
    from each answer's own interval (``Report.overall.interval``). Each answer's distances
    down to its low and up to its high bound are combined as errors that one person's answers
    partly share (``ScoreInterval.correlation``, measured on the experts' ratings by the fit):
    (1/n) x root of (sum of squares + correlation x the cross terms). With no shared part,
    twenty answers would narrow one answer's interval 4.5 times; a shared part keeps it wider,
    as a speaker's mean estimate stays off by more than independent errors would. An answer
    without an interval (nothing calibrated in it, or not scorable) adds no width. None when
    no answer has one."""
    below: list[float] = []
    above: list[float] = []
    found: list[ScoreInterval] = []
    for score, report in items:
        data = ((report or {}).get("overall") or {}).get("interval")
        if not data:
            continue
        interval = ScoreInterval.from_dict(data)
        if interval is None:
            continue
        found.append(interval)
        below.append(max(score - interval.low, 0.0))
        above.append(max(interval.high - score, 0.0))
    if not found or not items:
        return None
    n = len(items)
    rho = max(i.correlation for i in found)

    def combined(parts: list[float]) -> float:
        squares = sum(p * p for p in parts)
        return (squares + rho * (sum(parts) ** 2 - squares)) ** 0.5 / n

    return ScoreInterval(
        round(max(overall - combined(below), 0.0), 1),
        round(min(overall + combined(above), 100.0), 1),
        found[0].coverage,
        f"from the intervals of the {n} answers' scores",
        rho,
    )


def candidate_result(actor: Actor, invitation_id: int) -> CandidateResult:
    """One candidate's result (the recruiter who invited them, or an admin)."""
    with transaction() as session:
        me = acting_user(session, actor)
        require_role(me, Role.RECRUITER, Role.ADMIN)
        invitation = visible_invitation(session, me, invitation_id)
        return _result(session, invitation, session.get(InterviewTemplate, invitation.template_id))


# Invitations whose candidates are not ranked: a withdrawn code is no longer a candidacy.
UNRANKED_STATUSES = frozenset({"revoked"})


def interview_results(actor: Actor, template_id: int) -> list[CandidateResult]:
    """The candidates of one interview (the recruiter's own invitations; an admin's: all),
    ranked best overall first (``rank`` 1, 2, ...), then the withdrawn invitations, not
    ranked (``rank`` None). Overall is the mean over answered items, an unscorable answer
    counting 0; ``verdict`` is pending until every item is answered and scored."""
    with transaction() as session:
        me = acting_user(session, actor)
        template = _template(session, me, template_id)
        query = select(Invitation).where(Invitation.template_id == template.id)
        if me.role != Role.ADMIN:
            query = query.where(Invitation.recruiter_id == me.id)
        results = [_result(session, i, template) for i in session.scalars(query)]
    ordered = sorted(
        results,
        key=lambda r: (
            r.status in UNRANKED_STATUSES,
            r.overall_score is None,
            -(r.overall_score or 0),
            r.candidate_name,
        ),
    )
    ranked = [r for r in ordered if r.status not in UNRANKED_STATUSES]
    return [replace(r, rank=n) for n, r in enumerate(ranked, 1)] + ordered[len(ranked) :]


def results_csv(actor: Actor, template_id: int) -> str:
    results = interview_results(actor, template_id)
    rows = [
        {
            "rank": "" if r.rank is None else r.rank,
            "candidate": r.candidate_name,
            "status": r.status,
            "answered": f"{r.answered}/{r.total}",
            "overall_score": r.overall_score,
            "level": r.level,
            "level_range": f"{r.level_estimate.low_level}-{r.level_estimate.high_level}" if r.level_estimate else "",
            "passed": r.verdict,
            **{f"{d}_score": v for d, v in r.dimensions.items()},
        }
        for r in results
    ]
    columns = [
        "rank",
        "candidate",
        "status",
        "answered",
        "overall_score",
        "level",
        "level_range",
        "passed",
        *[f"{d}_score" for d in DIMENSIONS],
    ]
    return to_csv(rows, columns)
