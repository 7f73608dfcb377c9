"""An answer waits its turn in a real browser (Debian's Chromium through Playwright): the app
runs the one-machine default (its own Redis) with no worker at first, so a typed reply stays
queued and Feedback says so; then a worker starts (``trainer worker``, as on another machine
of the same app) and the report appears on the open page by itself, without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.streamlit_browser import (
    StreamlitPage,
    StreamlitServer,
    close_with_screenshots,
    keep_offline,
    launch_chromium,
)
from trainer.content import get_bank
from trainer.jobs.embedded import start_worker
from trainer.speech.asr import resolve_whisper_model

pytestmark = pytest.mark.slow


@pytest.fixture
def queue_server(tmp_path):
    """The app with the queue but no worker of its own (``embedded_workers = 0``)."""
    env = {
        "TRAINER_STORAGE_DIR": str(tmp_path / "storage"),
        "TRAINER_OPEN_PRACTICE": "true",
        "TRAINER_SCORING": "queue",
        "TRAINER_EMBEDDED_WORKERS": "0",
        "TRAINER_WHISPER_MODEL": resolve_whisper_model(),
    }
    server = StreamlitServer(tmp_path / "app", env=env).start()
    yield server, env
    server.stop()


def test_a_queued_answer_shows_its_place_then_its_report_by_itself(
    queue_server, playwright_driver, chromium_executable, tmp_path
):
    server, env = queue_server
    context = launch_chromium(playwright_driver, chromium_executable, None, tmp_path / "profile")
    blocked = keep_offline(context, server.url)
    worker = None
    try:
        app = StreamlitPage(context.new_page(), server.url).open("profile")
        app.page.get_by_role("textbox", name="Your name").fill("Quinn Queue")
        app.button("Create my profile").click()
        app.page.get_by_text("Welcome, Quinn Queue").wait_for(timeout=app.timeout_ms)

        chat = get_bank().get_task("task.chat_reply.001")
        app.go_to("Practice")
        app.select("Task type", "Typed chat reply")
        app.select("Task", re.compile(re.escape(chat.display_title) + "$"))
        app.page.get_by_role("textbox", name="Your reply").fill(chat.sample_reply)
        app.button("Send my reply").click()

        waiting = app.page.get_by_text("Your answer is next in the queue")
        waiting.wait_for(timeout=app.timeout_ms)  # Feedback answers at once: the reply is queued
        assert app.title() == "Feedback"
        app.screenshot(tmp_path / "queued.png")
        app.page.evaluate("() => { window.__sameDocument = true; }")  # a reload would drop it

        url_file = tmp_path / "storage" / "queue" / "broker_url"
        worker = start_worker(url_file.read_text().strip(), environment=env)
        app.page.get_by_test_id("stMetric").first.wait_for(timeout=300_000)  # the report, by itself
        app.wait_until_idle()
        assert app.page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
        expect(waiting).to_have_count(0)
        metrics = app.metrics()
        assert re.fullmatch(r"\d{1,3}/100", metrics.get("Overall", "")), metrics
        assert not app.exceptions(), app.exceptions()
        app.screenshot(tmp_path / "scored.png")
        assert not blocked, blocked
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        close_with_screenshots([context], tmp_path)
