"""Streamlit entry point. Pages live in views/; they gather input and show results, and
everything they show comes from the trainer package.

One navigation, built from the signed-in actor (``st.session_state["actor"]``, an
``access.Actor``, re-checked against the database on every run): each role has its own
page lists. With nobody signed in: Home, the sign-in page, the candidate's interview page
(entered with an access code) and, when the setting ``open_practice`` is on, the profile
picker (an applicant picks or creates a profile by name, no password). Hiding a page is a
convenience, not the protection: the data layer refuses what a role may not see.
"""

import streamlit as st

from trainer.config import get_settings
from trainer.webapp.session import account_sidebar, current_actor

st.set_page_config(page_title="BPO English Trainer", page_icon="🎧", layout="wide")

actor = current_actor()
role = str(actor.role) if actor is not None else None
open_practice = get_settings().open_practice


def page(path: str, title: str, icon: str, default_for=(), **options) -> st.Page:
    return st.Page(path, title=title, icon=icon, default=role in default_for, **options)


# -- issue 5: the applicant's pages ---------------------------------------------------------
home = page("views/home.py", "Home", "🏠", ("applicant",) + ((None,) if open_practice else ()), url_path="home")
applicant_pages = [
    home,
    page("views/lessons.py", "Lessons", "📘", url_path="lessons"),
    page("views/practice.py", "Practice", "🎙️", url_path="practice"),
    page("views/mock_call.py", "Mock call", "📞", url_path="mock_call"),
    page("views/feedback.py", "Feedback", "📝", url_path="feedback"),
    page("views/progress.py", "Progress", "📈", url_path="progress"),
    page("views/profile.py", "Profile", "👤", url_path="profile"),
]
profile_picker = page("views/profile.py", "Choose your profile", "👤", url_path="profile")

# -- issue 6: accounts, coaches, recruiters, admins, the candidate's interview -------------
sign_in = page(
    "views/sign_in.py",
    "Sign in",
    "🔑",
    url_path="sign_in",
    default_for=() if open_practice else (None,),
    visibility="hidden" if actor is not None else "visible",
)
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
    pages = {"Start": [home, profile_picker] if open_practice else [home]}
    pages["Account"] = [sign_in, interview]
else:
    pages = {**ROLE_PAGES[role], "Account": [sign_in]}
account_sidebar(actor)
# -----------------------------------------------------------------------------------------

st.navigation(pages).run()
