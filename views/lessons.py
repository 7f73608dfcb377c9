"""Lessons: the lesson text, example audio, practice items on the page (choices and gaps
checked at once, spoken items recorded and scored) and the quiz. ``?lesson=ID`` opens one."""

import streamlit as st

from trainer.content import get_bank
from trainer.data import AttemptStatus, records
from trainer.webapp.recording import submit_for_scoring, wait_for_report
from trainer.webapp.report_view import show_scores, show_transcript
from trainer.webapp.resources import play
from trainer.webapp.session import require_actor, show_error
from trainer.webapp.text import escape_markdown, matches_any

CHECKS = "lesson-checks"  # session state: item key -> (passed, message) of the last check


def remember(key: str, passed: bool, message: str) -> None:
    st.session_state.setdefault(CHECKS, {})[key] = (passed, message)


def show_check(key: str) -> None:
    passed, message = st.session_state.get(CHECKS, {}).get(key, (None, None))
    if passed is True:
        st.success(message)
    elif passed is False:
        st.error(message)
    elif message:
        st.info(message)


def choose_item(key: str, item) -> None:
    with st.form(key):
        picked = st.radio(item.prompt, item.options, index=None, key=f"{key}-answer")
        if st.form_submit_button("Check"):
            if picked is None:
                remember(key, None, "Pick an answer first.")
            elif picked in item.answers:
                remember(key, True, "Correct.")
            else:
                remember(key, False, "Not quite. The best answer: " + " / ".join(item.answers))
    show_check(key)


def typed_item(key: str, item) -> None:
    with st.form(key):
        if item.type == "fill_gap":
            typed = st.text_input(f"Fill the gap: {item.prompt}", key=f"{key}-answer")
        else:
            typed = st.text_area(item.prompt, key=f"{key}-answer", height=90)
        if item.hint:
            st.caption(f"Hint: {item.hint}")
        if st.form_submit_button("Check"):
            if not typed.strip():
                remember(key, None, "Type your answer first.")
            elif matches_any(typed, item.answers):
                remember(
                    key, True, "Correct." if item.type == "fill_gap" else "Well done: that matches a model answer."
                )
            elif item.type == "fill_gap":
                remember(key, False, "Not quite. Accepted: " + ", ".join(item.answers))
            else:
                remember(key, None, "Compare yours with a model answer: " + " / ".join(item.answers))
    show_check(key)


def spoken_item(actor, key: str, item) -> None:
    """read_aloud / repeat: record it, score pronunciation and fluency against its text."""
    st.markdown(f"*{item.prompt}*")
    if item.type == "repeat":
        play(item.text, item.voice)
        with st.expander("Show the sentence"):
            st.write(item.text)
    else:
        st.info(item.text)
    recording = st.audio_input("Record yourself", sample_rate=16000, key=f"{key}-recording")
    if recording is not None and st.button("Score my reading", key=f"{key}-score"):
        try:
            attempt_id = records.save_attempt(actor, reference_text=item.text, recording=recording)
        except Exception as error:  # noqa: BLE001 - unreadable (AudioError), storage: said kindly
            show_error(error)
            return
        submit_for_scoring(attempt_id)
        st.session_state[f"{key}-attempt"] = attempt_id
    attempt_id = st.session_state.get(f"{key}-attempt")
    if attempt_id is None:
        return
    try:
        detail = records.get_attempt(actor, attempt_id)
    except Exception as error:  # noqa: BLE001
        show_error(error)
        return
    if detail.summary.status == AttemptStatus.SCORED and detail.report is not None:
        show_scores(detail.report, detail.dimensions)
        show_transcript(detail.report)
    elif detail.summary.status in (AttemptStatus.RECORDED, AttemptStatus.SCORING):
        wait_for_report(attempt_id)
    elif detail.summary.status_reason:
        st.warning(detail.summary.status_reason)
    st.page_link(
        "views/feedback.py", label="Full feedback on this reading", icon="📝", query_params={"attempt": str(attempt_id)}
    )


def quiz(lesson) -> None:
    key = f"quiz-{lesson.id}"
    with st.form(key):
        picked = [
            st.radio(f"{n}. {q.question}", q.options, index=None, key=f"{key}-{n}")
            for n, q in enumerate(lesson.quiz, 1)
        ]
        submitted = st.form_submit_button("Check my answers", type="primary")
    if submitted:  # kept apart from the form's own key, which Streamlit owns
        unanswered = [n for n, answer in enumerate(picked, 1) if answer is None]
        if unanswered:
            st.session_state.pop(f"{key}-checked", None)
            numbers = ", ".join(str(n) for n in unanswered)
            st.info(f"Choose an answer to every question first (not answered yet: {numbers}).")
            return
        st.session_state[f"{key}-checked"] = picked
    answers = st.session_state.get(f"{key}-checked")
    if answers is None:
        return
    right = sum(a == q.answer for a, q in zip(answers, lesson.quiz))
    (st.success if right == len(lesson.quiz) else st.warning)(f"You got {right} of {len(lesson.quiz)} right.")
    for n, (answer, question) in enumerate(zip(answers, lesson.quiz), 1):
        mark = "✅" if answer == question.answer else "❌"
        st.markdown(f"{mark} **{n}.** {question.answer}: {question.explanation}")


def main() -> None:
    actor = require_actor()
    st.title("Lessons")
    lessons = sorted(get_bank().lessons, key=lambda lesson: (lesson.unit, lesson.order))
    wanted = st.query_params.get("lesson")
    ids = [lesson.id for lesson in lessons]
    lesson = st.selectbox(
        "Lesson",
        lessons,
        index=ids.index(wanted) if wanted in ids else 0,
        format_func=lambda lesson: f"Unit {lesson.unit}.{lesson.order} · {lesson.title} ({lesson.level})",
    )
    st.query_params["lesson"] = lesson.id
    st.header(lesson.title)
    st.caption(f"Unit {lesson.unit}: {lesson.unit_title} · level {lesson.level}")
    st.write(lesson.summary)
    st.markdown("**In this lesson you will:**\n" + "\n".join(f"- {o}" for o in lesson.objectives))
    st.markdown(lesson.explanation)

    st.subheader("Listen to the examples")
    for example in lesson.examples:
        st.markdown(f"> {escape_markdown(example.text)}")
        play(example.text, example.voice, example.telephone)

    st.subheader("Practice")
    for n, item in enumerate(lesson.practice, 1):
        key = f"item-{lesson.id}-{n}"
        with st.container(border=True):
            st.caption(f"Exercise {n}")
            try:
                if item.type == "choose":
                    choose_item(key, item)
                elif item.type in ("fill_gap", "rewrite", "respond"):
                    typed_item(key, item)
                else:
                    spoken_item(actor, key, item)
            except Exception as error:  # noqa: BLE001 - one broken item must not hide the lesson
                show_error(error)

    st.subheader("Quiz")
    quiz(lesson)


main()
