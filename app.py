"""Streamlit entry point (served by server.py). Pages live in views/; they gather input and
show results, and everything they show comes from the trainer package.

One navigation, built from the signed-in actor (trainer.webapp.session.current_actor:
the session cookie or this tab's sign-in, re-checked against the database on every run):
each role sees its own page lists and lands on its start page. With nobody signed in: Home,
the sign-in page, the candidate's interview page (entered with an access code) and, when the
setting ``open_practice`` is on, the profile picker (an applicant picks or creates a profile
by name, no password). Every other page is there too, hidden, so a link or a bookmark opens
it: the page sends nobody to sign in and back, and refuses another role in plain words.
Hiding a page is a convenience, not the protection: the data layer refuses what a role may
not see.
"""

import streamlit as st

from trainer.config import get_settings
from trainer.webapp.session import PAGE_KEY, START_PAGES, account_sidebar, current_actor, persist_sign_in

st.set_page_config(page_title="BPO English Trainer", page_icon="🎧", layout="wide")

actor = current_actor()
role = str(actor.role) if actor is not None else None
open_practice = get_settings().open_practice

# (file, title, icon, url path)
APPLICANT = [
    ("views/home.py", "Home", "🏠", "home"),
    ("views/lessons.py", "Lessons", "📘", "lessons"),
    ("views/practice.py", "Practice", "🎙️", "practice"),
    ("views/mock_call.py", "Mock call", "📞", "mock_call"),
    ("views/feedback.py", "Feedback", "📝", "feedback"),
    ("views/progress.py", "Progress", "📈", "progress"),
    ("views/profile.py", "Profile", "👤", "profile"),
]
SIGN_IN = ("views/sign_in.py", "Sign in", "🔑", "sign_in")
INTERVIEW = ("views/interview.py", "Interview", "📝", "interview")
COACH = [
    ("views/coach_queue.py", "Review queue", "📥", "coach_queue"),
    ("views/coach_attempt.py", "Attempt", "🔎", "coach_attempt"),
    ("views/coach_calibration.py", "Calibration", "⚖️", "coach_calibration"),
]
RECRUITER = [
    ("views/recruiter_results.py", "Results", "🏆", "recruiter_results"),
    ("views/recruiter_invitations.py", "Invitations", "✉️", "recruiter_invitations"),
    ("views/recruiter_templates.py", "Interview templates", "🧩", "recruiter_templates"),
    ("views/recruiter_candidate.py", "Candidate", "🧑", "recruiter_candidate"),
]
ADMIN = [
    ("views/admin_users.py", "Users", "👥", "admin_users"),
    ("views/admin_cohorts.py", "Cohorts", "🗂️", "admin_cohorts"),
    ("views/admin_audit.py", "Audit log", "📜", "admin_audit"),
]
ALWAYS_HIDDEN = {"coach_attempt", "recruiter_candidate"}  # opened from a list, never from the menu


def page(spec, hidden: bool = False) -> st.Page:
    path, title, icon, url_path = spec
    hidden = hidden or url_path in ALWAYS_HIDDEN
    return st.Page(path, title=title, icon=icon, url_path=url_path, visibility="hidden" if hidden else "visible")


def front_door() -> None:
    """The app's address: on to the start page of whoever is here. Streamlit serves its
    default page only at "/" (its own address says "Page not found"), so no real page is
    the default: every page keeps an address that works in a link or a bookmark."""
    if actor is not None:
        st.switch_page(START_PAGES[actor.role])
    st.switch_page("views/home.py" if open_practice else "views/sign_in.py")


def section(specs, hidden: bool = False) -> list[st.Page]:
    return [page(spec, hidden) for spec in specs]


ROLE_SECTIONS = {
    "applicant": {"Practice": APPLICANT},
    "coach": {"Coach": COACH},
    "recruiter": {"Recruiter": RECRUITER},
    "admin": {"Admin": ADMIN, "Coach": COACH, "Recruiter": RECRUITER},
}
if actor is None:
    start = [page(APPLICANT[0])]
    if open_practice:
        start.append(page(("views/profile.py", "Choose your profile", "👤", "profile")))
    shown = {"Start": start, "Account": [page(SIGN_IN), page(INTERVIEW)]}
    hidden_specs = APPLICANT[1:-1] + ([] if open_practice else APPLICANT[-1:]) + COACH + RECRUITER + ADMIN
else:
    sections = ROLE_SECTIONS[str(actor.role)]
    shown = {name: section(specs) for name, specs in sections.items()}
    shown["Account"] = [page(SIGN_IN, hidden=True)]
    mine = {spec for specs in sections.values() for spec in specs}
    hidden_specs = [spec for spec in COACH + RECRUITER + ADMIN if spec not in mine] + [INTERVIEW]
# Pages of other roles and of signed-in users: reachable by their address, not in the menu.
shown["Account"] += section(hidden_specs, hidden=True)
shown["Account"].append(st.Page(front_door, title="Start", url_path="start", default=True, visibility="hidden"))
account_sidebar(actor)
persist_sign_in()

current = st.navigation(shown)
st.session_state[PAGE_KEY] = current.url_path
current.run()
