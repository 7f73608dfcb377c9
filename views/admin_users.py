"""Admin: every account; create coaches, recruiters, admins and applicants; change a name,
role or e-mail; deactivate; set a new password."""

import streamlit as st

from trainer.data import AccessDenied, Role, accounts
from trainer.webapp.session import refuse, require
from trainer.webapp.text import ROLE_NAMES, escape_markdown, when

ROLES = [Role.COACH, Role.RECRUITER, Role.APPLICANT, Role.ADMIN]


def label(user) -> str:
    state = "" if user.active else ", inactive"
    return f"{user.name} ({ROLE_NAMES[user.role]}, {user.login or 'no login'}{state})"


def create_form(actor) -> None:
    cohorts = accounts.list_cohorts(actor)
    with st.form("create-user", clear_on_submit=True):
        name = st.text_input("Name")
        role = st.selectbox("Role", ROLES, format_func=ROLE_NAMES.get)
        login = st.text_input("Login", help="Letters, digits and . _ @ + -; staff sign in with it.")
        password = st.text_input(
            "First password",
            type="password",
            help="At least 8 characters. Applicants may have none (then no login either).",
        )
        email = st.text_input("E-mail (optional; used for single sign-on)")
        cohort = st.selectbox(
            "Cohort (applicants and coaches)", [None, *cohorts], format_func=lambda c: "none" if c is None else c.name
        )
        submitted = st.form_submit_button("Create account", type="primary")
    if submitted:
        try:
            user = accounts.create_user(
                actor, name, role, login=login.strip() or None, password=password or None, email=email.strip() or None
            )
            if cohort is not None and role in (Role.APPLICANT, Role.COACH):
                accounts.add_member(actor, cohort.id, user.id)
        except (ValueError, AccessDenied) as error:
            st.error(escape_markdown(error))
        else:
            st.success(f"Created the {ROLE_NAMES[user.role]} account “{escape_markdown(user.login or user.name)}”.")


def edit_form(actor, users) -> None:
    if not users:
        return
    user = st.selectbox("Account", users, format_func=label, key="edit-user")
    with st.form(f"edit-{user.id}"):
        name = st.text_input("Name", user.name)
        role = st.selectbox("Role", ROLES, index=ROLES.index(user.role), format_func=ROLE_NAMES.get)
        email = st.text_input("E-mail", user.email or "")
        active = st.checkbox("Active (may sign in)", user.active)
        saved = st.form_submit_button("Save changes")
    if saved:
        try:
            accounts.update_user(actor, user.id, name=name, role=role, email=email.strip(), active=active)
        except (ValueError, AccessDenied) as error:
            st.error(escape_markdown(error))
        else:
            st.success("Saved.")
            st.rerun()
    with st.form(f"password-{user.id}", clear_on_submit=True):
        login = "" if user.login else st.text_input("Login (this account has none yet)")
        password = st.text_input("New password", type="password")
        reset = st.form_submit_button("Set password")
    if reset:
        try:
            accounts.set_password(actor, user.id, password, login=login.strip() or None)
        except (ValueError, AccessDenied) as error:
            st.error(escape_markdown(error))
        else:
            st.success("The new password is set. Give it to the person in a safe way.")


def main() -> None:
    actor = require(Role.ADMIN)
    st.title("Users")
    try:
        users = accounts.list_users(actor, include_inactive=True)
        listing, create, edit = st.tabs(["All users", "Create an account", "Change an account"])
        with listing:
            st.dataframe(
                [
                    {
                        "id": u.id,
                        "name": u.name,
                        "role": ROLE_NAMES[u.role],
                        "login": u.login,
                        "e-mail": u.email,
                        "active": u.active,
                        "origin": u.origin.value,
                        "created": when(u.created_at),
                    }
                    for u in users
                ],
                hide_index=True,
                placeholder="",
            )
        with create:
            create_form(actor)
        with edit:
            edit_form(actor, users)
    except AccessDenied as error:
        refuse(error)


main()
