"""Profile: pick your profile by name or create one (open practice: no password). Everything
you answer is saved under it; the choice lasts across refreshes, like a sign-in."""

import streamlit as st

from trainer.config import get_settings
from trainer.data import accounts
from trainer.webapp.session import link_to_start, show_error, sign_out, signed_in_actor, start_session
from trainer.webapp.text import escape_markdown


def start_as(actor) -> None:
    start_session(actor)  # nothing of the previous person's session stays; lasts across refreshes
    st.switch_page("views/home.py")


def main() -> None:
    st.title("Your profile")
    actor = signed_in_actor()
    if actor is not None:
        st.success(f"You are practising as **{escape_markdown(actor.name)}**.")
        if st.button("Switch profile" if get_settings().open_practice else "Sign out"):
            sign_out()
        return
    if not get_settings().open_practice:  # accounts only: nobody picks a profile by name
        st.info("Please sign in with the account an administrator gave you.")
        link_to_start()
        return
    st.write(
        "Pick your name to continue where you left off, or create a profile. Your answers, "
        "scores and progress are saved under it on this machine."
    )
    try:
        profiles = accounts.list_profiles()
    except Exception as error:  # noqa: BLE001 - a database that cannot be opened, said kindly
        show_error(error)
        return
    if profiles:
        with st.form("pick-profile"):
            chosen = st.selectbox("Your name", profiles, format_func=lambda p: p.name)
            if st.form_submit_button("Continue", type="primary"):
                try:
                    start_as(accounts.profile_actor(chosen.id))
                except Exception as error:  # noqa: BLE001
                    show_error(error)
    with st.form("new-profile"):
        st.markdown("**New here?**")
        name = st.text_input("Your name", key="new-profile-name", max_chars=80)
        if st.form_submit_button("Create my profile"):
            try:
                start_as(accounts.create_profile(name))
            except Exception as error:  # noqa: BLE001 - a taken or empty name: AccountError's message
                show_error(error)


main()
