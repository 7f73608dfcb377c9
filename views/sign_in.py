"""Sign in with a login and password (or single sign-on when an OIDC provider is set up in
Streamlit's secrets). A signed-in user goes on to the page ``?next=`` names (a link or a
bookmark that needed a sign-in), else to their role's start page; the sign-in lasts across
refreshes and tabs until sign-out (trainer.webapp.session)."""

import streamlit as st

from trainer.data import StorageUnavailable, accounts
from trainer.webapp.session import SSO_ERROR_KEY, go_on, sign_out, signed_in_actor, sso_providers, start_session
from trainer.webapp.text import escape_markdown


def main() -> None:
    st.title("Sign in")
    actor = signed_in_actor()
    if actor is not None:
        go_on(actor)
        if st.button("Sign out"):
            sign_out()
        return

    problem = st.session_state.get(SSO_ERROR_KEY)
    if problem:
        st.warning(escape_markdown(problem))
    with st.form("sign-in"):
        login = st.text_input("Login", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if not login.strip() or not password:
            st.error("Please enter your login and your password.")
        else:
            try:
                actor = accounts.sign_in(login, password)
            except accounts.SignInLocked as error:
                st.error(f"{escape_markdown(error)} If you have forgotten your password, ask an admin to reset it.")
            except accounts.SignInFailed as error:
                st.error(f"{escape_markdown(error)} Please check both and try again.")
            except StorageUnavailable as error:
                st.error(f"The database cannot be reached: {escape_markdown(error)}")
            else:
                start_session(actor)
                go_on(actor)
                st.rerun()

    providers = sso_providers()
    if providers:
        st.divider()
        for provider in providers:
            label = (
                "Sign in with single sign-on"
                if provider is None
                else f"Sign in with {escape_markdown(provider.title())}"
            )
            if st.button(label, key=f"sso-{provider}"):
                if problem:  # a failed mapping: leave the provider's session before trying again
                    sign_out()
                if provider is None:
                    st.login()
                else:
                    st.login(provider)
    st.caption("Taking an interview? Use the **Interview** page with the access code you were given.")


main()
