"""Who may see what, enforced by the data layer: every query and every lookup by id (as a
page does from a query parameter) for every role, on SQLite and PostgreSQL.

The world: two cohorts with a coach and an applicant each, an applicant in no cohort, two
recruiters with one invited candidate each (who answered one interview item), an admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.helpers import dataworld
from trainer.content import get_bank
from trainer.data import accounts, interviews, records
from trainer.data.access import AccessDenied, Actor, NotFound
from trainer.data.storage import Role


@dataclass
class World:
    actors: dict[str, Actor] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # every user, by nickname
    attempts: dict[str, int] = field(default_factory=dict)
    cohorts: dict[str, int] = field(default_factory=dict)
    invitations: dict[str, int] = field(default_factory=dict)
    templates: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(module_database, sample_reports) -> World:
    w = World()
    admin = w.actors["admin"] = dataworld.admin()
    for name in ("coach_a", "coach_b"):
        w.actors[name] = dataworld.staff(admin, Role.COACH, name)
    for name in ("recruiter_1", "recruiter_2"):
        w.actors[name] = dataworld.staff(admin, Role.RECRUITER, name)
    for name in ("applicant_a", "applicant_b", "loner"):
        w.actors[name] = dataworld.applicant(name)
    for suffix in ("a", "b"):
        cohort = accounts.create_cohort(admin, f"cohort {suffix}")
        w.cohorts[suffix] = cohort.id
        accounts.add_member(admin, cohort.id, w.actors[f"coach_{suffix}"].user_id)
        accounts.add_member(admin, cohort.id, w.actors[f"applicant_{suffix}"].user_id)
    for name in ("applicant_a", "applicant_b", "loner"):
        w.attempts[name] = dataworld.scored_attempt(w.actors[name], sample_reports["chat"])
    role_play = get_bank().tasks_of_type("role_play")[0]
    call = records.start_mock_call(w.actors["applicant_a"], role_play.id)
    w.calls["applicant_a"] = call.id
    task_id, text, report = sample_reports["chat"]
    for n in ("1", "2"):
        recruiter = w.actors[f"recruiter_{n}"]
        template = interviews.create_template(recruiter, f"screen {n}", [task_id, "task.chat_reply.002"])
        w.templates[n] = template.id
        new = interviews.create_invitation(recruiter, template.id, f"Candidate {n}")
        w.invitations[n] = new.invitation.id
        interviews.give_consent(new.code)
        w.attempts[f"candidate_{n}"] = attempt_id = interviews.submit_answer(new.code, 0, text=text)
        records.record_report(attempt_id, report)
        w.users[f"candidate_{n}"] = new.invitation.candidate_id
        w.actors[f"candidate_{n}"] = Actor(new.invitation.candidate_id, Role.APPLICANT, f"Candidate {n}")
    w.users.update({name: actor.user_id for name, actor in w.actors.items()})
    return w


# Who may see which attempts and users, by role (nicknames from the world above).
ATTEMPTS = {
    "admin": {"applicant_a", "applicant_b", "loner", "candidate_1", "candidate_2"},
    "coach_a": {"applicant_a"},
    "coach_b": {"applicant_b"},
    "recruiter_1": {"candidate_1"},
    "recruiter_2": {"candidate_2"},
    "applicant_a": {"applicant_a"},
    "loner": {"loner"},
    "candidate_1": set(),  # a candidate never sees the scores of their interview
}
USERS = {
    "coach_a": {"coach_a", "applicant_a"},
    "coach_b": {"coach_b", "applicant_b"},
    "recruiter_1": {"recruiter_1", "candidate_1"},
    "recruiter_2": {"recruiter_2", "candidate_2"},
    "applicant_a": {"applicant_a"},
    "loner": {"loner"},
    "candidate_1": {"candidate_1"},
}
ROLES = list(ATTEMPTS)


def _denied(call, *args, **kwargs) -> bool:
    try:
        call(*args, **kwargs)
    except AccessDenied:
        return True
    return False


@pytest.mark.parametrize("who", ROLES)
def test_attempts_by_id_and_in_lists(world, who):
    actor = world.actors[who]
    expected = {world.attempts[n] for n in ATTEMPTS[who]}
    for name, attempt_id in world.attempts.items():
        allowed = attempt_id in expected
        assert _denied(records.get_attempt, actor, attempt_id) != allowed, f"{who} get_attempt({name})"
    assert {a.id for a in records.list_attempts(actor)} == expected


@pytest.mark.parametrize("who", ROLES)
def test_users_by_id_and_in_lists(world, who):
    actor = world.actors[who]
    everyone = set(world.users)
    visible = everyone if who == "admin" else USERS[who]
    for name, user_id in world.users.items():
        assert _denied(accounts.get_user, actor, user_id) != (name in visible), f"{who} get_user({name})"
        # a page selecting a person by id for history, lists or export goes through the same check
        assert _denied(records.level_history, actor, user_id) != (name in visible), f"{who} history({name})"
        assert _denied(records.dimension_history, actor, user_id) != (name in visible)
        assert _denied(records.list_attempts, actor, user_id=user_id) != (name in visible)
        may_export = who == "admin" or name == who
        assert _denied(records.export_data, actor, user_id) != may_export, f"{who} export({name})"
    assert {u.id for u in accounts.list_users(actor)} == {world.users[n] for n in visible}


@pytest.mark.parametrize("who", ROLES)
def test_history_holds_only_what_the_role_may_see(world, who):
    actor = world.actors[who]
    for name in USERS.get(who, set(world.users)):
        points = records.dimension_history(actor, world.users[name])
        assert {p.attempt_id for p in points} <= {world.attempts[n] for n in ATTEMPTS[who]}


@pytest.mark.parametrize("who", ROLES)
def test_reviewing_and_overriding(world, who):
    """Only the applicant's coach (or an admin) may review, override or comment."""
    actor = world.actors[who]
    may = {
        "admin": {"applicant_a", "applicant_b", "loner"},
        "coach_a": {"applicant_a"},
        "coach_b": {"applicant_b"},
    }.get(who, set())
    for name, attempt_id in world.attempts.items():
        allowed = name in may
        assert _denied(records.add_comment, actor, attempt_id, f"note from {who}") != allowed, f"{who} {name}"
        assert _denied(records.override_band, actor, attempt_id, "grammar", 4, "calibration") != allowed
        assert _denied(records.mark_reviewed, actor, attempt_id) != allowed
    for call in (records.review_queue, records.calibration_pairs):
        assert _denied(call, actor) != (who in ("admin", "coach_a", "coach_b"))


