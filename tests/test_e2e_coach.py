"""End to end in a real browser, accounts mode (open practice off): a coach signs in, opens
an applicant's attempt from the Review queue, changes the band of a dimension other than the
first listed and leaves a comment; then the applicant signs in, in a fresh browser, and sees
exactly that band, the coach's reason and the comment on Feedback, and the band on Progress.

The admin, the coach, the applicant, their cohort and the attempt are made through the data
layer in the test's setup; the attempt carries a real report (espeak-ng speech scored by
Whisper and LanguageTool, the suite's ``sample_reports``). The app runs in a server of its
own, on the same database, with ``open_practice`` off. Helpers and pitfalls: see
tests/helpers/streamlit_browser.py and the docstring of tests/test_e2e_browser.py.
Screenshots of every step are taken into the test's temporary folder.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from tests.helpers import dataworld
from tests.helpers.streamlit_browser import (
    StreamlitPage,
    StreamlitServer,
    close_with_screenshots,
    keep_offline,
    launch_chromium,
)
from trainer.content import get_bank
from trainer.data import accounts, records
from trainer.data.storage import Role
from trainer.webapp.text import dimension_title

pytestmark = pytest.mark.slow


@pytest.fixture
def accounts_world(app_database, sample_reports):
    """An admin, a coach and an applicant with passwords, in one cohort; the applicant's
    attempt on a chat task with its real report (several dimensions: grammar, call handling, ...). Returns (coach, applicant, attempt id)."""
    admin = dataworld.admin()
    coach = dataworld.staff(admin, Role.COACH, "cora", name="Cora Coach")
    applicant = dataworld.staff(admin, Role.APPLICANT, "ana", name="Ana Reyes")
    cohort = accounts.create_cohort(admin, "November batch")
    for person in (coach, applicant):
        accounts.add_member(admin, cohort.id, person.user_id)
    attempt_id = dataworld.scored_attempt(applicant, sample_reports["chat"])
    return coach, applicant, attempt_id


@pytest.fixture
def accounts_server(accounts_world, tmp_path):
    """The app on the test's database (the storage folder ``app_database`` set in this
    process's environment, which the server inherits), with accounts only."""
    from trainer.features import grammar
    from trainer.speech.asr import resolve_whisper_model

    with contextlib.suppress(grammar.GrammarUnavailable):
        grammar.server().ensure_running()
    server = StreamlitServer(
        tmp_path / "app-data",
        env={"TRAINER_OPEN_PRACTICE": "false", "TRAINER_WHISPER_MODEL": resolve_whisper_model()},
    ).start()
    yield server
    server.stop()


@pytest.fixture
def browser(playwright_driver, chromium_executable, accounts_server, tmp_path):
    """``browser() -> (page, blocked)``: a fresh Chromium (its own profile: nothing shared
    with another), requests off the app aborted and listed in ``blocked``. A screenshot of
    each page left open is taken at the end."""
    contexts = []

    def launch():
        context = launch_chromium(playwright_driver, chromium_executable, None, tmp_path / f"profile-{len(contexts)}")
        contexts.append(context)
        blocked = keep_offline(context, accounts_server.url)
        return (context.pages[0] if context.pages else context.new_page()), blocked

    yield launch
    close_with_screenshots(contexts, tmp_path)


def sign_in(page, url: str, login: str) -> StreamlitPage:
    """Through the sign-in form, as a user does; then wait for the sidebar to say so."""
    return StreamlitPage(page, url).open().sign_in(login, dataworld.PASSWORD)


