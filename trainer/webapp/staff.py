"""Streamlit helpers for the account, coach, recruiter, admin and interview pages: the
signed-in actor, refusals, ids from query parameters, escaping of user text, single
sign-on, and the attempt view. Display code only: every decision about who may see what is
made by the data layer (trainer.accounts, records, interviews), and pages route every id
from a query parameter through it.
"""

from __future__ import annotations

import html
import re
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

import streamlit as st

from trainer.data import accounts
from trainer.reports import evidence
from trainer.scoring import GrammarError
from trainer.data.access import AccessDenied, Actor
from trainer.data.storage import Role, StorageUnavailable

ACTOR_KEY = "actor"
SSO_ERROR_KEY = "sso_error"
ROLE_NAMES = {Role.APPLICANT: "applicant", Role.COACH: "coach", Role.RECRUITER: "recruiter", Role.ADMIN: "admin"}
# Pages the sign-in page may send a user on to (``?next=``): url paths, never a free URL.
NEXT_PAGES = {
    "recruiter_candidate": "views/recruiter_candidate.py",
    "recruiter_results": "views/recruiter_results.py",
    "coach_attempt": "views/coach_attempt.py",
    "coach_queue": "views/coach_queue.py",
}

# Every ASCII punctuation character can be backslash-escaped in CommonMark: escaped, user
# text cannot make links, images, HTML, LaTeX ($) or Streamlit's :color[...] directives.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """User text made safe to put inside st.markdown / labels / headers: shown as typed."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return escaped.replace("\r", "").replace("\n", "  \n")


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


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
        st.caption(f"Signed in as **{md(actor.name)}** ({ROLE_NAMES.get(actor.role, actor.role)})")
        if st.button("Sign out", key="sign-out"):
            sign_out()


def require(*roles: Role) -> Actor:
    """The actor if their role may use this page; a friendly refusal (and stop) otherwise."""
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        st.warning("Please sign in to see this page.")
        st.page_link("views/sign_in.py", label="Sign in", icon="🔑")
        st.stop()
    if actor.role not in roles:
        allowed = " or ".join(ROLE_NAMES[r] for r in roles)
        st.error(f"This page is for a {allowed}. You are signed in as a {ROLE_NAMES.get(actor.role, actor.role)}.")
        st.stop()
    return actor


def refuse(error: Exception) -> None:
    """Show why something cannot be shown or done, and stop the page."""
    if isinstance(error, StorageUnavailable):
        st.error(f"The database cannot be reached: {md(error)}")
    else:
        st.error(md(error))  # data-layer messages can quote names people typed
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
        st.error(f"The link is broken: {md(name)} must be a number.")
        st.stop()
    return value


# --------------------------------------------------------------------------- background scoring


@st.cache_resource
def _scoring_pool() -> ThreadPoolExecutor:
    # One answer at a time: the speech model and the grammar server are shared by every session.
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="interview-scoring")


def score_in_background(attempt_id: int) -> Future:
    """Score a saved answer without making the candidate wait. The attempt is already
    committed: if this process dies first, ``trainer rescore --unfinished`` scores it."""
    from trainer.data.records import score_attempt

    return _scoring_pool().submit(score_attempt, attempt_id)


# --------------------------------------------------------------------------- attempt display


def transcript_html(text: str, errors: list[GrammarError]) -> str:
    """The answer with grammar errors marked; every piece of text escaped (it is what the
    applicant said or typed). The message and suggestions show on hover."""
    parts = []
    for span in evidence.grammar_spans(text, errors):
        if span.error is None:
            parts.append(html.escape(span.text))
        else:
            tip = html.escape(evidence.grammar_error_text(span.error), quote=True)
            parts.append(f'<mark title="{tip}" style="background:#ffd8a8">{html.escape(span.text)}</mark>')
    return "<div style='line-height:1.7'>" + "".join(parts) + "</div>"


def show_answer(detail) -> None:
    """Recording, and the transcript (or typed reply) with grammar errors highlighted and
    listed below."""
    if detail.recording_path is not None:
        if detail.recording_path.is_file():
            st.audio(str(detail.recording_path))
        else:
            st.warning("The recording of this answer is missing from the storage folder.")
    report = detail.report
    text = detail.answer_text or (report.transcript.text if report is not None and report.transcript else "")
    if detail.reference_text:
        st.caption("Text to read")
        st.text(detail.reference_text)
    if not text:
        return
    errors = report.grammar_errors() if report is not None else []
    st.markdown("**Typed reply**" if detail.answer_text else "**What we heard**")
    st.markdown(transcript_html(text, errors), unsafe_allow_html=True)
    for error in errors:
        st.caption(md(evidence.grammar_error_text(error)))


def dimension_rows(detail) -> list[dict]:
    """One row per dimension: the machine's score and band, the band that counts, and who
    changed it why."""
    rows = []
    for name, d in detail.dimensions.items():
        rows.append({
            "dimension": name.replace("_", " "), "machine score": round(d.score, 1), "machine band": d.machine_band,
            "band": d.band, "label": d.label,
            "changed by": d.override.coach_name if d.override else "",
            "reason": d.override.reason if d.override else "",
        })
    return rows
