"""Shared fixtures: real speech made with espeak-ng and the real non-native speech sample."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import pytest

from trainer.audio import Audio, load_audio
from trainer.config import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def spoken():
    """``spoken(text, voice="calm_female") -> (path, Audio)``: espeak-ng speech, cached on disk."""
    from trainer.tts import synthesize

    def make(text: str, voice: str = "calm_female") -> tuple[Path, Audio]:
        path = synthesize(text, voice)
        return path, load_audio(path)

    return make


def speechocean_rows(name: str, table: str) -> tuple[Path, list[dict]]:
    folder = SHARED_DATA / name
    if not (folder / table).is_file():
        pytest.skip(f"{folder} is not here (it sits beside the project on the developers' machines only)")
    with (folder / table).open() as handle:
        return folder, list(csv.DictReader(handle, delimiter="\t"))


# -- the app in a real browser (tests/test_e2e_browser.py; helpers in tests/streamlit_browser.py)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium (or $TRAINER_CHROMIUM). Missing: skipped on a developer's machine,
    a failure on CI, where ./run.sh test installs it."""
    import os

    from streamlit_browser import find_chromium

    found = find_chromium()
    if found is None:
        reason = "no Chromium on this machine (apt-get install chromium, or set TRAINER_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; ./run.sh test should have installed it")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The Streamlit app on a free local port, with an empty data folder of its own, so a test
    run never touches the developer's saved data. Read-only resources are shared: the speech
    model already unpacked for the suite, and the suite's LanguageTool server."""
    from streamlit_browser import StreamlitServer

    from trainer import grammar
    from trainer.asr import resolve_whisper_model

    try:
        grammar.server().ensure_running()  # shared, left running like test_grammar does
    except grammar.GrammarUnavailable:
        pass  # the app then reports grammar as unavailable, which the test will show
    server = StreamlitServer(
        tmp_path_factory.mktemp("app-data"), env={"TRAINER_WHISPER_MODEL": resolve_whisper_model()}
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def open_browser(playwright_driver, chromium_executable, app_server, tmp_path):
    """``open_browser(microphone=None) -> (context, blocked)``: headless Chromium whose fake
    microphone plays the WAV ``microphone`` once; every request not to the app is aborted
    and listed in ``blocked``. Closed after the test, with a screenshot of each page it left
    open (``last-page-N.png`` in the test's tmp_path) to see what a failure looked like."""
    from streamlit_browser import keep_offline, launch_chromium

    contexts = []

    def launch(microphone=None):
        context = launch_chromium(
            playwright_driver, chromium_executable, microphone, tmp_path / f"profile-{len(contexts)}"
        )
        contexts.append(context)
        return context, keep_offline(context, app_server.url)

    yield launch
    for n, context in enumerate(contexts):
        for m, page in enumerate(context.pages):
            with contextlib.suppress(Exception):  # a crashed page must not hide the test's error
                page.screenshot(path=str(tmp_path / f"last-page-{n}-{m}.png"), full_page=True)
        context.close()