def test_a_coachs_band_and_comment_reach_the_applicant(browser, accounts_server, accounts_world, tmp_path):
    from playwright.sync_api import expect

    coach, applicant, attempt_id = accounts_world
    shots = tmp_path / "screenshots"
    before = records.get_attempt(coach, attempt_id).dimensions
    names = list(before)
    first, dimension = names[0], names[-1]  # the form lists dimensions in this order
    assert dimension != first, names
    labels = {b.band: b.label for b in get_bank().get_rubric(dimension).bands}
    new_band = next(b for b in sorted(labels) if b not in (before[dimension].band, before[first].band))
    reason = f"Set {dimension_title(dimension).lower()} to {new_band}: checked against the recording"
    comment = "Polite and clear. Next time confirm the order number before you promise a refund."

    # -- the coach
    page, blocked = browser()
    app = sign_in(page, accounts_server.url, "cora")
    app.screenshot(shots / "1-coach-signed-in.png")
    app.go_to("Review queue")
    assert app.title() == "Review queue" and not app.exceptions(), app.exceptions()
    expect(page.get_by_role("combobox", name="Attempt to review")).to_have_value(re.compile(rf"^#{attempt_id} · "))
    app.screenshot(shots / "2-review-queue.png")
    app.button("Open attempt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Attempt {attempt_id}", timeout=app.timeout_ms)
    app.wait_until_idle()

    app.select("Dimension", dimension.replace("_", " "))
    band_box = page.get_by_role("combobox", name="Band", exact=True)
    current = before[dimension].band
    expect(band_box).to_have_value(f"{current} · {labels[current]}")  # that dimension's list, its band
    app.select("Band", f"{new_band} · {labels[new_band]}")
    page.get_by_role("textbox", name="Reason (kept in the audit log)").fill(reason)
    app.screenshot(shots / "3-band-chosen.png")
    app.button("Save band").click()
    app.wait_until_idle()
    saved = (
        f"Saved: {dimension_title(dimension)} band {new_band} ({labels[new_band]}). The applicant now sees this band."
    )
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(saved, timeout=app.timeout_ms)
    assert not app.errors() and not app.exceptions(), (app.errors(), app.exceptions())
    expect(band_box).to_have_value(f"{new_band} · {labels[new_band]}")  # the band that counts now
    app.screenshot(shots / "4-band-saved.png")

    page.get_by_role("textbox", name="New comment (the applicant sees it with this attempt)").fill(comment)
    app.button("Add comment").click()
    app.wait_until_idle()
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text=comment)).to_have_count(1)
    app.screenshot(shots / "5-comment-added.png")

    stored = records.get_attempt(applicant, attempt_id)
    assert [(o.dimension, o.coach_band, o.reason) for o in stored.overrides] == [(dimension, new_band, reason)]
    assert [c.text for c in stored.comments] == [comment]

    # -- the applicant, in a browser of her own
    page, blocked_too = browser()
    app = sign_in(page, accounts_server.url, "ana")
    app.go_to("Feedback")
    assert app.title() == "Feedback" and not app.exceptions(), app.exceptions()
    machine = before[dimension]
    title = (
        f"{dimension_title(dimension)}: {machine.score:.0f}/100 · band {new_band} ({labels[new_band]}) "
        "· set by your coach"
    )
    expect(page.get_by_test_id("stExpander").locator("summary").filter(has_text=title)).to_have_count(1)
    others = [label for label in app.expander_labels() if "set by your coach" in label]
    assert others == [title], others  # no other band changed
    page.get_by_text(title).click()  # open it: the coach's reason
    note = f"Your coach Cora Coach set this band to {new_band} (the machine gave {machine.machine_band}): {reason}"
    expect(page.get_by_test_id("stAlertContentInfo").filter(has_text=note)).to_have_count(1)
    expect(page.get_by_role("heading", name="Your coach's comments")).to_be_visible()
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text=comment)).to_have_count(1)
    app.screenshot(shots / "6-applicant-feedback.png")

    app.go_to("Progress")
    assert app.title() == "Progress" and not app.exceptions(), app.exceptions()
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_be_visible()
    app.screenshot(shots / "7-applicant-progress.png")
    cell = f"{machine.score:.0f} (band {new_band})"
    expect(table.get_by_text(cell, exact=True)).to_have_count(1, timeout=app.timeout_ms)

    assert not blocked and not blocked_too, (blocked, blocked_too)
    print(f"screenshots in {shots}: {sorted(p.name for p in Path(shots).iterdir())}")
