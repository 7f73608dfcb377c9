"""The app through Streamlit's AppTest (no browser): the pages run in this process, so the
database fixtures' settings apply to them. A signed-in actor is put in the session state as
the sign-in and profile pages put it there."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from trainer.config import PROJECT_ROOT
from trainer.webapp.session import ACTOR_KEY

APP = str(PROJECT_ROOT / "app.py")
TIMEOUT = 300  # seconds one run may take (a page that scores an answer runs Whisper and LanguageTool)


def _new(actor, timeout: float) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
    return at


def app(actor=None, timeout: float = TIMEOUT) -> AppTest:
    """The app as ``actor`` (None: nobody signed in), run once: it shows its start page."""
    return _new(actor, timeout).run()


def open_page(page: str, actor=None, *, at: AppTest | None = None, timeout: float = TIMEOUT, **query) -> AppTest:
    """Open ``page`` ("practice" or "views/practice.py") with the ``query`` parameters, in
    ``at`` (an app already run: its session goes on) or else straight away in a new app
    signed in as ``actor``. The page must not raise."""
    if at is None:
        at = _new(actor, timeout)
    elif actor is not None:
        raise ValueError("give an actor or an app already run, not both")
    for name, value in query.items():
        at.query_params[name] = str(value)
    at.switch_page(page if page.endswith(".py") else f"views/{page}.py").run()
    assert not at.exception, (page, at.exception)
    return at


def tables_showing_none(at: AppTest) -> list[str]:
    """The tables of the page that would show "None" in a cell: a missing value without an
    empty placeholder (Streamlit writes "None" for it by default), or the text "None"."""
    found = []
    for n, table in enumerate(at.dataframe):
        frame = table.value
        missing = bool(frame.isna().to_numpy().any())
        if missing and not (table.proto.HasField("placeholder") and table.proto.placeholder == ""):
            found.append(f"table {n}: missing values shown as None:\n{frame}")
        if (frame.astype(str) == "None").to_numpy().any() and not missing:
            found.append(f"table {n}: the text None:\n{frame}")
    return found