@pytest.mark.parametrize("who", ROLES)
def test_cohort_parameters(world, who):
    actor = world.actors[who]
    for suffix, cohort_id in world.cohorts.items():
        allowed = who == "admin" or who == f"coach_{suffix}"
        assert _denied(records.list_attempts, actor, cohort_id=cohort_id) != allowed
        assert _denied(records.calibration_pairs, actor, cohort_id=cohort_id) != allowed
        assert _denied(records.review_queue, actor, cohort_id=cohort_id) != allowed
    mine = {c.id for c in accounts.list_cohorts(actor)}
    expected = {
        "admin": set(world.cohorts.values()),
        "coach_a": {world.cohorts["a"]},
        "coach_b": {world.cohorts["b"]},
        "applicant_a": {world.cohorts["a"]},
    }.get(who, set())
    assert mine == expected


@pytest.mark.parametrize("who", ROLES)
def test_interview_parameters(world, who):
    actor = world.actors[who]
    for n, invitation_id in world.invitations.items():
        allowed = who in ("admin", f"recruiter_{n}")
        assert _denied(interviews.get_invitation, actor, invitation_id) != allowed, f"{who} invitation {n}"
        assert _denied(records.list_attempts, actor, invitation_id=invitation_id) != allowed
    if who.startswith("recruiter") or who == "admin":
        own = {i.id for i in interviews.list_invitations(actor)}
        expected = set(world.invitations.values()) if who == "admin" else {world.invitations[who[-1]]}
        assert own == expected
        for n, template_id in world.templates.items():
            results = interviews.interview_results(actor, template_id)
            visible = who == "admin" or who == f"recruiter_{n}"
            assert [r.invitation_id for r in results] == ([world.invitations[n]] if visible else [])
    else:
        assert _denied(interviews.list_invitations, actor)
        assert _denied(interviews.list_templates, actor)
        for template_id in world.templates.values():
            assert _denied(interviews.interview_results, actor, template_id)
            assert _denied(interviews.create_invitation, actor, template_id, "Someone")


@pytest.mark.parametrize("who", ROLES)
def test_mock_call_parameters(world, who):
    allowed = who in ("admin", "applicant_a", "coach_a")
    assert _denied(records.get_mock_call, world.actors[who], world.calls["applicant_a"]) != allowed
    assert _denied(records.list_attempts, world.actors[who], mock_call_id=world.calls["applicant_a"]) != allowed


@pytest.mark.parametrize("who", ROLES)
def test_admin_only_operations(world, who):
    actor = world.actors[who]
    is_admin = who == "admin"
    assert _denied(records.audit_log, actor) != is_admin
    if not is_admin:
        assert _denied(accounts.create_user, actor, "Eve", Role.ADMIN, login=f"eve-{who}", password=dataworld.PASSWORD)
        assert _denied(accounts.create_cohort, actor, f"cohort of {who}")
        assert _denied(accounts.add_member, actor, world.cohorts["a"], world.users["loner"])
        assert _denied(accounts.update_user, actor, world.users["loner"], name="Renamed")
        assert _denied(accounts.set_password, actor, world.users["applicant_b"], "another-password", login="b1")


def test_missing_ids_are_not_found_for_admins_and_denied_for_others(world):
    for who in ROLES:
        error = pytest.raises(AccessDenied, records.get_attempt, world.actors[who], 987654)
        assert isinstance(error.value, NotFound) == (who == "admin")
        pytest.raises(AccessDenied, accounts.get_user, world.actors[who], 987654)
        pytest.raises(AccessDenied, interviews.get_invitation, world.actors[who], 987654)
        pytest.raises(AccessDenied, records.get_mock_call, world.actors[who], 987654)


def test_the_role_is_read_from_the_database_not_from_the_actor(world):
    applicant = world.actors["applicant_b"]
    forged = Actor(applicant.user_id, Role.ADMIN, applicant.name)
    with pytest.raises(AccessDenied, match="role"):
        records.get_attempt(forged, world.attempts["applicant_a"])
    with pytest.raises(AccessDenied):
        records.list_attempts(Actor(424242, Role.ADMIN, "nobody"))
