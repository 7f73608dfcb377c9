"""Streamlit entry point. Pages live in views/; they gather input and show results, and
everything they show comes from the trainer package.

The navigation is built from the signed-in actor (``st.session_state["actor"]``, an
``access.Actor``): each role has its own page lists. With nobody signed in: the open
practice pages (setting ``open_practice``), the sign-in page and the candidate's interview
page (entered with an access code).
"""

import streamlit as st

from trainer.config import get_settings
from trainer.ui_staff import account_sidebar, current_actor

st.set_page_config(page_title="BPO English Trainer", page_icon="🎧", layout="wide")

actor = current_actor()
role = actor.role if actor is not None else None


def page(path: str, title: str, icon: str, default_for=(), **options) -> st.Page:
    return st.Page(path, title=title, icon=icon, default=role in default_for, **options)


applicant_pages = [
    st.Page("views/home.py", title="Home", icon="🏠", default=role in (None, "applicant")
            and (actor is not None or get_settings().open_practice)),
    st.Page("views/practice.py", title="Practice", icon="🎙️"),
]

# -- issue 6: accounts, coaches, recruiters, admins, the candidate's interview -------------
sign_in = page("views/sign_in.py", "Sign in", "🔑", url_path="sign_in",
               default_for=() if get_settings().open_practice else (None,),
               visibility="hidden" if actor is not None else "visible")
interview = page("views/interview.py", "Interview", "📝", url_path="interview")
coach_pages = [
    page("views/coach_queue.py", "Review queue", "📥", ("coach",), url_path="coach_queue"),
    page("views/coach_attempt.py", "Attempt", "🔎", url_path="coach_attempt", visibility="hidden"),
    page("views/coach_calibration.py", "Calibration", "⚖️", url_path="coach_calibration"),
]
recruiter_pages = [
    page("views/recruiter_results.py", "Results", "🏆", ("recruiter",), url_path="recruiter_results"),
    page("views/recruiter_invitations.py", "Invitations", "✉️", url_path="recruiter_invitations"),
    page("views/recruiter_templates.py", "Interview templates", "🧩", url_path="recruiter_templates"),
    page("views/recruiter_candidate.py", "Candidate", "🧑", url_path="recruiter_candidate", visibility="hidden"),
]
admin_pages = [
    page("views/admin_users.py", "Users", "👥", ("admin",), url_path="admin_users"),
    page("views/admin_cohorts.py", "Cohorts", "🗂️", url_path="admin_cohorts"),
    page("views/admin_audit.py", "Audit log", "📜", url_path="admin_audit"),
]
ROLE_PAGES = {
    "applicant": {"Practice": applicant_pages},
    "coach": {"Coach": coach_pages},
    "recruiter": {"Recruiter": recruiter_pages},
    "admin": {"Admin": admin_pages, "Coach": coach_pages, "Recruiter": recruiter_pages},
}
if actor is None:
    pages = {"Practice": applicant_pages} if get_settings().open_practice else {}
    pages["Account"] = [sign_in, interview]
else:
    pages = {**ROLE_PAGES[role], "Account": [sign_in]}
account_sidebar(actor)
# -----------------------------------------------------------------------------------------

st.navigation(pages).run()
