"""Home: what the product does, where to start, and the applicant's current level."""

import streamlit as st

from trainer.content import TASK_TYPE_NAMES, get_bank
from trainer.data import records
from trainer.webapp.feedback import current_level
from trainer.webapp.session import link_to_start, show_error, signed_in_actor
from trainer.webapp.text import attempt_title, escape_markdown, status_of


def welcome(actor) -> None:
    st.subheader(f"Welcome, {escape_markdown(actor.name)}")
    try:
        levels = records.level_history(actor)
        recent = records.list_attempts(actor, kinds=["practice", "mock_call"], limit=20)
    except Exception as error:  # noqa: BLE001 - storage problems, said kindly
        show_error(error)
        return
    level = current_level(levels, get_bank())
    cols = st.columns([2, 1, 1])  # the level with its range needs room
    if level is None:
        cols[0].metric("Your level", "not yet known")
    else:
        cols[0].metric("Your level", level.text(), help=level.sentence())
    cols[1].metric("Answers scored", len(levels))
    cols[2].metric("Hiring bar", get_bank().levels.hiring_bar)
    answers = [a for a in recent if not (a.kind == "mock_call" and a.position is not None)][:3]
    if answers:
        st.markdown("**Your latest answers**")
        for summary in answers:
            st.page_link(
                "views/feedback.py",
                label=f"{attempt_title(summary, get_bank())} · {status_of(summary)}",
                query_params={"attempt": str(summary.id)},
                icon="📝",
            )


def where_to_start() -> None:
    st.subheader("Where to start")
    cols = st.columns(3)
    with cols[0]:
        st.markdown(
            "**1. Learn**  \nShort lessons on call-centre English, with examples to listen to and exercises to try."
        )
        st.page_link("views/lessons.py", label="Open the lessons", icon="📘")
    with cols[1]:
        st.markdown(
            "**2. Practise**  \nThe tasks of hiring tests: read aloud, repeat, build sentences, answer "
            "questions, retell, reply to a chat."
        )
        st.page_link("views/practice.py", label="Start practising", icon="🎙️")
    with cols[2]:
        st.markdown(
            "**3. Take a call**  \nA simulated customer speaks; you answer turn by turn, then get the "
            "full report of the call."
        )
        st.page_link("views/mock_call.py", label="Take a mock call", icon="📞")


def main() -> None:
    st.title("BPO English Trainer")
    st.write(
        "Practise the spoken English that call-centre hiring tests check: read aloud, repeat, "
        "answer questions and handle simulated customer calls. Each answer is scored for "
        "grammar, fluency, pronunciation, vocabulary, comprehension and call handling, with "
        "the evidence behind every score."
    )
    actor = signed_in_actor()
    if actor is None:
        st.info("Choose your profile or sign in to start: your answers and progress are saved under it.")
        link_to_start()
    elif str(actor.role) == "applicant":
        welcome(actor)
        where_to_start()
    counts = {
        label: len(get_bank().tasks_of_type(kind))
        for kind, label in TASK_TYPE_NAMES.items()
        if get_bank().tasks_of_type(kind)
    }
    with st.expander("What is in the task bank", expanded=actor is None):
        st.dataframe([{"task type": k, "tasks": v} for k, v in counts.items()], hide_index=True)
        st.caption(f"{len(get_bank().lessons)} lessons and {len(get_bank().scenarios)} simulated calls.")


main()
