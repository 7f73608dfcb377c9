"""A sign-in that lands and lasts, in a real browser (Debian's Chromium through Playwright):
each role lands on its start page; a refresh, a new tab or a bookmark keeps the user signed
in (a server-side session in an HttpOnly cookie); a sign-out in one tab signs out the other;
a bookmarked page asks for a sign-in and then opens; open practice keeps the chosen profile
across a refresh. The data-layer rules and the cookie routes are in tests/test_web_sessions.py.
"""

from __future__ import annotations

import os
import re
import time
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.helpers import dataworld
from tests.helpers.streamlit_browser import (
    StreamlitPage,
    StreamlitServer,
    close_with_screenshots,
    keep_offline,
    launch_chromium,
)
from trainer.data import web_sessions
from trainer.data.storage import Role
from trainer.webapp.session import SESSION_COOKIE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory):
    """The app with accounts only (no open practice), an admin, a coach and a recruiter; the
    test process shares its database (to check the sessions stored)."""
    from trainer.config import get_settings
    from trainer.data import storage

    folder = tmp_path_factory.mktemp("accounts-app")
    env = {
        "TRAINER_STORAGE_DIR": str(folder / "storage"),
        "TRAINER_OPEN_PRACTICE": "false",
        "TRAINER_WARM_UP_ON_START": "false",  # nothing here is scored
    }
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.delenv("TRAINER_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        storage.dispose_engines()
        admin = dataworld.admin()
        people = {
            "admin": admin,
            "coach": dataworld.staff(admin, Role.COACH, "cora", "Cora Coach"),
            "recruiter": dataworld.staff(admin, Role.RECRUITER, "remy", "Remy Recruiter"),
            "applicant": dataworld.staff(admin, Role.APPLICANT, "ana", "Ana Applicant"),
        }
        server = StreamlitServer(folder, env=env).start()
        try:
            yield server, people
        finally:
            server.stop()
            storage.dispose_engines()
            get_settings.cache_clear()


@pytest.fixture
def browser(playwright_driver, chromium_executable, tmp_path):
    contexts = []

    def launch(server):
        context = launch_chromium(playwright_driver, chromium_executable, None, tmp_path / f"profile-{len(contexts)}")
        contexts.append(context)
        keep_offline(context, server.url)
        return context

    yield launch
    close_with_screenshots(contexts, tmp_path)


def sign_in(app: StreamlitPage, login: str) -> None:
    app.sign_in(login, dataworld.PASSWORD)


def signed_in_as(app: StreamlitPage) -> str | None:
    caption = app.page.get_by_test_id("stSidebar").get_by_text(re.compile("^Signed in as"))
    return caption.inner_text() if caption.count() else None


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == SESSION_COOKIE), None)


def wait_for_cookie(app: StreamlitPage) -> dict:
    """The cookie is set by a request the page makes after the sign-in: wait for it."""
    app.page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.endsWith('/auth/session'))",
        timeout=app.timeout_ms,
    )
    app.page.wait_for_load_state("networkidle")
    cookie = session_cookie(app.page.context)
    assert cookie is not None, app.page.context.cookies()
    return cookie


def path_of(app: StreamlitPage) -> str:
    return urlparse(app.page.url).path.rstrip("/")


@pytest.mark.parametrize(
    "who, login, start, path",
    [
        ("coach", "cora", "Review queue", "/coach_queue"),
        ("recruiter", "remy", "Results", "/recruiter_results"),
        ("admin", "root", "Users", "/admin_users"),
        ("applicant", "ana", "BPO English Trainer", "/home"),
    ],
)
def test_each_role_lands_on_its_start_page_and_stays_signed_in(
    accounts_server, browser, tmp_path, who, login, start, path
):
    server, people = accounts_server
    context = browser(server)
    app = StreamlitPage(context.new_page(), server.url).open()
    assert app.title() == "Sign in" and path_of(app) == "/sign_in"
    sign_in(app, login)
    assert app.title() == start and path_of(app) == path
    cookie = wait_for_cookie(app)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert web_sessions.session_actor(cookie["value"]) == people[who]
    app.screenshot(tmp_path / f"{who}-landed.png")

    app.page.reload()
    app.page.get_by_test_id("stApp").wait_for()
    app.wait_until_idle()
    assert signed_in_as(app) is not None and app.title() == start, "a refresh signed the user out"
    assert path_of(app) == path and not app.page.get_by_text("Page not found").count()


