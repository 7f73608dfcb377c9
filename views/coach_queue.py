"""Coach: newly scored attempts of the applicants in my cohorts, oldest first, with filters."""

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from trainer.content import TASK_TYPE_NAMES, task_type_name
from trainer.data import AccessDenied, Role, accounts, records
from trainer.webapp.session import refuse, require
from trainer.webapp.text import when


def day_start(day) -> datetime:
    return datetime.combine(day, time.min, UTC)


def main() -> None:
    actor = require(Role.COACH, Role.ADMIN)
    st.title("Review queue")
    try:
        cohorts = accounts.list_cohorts(actor)
    except AccessDenied as error:
        refuse(error)
    if not cohorts and actor.role == Role.COACH:
        st.info("You are not in any cohort yet: an admin adds coaches and applicants to cohorts.")
        return
    cols = st.columns([2, 2, 2, 3])
    cohort = cols[0].selectbox(
        "Cohort", [None, *cohorts], format_func=lambda c: "all my cohorts" if c is None else c.name
    )
    task_type = cols[1].selectbox(
        "Task type", [None, *TASK_TYPE_NAMES], format_func=lambda t: "any" if t is None else TASK_TYPE_NAMES[t]
    )
    period = cols[2].date_input("Recorded between", value=(), help="Pick a first and a last day; empty: any time")
    low, high = cols[3].slider("Overall score", 0, 100, (0, 100))
    include_reviewed = st.checkbox("Show reviewed attempts too")
    since = until = None
    if isinstance(period, (tuple, list)) and len(period) >= 1:
        since = day_start(period[0])
        until = day_start(period[-1]) + timedelta(days=1)
    try:
        queue = records.review_queue(
            actor,
            cohort_id=cohort.id if cohort else None,
            task_type=task_type,
            since=since,
            until=until,
            min_score=low if low > 0 else None,
            max_score=high if high < 100 else None,
            include_reviewed=include_reviewed,
        )
    except AccessDenied as error:
        refuse(error)
    if not queue:
        st.success("Nothing to review with these filters.")
        return
    st.caption(f"{len(queue)} attempt(s), oldest first")
    st.dataframe(
        [
            {
                "attempt": a.id,
                "applicant": a.user_name,
                "task type": task_type_name(a.task_type),
                "task": a.task_id or "",
                "kind": a.kind.value.replace("_", " "),
                "overall": a.overall_score,
                "level": a.level,
                "recorded (UTC)": when(a.created_at),
                "reviewed": when(a.reviewed_at),
            }
            for a in queue
        ],
        hide_index=True,
        placeholder="",
    )
    chosen = st.selectbox(
        "Attempt to review",
        queue,
        format_func=lambda a: f"#{a.id} · {a.user_name} · {task_type_name(a.task_type)} · {a.overall_score:.0f}",
    )
    if st.button("Open attempt", type="primary"):
        st.switch_page("views/coach_attempt.py", query_params={"attempt": chosen.id})


main()
