"""Who is signed in, and what a page says when it cannot go on: the signed-in actor
(re-checked against the database on every run), a sign-in that lasts across refreshes and
tabs (a server-side session in an HttpOnly cookie: trainer.data.web_sessions and the routes
of trainer.webapp.server), single sign-on, signing out, the sidebar, where each role starts,
a page's refusal for a role or nobody (sending nobody to sign in and back), ids from query
parameters, and friendly messages for errors from the data, audio and scoring layers. Every decision about who may see what is
made by the data layer (trainer.data.accounts, records, interviews); pages route every id
from a query parameter through it.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode, urlsplit

import streamlit as st
from streamlit.errors import StreamlitAPIException

from trainer.config import PROJECT_ROOT, get_settings
from trainer.data import AccessDenied, Actor, NotFound, Role, StorageUnavailable, accounts, web_sessions
from trainer.speech.audio import AudioError
from trainer.speech.tts import SpeechSynthesisError
from trainer.webapp.text import ROLE_NAMES, a_role, escape_markdown

ACTOR_KEY = "actor"
SSO_ERROR_KEY = "sso_error"
# The cookie that carries a browser's session token (set by trainer.webapp.server).
SESSION_COOKIE = "trainer_session"
# A one-time code the next run hands to /auth/session (the page itself cannot set a cookie).
HANDOFF_KEY = "sign_in_handoff"  # True until the next run has handed the code to the browser
GRANT_KEY = "sign_in_code"  # the code this tab signed in with: it follows that session
SIGN_OUT_KEY = "sign_out_pending"
PAGE_KEY = "current_page"  # the url path of the page this run shows (app.py sets it)
# Where each role lands after signing in.
START_PAGES = {
    Role.APPLICANT: "views/home.py",
    Role.COACH: "views/coach_queue.py",
    Role.RECRUITER: "views/recruiter_results.py",
    Role.ADMIN: "views/admin_users.py",
}
VIEWS = PROJECT_ROOT / "views"


# --------------------------------------------------------------------------- the acting user


def sso_providers() -> list[str | None]:
    """The OIDC providers configured in Streamlit's secrets (``[auth]`` with a client_id:
    the default provider, None; ``[auth.NAME]`` sections: named ones). None configured: []."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return []
    if not auth:
        return []
    named = [key for key, value in auth.items() if hasattr(value, "get") and value.get("client_id")]
    return ([None] if auth.get("client_id") else []) + named


def _sso_user() -> dict | None:
    if not sso_providers():
        return None
    try:
        if not st.user.get("is_logged_in"):
            return None
        return dict(st.user)
    except Exception:
        return None


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # no browser behind this run
        return None
    return value if isinstance(value, str) and value else None  # AppTest gives a stand-in


def current_actor() -> Actor | None:
    """The signed-in user, re-checked against the database on every run: a deactivated
    account, a password change or a sign-out in another tab signs out at once.

    In order: the tab that signed in follows the session its code was exchanged for (its
    websocket was opened before the cookie existed); a tab opened or refreshed since reads
    the cookie; an actor put in the session state otherwise (tests) is re-checked; with
    single sign-on, a user back from the identity provider is mapped to the account with
    their e-mail address."""
    code = st.session_state.get(GRANT_KEY)
    if code is not None:
        actor = web_sessions.grant_actor(code)
        return _keep(actor)
    token = _cookie_token()
    if token is not None:
        return _keep(web_sessions.session_actor(token))
    actor = st.session_state.get(ACTOR_KEY)
    if actor is not None:
        try:
            accounts.get_user(actor, actor.user_id)
            return actor
        except AccessDenied as error:
            st.session_state.pop(ACTOR_KEY, None)
            st.session_state[SSO_ERROR_KEY] = str(error)
            return None
    user = _sso_user()
    if user is not None and SSO_ERROR_KEY not in st.session_state:
        if user.get("email_verified") is False:
            st.session_state[SSO_ERROR_KEY] = "Your identity provider has not verified your e-mail address."
            return None
        try:
            actor = accounts.sso_actor(str(user.get("email") or ""))
        except AccessDenied as error:
            st.session_state[SSO_ERROR_KEY] = str(error)
            return None
        st.session_state[ACTOR_KEY] = actor
        return actor
    return None


