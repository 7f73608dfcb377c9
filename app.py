"""Streamlit entry point. Pages live in views/; they gather input and show results, and
everything they show comes from the trainer package.

The pages offered depend on who is signed in (``st.session_state["actor"]``, an
``access.Actor``): ``PAGES_BY_ROLE`` lists them per role, ``SIGNED_OUT`` for nobody. Hiding
a page is a convenience, not the protection: the data layer refuses what a role may not see.
"""

import streamlit as st

from trainer.ui import current_actor, escape_markdown

st.set_page_config(page_title="BPO English Trainer", page_icon="🎧", layout="wide")

HOME = st.Page("views/home.py", title="Home", icon="🏠", default=True)
LESSONS = st.Page("views/lessons.py", title="Lessons", icon="📘")
PRACTICE = st.Page("views/practice.py", title="Practice", icon="🎙️")
MOCK_CALL = st.Page("views/mock_call.py", title="Mock call", icon="📞")
FEEDBACK = st.Page("views/feedback.py", title="Feedback", icon="📝")
PROGRESS = st.Page("views/progress.py", title="Progress", icon="📈")
PROFILE = st.Page("views/profile.py", title="Profile", icon="👤")

# Nobody signed in: the start page and the profile picker (sign-in and the candidate's
# interview page join this list).
SIGNED_OUT = [HOME, PROFILE]
PAGES_BY_ROLE = {
    "applicant": [HOME, LESSONS, PRACTICE, MOCK_CALL, FEEDBACK, PROGRESS, PROFILE],
    "coach": [HOME, PROFILE],
    "recruiter": [HOME, PROFILE],
    "admin": [HOME, PROFILE],
}


def pages_for(actor) -> list:
    if actor is None:
        return SIGNED_OUT
    return PAGES_BY_ROLE.get(str(actor.role), SIGNED_OUT)


actor = current_actor()
if actor is not None:
    st.sidebar.caption(f"👤 {escape_markdown(actor.name)} ({actor.role})")
st.navigation(pages_for(actor)).run()
