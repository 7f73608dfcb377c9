"""Answering a task: what the applicant reads and hears first, the clock for preparation
and answer time, the file types an upload may have, and handing a saved answer to the
scoring workers, with its place in the queue and then its stage shown until the report is in. The rules an answer must meet (its length, the words of a reply) are the data
layer's (trainer.data.recordings); pages show its refusals with ``session.show_error``.
"""

from __future__ import annotations

import re

import streamlit as st

from trainer.config import get_settings
from trainer.content import get_bank
from trainer.data import AUDIO_EXTENSIONS, AttemptStatus, check_upload_name, records, upload_limit_megabytes
from trainer.speech.audio import AudioError
from trainer.webapp.resources import play, queue_for_workers, warm_grammar, warm_recogniser

AUDIO_TYPES = list(AUDIO_EXTENSIONS)  # what an upload may be: what the data layer keeps
# What the scoring engine reports it is doing (scoring.score's progress), said for people.
STAGE_TEXT = {
    "transcribing": "Transcribing your answer",
    "grammar": "Checking grammar",
    "fluency": "Measuring fluency: pace and pauses",
    "pronunciation": "Checking pronunciation",
    "vocabulary": "Looking at your vocabulary",
    "comprehension": "Checking what you understood",
    "call handling": "Checking the steps of the call",
    "rubrics": "Placing you on the rubrics",
}


def prompt_audio(task) -> list[tuple[str, str]]:
    """(label, text) of what the applicant hears before answering."""
    if task.type in ("repeat", "listening") or (task.type == "retell" and task.text):
        return [("Listen", task.text)]
    if task.type == "sentence_build":
        return [("Listen", " ... ".join(task.phrases))]
    if task.type == "open_question":  # its instructions say "Listen to the question"
        return [("Listen to the question", task.question)]
    if getattr(task, "scenario", None):
        scenario = get_bank().get_scenario(task.scenario)
        return [(f"Caller, turn {i + 1}", turn.text) for i, turn in enumerate(scenario.turns)]
    return []


def show_task(task, telephone: bool = False) -> None:
    """Instructions, the text or question, and the prompt audio of a task."""
    st.markdown(f"**{task.instructions}**")
    if task.type == "read_aloud":
        st.info(task.text)
    if task.type == "chat_reply":
        st.markdown(f"**Message from {task.customer_name}:**")
        st.info(task.customer_message)
        st.caption(f"Reply in up to {task.max_words} words.")
    if getattr(task, "question", None):
        st.markdown(f"Question: *{task.question}*")
    if task.type == "open_question" and task.talking_points:
        st.caption("You could talk about: " + "; ".join(task.talking_points))
    voice = task.voice
    if getattr(task, "scenario", None):
        scenario = get_bank().get_scenario(task.scenario)
        st.caption(scenario.agent_brief)
        voice = scenario.caller.voice
    for label, text in prompt_audio(task):
        st.caption(label)
        play(text, voice, telephone)


def upload_recording(label: str, key: str):
    """A file uploader for a recorded answer, with the app's own size limit (the data
    layer's ``max_upload_megabytes``) and formats. Any file is let through to the page (the
    browser's own refusal of another type is a small red icon nobody reads), so a file that
    is not a recording is refused here, saying which formats work. Returns the upload, or
    None."""
    upload = st.file_uploader(
        label,
        key=key,
        max_upload_size=upload_limit_megabytes(),
        help=f"A recording: {', '.join(AUDIO_TYPES)}.",
    )
    if upload is None:
        return None
    try:
        check_upload_name(upload.name)
    except AudioError as error:
        st.error(error.user_message)
        return None
    return upload


def time_limits_text(prep_seconds: int, answer_seconds: int, typed: bool = False) -> str:
    if not answer_seconds:
        return f"Preparation {prep_seconds} s."
    answer = f"answer within {answer_seconds} s" if not typed else f"reply within {answer_seconds} s"
    return f"Preparation {prep_seconds} s, then {answer}." if prep_seconds else f"No preparation time: {answer}."


