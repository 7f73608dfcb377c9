"""Recruiter: the candidates of an interview ranked by overall score, with per-dimension
scores, level and pass/fail against the interview's bar; the list as CSV; each candidate's
report (and PDF) one click away."""

import streamlit as st

from trainer.data import AccessDenied, Role, interviews
from trainer.webapp.session import refuse, require


def main() -> None:
    actor = require(Role.RECRUITER, Role.ADMIN)
    st.title("Results")
    try:
        templates = interviews.list_templates(actor, include_archived=True)
    except AccessDenied as error:
        refuse(error)
    if not templates:
        st.info("No interviews yet: make one on the Interview templates page.")
        return
    template = st.selectbox(
        "Interview", templates, format_func=lambda t: t.name + (" (archived)" if t.archived else "")
    )
    try:
        results = interviews.interview_results(actor, template.id)
        table = interviews.results_csv(actor, template.id)
    except AccessDenied as error:
        refuse(error)
    if not results:
        st.info("Nobody has been invited to this interview yet.")
        return
    if template.has_bar:
        st.caption(f"Pass bar: {template.bar_text}.")
    else:
        st.caption("This interview sets no pass bar: finished candidates read “no bar set”, ranked by overall score.")
    dimensions = sorted(
        {d for r in results for d in r.dimensions},
        key=lambda d: list(results[0].dimensions).index(d) if d in results[0].dimensions else 99,
    )
    ranked = [r for r in results if r.rank is not None]
    withdrawn = [r for r in results if r.rank is None]
    st.dataframe(
        [
            {
                "rank": r.rank,
                "candidate": r.candidate_name,
                "status": r.status.replace("_", " "),
                "answered": f"{r.answered}/{r.total}",
                "overall": r.overall_score,
                "level": r.level_estimate.text() if r.level_estimate else None,
                "result": r.verdict,
                **{d.replace("_", " "): r.dimensions.get(d) for d in dimensions},
            }
            for r in ranked
        ],
        hide_index=True,
        placeholder="",
    )
    if withdrawn:
        st.caption("Withdrawn invitations (not ranked; answers already recorded stay)")
        st.dataframe(
            [{"candidate": r.candidate_name, "answered": f"{r.answered}/{r.total}"} for r in withdrawn],
            hide_index=True,
            placeholder="",
        )
    st.download_button(
        "Download the list (CSV)", table, file_name=f"interview-{template.id}-results.csv", mime="text/csv"
    )
    chosen = st.selectbox("Candidate", results, format_func=lambda r: f"{r.candidate_name} · {r.verdict}")
    if st.button("Open the candidate's report", type="primary"):
        st.switch_page("views/recruiter_candidate.py", query_params={"invitation": chosen.invitation_id})


main()
