"""Resources shared by every session of the app server, loaded once: the speech model, the
grammar checker (LanguageTool), the scoring thread for interviews, and the synthesised
voices (espeak-ng) played to the applicant.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from trainer import jobs
from trainer.config import get_settings
from trainer.data import records
from trainer.features.grammar import GrammarUnavailable, server
from trainer.speech.asr import get_whisper_model
from trainer.speech.tts import SpeechSynthesisError, synthesize
from trainer.webapp.session import friendly_message
from trainer.webapp.text import escape_markdown

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Loading the speech model (first time only)...")
def warm_recogniser():
    """Load the speech model once for every session of this server."""

    return get_whisper_model()


@st.cache_resource(show_spinner="Starting the grammar checker (first time only)...")
def _grammar_server_url() -> str:

    return server().ensure_running()


def warm_grammar() -> None:
    """Start (or find) the LanguageTool server once per app server. A dead server is not
    cached: scoring then reports grammar as unavailable and the next answer tries again."""

    try:
        _grammar_server_url()
    except GrammarUnavailable:
        pass


@st.cache_resource
def _scoring_pool() -> ThreadPoolExecutor:
    # One answer at a time: the speech model and the grammar server are shared by every session.
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="interview-scoring")


def queue_for_workers(attempt_id: int) -> bool:
    """Hand a saved answer to the scoring workers (``scoring = "queue"``). False when answers
    are scored in this process, or the queue does not answer (logged): the caller then
    scores it here."""
    if get_settings().scoring != "queue":
        return False
    try:
        jobs.submit(attempt_id)
        return True
    except jobs.QueueUnavailable as error:
        log.warning("attempt %s is scored in the web process: %s", attempt_id, error)
        return False


def score_in_background(attempt_id: int) -> Future | None:
    """Score a saved answer without making the candidate wait: on the workers, else in a
    thread of this process. The attempt is already committed: if it is lost on the way,
    ``trainer rescore --unfinished`` scores it."""
    if queue_for_workers(attempt_id):
        return None
    return _scoring_pool().submit(records.score_attempt, attempt_id)


def caller_audio(text: str, voice: str, telephone: bool = False):
    """The synthesised line's path, or None (and a caption) if the voice engine fails."""

    try:
        return synthesize(text, voice, telephone)
    except (SpeechSynthesisError, OSError, RuntimeError) as error:
        st.caption(
            friendly_message(error if isinstance(error, SpeechSynthesisError) else SpeechSynthesisError(str(error)))
        )
        return None


def play(text: str, voice: str, telephone: bool = False, autoplay: bool = False) -> None:
    path = caller_audio(text, voice, telephone)
    if path is not None:
        st.audio(str(path), autoplay=autoplay)
    else:
        st.markdown(f"> {escape_markdown(text)}")
