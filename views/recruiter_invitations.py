"""Recruiter: invite candidates to an interview (a single-use access code, shown once, with
an expiry), follow their progress, withdraw a code."""

from datetime import timedelta

import streamlit as st

from trainer.config import get_settings
from trainer.data import AccessDenied, Role, interviews
from trainer.webapp.session import refuse, require
from trainer.webapp.text import escape_markdown, when

CONFIRM = "withdraw_confirm"  # session state: the invitation the recruiter is asked to confirm
STATUS = {
    "invited": "invited",
    "in_progress": "in progress",
    "finished": "finished",
    "expired": "expired",
    "revoked": "withdrawn",
}


def invite_form(actor, templates) -> None:
    with st.form("invite", clear_on_submit=True):
        template = st.selectbox("Interview", templates, format_func=lambda t: t.name)
        name = st.text_input("Candidate's name")
        email = st.text_input("Candidate's e-mail (optional)")
        days = st.number_input(
            "Valid for (days)", min_value=1, max_value=90, value=max(1, round(get_settings().invitation_valid_days))
        )
        submitted = st.form_submit_button("Create invitation", type="primary")
    if not submitted:
        return
    try:
        new = interviews.create_invitation(
            actor, template.id, name, candidate_email=email.strip() or None, valid_for=timedelta(days=int(days))
        )
    except (ValueError, AccessDenied) as error:
        st.error(escape_markdown(error))
        return
    st.success(
        f"Invitation for {escape_markdown(new.invitation.candidate_name)} created. Give the candidate this access code "
        f"now: it is shown only once. It works until {when(new.invitation.expires_at)} UTC."
    )
    st.code(new.code, language=None)
    st.caption(f"The candidate opens {get_settings().app_url.rstrip('/')}/interview and types the code.")


def main() -> None:
    actor = require(Role.RECRUITER, Role.ADMIN)
    st.title("Invitations")
    try:
        templates = interviews.list_templates(actor)
        invitations = interviews.list_invitations(actor)
    except AccessDenied as error:
        refuse(error)
    if templates:
        with st.expander("Invite a candidate", expanded=True):
            invite_form(actor, templates)
        invitations = interviews.list_invitations(actor)
    else:
        st.info("Make an interview template first (Interview templates page).")
    if not invitations:
        return
    st.subheader("Sent")
    st.dataframe(
        [
            {
                "candidate": i.candidate_name,
                "e-mail": i.candidate_email,
                "interview": i.template_name,
                "status": STATUS.get(i.status, i.status),
                "answered": f"{i.answered}/{i.total}",
                "invited (UTC)": when(i.created_at),
                "expires (UTC)": when(i.expires_at),
                "consent": when(i.consent_at),
            }
            for i in invitations
        ],
        hide_index=True,
    )
    open_ones = [i for i in invitations if i.status in ("invited", "in_progress")]
    if open_ones:
        withdraw(actor, open_ones)


def withdraw(actor, open_ones) -> None:
    """Withdraw one code: nothing is chosen beforehand, and the recruiter confirms."""
    cols = st.columns([3, 1])
    victim = cols[0].selectbox(
        "Withdraw a code (answers already recorded stay)",
        open_ones,
        index=None,
        placeholder="Choose an invitation",
        format_func=lambda i: f"{i.candidate_name} · {i.template_name}",
    )
    if victim is None:
        return
    if cols[1].button("Withdraw..."):
        st.session_state[CONFIRM] = victim.id
    if st.session_state.get(CONFIRM) != victim.id:
        return
    with st.container(border=True):
        st.warning(
            f"Withdraw the code of {escape_markdown(victim.candidate_name)} ({escape_markdown(victim.template_name)})? "
            "The code stops working at once and cannot be used again; answers already recorded stay."
        )
        yes, no = st.columns(2)
        if yes.button("Yes, withdraw the code", type="primary"):
            st.session_state.pop(CONFIRM, None)
            try:
                interviews.revoke_invitation(actor, victim.id)
            except AccessDenied as error:
                st.error(escape_markdown(error))
            else:
                st.rerun()
        if no.button("Cancel"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


main()
