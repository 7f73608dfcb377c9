"""Sign-ins that last: server-side sessions behind an HttpOnly cookie (trainer.data.web_sessions)
and the server routes that set and drop the cookie (trainer.webapp.server); on SQLite and
PostgreSQL. The browser side (refresh, new tab, sign-out in another tab) is in
tests/test_e2e_sessions.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.helpers import dataworld
from trainer.data import accounts, web_sessions
from trainer.data.storage import Role, SignInGrant, WebSession, transaction
from trainer.webapp.server import ROUTES
from trainer.webapp.session import SESSION_COOKIE


@pytest.fixture
def session_clock(monkeypatch, clock):
    monkeypatch.setattr(web_sessions, "now", clock)
    return clock


def signed_in(actor) -> tuple[str, str]:
    """(code, token): what the sign-in page hands over and what the cookie then carries."""
    code = web_sessions.grant_sign_in(actor)
    granted = web_sessions.redeem_grant(code)
    assert granted is not None
    return code, granted[0]


def test_a_session_lasts_until_it_expires_and_only_its_hash_is_stored(database, session_clock, monkeypatch):
    admin = dataworld.admin()
    code, token = signed_in(admin)
    assert web_sessions.session_actor(token) == admin
    assert web_sessions.grant_actor(code) == admin  # the tab that signed in follows the same session
    with transaction() as session:
        stored = (
            session.scalars(select(WebSession.token_hash)).all() + session.scalars(select(SignInGrant.code_hash)).all()
        )
    assert stored and all(len(value) == 64 for value in stored)
    assert token not in stored and code not in stored

    session_clock.advance(hours=11, minutes=59)
    assert web_sessions.session_actor(token) == admin
    session_clock.advance(minutes=2)  # session_hours = 12 by default
    assert web_sessions.session_actor(token) is None
    assert web_sessions.grant_actor(code) is None
    assert web_sessions.session_actor("made-up") is None and web_sessions.session_actor("") is None


def test_a_code_is_exchanged_once_and_only_within_a_minute(database, session_clock):
    admin = dataworld.admin()
    code = web_sessions.grant_sign_in(admin)
    assert web_sessions.grant_actor(code) == admin  # not exchanged yet: the tab's own sign-in holds
    assert web_sessions.redeem_grant(code) is not None
    assert web_sessions.redeem_grant(code) is None  # replayed

    late = web_sessions.grant_sign_in(admin)
    session_clock.advance(seconds=web_sessions.GRANT_SECONDS + 1)
    assert web_sessions.redeem_grant(late) is None
    assert web_sessions.grant_actor(late) is None  # spent by the late try
    assert web_sessions.redeem_grant("not-a-code") is None


def test_sign_out_ends_the_session_for_every_tab(database, session_clock):
    admin = dataworld.admin()
    code, token = signed_in(admin)
    assert web_sessions.end_session(token)
    assert web_sessions.session_actor(token) is None  # a tab that was refreshed
    assert web_sessions.grant_actor(code) is None  # the tab that signed in
    assert not web_sessions.end_session(token)

    code, token = signed_in(admin)
    assert web_sessions.end_grant(code)  # signing out in the tab that signed in
    assert web_sessions.session_actor(token) is None


def test_a_password_change_or_a_deactivation_ends_every_session(database, session_clock):
    admin = dataworld.admin()
    coach = dataworld.staff(admin, Role.COACH, "cora")
    first, second = signed_in(coach), signed_in(coach)
    pending = web_sessions.grant_sign_in(coach)
    admin_code, admin_token = signed_in(admin)
    assert web_sessions.open_sessions(coach.user_id) == 2

    accounts.set_password(coach, coach.user_id, "another-long-password", current_password=dataworld.PASSWORD)
    assert web_sessions.open_sessions(coach.user_id) == 0
    assert web_sessions.session_actor(first[1]) is None and web_sessions.session_actor(second[1]) is None
    assert web_sessions.grant_actor(pending) is None and web_sessions.redeem_grant(pending) is None
    assert web_sessions.session_actor(admin_token) == admin  # nobody else's

    code, token = signed_in(coach)
    accounts.update_user(admin, coach.user_id, active=False)
    assert web_sessions.session_actor(token) is None and web_sessions.grant_actor(code) is None
    accounts.update_user(admin, coach.user_id, active=True)
    assert web_sessions.session_actor(token) is None  # reactivating does not revive old sessions


def test_a_role_change_shows_in_the_session_at_once(database):
    admin = dataworld.admin()
    coach = dataworld.staff(admin, Role.COACH, "cora")
    _, token = signed_in(coach)
    accounts.update_user(admin, coach.user_id, role=Role.RECRUITER)
    assert web_sessions.session_actor(token).role == Role.RECRUITER


# --------------------------------------------------------------------------- the cookie routes


@pytest.fixture
def client(database):
    with TestClient(Starlette(routes=ROUTES), base_url="http://trainer.test") as client:
        yield client


SAME_ORIGIN = {"Origin": "http://trainer.test", "Sec-Fetch-Site": "same-origin"}


def test_the_session_route_sets_an_httponly_samesite_cookie_for_a_valid_code(client):
    admin = dataworld.admin()
    code = web_sessions.grant_sign_in(admin)
    response = client.post("/auth/session", data={"code": code}, headers=SAME_ORIGIN)
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie or "Max-Age=43199" in cookie
    token = response.cookies[SESSION_COOKIE]
    assert web_sessions.session_actor(token) == admin
    assert code not in cookie

    replay = client.post("/auth/session", data={"code": code}, headers=SAME_ORIGIN)
    assert replay.status_code == 400 and "set-cookie" not in replay.headers


def test_the_cookie_routes_refuse_requests_from_other_sites(client):
    admin = dataworld.admin()
    code = web_sessions.grant_sign_in(admin)
    for headers in ({"Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.test"}, {}):
        response = client.post("/auth/session", data={"code": code}, headers=headers)
        assert response.status_code == 403 and "set-cookie" not in response.headers, headers
    assert web_sessions.redeem_grant(code) is not None  # the refused requests did not spend it
    assert client.get("/auth/session").status_code == 405  # never through a link


def test_the_sign_out_route_ends_the_session_and_drops_the_cookie(client):
    admin = dataworld.admin()
    client.post("/auth/session", data={"code": web_sessions.grant_sign_in(admin)}, headers=SAME_ORIGIN)
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/auth/sign-out", headers=SAME_ORIGIN)
    assert response.status_code == 200
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert web_sessions.session_actor(token) is None
