"""Practice: any task from the bank, answered by voice (recorded or uploaded) or, for chat
replies, typed; saved and queued for scoring, then followed on the Feedback page."""

import streamlit as st

from trainer.content import TASK_TYPE_NAMES, get_bank
from trainer.data import AttemptStatus, answer_limit, records
from trainer.webapp.recording import countdown, show_task, submit_for_scoring, upload_recording
from trainer.webapp.session import require_actor, show_error
from trainer.webapp.text import task_label


def submit(actor, task, *, recording=None, text=None) -> None:
    """Save the answer (before anything else can go wrong), score it, open its feedback."""
    try:
        attempt_id = records.save_attempt(actor, task.id, recording=recording, text=text)
    except Exception as error:  # noqa: BLE001 - AudioError (too long...), ValueError (too many words...), storage: said kindly
        show_error(error)
        return
    outcome = submit_for_scoring(attempt_id, spoken=recording is not None)
    if outcome is None or outcome.status == AttemptStatus.SCORED:  # queued: Feedback shows its progress
        st.switch_page("views/feedback.py", query_params={"attempt": str(attempt_id)})
    st.page_link("views/feedback.py", label="See this answer", icon="📝", query_params={"attempt": str(attempt_id)})


def typed_reply(actor, task) -> None:
    with st.form(f"chat-{task.id}"):
        reply = st.text_area("Your reply", height=200, key=f"reply-{task.id}")
        send = st.form_submit_button("Send my reply", type="primary")
    if send:
        submit(actor, task, text=reply)  # the data layer refuses a reply over the task's words


def spoken_answer(actor, task) -> None:
    recording = st.audio_input("Record your answer", sample_rate=16000, key=f"rec-{task.id}")
    upload = upload_recording("...or upload a recording", key=f"up-{task.id}")
    source = recording or upload
    if source is not None and st.button("Score my answer", type="primary"):
        submit(actor, task, recording=source)


def main() -> None:
    actor = require_actor()
    st.title("Practice")
    types = [t for t in TASK_TYPE_NAMES if get_bank().tasks_of_type(t)]
    task_type = st.selectbox("Task type", types, format_func=TASK_TYPE_NAMES.get)
    tasks = get_bank().tasks_of_type(task_type)
    task = st.selectbox("Task", tasks, format_func=task_label)
    show_task(task)
    typed = task.type == "chat_reply"
    if task.type == "role_play":
        st.caption("Answer the whole call in one recording here, or take it turn by turn as a mock call.")
        st.page_link(
            "views/mock_call.py", label="Take this call turn by turn", icon="📞", query_params={"task": task.id}
        )
    countdown(task.prep_seconds, answer_limit(task), key=task.id, typed=typed)
    if typed:
        typed_reply(actor, task)
    else:
        spoken_answer(actor, task)


main()
