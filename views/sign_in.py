"""Sign in with a login and password (or single sign-on when an OIDC provider is set up in
Streamlit's secrets). ``?next=PAGE&...`` sends a signed-in user on to that page with the
other query parameters (links in PDF reports); only pages in trainer.webapp.session.NEXT_PAGES."""

import streamlit as st
from streamlit.errors import StreamlitAPIException

from trainer.data import StorageUnavailable, accounts
from trainer.webapp.session import ACTOR_KEY, NEXT_PAGES, SSO_ERROR_KEY, sign_out, sso_providers
from trainer.webapp.text import ROLE_NAMES, escape_markdown


def forward(actor) -> None:
    """Go on to the page named by ``?next=`` if this role has it."""
    target = NEXT_PAGES.get(str(st.query_params.get("next", "")))
    if target is None:
        return
    params = {k: v for k, v in st.query_params.to_dict().items() if k != "next"}
    try:
        st.switch_page(target, query_params=params)
    except StreamlitAPIException:  # not a page of this role
        st.error(f"That page is not available to a {ROLE_NAMES.get(actor.role, actor.role)}.")


def main() -> None:
    st.title("Sign in")
    actor = st.session_state.get(ACTOR_KEY)
    if actor is not None:
        forward(actor)
        st.success(f"You are signed in as {escape_markdown(actor.name)} ({ROLE_NAMES.get(actor.role, actor.role)}).")
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
                st.session_state[ACTOR_KEY] = actor
                st.session_state.pop(SSO_ERROR_KEY, None)
                forward(actor)
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
