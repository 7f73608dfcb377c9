"""Mock call: a simulated customer speaks turn by turn (telephone-line audio if wished, a
replay button for each line), the applicant answers each turn by voice; at the end the
turns are joined into the whole call and scored, and its report opens on Feedback."""

import streamlit as st

from trainer.content import get_bank
from trainer.data import AttemptStatus, CallStatus, records
from trainer.scoring.stages import skipped_turns_rules, turn_list
from trainer.webapp.recording import countdown, submit_for_scoring
from trainer.webapp.resources import play
from trainer.webapp.session import require_actor, show_error
from trainer.webapp.text import escape_markdown

CALL = "mock_call_id"  # session state: the call in progress


def scenario_of(task):
    return get_bank().get_scenario(task.scenario)


def call_label(task) -> str:
    scenario = scenario_of(task)
    return f"{task.level} · {scenario.title} ({scenario.caller.mood} caller, {scenario.direction})"


def telephone_toggle(default: bool) -> bool:
    return st.toggle(
        "Telephone-line audio",
        value=default,
        key="mock-telephone",
        help="Play the caller as heard over a phone line (narrow band, a little noise).",
    )


def choose_call(actor) -> None:
    tasks = get_bank().tasks_of_type("role_play")
    try:
        unfinished = [c for c in records.list_mock_calls(actor) if c.status == CallStatus.IN_PROGRESS]
    except Exception as error:  # noqa: BLE001
        show_error(error)
        return
    if unfinished:
        last = unfinished[0]
        title = scenario_of(get_bank().get_task(last.task_id)).title
        if st.button(
            f"Continue your unfinished call: {title} ({len({t.position for t in last.turns})} turn(s) answered)"
        ):
            st.session_state[CALL] = last.id
            st.rerun()
    ids = [t.id for t in tasks]
    wanted = st.query_params.get("task")
    task = st.selectbox("Call", tasks, index=ids.index(wanted) if wanted in ids else 0, format_func=call_label)
    scenario = scenario_of(task)
    st.markdown(f"**Your brief** ({escape_markdown(scenario.brand)}, {escape_markdown(scenario.industry)})")
    st.info(scenario.agent_brief)
    st.caption(
        f"{scenario.caller.name} will speak {len(scenario.turns)} times. Answer each turn by voice, as you "
        f"would on the phone: greet, verify, help, confirm and close."
    )
    countdown(task.prep_seconds, 0, key=f"brief-{task.id}")
    telephone_toggle(scenario.telephone)
    if st.button("Start the call", type="primary"):
        try:
            st.session_state[CALL] = records.start_mock_call(actor, task.id).id
        except Exception as error:  # noqa: BLE001
            show_error(error)
            return
        st.rerun()


def latest_takes(call) -> dict[int, object]:
    takes = {}
    for turn in call.turns:  # in turn order, later takes after earlier ones
        takes[turn.position] = turn
    return takes


def caller_turn(call, scenario, position: int, telephone: bool) -> None:
    turn = scenario.turns[position]
    replays_key = f"replays-{call.id}-{position}"
    replays = st.session_state.get(replays_key, 0)
    st.markdown(f"**{escape_markdown(scenario.caller.name)}** (turn {position + 1} of {len(scenario.turns)})")
    # A container keyed by the replay count is a new element each time, so the browser
    # loads the player again and autoplay starts the line from the beginning.
    with st.container(key=f"caller-{call.id}-{position}-{replays}"):
        play(turn.text, scenario.caller.voice, telephone, autoplay=True)
    cols = st.columns([1, 3])
    if cols[0].button("🔁 Replay the caller", key=f"replay-{call.id}-{position}"):
        st.session_state[replays_key] = replays + 1
        st.rerun()
    if cols[1].toggle("Show the caller's words", key=f"words-{call.id}-{position}"):
        st.caption(turn.text)


def answer_turn(actor, call, task, position: int) -> None:
    countdown(0, task.answer_seconds, key=f"turn-{call.id}-{position}")
    recording = st.audio_input("Your answer", sample_rate=16000, key=f"answer-{call.id}-{position}")
    if recording is None or not st.button("Send my answer", type="primary"):
        return
    try:
        records.save_attempt(actor, kind="mock_call", mock_call_id=call.id, position=position, recording=recording)
    except Exception as error:  # noqa: BLE001 - AudioError (silence, too long), storage
        show_error(error)
        return
    st.session_state.pop("mock-redo", None)
    st.rerun()


def finish(actor, call) -> None:
    try:
        whole_id = records.finish_mock_call(actor, call.id)
    except Exception as error:  # noqa: BLE001
        show_error(error)
        return
    st.session_state.pop(CALL, None)
    outcome = submit_for_scoring(whole_id, label="Scoring the whole call...")
    if outcome is None or outcome.status == AttemptStatus.SCORED:
        st.switch_page("views/feedback.py", query_params={"attempt": str(whole_id)})
    st.page_link("views/feedback.py", label="See this call", icon="📝", query_params={"attempt": str(whole_id)})


def in_call(actor, call_id: int) -> None:
    try:
        call = records.get_mock_call(actor, call_id)
    except Exception as error:  # noqa: BLE001 - not yours, or gone
        st.session_state.pop(CALL, None)
        show_error(error)
        return
    task = get_bank().get_task(call.task_id)
    scenario = scenario_of(task)
    if call.status != CallStatus.IN_PROGRESS:
        st.session_state.pop(CALL, None)
        st.rerun()
    st.subheader(scenario.title)
    with st.expander("Your brief"):
        st.write(scenario.agent_brief)
    telephone = telephone_toggle(scenario.telephone)
    takes = latest_takes(call)
    current = st.session_state.get("mock-redo", len(takes))
    for position in sorted(takes):
        if position == current:
            continue
        with st.expander(f"Turn {position + 1}: answered"):
            st.caption(f"{scenario.caller.name}: {scenario.turns[position].text}")
            take = records.get_attempt(actor, takes[position].id)
            if take.recording_path is not None and take.recording_path.is_file():
                st.audio(str(take.recording_path))
            if st.button("Answer this turn again", key=f"redo-{call.id}-{position}"):
                st.session_state["mock-redo"] = position
                st.rerun()
    if current < len(scenario.turns):
        with st.container(border=True):
            caller_turn(call, scenario, current, telephone)
            answer_turn(actor, call, task, current)
    else:
        st.success(f"{scenario.caller.name} has finished. End the call to get your report.")
    unanswered = [p for p in range(len(scenario.turns)) if p not in takes]
    if takes and unanswered:
        rules = " ".join(skipped_turns_rules())
        st.caption(f"Ending the call now leaves {turn_list(unanswered)} unanswered. {rules}")
    cols = st.columns(2)
    if takes and cols[0].button(
        "End the call and get my report", type="primary" if current >= len(scenario.turns) else "secondary"
    ):
        finish(actor, call)
    if cols[1].button("Leave the call for now"):
        st.session_state.pop(CALL, None)
        st.session_state.pop("mock-redo", None)
        st.rerun()


def main() -> None:
    actor = require_actor()
    st.title("Mock call")
    call_id = st.session_state.get(CALL)
    if call_id is None:
        choose_call(actor)
    else:
        in_call(actor, call_id)


main()
