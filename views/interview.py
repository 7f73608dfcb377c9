"""The candidate's interview, entered with an access code (no account): consent, a
microphone check, then the tasks in order, each with its preparation and answer time. An
answer is saved the moment it is recorded (or sent) and cannot be retaken; scoring runs in
the background and no score is shown. Closing the page and coming back with the same code
resumes at the first unanswered task."""

import time

import streamlit as st

from trainer.content import get_bank
from trainer.data import StorageUnavailable, interviews
from trainer.data.interviews import CodeSpent, InvitationError
from trainer.speech.audio import AudioError
from trainer.speech.miccheck import check_microphone
from trainer.webapp.recording import show_task
from trainer.webapp.resources import score_in_background
from trainer.webapp.text import escape_markdown

CODE, MIC_OK, STARTED, ANSWERING, MESSAGE = "iv_code", "iv_mic_ok", "iv_started", "iv_answering", "iv_message"
# What the clock says in each phase of a task's time (interviews.item_clock)
CLOCK_TEXT = {
    "preparation": "Preparation: {left} s left",
    "answer": "Answer time: {left} s left",
    "stop": "Time is up: press Stop now (this task closes in {left} s)",
}

CONSENT = """\
Before you start, please read this.

- Your spoken answers are **recorded** and your typed answers are **saved**. They are transcribed and
  scored by this software for grammar, fluency, pronunciation, vocabulary, comprehension and call
  handling.
- The recordings, transcripts and scores are seen by the **recruiter who invited you** (and the
  system's administrators), to decide on your application. They are not shown to you during the interview.
- Each task has a preparation time and an answer time. Each answer can be given **once**: there are no retakes.
- If your connection drops, open this page again and enter the same code: you continue where you stopped.
"""


def clear_interview() -> None:
    for key in (CODE, MIC_OK, STARTED, ANSWERING, MESSAGE):
        st.session_state.pop(key, None)


def answer_key(progress, item) -> str:
    return f"iv-answer-{progress.invitation_id}-{item.position}"


def submit(code: str, position: int, key: str, typed: bool) -> None:
    """Callback: save the answer as soon as it exists (before the page runs again), then
    score it in the background."""
    value = st.session_state.get(key)
    try:
        if typed:
            attempt_id = interviews.submit_answer(code, position, text=value or "")
        elif value is None:
            return
        else:
            attempt_id = interviews.submit_answer(code, position, recording=value)
    except AudioError as error:  # nothing was saved: the task is still open
        st.session_state[MESSAGE] = ("error", f"{error.user_message} Please record your answer again.")
        return
    except (ValueError, InvitationError) as error:
        st.session_state[MESSAGE] = ("error", escape_markdown(error))
        return
    score_in_background(attempt_id)
    st.session_state[MESSAGE] = ("success", "Your answer is saved.")


@st.fragment(run_every=1)
def countdown(clock: interviews.ItemClock) -> None:
    """The phase's seconds left (the page runs again when the phase ends)."""
    left = clock.seconds_left(time.time())
    if left <= 0:
        st.rerun()
    total = clock.seconds
    st.progress(
        max(0.0, min(1.0, 1 - left / total)) if total > 0 else 1.0,
        text=CLOCK_TEXT[clock.phase].format(left=f"{left:.0f}"),
    )


def enter_code() -> None:
    st.write("Enter the access code the recruiter gave you. You do not need an account.")
    with st.form("code"):
        code = st.text_input("Access code", placeholder="XXXX-XXXX-XXXX")
        start = st.form_submit_button("Start", type="primary")
    if start:
        try:
            interviews.redeem(code)
        except InvitationError as error:
            st.error(escape_markdown(error))
        else:
            st.session_state[CODE] = code
            st.rerun()


def consent(code: str) -> None:
    st.markdown(CONSENT)
    agreed = st.checkbox("I have read this and agree to be recorded and assessed.")
    if st.button("Continue", type="primary", disabled=not agreed):
        interviews.give_consent(code)
        st.rerun()


def microphone_check() -> None:
    st.subheader("Microphone check")
    st.write(
        "Press the microphone, say one sentence (for example your name and where you live), then stop. "
        "This recording is not saved."
    )
    recording = st.audio_input("Test recording", key="iv-mic")
    if recording is None:
        return
    with st.spinner("Listening..."):
        check = check_microphone(recording)
    cols = st.columns(2)
    cols[0].metric("Speech heard", f"{check.speech_seconds:.1f} s")
    cols[1].metric("Level", "-" if check.level_dbfs is None else f"{check.level_dbfs:.0f} dBFS")
    (st.success if check.ok else st.error)(check.message)
    if check.ok and st.button("Start the interview", type="primary"):
        st.session_state[MIC_OK] = True
        st.rerun()


def run_item(code: str, progress) -> None:
    item = progress.next_item
    st.progress(progress.answered / progress.total, text=f"Task {item.position + 1} of {progress.total}")
    key = (progress.invitation_id, item.position)
    now = time.time()
    started = st.session_state.setdefault(STARTED, {}).setdefault(key, now)
    answering = st.session_state.setdefault(ANSWERING, {})
    answer_from = answering.get(key, started + item.prep_seconds)
    clock = interviews.item_clock(item, answer_from, now)
    if clock.phase == "closed":
        interviews.submit_no_answer(code, item.position)
        st.session_state[MESSAGE] = ("warning", "The time for that task ran out; it was closed without an answer.")
        st.rerun()

    show_task(get_bank().get_task(item.task_id))
    if clock.phase == "preparation":
        st.caption(f"Preparation: {item.prep_seconds} s, then you answer (up to {item.answer_seconds} s).")
        countdown(clock)
        if st.button("I am ready: answer now", type="primary"):
            answering[key] = time.time()
            st.rerun()
        return
    answering[key] = answer_from
    widget = answer_key(progress, item)
    if item.task_type == "chat_reply":
        with st.form(f"form-{widget}"):
            st.text_area("Your reply", key=widget, height=200)
            st.form_submit_button(
                "Send reply (final)", type="primary", on_click=submit, args=(code, item.position, widget, True)
            )
        countdown(clock)
    else:
        st.audio_input(
            f"Record your answer (up to {item.answer_seconds} s); it is saved when you stop",
            key=widget,
            on_change=submit,
            args=(code, item.position, widget, False),
        )
        countdown(clock)


def main() -> None:
    st.title("Interview")
    message = st.session_state.pop(MESSAGE, None)
    if message:
        getattr(st, message[0])(message[1])
    code = st.session_state.get(CODE)
    if code is None:
        enter_code()
        return
    try:
        progress = interviews.redeem(code)
    except CodeSpent:
        st.success("Your interview is complete. Thank you! The recruiter will be in touch.")
        if st.button("Close"):
            clear_interview()
            st.rerun()
        return
    except InvitationError as error:
        st.error(escape_markdown(error))
        if st.button("Use another code"):
            clear_interview()
            st.rerun()
        return
    except StorageUnavailable as error:
        st.error(f"The interview cannot be opened right now ({error}). Please try again in a few minutes.")
        return
    st.caption(f"{escape_markdown(progress.template_name)} · {escape_markdown(progress.candidate_name)}")
    if not progress.consent_given:
        consent(code)
        return
    if progress.next_item.task_type != "chat_reply" and not st.session_state.get(MIC_OK):
        microphone_check()
        return
    run_item(code, progress)


main()
