"""Feedback: one saved answer (``?attempt=ID``), always loaded through the data layer so
that access rules apply: scores with their evidence, the coach's bands and comments,
transcript, fluency timeline, the caller's facts, comparison and the lesson to take next."""

import streamlit as st

from trainer.content import get_bank
from trainer.data import AttemptStatus, records
from trainer.webapp.feedback import show_feedback
from trainer.webapp.recording import show_task, submit_for_scoring, wait_for_report
from trainer.webapp.session import require_actor, show_error
from trainer.webapp.text import attempt_title, status_of

TRAINING_KINDS = ["practice", "mock_call"]


def pick_attempt(actor) -> int | None:
    """Without ``?attempt=``: choose one of your answers (mock-call turns are parts of a
    call, shown with the call)."""
    answers = [
        a
        for a in records.list_attempts(actor, kinds=TRAINING_KINDS, limit=200)
        if not (a.kind == "mock_call" and a.position is not None)
    ]
    if not answers:
        st.info("You have no saved answers yet.")
        st.page_link("views/practice.py", label="Practise a task", icon="🎙️")
        return None
    chosen = st.selectbox("Answer", answers, format_func=lambda a: f"{attempt_title(a, get_bank())} · {status_of(a)}")
    return chosen.id


def earlier_attempts(actor, summary):
    """Earlier scored answers to the same task, else to the same task type (newest first),
    and whether they are of the same task."""

    def before(attempts):
        return [
            a
            for a in attempts
            if a.id != summary.id
            and a.created_at <= summary.created_at
            and not (a.kind == "mock_call" and a.position is not None)
        ]

    if summary.task_id:
        same = before(
            records.list_attempts(
                actor, user_id=summary.user_id, task_id=summary.task_id, statuses=["scored"], limit=20
            )
        )
        if same:
            return same, True
    return before(
        records.list_attempts(
            actor, user_id=summary.user_id, task_type=summary.task_type, statuses=["scored"], limit=20
        )
    ), False


def main() -> None:
    actor = require_actor()
    st.title("Feedback")
    raw = st.query_params.get("attempt")
    if raw is None:
        try:
            attempt_id = pick_attempt(actor)
        except Exception as error:  # noqa: BLE001
            show_error(error)
            return
        if attempt_id is None:
            return
    else:
        try:
            attempt_id = int(raw)
        except ValueError:
            st.error("This link does not point to an answer. Pick one from your answers on the Feedback page.")
            return
    try:
        detail = records.get_attempt(actor, attempt_id)
    except Exception as error:  # noqa: BLE001 - AccessDenied / NotFound: a friendly refusal
        show_error(error)
        return
    summary = detail.summary
    st.subheader(attempt_title(summary, get_bank()))
    if summary.task_id:
        with st.expander("The task"):
            try:
                show_task(get_bank().get_task(summary.task_id))
            except KeyError:
                st.caption("This task is no longer in the task bank.")
    elif detail.reference_text:
        with st.expander("The text you read"):
            st.write(detail.reference_text)
    state = records.queue_state(summary.id)
    if state.status == AttemptStatus.SCORING or state.place is not None:
        wait_for_report(summary.id)
        return
    if summary.status in (AttemptStatus.RECORDED, AttemptStatus.FAILED) and summary.user_id == actor.user_id:
        if st.button("Score it now", type="primary"):
            outcome = submit_for_scoring(summary.id, spoken=detail.answer_text is None)
            if outcome is None or outcome.status == AttemptStatus.SCORED:
                st.rerun()
    try:
        earlier, same_task = earlier_attempts(actor, summary)
        points = records.dimension_history(actor, summary.user_id)
    except Exception as error:  # noqa: BLE001
        show_error(error)
        earlier, same_task, points = [], True, []
    show_feedback(detail, earlier=earlier, points=points, same_task=same_task)


main()
