"""Recruiter: one candidate's interview (``?invitation=ID``, optionally ``&attempt=ID`` to
open one answer): scores, level, pass/fail, each answer with its recording, transcript and
evidence; the report as PDF. Ids go through the data layer, which refuses other
recruiters' candidates."""

import streamlit as st

from trainer.content import task_type_name
from trainer.data import AccessDenied, Role, records
from trainer.reports.candidate import candidate_report, render_pdf
from trainer.webapp.report_view import show_answer
from trainer.webapp.session import id_param, refuse, require
from trainer.webapp.text import escape_markdown, when


def main() -> None:
    actor = require(Role.RECRUITER, Role.ADMIN)
    st.page_link("views/recruiter_results.py", label="Back to the results", icon="⬅️")
    invitation_id = id_param("invitation")
    if invitation_id is None:
        st.info("Pick a candidate on the Results page.")
        return
    wanted = id_param("attempt")
    try:
        report = candidate_report(actor, invitation_id)
        if wanted is not None and records.get_attempt(actor, wanted).summary.invitation_id != invitation_id:
            raise AccessDenied("This answer is not part of this interview.")
    except AccessDenied as error:
        refuse(error)
    result, invitation = report.result, report.invitation
    st.title(escape_markdown(result.candidate_name))
    st.caption(
        f"{escape_markdown(report.template.name)} · invited {when(invitation.created_at)} UTC · "
        f"status {invitation.status.replace('_', ' ')} · answered {result.answered} of {result.total}"
    )
    cols = st.columns([1, 2, 1])  # the level with its range needs room
    cols[0].metric("Overall", "-" if result.overall_score is None else f"{result.overall_score:.0f}/100")
    estimate = result.level_estimate
    cols[1].metric("Level", estimate.text() if estimate else "-", help=estimate.sentence() if estimate else None)
    cols[2].metric("Result", report.verdict.lower())
    if estimate is not None:
        st.caption(escape_markdown(estimate.sentence()))
    st.caption(f"Pass bar: {escape_markdown(report.bar)}")
    if result.dimensions:
        st.dataframe(
            [
                {"dimension": d.replace("_", " "), "score": v, "minimum": report.template.pass_minimums.get(d)}
                for d, v in result.dimensions.items()
            ],
            hide_index=True,
            placeholder="",
        )
    st.download_button(
        "Download the report (PDF)",
        render_pdf(report),
        mime="application/pdf",
        file_name=f"candidate-{invitation.id}-report.pdf",
        type="primary",
    )

    st.subheader("Answers")
    for item in report.items:
        title = f"{item.position + 1}. {task_type_name(item.task_type)}: {item.task_title}"
        score = "" if item.overall_score is None else f" · {item.overall_score:.0f}/100 ({item.level})"
        with st.expander(
            escape_markdown(title) + score, expanded=item.attempt_id is not None and item.attempt_id == wanted
        ):
            if item.attempt_id is None:
                st.write("Not answered yet.")
                continue
            if item.note:
                st.warning(item.note)
            show_answer(records.get_attempt(actor, item.attempt_id))  # with its grammar errors, listed once
            for line in item.dimensions:
                st.markdown(f"**{escape_markdown(line.text())}**")
                for text in item.highlights.get(line.name, []):
                    st.caption(escape_markdown(text))


main()
