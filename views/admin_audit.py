"""Admin: the audit log (who changed what, when, before and after), newest first."""

import json
from datetime import UTC, datetime, time

import streamlit as st

from trainer.data import AccessDenied, Role, records
from trainer.webapp.session import refuse, require
from trainer.webapp.text import when

OBJECT_TYPES = ["attempt", "comment", "user", "cohort", "interview_template", "invitation"]


def main() -> None:
    actor = require(Role.ADMIN)
    st.title("Audit log")
    cols = st.columns(4)
    object_type = cols[0].selectbox("Object", [None, *OBJECT_TYPES], format_func=lambda t: t or "any")
    object_id = cols[1].number_input("Object id", min_value=0, value=0, help="0: any")
    action = cols[2].text_input("Action", placeholder="e.g. attempt.override")
    since = cols[3].date_input("Since", value=None)
    try:
        entries = records.audit_log(
            actor,
            object_type=object_type,
            object_id=int(object_id) or None,
            action=action.strip() or None,
            since=datetime.combine(since, time.min, UTC) if since else None,
        )
    except AccessDenied as error:
        refuse(error)
    st.caption(f"{len(entries)} entries (at most 500 shown)")
    st.dataframe(
        [
            {
                "when (UTC)": when(e.at),
                "who": e.actor_name or ("system" if e.actor_id is None else e.actor_id),
                "action": e.action,
                "object": e.object_type,
                "id": e.object_id,
                "before": json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
                "after": json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
            }
            for e in entries
        ],
        hide_index=True,
        placeholder="",
    )


main()
