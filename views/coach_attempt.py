"""Coach: one attempt (``?attempt=ID``): the recording, the transcript with grammar errors
highlighted, the machine's scores with their evidence; change a dimension's band with a
reason, comment for the applicant, mark it reviewed. The id goes through the data layer,
which refuses attempts outside the coach's cohorts."""

import streamlit as st

from trainer.content import get_bank
from trainer.data import AccessDenied, AttemptKind, AttemptStatus, Role, records
from trainer.webapp.report_view import dimension_rows, show_answer, show_report
from trainer.webapp.session import id_param, refuse, require
from trainer.webapp.text import escape_markdown, when


def override_form(actor, detail) -> None:
    names = list(detail.dimensions)
    if not names:
        return
    with st.form(f"override-{detail.id}", clear_on_submit=True):
        st.markdown("**Change a band**")
        cols = st.columns([2, 3])
        dimension = cols[0].selectbox("Dimension", names, format_func=lambda n: n.replace("_", " "))
        bands = {b.band: b.label for b in get_bank().get_rubric(dimension).bands}
        band = cols[1].selectbox(
            "Band",
            sorted(bands),
            index=sorted(bands).index(detail.dimensions[dimension].band),
            format_func=lambda b: f"{b} · {bands[b]}",
        )
        reason = st.text_area("Reason (kept in the audit log)", max_chars=2000)
        if st.form_submit_button("Save band"):
            try:
                records.override_band(actor, detail.id, dimension, int(band), reason)
            except (ValueError, AccessDenied) as error:
                st.error(escape_markdown(error))
            else:
                st.success("Saved. The applicant now sees this band.")
                st.rerun()


def comments(actor, detail) -> None:
    st.subheader("Comments for the applicant")
    for comment in detail.comments:
        edited = f", edited {when(comment.updated_at)}" if comment.updated_at else ""
        with st.container(border=True):
            st.caption(f"{escape_markdown(comment.author_name)} · {when(comment.created_at)}{edited}")
            st.markdown(escape_markdown(comment.text))
            if comment.author_id == actor.user_id or actor.role == Role.ADMIN:
                with st.expander("Edit or delete"):
                    text = st.text_area("Comment", comment.text, key=f"edit-{comment.id}", max_chars=5000)
                    cols = st.columns(2)
                    try:
                        if cols[0].button("Save", key=f"save-{comment.id}"):
                            records.edit_comment(actor, comment.id, text)
                            st.rerun()
                        if cols[1].button("Delete", key=f"delete-{comment.id}"):
                            records.delete_comment(actor, comment.id)
                            st.rerun()
                    except (ValueError, AccessDenied) as error:
                        st.error(escape_markdown(error))
    with st.form(f"comment-{detail.id}", clear_on_submit=True):
        text = st.text_area("New comment (the applicant sees it with this attempt)", max_chars=5000)
        if st.form_submit_button("Add comment"):
            try:
                records.add_comment(actor, detail.id, text)
            except (ValueError, AccessDenied) as error:
                st.error(escape_markdown(error))
            else:
                st.rerun()


def main() -> None:
    actor = require(Role.COACH, Role.ADMIN)
    st.page_link("views/coach_queue.py", label="Back to the review queue", icon="⬅️")
    attempt_id = id_param("attempt")
    if attempt_id is None:
        st.info("Pick an attempt in the review queue.")
        return
    try:
        detail = records.get_attempt(actor, attempt_id)
    except AccessDenied as error:
        refuse(error)
    summary = detail.summary
    if summary.kind == AttemptKind.INTERVIEW:
        refuse(AccessDenied("Interview answers are assessed by the recruiter, not reviewed by coaches."))
    task = next((t for t in get_bank().tasks if t.id == summary.task_id), None)
    st.title(f"Attempt {summary.id}")
    st.markdown(
        f"**{escape_markdown(summary.user_name)}** · {escape_markdown(summary.task_type.replace('_', ' '))} · "
        f"{escape_markdown(summary.task_id or 'free answer')} · recorded {when(summary.created_at)} UTC"
    )
    if task is not None:
        st.caption(escape_markdown(task.instructions))
    if summary.reviewed_at:
        st.caption(f"Reviewed {when(summary.reviewed_at)} UTC")
    show_answer(detail)
    if summary.status != AttemptStatus.SCORED:
        st.warning(f"This attempt is {summary.status.value}: {summary.status_reason or 'no scores yet'}.")
        return

    st.subheader("Bands")
    st.dataframe(dimension_rows(detail), hide_index=True)
    override_form(actor, detail)
    with st.expander("The machine's report, with the evidence behind each score"):
        show_report(detail.report)
    comments(actor, detail)
    st.divider()
    if st.button("Mark reviewed", type="primary", disabled=summary.reviewed_at is not None):
        try:
            records.mark_reviewed(actor, detail.id)
        except AccessDenied as error:
            st.error(escape_markdown(error))
        else:
            st.switch_page("views/coach_queue.py")


main()
