"""The Streamlit app through Streamlit's AppTest (no browser)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from trainer.config import PROJECT_ROOT
from trainer.tts import synthesize

APP = str(PROJECT_ROOT / "app.py")


def test_home_page_lists_the_task_bank():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "BPO English Trainer"
    assert at.dataframe[0].value["tasks"].sum() >= 100


def practice() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("views/practice.py").run()
    assert not at.exception
    return at


def test_practice_page_plays_the_prompt_of_a_listening_task():
    at = practice()
    at.selectbox[0].select("listening").run()
    assert not at.exception
    task_label = at.selectbox[1].value
    assert task_label.id.startswith("task.listening.")
    assert any("Question" in m.value for m in at.markdown)


def test_recorded_answer_is_scored_on_the_page():
    at = practice()
    at.selectbox[0].select("listening").run()
    task = at.selectbox[1].value
    answer = f"The answer is {task.answers[0]}, I heard it clearly."
    at.audio_input[0].upload("answer.wav", synthesize(answer, "calm_male").read_bytes()).run()
    at.button[0].click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert "Overall" in metrics and metrics["Overall"].endswith("/100")
    assert any("Comprehension" in e.label for e in at.expander)


def test_unusable_recording_gets_a_friendly_message():
    at = practice()
    at.selectbox[0].select("listening").run()
    at.audio_input[0].upload("empty.wav", b"\x00" * 4000).run()
    at.button[0].click().run()
    assert not at.exception
    assert at.error and "record" in at.error[0].value.lower()
