"""Recruiter: interview templates, an ordered list of tasks from the bank with preparation
and answer times and a pass bar (a CEFR level, minimum scores per dimension, or both)."""

import streamlit as st

from trainer.content import CEFR_LEVELS, DIMENSIONS, get_bank, task_type_name
from trainer.data import AccessDenied, Role, interviews
from trainer.data.interviews import TemplateItem
from trainer.webapp.session import refuse, require
from trainer.webapp.text import escape_markdown, when


def task_label(task) -> str:
    return f"{task_type_name(task.type)} · {task.level} · {task.display_title}"


def create_form(actor) -> None:
    tasks = {t.id: t for t in get_bank().tasks}
    name = st.text_input("Interview name", placeholder="e.g. Voice account screen, June")
    chosen = st.multiselect(
        "Tasks, in the order the candidate takes them", list(tasks), format_func=lambda i: task_label(tasks[i])
    )
    if chosen:
        st.caption("Times in seconds; they start as the task's own. Answers are at most 180 s (typed replies: any).")
        edited = st.data_editor(
            [
                {
                    "#": n + 1,
                    "task": task_label(tasks[i]),
                    "preparation": tasks[i].prep_seconds,
                    "answer": tasks[i].answer_seconds,
                }
                for n, i in enumerate(chosen)
            ],
            disabled=["#", "task"],
            hide_index=True,
            key="times-" + "-".join(chosen),
        )
    cols = st.columns([1, 3])
    level = cols[0].selectbox(
        "Pass level (overall)",
        [None, *CEFR_LEVELS],
        index=CEFR_LEVELS.index("B2") + 1,
        format_func=lambda lv: "none" if lv is None else f"{lv} or above",
    )
    with cols[1].expander("Minimum score per dimension (0-100; 0: none)"):
        minimums = {d: st.number_input(d.replace("_", " "), 0, 100, 0, key=f"min-{d}") for d in DIMENSIONS}
    if st.button("Create interview", type="primary", disabled=not chosen):
        items = [
            TemplateItem(i, prep_seconds=int(row["preparation"]), answer_seconds=int(row["answer"]))
            for i, row in zip(chosen, edited)
        ]
        try:
            template = interviews.create_template(
                actor, name, items, pass_level=level, pass_minimums={d: v for d, v in minimums.items() if v > 0}
            )
        except (ValueError, AccessDenied) as error:
            st.error(escape_markdown(error))
        else:
            st.success(
                f"Created “{escape_markdown(template.name)}” with {len(template.items)} tasks. Invite candidates on the "
                "Invitations page."
            )


def main() -> None:
    actor = require(Role.RECRUITER, Role.ADMIN)
    st.title("Interview templates")
    try:
        templates = interviews.list_templates(actor, include_archived=st.toggle("Show archived"))
    except AccessDenied as error:
        refuse(error)
    if templates:
        st.dataframe(
            [
                {
                    "id": t.id,
                    "interview": t.name,
                    "tasks": " → ".join(task_type_name(i.task_type) for i in t.items),
                    "minutes": round(sum(i.prep_seconds + i.answer_seconds for i in t.items) / 60, 1),
                    "pass bar": t.bar_text,
                    "archived": t.archived,
                    "created (UTC)": when(t.created_at),
                }
                for t in templates
            ],
            hide_index=True,
            placeholder="",
        )
        own = [
            t for t in templates if not t.archived and (t.created_by_id == actor.user_id or actor.role == Role.ADMIN)
        ]
        if own:
            cols = st.columns([3, 1])
            victim = cols[0].selectbox("Archive (no new invitations; results stay)", own, format_func=lambda t: t.name)
            if cols[1].button("Archive"):
                try:
                    interviews.archive_template(actor, victim.id)
                except AccessDenied as error:
                    st.error(escape_markdown(error))
                else:
                    st.rerun()
    st.subheader("New interview")
    create_form(actor)


main()