def _keep(actor: Actor | None) -> Actor | None:
    """The actor a session gave, in the session state; nothing of a person whose session
    ended stays in the tab."""
    if actor is None:
        if st.session_state.get(ACTOR_KEY) is not None or GRANT_KEY in st.session_state:
            _clear_tab()
        return None
    previous = st.session_state.get(ACTOR_KEY)
    if previous is not None and previous.user_id != actor.user_id:
        _clear_tab()  # another person signed in in another tab of this browser
    st.session_state[ACTOR_KEY] = actor
    return actor


def _clear_tab() -> None:
    for key in list(st.session_state.keys()):
        if key != SIGN_OUT_KEY:
            del st.session_state[key]


def start_session(actor: Actor) -> None:
    """Sign ``actor`` in, in this tab at once and, through the cookie, in every tab and
    refresh of this browser (see ``persist_sign_in``). Nothing of a previous person stays."""
    _clear_tab()
    st.session_state[ACTOR_KEY] = actor
    code = web_sessions.grant_sign_in(actor)
    st.session_state[GRANT_KEY] = code
    st.session_state[HANDOFF_KEY] = True


def persist_sign_in() -> None:
    """app.py, every run: hand a fresh sign-in's code to /auth/session, which sets the
    session cookie, or ask it to drop the cookie after a sign-out. Streamlit pages cannot
    set cookies (they talk over a websocket); a same-origin request from the page can."""
    if st.session_state.pop(HANDOFF_KEY, False):
        _post_from_browser("/auth/session", {"code": st.session_state[GRANT_KEY]})
    if st.session_state.pop(SIGN_OUT_KEY, None):
        _post_from_browser("/auth/sign-out", {})


def _post_from_browser(path: str, form: dict[str, str]) -> None:
    script = (
        f"fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: {json.dumps(urlencode(form))}}});"
    )
    with st.sidebar:
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width="content")


def signed_in_actor() -> Actor | None:
    """The actor ``app.py`` checked with ``current_actor`` at the start of this run: pages
    read it here instead of asking the database again."""
    return st.session_state.get(ACTOR_KEY)


def here() -> str:
    """This page's address inside the app, with its query parameters (for ``?next=``)."""
    path = "/" + str(st.session_state.get(PAGE_KEY, "") or "")
    params = st.query_params.to_dict()
    return f"{path}?{urlencode(params)}" if params else path


def requested_page() -> tuple[str, dict[str, str]] | None:
    """The page and its query parameters that ``?next=`` asks for: ``/PAGE?a=1`` (this
    app's links) or ``PAGE&a=1`` (PDF reports before December 2026). Only pages of this
    app; never another site."""
    raw = str(st.query_params.get("next", "") or "")
    if raw.startswith("/"):
        parts = urlsplit(raw)
        if parts.scheme or parts.netloc:
            return None
        url_path, params = parts.path.strip("/"), dict(parse_qsl(parts.query))
    else:
        url_path = raw
        params = {k: v for k, v in st.query_params.to_dict().items() if k != "next"}
    if not url_path or not url_path.replace("_", "").isalnum() or not (VIEWS / f"{url_path}.py").is_file():
        return None
    return f"views/{url_path}.py", params


def go_on(actor: Actor) -> None:
    """After signing in: the page ``?next=`` asked for, else the role's start page."""
    target, params = requested_page() or (START_PAGES.get(actor.role, "views/home.py"), {})
    try:
        st.switch_page(target, query_params=params)
    except StreamlitAPIException:  # not a page of this role
        st.error(f"That page is not available to {a_role(actor.role)}.")


