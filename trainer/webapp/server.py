"""What the web server adds to Streamlit's app: the routes that set and drop the session
cookie (a Streamlit page talks over a websocket and cannot set one), and a warm-up at start
so the first answer of the day does not wait for the speech model and the grammar server.

The top-level ``server.py`` builds ``st.App("app.py", routes=ROUTES, lifespan=lifespan)``;
``./run.sh app`` runs it with ``streamlit run server.py``. The session rules themselves are
in trainer.data.web_sessions; the pages' side is trainer.webapp.session.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from streamlit.logger import get_logger

from trainer import jobs
from trainer.config import get_settings
from trainer.data import web_sessions
from trainer.webapp.session import SESSION_COOKIE

log = get_logger(__name__)  # Streamlit's logging set-up: the lines reach the server's output


def _same_origin(request: Request) -> bool:
    """A request the app's own page sent (the cookie routes refuse other sites: a form on
    another site could otherwise sign a browser in to someone else's account)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or get_settings().app_url.startswith("https://")


def _refused() -> Response:
    return JSONResponse({"ok": False, "reason": "not from this app's page"}, status_code=403)


async def create_session(request: Request) -> Response:
    """POST code=...: exchange a sign-in code for the session cookie."""
    if not _same_origin(request):
        return _refused()
    form = await request.form()
    granted = await run_in_threadpool(web_sessions.redeem_grant, str(form.get("code") or ""))
    if granted is None:
        return JSONResponse({"ok": False, "reason": "this sign-in code is not valid"}, status_code=400)
    token, expires_at = granted
    response = JSONResponse({"ok": True})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, int((expires_at - datetime.now(UTC)).total_seconds())),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="lax",  # sent when a link from a PDF or an e-mail opens the app; not on other sites' requests
    )
    return response


async def drop_session(request: Request) -> Response:
    """POST: end the session this browser carries and drop its cookie."""
    if not _same_origin(request):
        return _refused()
    await run_in_threadpool(web_sessions.end_session, request.cookies.get(SESSION_COOKIE))
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="lax")
    return response


ROUTES = [
    Route("/auth/session", create_session, methods=["POST"]),
    Route("/auth/sign-out", drop_session, methods=["POST"]),
]


def warm_up(scoring_here: bool = True) -> None:
    """Load what the pages need once, when the server starts, instead of in someone's
    answer: the content and, when answers are scored in this process, the speech model, the
    grammar server and the word-pair counts (workers load their own). Failures are logged; the answer that
    needs the part then says what is missing, as before."""
    from trainer.content import get_bank
    from trainer.features.collocations import norms
    from trainer.speech.asr import get_whisper_model

    parts: list[tuple[str, Callable[[], object]]] = [("content", get_bank)]
    if scoring_here:
        parts += [("speech model", get_whisper_model), ("grammar server", _grammar), ("word-pair counts", norms)]
    for name, load in parts:
        try:
            load()
            log.info("warm-up: %s ready", name)
        except Exception as error:  # noqa: BLE001 - reported later, by the answer that needs it
            log.warning("warm-up: %s not ready: %s", name, error)


def _grammar() -> None:
    from trainer.features.grammar import server

    server().ensure_running()


def start_scoring() -> jobs.EmbeddedQueue | None:
    """With the queue (``scoring = "queue"``): this machine's Redis, unless ``broker_url``
    names one, and its ``embedded_workers``. None when answers are scored in the web process."""
    if get_settings().scoring != "queue":
        return None
    try:
        queue = jobs.start_embedded()
    except jobs.QueueUnavailable as error:
        log.error("scoring queue not started, answers are scored in the web process: %s", error)
        return None
    log.info("scoring queue ready: %s worker process(es)", len(queue.workers))
    return queue


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    # Started from the event loop's own thread, which lives as long as the server: the
    # kernel stops the children when the thread that started them ends (PR_SET_PDEATHSIG).
    queue = start_scoring()
    if get_settings().warm_up_on_start:
        threading.Thread(target=warm_up, args=(queue is None,), name="warm-up", daemon=True).start()
    try:
        yield
    finally:
        if queue is not None:
            await run_in_threadpool(queue.stop)
