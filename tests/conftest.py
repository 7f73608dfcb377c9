"""Shared fixtures: the content bank, real speech made with espeak-ng, throwaway databases
(SQLite and PostgreSQL), real reports, a clock, and the app in a real browser. Helpers that are
not fixtures are in tests/helpers/.

Tests that load a Whisper model, start LanguageTool or drive the browser are marked ``slow``:
by hand (``pytestmark``) or, when they use one of ``SLOW_FIXTURES``, here at collection.
``./run.sh test --fast`` leaves them out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import dataworld
from tests.helpers.clock import Clock
from tests.helpers.ports import free_port
from trainer.config import get_settings
from trainer.content import get_bank
from trainer.data import accounts
from trainer.speech.audio import Audio, load_audio

# Fixtures that run Whisper or LanguageTool, or drive Chromium: a test that uses one is slow.
SLOW_FIXTURES = {
    "sample_reports",
    "read_aloud_report",
    "app_server",
    "open_browser",
    "playwright_driver",
    "chromium_executable",
}


def pytest_configure(config):
    # Before the tests read any settings: argon2's cheapest parameters, so that the many
    # accounts the tests make do not each cost a real password hash (the commands the tests
    # run inherit it; tests/test_accounts.py checks the default profile).
    os.environ.setdefault("TRAINER_PASSWORD_HASH_PROFILE", "test")
    # Pages run in this process (AppTest) score inline; the app in the browser and
    # tests/test_jobs.py run the real queue: Redis and worker processes.
    os.environ.setdefault("TRAINER_SCORING", "inline")
    get_settings.cache_clear()


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES.intersection(item.fixturenames) and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def bank():
    """The content bank the app uses (``trainer.content.get_bank()``)."""
    return get_bank()


@pytest.fixture
def clock(monkeypatch):
    """The time the sign-in limits are measured by (``accounts.now``), stopped at the real
    time: ``clock.advance(minutes=15)`` moves it on instead of sleeping."""
    stopped = Clock()
    monkeypatch.setattr(accounts, "now", stopped)
    return stopped


@pytest.fixture(scope="session")
def spoken():
    """``spoken(text, voice="calm_female") -> (path, Audio)``: espeak-ng speech, cached on disk."""
    from trainer.speech.tts import synthesize

    def make(text: str, voice: str = "calm_female") -> tuple[Path, Audio]:
        path = synthesize(text, voice)
        return path, load_audio(path)

    return make


# --------------------------------------------------------------------------- databases


def _postgres_bindir() -> Path | None:
    import shutil

    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for this test run (Debian's ``postgresql`` package,
    installed by ``./run.sh test``): initdb into a temporary folder, started with pg_ctl on
    a free port, stopped and deleted at the end. Yields a URL without the database name.
    initdb refuses to run as root, so as root the server runs as the ``postgres`` user."""
    import os
    import pwd
    import shutil
    import subprocess
    import tempfile

    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql; ./run.sh test installs it)")
    root = Path(tempfile.mkdtemp(prefix="trainer-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no 'postgres' user to run initdb as")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, logfile, port = root / "data", root / "server.log", free_port()
    try:
        subprocess.run(
            [
                *run_as,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "trainer",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            [
                *run_as,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(logfile),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as error:
        log = logfile.read_text() if logfile.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not be started: {error.stderr or error.stdout}{log[-2000:]}")
    try:
        yield f"postgresql://trainer@127.0.0.1:{port}/"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


_database_counter = iter(range(1, 1_000_000))


def _use_database(request, backend: str, folder: Path, monkeypatch: pytest.MonkeyPatch):
    """Point the data layer at a new empty database and storage folder until the generator ends."""
    from trainer.config import get_settings
    from trainer.data import storage

    monkeypatch.setenv("TRAINER_STORAGE_DIR", str(folder / "storage"))
    monkeypatch.delenv("TRAINER_DATABASE_URL", raising=False)
    server = name = None
    if backend == "postgresql":
        import psycopg

        server = request.getfixturevalue("postgres_server")
        name = f"test_{next(_database_counter)}"
        with psycopg.connect(server + "postgres", autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        monkeypatch.setenv("DATABASE_URL", server + name)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    storage.dispose_engines()
    yield backend
    storage.dispose_engines()
    get_settings.cache_clear()
    if name is not None:
        import psycopg

        with psycopg.connect(server + "postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    """An empty database for one test, on SQLite and on PostgreSQL, with recordings in a
    temporary storage folder; the schema is made by the migrations on first use. Yields
    the backend name."""
    yield from _use_database(request, request.param, tmp_path, monkeypatch)


@pytest.fixture
def app_database(request, tmp_path, monkeypatch):
    """An empty SQLite database and storage folder for one app test (AppTest runs the pages
    in this process; the PostgreSQL path of the same data layer is tested by the storage
    tests)."""
    yield from _use_database(request, "sqlite", tmp_path, monkeypatch)


@pytest.fixture
def recruiter(database):
    """(admin, rita): the first admin and a recruiter she created, in ``database``."""
    from trainer.data.storage import Role

    admin = dataworld.admin()
    return admin, dataworld.staff(admin, Role.RECRUITER, "rita")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database(request, tmp_path_factory):
    """Like ``database``, shared by the tests of one module (for read-mostly tests over a
    world that is slow to build: argon2 hashing is slow on purpose)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _use_database(request, request.param, tmp_path_factory.mktemp("db"), monkeypatch)


@pytest.fixture(scope="session")
def sample_reports():
    """Real reports, made once per test run: a spoken answer to a listening task (espeak-ng
    speech, Whisper, LanguageTool) and a typed chat reply (LanguageTool). Tests store them
    on attempts with ``records.record_report`` instead of scoring every attempt again."""
    from trainer.scoring import engine as scoring
    from trainer.speech.tts import synthesize

    listening = get_bank().get_task("task.listening.001")
    path = synthesize(f"The customer ordered {listening.answers[0]}, a blue jacket.", "calm_male")
    chat = get_bank().get_task("task.chat_reply.001")
    reports = {
        "listening": (listening.id, path, scoring.score(load_audio(path), listening)),
        "chat": (chat.id, chat.sample_reply, scoring.score_text(chat.sample_reply, chat)),
    }
    for _, _, report in reports.values():
        assert report.scorable, report.reason
    return reports


@pytest.fixture(scope="session")
def read_aloud_report():
    """A real scored read-aloud answer (espeak-ng reading the task's text, Whisper, the
    pronunciation stage, the calibration): (task id, recording, report), made once per run."""
    from trainer.scoring import engine as scoring
    from trainer.speech.tts import synthesize

    task = get_bank().get_task("task.read_aloud.001")
    path = synthesize(task.text, "calm_female")
    report = scoring.score(load_audio(path), task)
    assert report.scorable, report.reason
    return task.id, path, report


@pytest.fixture(scope="session")
def open_answer_report():
    """A real scored free spoken answer (espeak-ng saying an open question's sample answer),
    scored on pronunciation and fluency without calibration: (task id, recording, report)."""
    from trainer.scoring import engine as scoring
    from trainer.speech.tts import synthesize

    task = get_bank().get_task("task.open_question.001")
    path = synthesize(task.sample_answer, "calm_male")
    report = scoring.score(load_audio(path), task)
    assert report.scorable, report.reason
    return task.id, path, report


# -- the app in a real browser (tests/test_e2e_browser.py; helpers in tests/helpers/streamlit_browser.py)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium (or $TRAINER_CHROMIUM). Missing: skipped on a developer's machine,
    a failure on CI, where ./run.sh test installs it."""
    from tests.helpers.streamlit_browser import find_chromium

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
    from tests.helpers.streamlit_browser import StreamlitServer
    from trainer.features import grammar
    from trainer.speech.asr import resolve_whisper_model

    try:
        grammar.server().ensure_running()  # shared, left running like test_grammar does
    except grammar.GrammarUnavailable:
        pass  # the app then reports grammar as unavailable, which the test will show
    folder = tmp_path_factory.mktemp("app-data")
    env = {  # pinned: a module may have changed these in this process's environment
        "TRAINER_WHISPER_MODEL": resolve_whisper_model(),
        "TRAINER_OPEN_PRACTICE": "true",
        "TRAINER_STORAGE_DIR": str(folder),
        "TRAINER_SCORING": "queue",  # the one-machine default: Redis and a worker, started by the app
    }
    server = StreamlitServer(folder, env=env).start()
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
    from tests.helpers.streamlit_browser import close_with_screenshots, keep_offline, launch_chromium

    contexts = []

    def launch(microphone=None):
        context = launch_chromium(
            playwright_driver, chromium_executable, microphone, tmp_path / f"profile-{len(contexts)}"
        )
        contexts.append(context)
        return context, keep_offline(context, app_server.url)

    yield launch
    close_with_screenshots(contexts, tmp_path)
