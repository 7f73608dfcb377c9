"""Admin: cohorts (a training group: its applicants and the coaches who review them)."""

import streamlit as st

from trainer.data import AccessDenied, Role, accounts
from trainer.webapp.session import refuse, require
from trainer.webapp.text import ROLE_NAMES, escape_markdown, when


def main() -> None:
    actor = require(Role.ADMIN)
    st.title("Cohorts")
    try:
        cohorts = accounts.list_cohorts(actor)
        people = {u.id: u for u in accounts.list_users(actor, include_inactive=True)}
    except AccessDenied as error:
        refuse(error)
    st.dataframe(
        [
            {
                "id": c.id,
                "cohort": c.name,
                "description": c.description,
                "coaches": sum(1 for i in c.member_ids if i in people and people[i].role == Role.COACH),
                "applicants": sum(1 for i in c.member_ids if i in people and people[i].role == Role.APPLICANT),
                "created": when(c.created_at),
            }
            for c in cohorts
        ],
        hide_index=True,
        placeholder="",
    )

    with st.expander("New cohort", expanded=not cohorts):
        with st.form("new-cohort", clear_on_submit=True):
            name = st.text_input("Name")
            description = st.text_input("Description")
            if st.form_submit_button("Create cohort", type="primary"):
                try:
                    accounts.create_cohort(actor, name, description)
                except (ValueError, AccessDenied) as error:
                    st.error(escape_markdown(error))
                else:
                    st.rerun()
    if not cohorts:
        return

    # By id: a select box of objects hands back the one it kept from an earlier run, which
    # would show the members as they were before "Save members".
    by_id = {c.id: c for c in cohorts}
    cohort = by_id[st.selectbox("Cohort", list(by_id), format_func=lambda i: by_id[i].name)]
    st.subheader(f"Members of {escape_markdown(cohort.name)}")
    members = [people[i] for i in cohort.member_ids if i in people]
    st.dataframe(
        [{"name": u.name, "role": ROLE_NAMES[u.role], "login": u.login, "active": u.active} for u in members],
        hide_index=True,
        placeholder="",
    )
    candidates = [
        u
        for u in people.values()
        if u.active and u.role in (Role.APPLICANT, Role.COACH) and u.id not in cohort.member_ids
    ]
    joining = st.multiselect("Add people", candidates, format_func=lambda u: f"{u.name} ({ROLE_NAMES[u.role]})")
    leaving = st.multiselect("Remove people", members, format_func=lambda u: f"{u.name} ({ROLE_NAMES[u.role]})")
    if st.button("Save members", type="primary", disabled=not (joining or leaving)):
        try:
            for user in joining:
                accounts.add_member(actor, cohort.id, user.id)
            for user in leaving:
                accounts.remove_member(actor, cohort.id, user.id)
        except (ValueError, AccessDenied) as error:
            st.error(escape_markdown(error))
        else:
            st.rerun()


main()
