"""Streamlit helpers shared by the pages in views/: cached resources and report rendering.

Only display code lives here; every score and every piece of content comes from the
functional core (trainer.scoring, trainer.content, trainer.tts).
"""

from __future__ import annotations

import streamlit as st

from . import scoring
from .content import load_all
from .tts import synthesize

TASK_TYPE_NAMES = {
    "read_aloud": "Read aloud",
    "repeat": "Repeat",
    "sentence_build": "Sentence build",
    "listening": "Listening question",
    "retell": "Retell",
    "open_question": "Open question",
    "role_play": "Role-play call",
}


@st.cache_resource
def bank():
    return load_all()


@st.cache_resource
def warm_recogniser():
    """Load the speech model once for every session of this server."""
    from trainer.asr import get_whisper_model

    return get_whisper_model()


def prompt_audio(task) -> list[tuple[str, str]]:
    """(label, text) of what the applicant hears before answering."""
    if task.type in ("repeat", "listening") or (task.type == "retell" and task.text):
        return [("Listen", task.text)]
    if task.type == "sentence_build":
        return [("Listen", " ... ".join(task.phrases))]
    if getattr(task, "scenario", None):
        scenario = bank().get_scenario(task.scenario)
        return [(f"Caller, turn {i + 1}", turn.text) for i, turn in enumerate(scenario.turns)]
    return []


def show_task(task) -> None:
    st.markdown(f"**{task.instructions}**")
    if task.type == "read_aloud":
        st.info(task.text)
    if getattr(task, "question", None):
        st.markdown(f"Question: *{task.question}*")
    voice = task.voice
    if getattr(task, "scenario", None):
        scenario = bank().get_scenario(task.scenario)
        st.caption(scenario.agent_brief)
        voice = scenario.caller.voice
    for label, text in prompt_audio(task):
        st.caption(label)
        st.audio(str(synthesize(text, voice)))
    st.caption(f"Preparation {task.prep_seconds} s, answer up to {task.answer_seconds} s.")


def show_report(report: scoring.Report) -> None:
    if not report.scorable:
        st.error(report.reason)
        return
    overall = report.overall
    cols = st.columns(3)
    cols[0].metric("Overall", f"{overall.score:.0f}/100")
    cols[1].metric("Level", overall.level)
    cols[2].metric(f"Hiring bar {overall.hiring_bar}", overall.verdict)
    for name, dimension in report.dimensions.items():
        with st.expander(f"{name.replace('_', ' ').title()}: {dimension.score:.0f} (band {dimension.band}, "
                         f"{dimension.label})"):
            st.write(dimension.descriptor)
            rows = [{"feature": c.feature, "yours": c.value, "min": c.min, "max": c.max,
                     "met": c.met} for c in dimension.next_band_checks]
            if rows:
                st.caption(f"What band {dimension.band + 1} asks for")
                st.dataframe(rows, hide_index=True)
            st.json(dimension.features, expanded=False)
    for name, why in report.unavailable.items():
        st.warning(f"{name}: {why}")
    for warning in report.warnings:
        st.caption(warning)
    if report.transcript:
        st.markdown("**What we heard**")
        st.write(report.transcript.text)
