"""Coach: one attempt (``?attempt=ID``): the recording, the transcript with grammar errors
highlighted, the machine's scores with their evidence; change a dimension's band with a
reason, comment for the applicant, mark it reviewed. The id goes through the data layer,
which refuses attempts outside the coach's cohorts."""

import streamlit as st

from trainer.content import get_bank
from trainer.data import AccessDenied, AttemptKind, AttemptStatus, Role, records
from trainer.webapp.report_view import dimension_rows, show_answer, show_report
from trainer.webapp.session import id_param, refuse, require
from trainer.webapp.text import dimension_title, escape_markdown, when


def _saved_key(detail) -> str:
    return f"override-saved-{detail.id}"


def override_form(actor, detail) -> None:
    """Change one dimension's band, with a reason. The dimension is chosen outside the form,
    so the page reruns when it changes and the band list below is that dimension's own
    (its form and widgets are keyed by it): a band picked for one dimension can never be
    saved for another. After saving, the message is read back from what was stored."""
    names = list(detail.dimensions)
    if not names:
        return
    st.markdown("**Change a band**")
    saved_id = st.session_state.pop(_saved_key(detail), None)
    stored = next((o for o in detail.overrides if o.id == saved_id), None)
    if stored is not None:
        counts = detail.dimensions.get(stored.dimension)
        if counts is not None and counts.band == stored.coach_band:
            st.success(
                f"Saved: {dimension_title(stored.dimension)} band {counts.band} ({escape_markdown(counts.label)}). "
                "The applicant now sees this band."
            )
        else:
            st.error("The band was saved but another change came after it: see the table above.")
    dimension = st.selectbox(
        "Dimension", names, format_func=lambda n: n.replace("_", " "), key=f"override-dimension-{detail.id}"
    )
    current = detail.dimensions[dimension]
    bands = {b.band: b.label for b in get_bank().get_rubric(dimension).bands}
    options = sorted(bands)
    st.caption(
        f"The machine gave {dimension.replace('_', ' ')} band {current.machine_band}; "
        f"the band that counts now is {current.band} ({escape_markdown(current.label)})."
    )
    # keyed by the dimension and by the number of saved changes: after a save the form
    # starts again from the band that now counts
    version = f"{detail.id}-{dimension}-{len(detail.overrides)}"
    with st.form(f"override-{version}", clear_on_submit=True):
        band = st.selectbox(
            "Band",
            options,
            index=options.index(current.band) if current.band in options else 0,
            format_func=lambda b: f"{b} · {bands[b]}",
            key=f"override-band-{version}",
        )
        reason = st.text_area("Reason (kept in the audit log)", max_chars=2000, key=f"override-reason-{version}")
        if st.form_submit_button("Save band"):
            try:
                override = records.override_band(actor, detail.id, dimension, int(band), reason)
            except (ValueError, AccessDenied) as error:
                st.error(escape_markdown(error))
            else:
                st.session_state[_saved_key(detail)] = override.id
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
    st.dataframe(dimension_rows(detail), hide_index=True, placeholder="")
    override_form(actor, detail)
    with st.expander("The machine's report, with the evidence behind each score"):
        show_report(detail.report, transcript=False)  # the answer and its grammar errors are above
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
