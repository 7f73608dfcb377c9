"""Who is signed in, and what a page says when it cannot go on: the signed-in actor
(re-checked against the database on every run), single sign-on, signing out, the sidebar,
a page's refusal for a role or nobody, ids from query parameters, and friendly messages for
errors from the data, audio and scoring layers. Every decision about who may see what is
made by the data layer (trainer.data.accounts, records, interviews); pages route every id
from a query parameter through it.
"""

from __future__ import annotations

import streamlit as st

from trainer.config import get_settings
from trainer.data import AccessDenied, Actor, NotFound, Role, StorageUnavailable, accounts
from trainer.speech.audio import AudioError
from trainer.speech.tts import SpeechSynthesisError
from trainer.webapp.text import ROLE_NAMES, escape_markdown

ACTOR_KEY = "actor"
SSO_ERROR_KEY = "sso_error"
# Pages the sign-in page may send a user on to (``?next=``): url paths, never a free URL.
NEXT_PAGES = {
    "recruiter_candidate": "views/recruiter_candidate.py",
    "recruiter_results": "views/recruiter_results.py",
    "coach_attempt": "views/coach_attempt.py",
    "coach_queue": "views/coach_queue.py",
}


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


def current_actor() -> Actor | None:
    """The signed-in user, re-checked against the database on every run (a deactivated
    account or a changed role signs out at once). With single sign-on, a user back from the
    identity provider is mapped to the account with their e-mail address."""
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


def signed_in_actor() -> Actor | None:
    """The actor ``app.py`` checked with ``current_actor`` at the start of this run: pages
    read it here instead of asking the database again."""
    return st.session_state.get(ACTOR_KEY)


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if _sso_user() is not None:
        st.logout()
    st.rerun()


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
    """A staff page: the actor if their role may use it; a friendly refusal (and stop) otherwise."""
    actor = signed_in_actor()
    if actor is None:
        st.warning("Please sign in to see this page.")
        st.page_link("views/sign_in.py", label="Sign in", icon="🔑")
        st.stop()
    if actor.role not in roles:
        allowed = " or ".join(ROLE_NAMES[r] for r in roles)
        st.error(f"This page is for a {allowed}. You are signed in as a {ROLE_NAMES.get(actor.role, actor.role)}.")
        st.stop()
    return actor


def require_actor() -> Actor:
    """An applicant's page: the signed-in actor, or a pointer to the start page and a stop."""
    actor = signed_in_actor()
    if actor is None:
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
