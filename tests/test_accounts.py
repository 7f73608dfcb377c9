"""Accounts: argon2 password hashing, sign-in and its rate limit, the create-admin command,
admin-made accounts and cohorts, the pick-a-profile mode; on SQLite and PostgreSQL.

The suite hashes with argon2's cheapest parameters (tests/conftest.py); the first tests check
the default profile. Lockouts are timed by the ``clock`` fixture, which moves only when a test
says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.helpers import dataworld
from tests.helpers.dataworld import cli
from trainer.config import get_settings
from trainer.data import accounts, records
from trainer.data.access import AccessDenied, Actor
from trainer.data.accounts import AccountError, SignInFailed, SignInLocked
from trainer.data.storage import Origin, Role, User, transaction


def test_passwords_are_hashed_with_argon2id():
    first = accounts.hash_password("correct horse battery")
    second = accounts.hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second  # salted
    assert "correct horse" not in first
    assert accounts.verify_password(first, "correct horse battery")
    assert not accounts.verify_password(first, "correct horse batterY")
    assert not accounts.verify_password("not a hash", "correct horse battery")
    for weak in ("short", "aaaaaaaaaaaa", " " * 12):
        with pytest.raises(AccountError):
            accounts.hash_password(weak)


def stored_hash(login: str) -> str:
    with transaction() as session:
        return session.scalar(select(User.password_hash).where(User.login == login))


@pytest.fixture
def hash_profile(monkeypatch):
    """``hash_profile(name)``: hash passwords with another ``password_hash_profile`` from now on."""

    def use(name: str) -> None:
        monkeypatch.setenv("TRAINER_PASSWORD_HASH_PROFILE", name)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_the_default_profile_is_rfc_9106_low_memory_and_a_sign_in_upgrades_older_hashes(database, hash_profile):
    assert get_settings().password_hash_profile == "test"  # the suite's (tests/conftest.py)
    admin = dataworld.admin()
    assert stored_hash("root").startswith("$argon2id$v=19$m=8,t=1,p=1$")  # argon2's cheapest

    hash_profile("default")  # what production uses: 64 MiB, 3 passes, 4 lanes
    assert accounts.hash_password("correct horse battery").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts.sign_in("root", dataworld.PASSWORD).user_id == admin.user_id
    assert stored_hash("root").startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # rehashed on sign-in
    assert accounts.sign_in("root", dataworld.PASSWORD).user_id == admin.user_id
    with pytest.raises(SignInFailed):
        accounts.sign_in("nobody", "wrong password!")

    hash_profile("fastest")
    with pytest.raises(ValueError, match="password_hash_profile"):
        accounts.hash_password("correct horse battery")


def test_sign_in(database):
    admin = dataworld.admin("Root")
    assert admin.role == Role.ADMIN
    with transaction() as session:
        stored = session.scalar(select(User).where(User.login == "root"))
        assert stored.password_hash.startswith("$argon2id$") and dataworld.PASSWORD not in stored.password_hash
    assert accounts.sign_in("  ROOT ", dataworld.PASSWORD).user_id == admin.user_id
    with pytest.raises(SignInFailed) as wrong:
        accounts.sign_in("root", "wrong password!")
    with pytest.raises(SignInFailed) as unknown:
        accounts.sign_in("nobody", "wrong password!")
    assert str(wrong.value) == str(unknown.value)  # does not tell which logins exist
    accounts.create_profile("Maria")
    with pytest.raises(SignInFailed):
        accounts.sign_in("maria", "")  # profiles have no password and cannot sign in


@pytest.fixture
def strict_limit(monkeypatch, clock):
    """Three failures within 10 minutes lock a login for 5 minutes (yielded), on ``clock``."""
    monkeypatch.setenv("TRAINER_SIGNIN_MAX_FAILURES", "3")
    monkeypatch.setenv("TRAINER_SIGNIN_WINDOW_MINUTES", "10")
    monkeypatch.setenv("TRAINER_SIGNIN_LOCKOUT_MINUTES", "5")
    get_settings.cache_clear()
    yield timedelta(minutes=5)
    get_settings.cache_clear()


def test_failed_sign_ins_lock_the_login_for_a_while(database, strict_limit, clock):
    admin = dataworld.admin()
    dataworld.staff(admin, Role.COACH, "ana")
    for _ in range(2):
        with pytest.raises(SignInFailed) as failed:
            accounts.sign_in("ana", "not her password")
        assert not isinstance(failed.value, SignInLocked)
    with pytest.raises(SignInLocked) as locked:
        accounts.sign_in("ana", "not her password")
    assert "try again" in str(locked.value).lower() and "5 minutes" in str(locked.value)
    with pytest.raises(SignInLocked):
        accounts.sign_in("ana", dataworld.PASSWORD)  # even the right password, while locked
    assert accounts.sign_in("root", dataworld.PASSWORD).user_id == admin.user_id  # other logins unaffected
    for _ in range(3):
        with pytest.raises(SignInFailed):
            accounts.sign_in("ghost", "guessing")
    with pytest.raises(SignInLocked):
        accounts.sign_in("ghost", "guessing")  # unknown logins lock the same way

    clock.advance(seconds=strict_limit.total_seconds() - 1)
    with pytest.raises(SignInLocked) as locked:
        accounts.sign_in("ana", dataworld.PASSWORD)  # a second before the lockout ends
    assert "1 minute." in str(locked.value)
    clock.advance(seconds=1.3)
    assert accounts.sign_in("ana", dataworld.PASSWORD).name == "Ana"
    for _ in range(2):  # a success forgets earlier failures
        with pytest.raises(SignInFailed) as failed:
            accounts.sign_in("ana", "wrong again")
        assert not isinstance(failed.value, SignInLocked)


def test_unlock_command_clears_a_lock(database, strict_limit, monkeypatch):
    admin = dataworld.admin()
    dataworld.staff(admin, Role.RECRUITER, "rita")
    for _ in range(3):
        with pytest.raises(SignInFailed):
            accounts.sign_in("rita", "nope nope")
    with pytest.raises(SignInLocked):
        accounts.sign_in("rita", dataworld.PASSWORD)
    unlocked = cli("users", "unlock", "RITA")
    assert unlocked.returncode == 0 and "cleared 3" in unlocked.stdout
    assert accounts.sign_in("rita", dataworld.PASSWORD).role == Role.RECRUITER


def test_create_admin_command_reads_the_password_without_echoing_it(database):
    password = "Admin-Pass-2024"
    made = cli("users", "create-admin", "--name", "First Admin", "--login", "boss", stdin=password + "\n")
    assert made.returncode == 0, made.stderr
    assert "created admin 'boss'" in made.stdout and password not in made.stdout + made.stderr
    actor = accounts.sign_in("boss", password)
    assert actor.role == Role.ADMIN and actor.name == "First Admin"
    [entry] = records.audit_log(actor, action="user.create")
    assert entry.actor_id is None and entry.after["role"] == "admin" and "password" not in str(entry.after)

    again = cli("users", "create-admin", "--name", "Other", "--login", "BOSS", stdin=password + "\n")
    assert again.returncode == 2 and "taken" in again.stderr
    weak = cli("users", "create-admin", "--name", "Weak", "--login", "weak", stdin="123\n")
    assert weak.returncode == 2 and "at least" in weak.stderr
    listed = cli("users", "list")
    assert listed.returncode == 0 and "boss" in listed.stdout and "weak" not in listed.stdout


def test_admin_creates_and_edits_accounts_with_an_audit_trail(database):
    admin = dataworld.admin()
    coach = accounts.create_user(
        admin, "Ana Cruz", "coach", login="Ana", password=dataworld.PASSWORD, email="Ana@Example.com"
    )
    assert (coach.login, coach.email, coach.origin, coach.has_password) == (
        "ana",
        "ana@example.com",
        Origin.ACCOUNT,
        True,
    )
    with pytest.raises(AccountError, match="taken"):
        accounts.create_user(admin, "Other Ana", Role.RECRUITER, login="ANA", password=dataworld.PASSWORD)
    with pytest.raises(AccountError, match="already used"):
        accounts.create_user(
            admin, "Ana Two", Role.RECRUITER, login="ana2", password=dataworld.PASSWORD, email="ana@example.com"
        )
    with pytest.raises(AccountError, match="needs a login and a password"):
        accounts.create_user(admin, "No Password", Role.COACH, login="nopass")
    with pytest.raises(AccountError, match="not an e-mail"):
        accounts.create_user(admin, "Bad Mail", Role.APPLICANT, email="nope")
    trainee = accounts.create_user(admin, "Trainee", Role.APPLICANT)
    assert not trainee.has_password

    signed_in = accounts.sign_in("ana", dataworld.PASSWORD)
    updated = accounts.update_user(admin, coach.id, role=Role.RECRUITER, name="Ana C.")
    assert (updated.role, updated.name) == (Role.RECRUITER, "Ana C.")
    [entry] = records.audit_log(admin, action="user.update")
    assert entry.before == {"name": "Ana Cruz", "role": "coach"} and entry.after == {
        "name": "Ana C.",
        "role": "recruiter",
    }
    with pytest.raises(AccessDenied, match="role has changed"):
        records.list_attempts(signed_in)  # the old sign-in no longer counts

    accounts.update_user(admin, coach.id, active=False)
    with pytest.raises(SignInFailed):
        accounts.sign_in("ana", dataworld.PASSWORD)
    with pytest.raises(AccountError, match="own"):
        accounts.update_user(admin, admin.user_id, active=False)


def test_changing_a_password(database):
    admin = dataworld.admin()
    coach = dataworld.staff(admin, Role.COACH, "ana")
    with pytest.raises(AccountError, match="current password"):
        accounts.set_password(coach, coach.user_id, "brand-new-password", current_password="wrong one")
    accounts.set_password(coach, coach.user_id, "brand-new-password", current_password=dataworld.PASSWORD)
    with pytest.raises(SignInFailed):
        accounts.sign_in("ana", dataworld.PASSWORD)
    assert accounts.sign_in("ana", "brand-new-password").user_id == coach.user_id
    accounts.set_password(admin, coach.user_id, "reset-by-admin")
    assert accounts.sign_in("ana", "reset-by-admin").user_id == coach.user_id
    entries = records.audit_log(admin, action="user.password")
    assert len(entries) == 2 and all("argon2" not in str(e.before) + str(e.after) for e in entries)


def test_profiles_for_the_pick_a_profile_mode(database):
    admin = dataworld.admin()
    maria = accounts.create_profile("  Maria   Santos ")
    assert maria.name == "Maria Santos" and maria.role == Role.APPLICANT
    with pytest.raises(AccountError, match="already a profile"):
        accounts.create_profile("maria santos")
    with pytest.raises(AccountError):
        accounts.create_profile("   ")
    jun = accounts.create_profile("Jun")
    dataworld.staff(admin, Role.COACH, "ana")
    accounts.create_user(admin, "Account Applicant", Role.APPLICANT, login="acc", password=dataworld.PASSWORD)
    assert [p.name for p in accounts.list_profiles()] == ["Jun", "Maria Santos"]  # no accounts, no candidates
    assert accounts.profile_actor(jun.user_id) == jun
    with pytest.raises(AccessDenied):
        accounts.profile_actor(admin.user_id)

    # a profile given a login and password becomes an account: it is no longer pickable
    accounts.set_password(admin, maria.user_id, "maria-secret-1", login="maria")
    assert [p.name for p in accounts.list_profiles()] == ["Jun"]
    with pytest.raises(AccessDenied):
        accounts.profile_actor(maria.user_id)
    assert accounts.sign_in("maria", "maria-secret-1").user_id == maria.user_id


def test_cohorts(database):
    admin = dataworld.admin()
    coach = dataworld.staff(admin, Role.COACH, "ana")
    recruiter = dataworld.staff(admin, Role.RECRUITER, "rita")
    maria = dataworld.applicant("Maria")
    cohort = accounts.create_cohort(admin, "June batch", "Voice account trainees")
    with pytest.raises(AccountError, match="already a cohort"):
        accounts.create_cohort(admin, "june BATCH")
    accounts.add_member(admin, cohort.id, coach.user_id)
    cohort = accounts.add_member(admin, cohort.id, maria.user_id)
    accounts.add_member(admin, cohort.id, maria.user_id)  # twice is once
    assert cohort.member_ids == (coach.user_id, maria.user_id)
    with pytest.raises(AccountError, match="applicants and coaches"):
        accounts.add_member(admin, cohort.id, recruiter.user_id)
    assert [u.name for u in accounts.list_users(coach, cohort_id=cohort.id, role=Role.APPLICANT)] == ["Maria"]
    assert [c.name for c in accounts.list_cohorts(maria)] == ["June batch"]
    cohort = accounts.remove_member(admin, cohort.id, maria.user_id)
    assert cohort.member_ids == (coach.user_id,)
    assert accounts.list_users(coach, role=Role.APPLICANT) == []
    actions = [e.action for e in records.audit_log(admin, object_type="cohort")]
    assert actions == ["cohort.remove_member", "cohort.add_member", "cohort.add_member", "cohort.create"]


def test_a_forged_or_stale_actor_is_refused(database):
    admin = dataworld.admin()
    maria = dataworld.applicant("Maria")
    with pytest.raises(AccessDenied):
        accounts.create_cohort(Actor(maria.user_id, Role.ADMIN, "Maria"), "sneaky")
    with pytest.raises(AccessDenied):
        accounts.list_users(Actor(9999, Role.APPLICANT, "ghost"))
    accounts.update_user(admin, maria.user_id, active=False)
    with pytest.raises(AccessDenied, match="not active"):
        records.list_attempts(maria)