def test_a_new_tab_shares_the_sign_in_and_a_sign_out_in_one_tab_ends_it_in_the_other(
    accounts_server, browser, tmp_path
):
    server, people = accounts_server
    context = browser(server)
    first = StreamlitPage(context.new_page(), server.url).open("sign_in")
    sign_in(first, "cora")
    token = wait_for_cookie(first)["value"]

    second = StreamlitPage(context.new_page(), server.url).open("coach_calibration")  # typed or bookmarked
    assert signed_in_as(second) == "Signed in as Cora Coach (coach)"
    assert second.title().startswith("Calibration")
    second.screenshot(tmp_path / "second-tab.png")

    second.page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    second.page.get_by_role("heading", name="Sign in").wait_for(timeout=second.timeout_ms)
    second.wait_until_idle()
    assert signed_in_as(second) is None
    assert web_sessions.session_actor(token) is None
    second.page.wait_for_load_state("networkidle")
    assert session_cookie(context) is None, "the sign-out left the cookie behind"

    # the first tab (the one that signed in) is signed out at its next step
    first.page.get_by_test_id("stSidebarNav").get_by_role("link", name="Calibration").click()
    first.page.get_by_role("heading", name="Sign in").wait_for(timeout=first.timeout_ms)
    first.wait_until_idle()
    assert signed_in_as(first) is None
    assert first.title() == "Sign in"
    first.screenshot(tmp_path / "first-tab-after-sign-out.png")

    first.page.reload()
    first.page.get_by_test_id("stApp").wait_for()
    first.wait_until_idle()
    assert signed_in_as(first) is None and first.title() == "Sign in"


def test_a_bookmarked_page_asks_for_a_sign_in_then_opens_with_its_parameters(accounts_server, browser, tmp_path):
    server, people = accounts_server
    context = browser(server)
    app = StreamlitPage(context.new_page(), server.url).open("admin_audit?action=user.create")
    assert app.title() == "Sign in"
    assert "next=" in app.page.url
    sign_in(app, "root")
    assert app.title() == "Audit log" and path_of(app) == "/admin_audit"
    assert "action=user.create" in app.page.url
    assert not app.exceptions()
    app.screenshot(tmp_path / "bookmark-after-sign-in.png")

    # another role's page by its address: a plain refusal, not "page not found"
    other = StreamlitPage(browser(server).new_page(), server.url).open("sign_in")
    sign_in(other, "cora")
    other.open("recruiter_results")
    expect(other.page.get_by_test_id("stAlertContentError")).to_have_text(
        "This page is for a recruiter or an admin. You are signed in as a coach.", timeout=other.timeout_ms
    )
    assert not other.page.get_by_text("Page not found").count()


def test_open_practice_keeps_the_chosen_profile_across_a_refresh(app_server, open_browser, tmp_path):
    context, blocked = open_browser()
    app = StreamlitPage(context.new_page(), app_server.url).open("profile")
    app.page.get_by_role("textbox", name="Your name").fill("Rosa Refresh")  # not the picker's combobox
    app.button("Create my profile").click()
    app.page.get_by_text("Welcome, Rosa Refresh").wait_for(timeout=app.timeout_ms)
    wait_for_cookie(app)
    app.page.reload()
    app.page.get_by_test_id("stApp").wait_for()
    app.wait_until_idle()
    assert app.page.get_by_text("Welcome, Rosa Refresh").count() == 1, "a refresh forgot the profile"
    app.screenshot(tmp_path / "profile-after-refresh.png")
    assert not blocked


def test_the_server_starts_its_scoring_worker_with_the_speech_model_and_the_grammar_server(app_server):
    """Not in the first person's answer (it took 23 s there): the server starts the scoring
    queue and its worker, which loads the speech model and starts the grammar server
    before its first job. Polls the server's log (the worker writes there too) for their
    lines (as StreamlitServer polls its health), for at most five minutes."""
    wanted = (
        "warm-up: content ready",
        f"scoring queue ready: {os.cpu_count()} worker process(es)",  # one per core
        "worker warm-up: speech model ready",
        "worker warm-up: grammar server ready",
        "worker ready",
    )
    deadline = time.monotonic() + 300
    text = ""
    while time.monotonic() < deadline:
        text = app_server.log_path.read_text(errors="replace")
        if all(line in text for line in wanted) or "not ready" in text:
            break
        time.sleep(0.25)
    assert "not ready" not in text and all(line in text for line in wanted), app_server.log_tail()