_COUNTDOWN = """
<div id="{id}" style="display:flex;gap:1rem;align-items:center;padding:.5rem .75rem;border:1px solid #d0d7de;
 border-radius:.5rem;font-family:sans-serif">
 <button type="button" style="padding:.3rem .8rem;border-radius:.4rem;border:1px solid #8c959f;background:#f6f8fa;
  cursor:pointer">&#9201; Start the clock</button>
 <span data-role="phase" style="font-weight:600">{summary}</span>
 <span data-role="left" style="font-size:1.4rem;font-variant-numeric:tabular-nums"></span>
</div>
<script>
(function () {{
  const box = document.getElementById("{id}");
  if (!box || box.dataset.ready) return;
  box.dataset.ready = "1";
  const phase = box.querySelector('[data-role="phase"]'), left = box.querySelector('[data-role="left"]');
  const button = box.querySelector("button");
  let timer = null;
  function run(steps) {{
    if (!steps.length) {{ phase.textContent = "{done}"; left.textContent = ""; box.style.borderColor = "#cf222e"; return; }}
    const [name, seconds] = steps[0];
    if (seconds <= 0) {{ run(steps.slice(1)); return; }}
    const end = Date.now() + seconds * 1000;
    phase.textContent = name;
    clearInterval(timer);
    const tick = () => {{
      const remaining = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      left.textContent = remaining + " s";
      if (remaining <= 0) {{ clearInterval(timer); run(steps.slice(1)); }}
    }};
    tick();
    timer = setInterval(tick, 250);
  }}
  button.addEventListener("click", () => {{ button.textContent = "\u21bb Restart"; run([["Prepare", {prep}], ["{answer_phase}", {answer}]]); }});
}})();
</script>
"""


def countdown(prep_seconds: int, answer_seconds: int, key: str, typed: bool = False) -> None:
    """A clock for the preparation and answer time, run in the browser (the page does not
    rerun every second). The answer limit itself is the data layer's: it refuses a longer recording."""
    st.caption(time_limits_text(prep_seconds, answer_seconds, typed))
    element_id = "clock-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)
    # The limits are in the caption above; the box only says what its button does.
    st.html(
        _COUNTDOWN.format(
            id=element_id,
            summary="Start the clock when you are ready",
            prep=int(prep_seconds),
            answer=int(answer_seconds),
            answer_phase="Write your reply now" if typed else "Speak now",
            done="Time is up" + ("" if typed else ": press Stop"),
        ),
        unsafe_allow_javascript=True,
    )


# --------------------------------------------------------------------------- scoring


def score_with_status(attempt_id: int, spoken: bool = True, label: str = "Scoring your answer..."):
    """Score a saved attempt, showing each stage as it starts. Returns the ScoreOutcome;
    says what to do when the answer could not be scored (the recording is kept)."""
    with st.status(label, expanded=True) as status:
        if spoken:
            status.write("Getting the speech model ready...")
            try:
                warm_recogniser()
            except Exception:  # noqa: BLE001 - scoring itself reports the failure and keeps the attempt
                pass
        status.write("Getting the grammar checker ready...")
        warm_grammar()
        outcome = records.score_attempt(
            attempt_id, progress=lambda stage: status.write(STAGE_TEXT.get(stage, stage.capitalize()) + "...")
        )
        if outcome.status == AttemptStatus.SCORED:
            status.update(label="Scored", state="complete", expanded=False)
        else:
            status.update(label="Not scored", state="error", expanded=False)
    if outcome.status == AttemptStatus.UNSCORABLE:
        st.warning(outcome.message + " Your answer is kept in your history.")
    elif outcome.status != AttemptStatus.SCORED:
        st.warning(outcome.message)
    return outcome


def submit_for_scoring(attempt_id: int, spoken: bool = True, label: str = "Scoring your answer..."):
    """Hand a saved answer to the scoring workers and return None at once (the page then
    waits with ``wait_for_report``). With ``scoring = "inline"``, or when the queue does
    not answer, score it here with each stage shown, and return the ScoreOutcome."""
    if queue_for_workers(attempt_id):
        return None
    if get_settings().scoring == "queue":
        st.info("The scoring queue is not running, so your answer is scored here. It is saved either way.")
    return score_with_status(attempt_id, spoken=spoken, label=label)


def waiting_text(state: records.QueueState) -> str:
    """What a person waiting for a report is told: their place in the queue, then the stage."""
    if state.place is not None:
        if state.stage == "waiting to try again":
            return "The last try to score your answer did not finish; it is tried again shortly. Your answer is saved."
        ahead = state.place - 1
        if ahead == 0:
            return "Your answer is next in the queue. Your feedback appears here by itself."
        answers = "answer is" if ahead == 1 else "answers are"
        return f"Your answer is number {state.place} in the queue ({ahead} {answers} ahead of it). Your feedback appears here by itself."
    if state.status == AttemptStatus.SCORING:
        return STAGE_TEXT.get(state.stage or "", "Scoring your answer") + "..."
    return "Your answer is saved and waiting to be scored."


def wait_for_report(attempt_id: int, poll_seconds: float = 1.0) -> None:
    """Show where the answer is (queue place, then scoring stage), refreshed every
    ``poll_seconds``; when it is done, run the whole page again so it shows the result."""

    @st.fragment(run_every=poll_seconds)
    def progress() -> None:
        state = records.queue_state(attempt_id)
        if state.finished:
            st.rerun()
        st.status(waiting_text(state), state="running", expanded=False)  # left open: a spinner

    progress()