def send_to_sign_in() -> None:
    """Nobody is signed in on a page that needs someone: to the sign-in page, which sends
    them back here afterwards."""
    st.switch_page("views/sign_in.py", query_params={"next": here()})


def sign_out() -> None:
    """End this browser's session (every tab of it), drop its cookie, and start over."""
    web_sessions.end_grant(st.session_state.get(GRANT_KEY))
    web_sessions.end_session(_cookie_token())
    sso = _sso_user() is not None
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[SIGN_OUT_KEY] = True
    if sso:
        st.logout()
    # straight to a page that does not send the browser on again, so the run that drops
    # the cookie (persist_sign_in) reaches the browser
    st.switch_page("views/home.py" if get_settings().open_practice else "views/sign_in.py")


def account_sidebar(actor: Actor | None) -> None:
    """Who is signed in, and the sign-out button, in the sidebar."""
    if actor is None:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{escape_markdown(actor.name)}** ({ROLE_NAMES.get(actor.role, actor.role)})")
        if st.button("Sign out", key="sign-out"):
            sign_out()


def link_to_start() -> None:
    """Where someone signed out starts: the profile picker when open practice is on (a
    single-machine install), the sign-in page otherwise."""
    if get_settings().open_practice:
        st.page_link("views/profile.py", label="Choose or create your profile", icon="👤")
    else:
        st.page_link("views/sign_in.py", label="Sign in", icon="🔑")


# --------------------------------------------------------------------------- refusals


def require(*roles: Role) -> Actor:
    """A staff page: the actor if their role may use it; nobody signed in goes to sign in
    (and comes back); another role gets a friendly refusal (and a stop)."""
    actor = signed_in_actor()
    if actor is None:
        send_to_sign_in()
        st.stop()
    if actor.role not in roles:
        allowed = " or ".join(a_role(r) for r in roles)
        st.error(f"This page is for {allowed}. You are signed in as {a_role(actor.role)}.")
        st.stop()
    return actor


def require_actor() -> Actor:
    """An applicant's page: the signed-in actor; nobody: the profile picker (open
    practice) or the sign-in page, which comes back here."""
    actor = signed_in_actor()
    if actor is None:
        if not get_settings().open_practice:
            send_to_sign_in()
        st.info("Please choose your profile or sign in first.")
        link_to_start()
        st.stop()
    return actor


def refuse(error: Exception) -> None:
    """Show why something cannot be shown or done, and stop the page."""
    if isinstance(error, StorageUnavailable):
        st.error(f"The database cannot be reached: {escape_markdown(error)}")
    else:
        st.error(escape_markdown(error))  # data-layer messages can quote names people typed
    st.stop()


def id_param(name: str) -> int | None:
    """An id from the query string: None when absent; a refusal for anything but a number."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(str(raw))
    except ValueError:
        value = -1
    if value < 0:
        st.error(f"The link is broken: {escape_markdown(name)} must be a number.")
        st.stop()
    return value


def friendly_message(error: BaseException) -> str:
    """What to tell the user about an error from the audio, scoring or storage layers."""

    if isinstance(error, AudioError):
        return error.user_message
    if isinstance(error, AccessDenied):
        return str(error)
    if isinstance(error, StorageUnavailable):
        return (
            "Your answers cannot be saved right now: the database is not available. "
            "Please try again in a moment, or tell your administrator."
        )
    if isinstance(error, SpeechSynthesisError):
        return "The audio for this item cannot be played right now; the text is shown instead."
    if isinstance(error, ValueError):
        return str(error)
    return f"Something went wrong ({type(error).__name__}). Please try again."


def show_error(error: BaseException) -> None:
    """A friendly message for an error from the data, audio or scoring layers; a refusal
    because the account changed offers to sign in again."""
    st.error(friendly_message(error))
    if isinstance(error, AccessDenied) and not isinstance(error, NotFound) and "sign in again" in str(error):
        st.session_state.pop(ACTOR_KEY, None)
        link_to_start()
