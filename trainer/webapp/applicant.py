"""Streamlit helpers shared by the pages in views/: cached resources, the signed-in actor,
friendly errors, scoring with progress, and the feedback view of a scored answer.

Only display code lives here; every score, every attempt and every piece of content comes
from the functional core (trainer.records, trainer.scoring, trainer.content, trainer.tts).
The first half holds plain functions that turn a report into what is shown (tokens of a
highlighted transcript, fluency timeline rows, the lesson to take next...): they need no
Streamlit and are tested on their own. The renderers below take the data they show as
arguments (a ``Report``, an ``AttemptDetail``), never session state, so the coach's
attempt view can reuse them.

Text typed by users or heard by the recogniser is always escaped before it is rendered:
``html.escape`` inside HTML, ``escape_markdown`` inside Markdown.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Iterable, Sequence

import streamlit as st

from trainer.content import ContentBank, get_bank
from trainer.scoring import GrammarError

TASK_TYPE_NAMES = {
    "read_aloud": "Read aloud",
    "repeat": "Repeat",
    "sentence_build": "Sentence build",
    "listening": "Listening question",
    "retell": "Retell",
    "open_question": "Open question",
    "chat_reply": "Chat reply (typed)",
    "role_play": "Role-play call",
    "free_answer": "Free answer",
}
DIMENSION_NAMES = {
    "grammar": "Grammar",
    "fluency": "Fluency",
    "pronunciation": "Pronunciation",
    "vocabulary": "Vocabulary",
    "comprehension": "Comprehension",
    "call_handling": "Call handling",
}
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
FEATURE_NAMES = {
    "grammar_errors_per_100_words": "grammar errors per 100 words",
    "speech_rate_wpm": "speech rate (words per minute)",
    "articulation_rate_wpm": "articulation rate (words per minute of speaking)",
    "phonation_time_ratio": "share of the time spent speaking",
    "pauses_per_minute": "pauses per minute",
    "long_pauses_per_minute": "long pauses per minute",
    "mean_length_of_run": "words between pauses (mean)",
    "fillers_per_100_words": "fillers (um, uh) per 100 words",
    "repetitions_per_100_words": "repetitions per 100 words",
    "pronunciation_accuracy": "pronunciation accuracy (0-100)",
    "completeness": "share of the text read (%)",
    "intelligibility": "intelligibility (0-100)",
    "word_types": "different words used",
    "lexical_diversity_mtld": "lexical diversity (MTLD)",
    "share_above_a2": "share of words above A2",
    "call_centre_phrases": "call-centre phrases used",
    "key_point_coverage": "key points covered",
    "answer_match": "answer matches",
    "facts_captured": "caller's details captured",
    "call_moves_covered": "call steps covered",
    "politeness_markers": "politeness markers",
}
# Per-word pronunciation labels (trainer.pronunciation) and how they are shown.
WORD_LABELS = {
    "ok": ("#1a7f37", "clear"),
    "unclear": ("#9a6700", "unclear"),
    "mispronounced": ("#cf222e", "mispronounced"),
    "omitted": ("#6e7781", "left out"),
}
GRAMMAR_MARK_STYLE = ("background:#fff1c2;border-bottom:2px wavy #cf222e;padding:0 1px;"
                      "text-decoration:none;cursor:help")
# How much longer than a task's answer time a recording may be: pressing Stop takes a moment.
ANSWER_GRACE_SECONDS = 3.0
AUDIO_TYPES = ["wav", "flac", "ogg", "webm", "mp3", "m4a"]


# =========================================================================== plain functions


def dimension_title(name: str) -> str:
    return DIMENSION_NAMES.get(name, name.replace("_", " ").capitalize())


def feature_title(name: str) -> str:
    return FEATURE_NAMES.get(name, name.replace("_", " "))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def escape_markdown(text: str) -> str:
    """Text shown literally inside Markdown (names, comments, transcripts): no links,
    no emphasis, no HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def task_label(task) -> str:
    return f"{task.level} · {task.display_title}"


def attempt_title(summary, bank: ContentBank) -> str:
    """"Listening question: What colour ... (12 May 14:03)" for lists of attempts."""
    kind = TASK_TYPE_NAMES.get(summary.task_type, summary.task_type)
    title = ""
    if summary.task_id:
        try:
            title = bank.get_task(summary.task_id).display_title
        except KeyError:
            title = summary.task_id
    if summary.kind == "mock_call":
        kind = "Mock call" + (f", turn {summary.position + 1}" if summary.position is not None else "")
    when = summary.created_at.astimezone().strftime("%d %b %H:%M")
    return f"{kind}: {title} ({when})" if title else f"{kind} ({when})"


@dataclass(frozen=True)
class Token:
    """A piece of a transcript as shown: its text, the grammar error it is part of (index
    into the report's errors) and the recogniser's confidence label."""

    text: str
    error: int | None = None
    unsure: bool = False


def _words_with_offsets(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]


def _bare(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def grammar_errors(report) -> list[GrammarError]:
    return report.grammar_errors() if report else []


def transcript_tokens(text: str, errors: Sequence[GrammarError] = (), unsure_times: Iterable[float] = (),
                      words: Sequence = ()) -> list[Token]:
    """The words of ``text`` (spaces between them are not tokens), each marked with the
    grammar error covering it (errors carry character ``offset``/``length`` in ``text``)
    and whether the recogniser was unsure of it (a recognised word starting at one of
    ``unsure_times``; ``words`` are the transcript's timed words, in order)."""
    unsure_times = {round(t, 2) for t in unsure_times}
    # The transcript's text is its words joined: walk both in order to give words their times.
    timed = list(words)
    cursor = 0
    tokens = []
    for start, end, piece in _words_with_offsets(text):
        error = next((i for i, e in enumerate(errors)
                      if e.offset < end and start < e.offset + max(1, e.length)), None)
        unsure = False
        for j in range(cursor, min(cursor + 3, len(timed))):
            if _bare(timed[j].text) == _bare(piece):
                unsure = round(timed[j].start, 2) in unsure_times
                cursor = j + 1
                break
        tokens.append(Token(piece, error, unsure))
    return tokens


def transcript_html(tokens: Sequence[Token], errors: Sequence[GrammarError]) -> str:
    """Escaped HTML: grammar errors marked (message and suggestion in the hover title,
    numbered like the list under the transcript), unsure words in amber."""
    parts: list[str] = []
    open_error: int | None = None
    for token in tokens:
        if token.error != open_error and open_error is not None:
            parts.append(f"</mark><sup>{open_error + 1}</sup>")
            open_error = None
        if parts:
            parts.append(" ")
        if token.error is not None and open_error is None:
            error = errors[token.error]
            hint = error.message
            if error.suggestions:
                hint += " Try: " + ", ".join(error.suggestions[:3])
            parts.append(f'<mark style="{GRAMMAR_MARK_STYLE}" title="{html.escape(hint, quote=True)}">')
            open_error = token.error
        word = html.escape(token.text)
        if token.unsure:
            colour = WORD_LABELS["unclear"][0]
            word = f'<span style="color:{colour};font-weight:600" title="the recogniser was unsure of this word">{word}</span>'
        parts.append(word)
    if open_error is not None:
        parts.append(f"</mark><sup>{open_error + 1}</sup>")
    return '<p style="font-size:1.1rem;line-height:1.9">' + "".join(parts) + "</p>"


def reading_html(words: Sequence[dict]) -> str:
    """The reference text of a read-aloud answer, each word coloured by its pronunciation
    label, with what was heard in the hover title."""
    parts = []
    for word in words:
        colour, name = WORD_LABELS.get(word.get("label"), ("inherit", word.get("label") or ""))
        hint = name
        if word.get("heard") and _bare(word["heard"]) != _bare(word["word"]):
            hint += f" (heard: {word['heard']})"
        style = f"color:{colour};font-weight:600"
        if word.get("label") == "omitted":
            style += ";text-decoration:line-through"
        parts.append(f'<span style="{style}" title="{html.escape(hint, quote=True)}">'
                     f'{html.escape(str(word["word"]))}</span>')
    return '<p style="font-size:1.1rem;line-height:1.9">' + " ".join(parts) + "</p>"


def legend_html(labels: Iterable[str], names: dict[str, str] | None = None) -> str:
    items = [f'<span style="color:{WORD_LABELS[label][0]};font-weight:600">'
             f'{html.escape((names or {}).get(label, WORD_LABELS[label][1]))}</span>' for label in labels]
    return '<p style="font-size:0.85rem">Colours: ' + " · ".join(items) + "</p>"


def fluency_rows(report) -> list[dict]:
    """Timeline rows (what, start, end, seconds, detail) for the fluency chart: stretches
    of speech between the measured pauses, the pauses, and the fillers."""
    fluency = report.dimensions.get("fluency") if report else None
    transcript = report.transcript if report else None
    if fluency is None or transcript is None or not transcript.words:
        return []
    pauses = sorted(fluency.details.get("pauses") or [], key=lambda p: p["start"])
    rows = []
    first, last = transcript.words[0].start, transcript.words[-1].end
    edges = [first] + [x for p in pauses for x in (p["start"], p["end"])] + [last]
    for start, end in zip(edges[::2], edges[1::2]):
        if end - start <= 0:
            continue
        said = " ".join(w.text.strip() for w in transcript.words if start - 0.05 <= w.start < end)
        rows.append({"what": "Speech", "start": round(start, 2), "end": round(end, 2),
                     "seconds": round(end - start, 2), "detail": said})
    for pause in pauses:
        rows.append({"what": "Pause", "start": pause["start"], "end": pause["end"],
                     "seconds": pause["seconds"], "detail": f"{pause['seconds']:.1f} s silent"})
    for filler in fluency.details.get("fillers") or []:
        rows.append({"what": "Filler", "start": filler["start"], "end": max(filler["end"], filler["start"] + 0.15),
                     "seconds": round(filler["end"] - filler["start"], 2), "detail": filler.get("heard") or ""})
    return rows


def fluency_chart(report):
    """An Altair timeline of speech, pauses and fillers; None when there is no timing."""
    import altair as alt
    import pandas as pd

    rows = fluency_rows(report)
    if not rows:
        return None
    colours = alt.Scale(domain=["Speech", "Pause", "Filler"], range=["#2da44e", "#d0d7de", "#bf8700"])
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar(cornerRadius=2)
        .encode(
            x=alt.X("start:Q", title="seconds from the start"),
            x2="end:Q",
            y=alt.Y("what:N", title=None, sort=["Speech", "Pause", "Filler"]),
            color=alt.Color("what:N", scale=colours, legend=None),
            tooltip=[alt.Tooltip("what:N"), alt.Tooltip("start:Q", title="from (s)"),
                     alt.Tooltip("end:Q", title="to (s)"), alt.Tooltip("seconds:Q"),
                     alt.Tooltip("detail:N", title="")],
        )
        .properties(height=140, title="Your speech and pauses over time")
    )


def fact_rows(report) -> list[dict]:
    """The caller's details the answer captured or missed (role-play calls)."""
    dimension = report.dimensions.get("comprehension") if report else None
    facts = ((dimension.details.get("facts") or {}).get("facts") or []) if dimension else []
    return [{"detail": f["label"], "the caller said": f["expected"], "captured": bool(f["found"]),
             "you said": f.get("matched") or ""} for f in facts]


def key_point_rows(report) -> list[dict]:
    dimension = report.dimensions.get("comprehension") if report else None
    points = ((dimension.details.get("key_points") or {}).get("points") or []) if dimension else []
    return [{"key point": p["point"], "covered": bool(p["found"]), "you said": p.get("matched_text") or ""}
            for p in points]


def move_rows(report) -> list[dict]:
    dimension = report.dimensions.get("call_handling") if report else None
    moves = (dimension.details.get("moves") or []) if dimension else []
    return [{"step": m["move"], "required": bool(m["required"]), "done": bool(m["found"]),
             "you said": m.get("matched_text") or ""} for m in moves]


def weakest_dimension(dimensions: dict) -> str | None:
    """The dimension to work on: the lowest band that counts, then the lowest score.
    ``dimensions`` maps names to objects with ``band`` and ``score`` (DimensionResult or
    scoring.DimensionScore)."""
    if not dimensions:
        return None
    return min(dimensions, key=lambda name: (dimensions[name].band, dimensions[name].score))


def lessons_for(bank: ContentBank, dimension: str) -> list:
    """Lessons that train ``dimension`` (tagged with it in lessons/course), in course order."""
    return sorted((lesson for lesson in bank.lessons if dimension in lesson.tags),
                  key=lambda lesson: (lesson.unit, lesson.order))


def matches_any(answer: str, accepted: Iterable[str]) -> bool:
    """A typed answer equals one of the accepted ones, ignoring case, punctuation and how
    numbers are written."""
    from trainer.speech.textnorm import normalize

    said = normalize(answer or "")
    return bool(said) and any(said == normalize(a) for a in accepted)


def current_level(points: Sequence, bank: ContentBank, last: int = 5) -> tuple[str, float, int] | None:
    """(level, mean overall score, answers counted) over the last ``last`` scored answers
    (records.level_history points, oldest first); None before the first."""
    recent = [p.overall_score for p in points if p.overall_score is not None][-last:]
    if not recent:
        return None
    score = mean(recent)
    return bank.levels.level_for(score), score, len(recent)


def check_answer_length(data: bytes, limit_seconds: float | None, require_speech: bool = False) -> None:
    """Refuse, before it is saved, a recording we cannot read, one longer than the task's
    answer time (plus a moment to press Stop) and, with ``require_speech``, one with no
    speech in it: raises an AudioError whose ``user_message`` says what to do."""
    from trainer.speech.audio import AudioTooLongError, load_audio

    if limit_seconds is None:
        load_audio(data, min_seconds=0.0, require_speech=require_speech)
        return
    try:
        load_audio(data, max_seconds=limit_seconds + ANSWER_GRACE_SECONDS, min_seconds=0.0,
                   require_speech=require_speech)
    except AudioTooLongError as error:
        raise AudioTooLongError(f"Your recording is longer than the {limit_seconds:g} seconds this task allows.") from error


def friendly_message(error: BaseException) -> str:
    """What to tell the user about an error from the audio, scoring or storage layers."""
    from trainer.data.access import AccessDenied
    from trainer.speech.audio import AudioError
    from trainer.data.storage import StorageUnavailable
    from trainer.speech.tts import SpeechSynthesisError

    if isinstance(error, AudioError):
        return error.user_message
    if isinstance(error, AccessDenied):
        return str(error)
    if isinstance(error, StorageUnavailable):
        return ("Your answers cannot be saved right now: the database is not available. "
                "Please try again in a moment, or tell your administrator.")
    if isinstance(error, SpeechSynthesisError):
        return "The audio for this item cannot be played right now; the text is shown instead."
    if isinstance(error, ValueError):
        return str(error)
    return f"Something went wrong ({type(error).__name__}). Please try again."


# =========================================================================== resources


@st.cache_resource(show_spinner="Loading the speech model (first time only)...")
def warm_recogniser():
    """Load the speech model once for every session of this server."""
    from trainer.speech.asr import get_whisper_model

    return get_whisper_model()


@st.cache_resource(show_spinner="Starting the grammar checker (first time only)...")
def _grammar_server_url() -> str:
    from trainer.features.grammar import server

    return server().ensure_running()


def warm_grammar() -> None:
    """Start (or find) the LanguageTool server once per app server. A dead server is not
    cached: scoring then reports grammar as unavailable and the next answer tries again."""
    from trainer.features.grammar import GrammarUnavailable

    try:
        _grammar_server_url()
    except GrammarUnavailable:
        pass


def caller_audio(text: str, voice: str, telephone: bool = False):
    """The synthesised line's path, or None (and a caption) if the voice engine fails."""
    from trainer.speech.tts import SpeechSynthesisError, synthesize

    try:
        return synthesize(text, voice, telephone)
    except (SpeechSynthesisError, OSError, RuntimeError) as error:
        st.caption(friendly_message(error if isinstance(error, SpeechSynthesisError)
                                    else SpeechSynthesisError(str(error))))
        return None


def play(text: str, voice: str, telephone: bool = False, autoplay: bool = False) -> None:
    path = caller_audio(text, voice, telephone)
    if path is not None:
        st.audio(str(path), autoplay=autoplay)
    else:
        st.markdown(f"> {escape_markdown(text)}")


# =========================================================================== the actor


def current_actor():
    """The signed-in actor; app.py re-checks it against the database on every run."""
    return st.session_state.get("actor")


def link_to_start() -> None:
    """Where someone signed out starts: the profile picker when open practice is on (a
    single-machine install), the sign-in page otherwise."""
    from trainer.config import get_settings

    if get_settings().open_practice:
        st.page_link("views/profile.py", label="Choose or create your profile", icon="👤")
    else:
        st.page_link("views/sign_in.py", label="Sign in", icon="🔑")


def require_actor():
    """The signed-in applicant, or a pointer to the start page and a stop."""
    actor = current_actor()
    if actor is None:
        st.info("Please choose your profile or sign in first.")
        link_to_start()
        st.stop()
    return actor


def show_error(error: BaseException) -> None:
    """A friendly message for an error from the data, audio or scoring layers; a refusal
    because the account changed offers to sign in again."""
    from trainer.data.access import AccessDenied, NotFound

    st.error(friendly_message(error))
    if isinstance(error, AccessDenied) and not isinstance(error, NotFound) and "sign in again" in str(error):
        st.session_state.pop("actor", None)
        link_to_start()


# =========================================================================== tasks and timing


def prompt_audio(task) -> list[tuple[str, str]]:
    """(label, text) of what the applicant hears before answering."""
    if task.type in ("repeat", "listening") or (task.type == "retell" and task.text):
        return [("Listen", task.text)]
    if task.type == "sentence_build":
        return [("Listen", " ... ".join(task.phrases))]
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


def answer_limit(task) -> int:
    """Seconds allowed for the whole answer: a role-play's limit is per agent turn, so
    answering the whole call in one recording gets one turn's time per caller turn."""
    if task.type == "role_play":
        return task.answer_seconds * len(get_bank().get_scenario(task.scenario).turns)
    return task.answer_seconds


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
  button.addEventListener("click", () => {{ button.textContent = "\u21BB Restart"; run([["Prepare", {prep}], ["{answer_phase}", {answer}]]); }});
}})();
</script>
"""


def countdown(prep_seconds: int, answer_seconds: int, key: str, typed: bool = False) -> None:
    """A clock for the preparation and answer time, run in the browser (the page does not
    rerun every second). The answer limit itself is enforced on the recording's length."""
    st.caption(time_limits_text(prep_seconds, answer_seconds, typed))
    element_id = "clock-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)
    # The limits are in the caption above; the box only says what its button does.
    st.html(_COUNTDOWN.format(id=element_id, summary="Start the clock when you are ready",
                              prep=int(prep_seconds), answer=int(answer_seconds),
                              answer_phase="Write your reply now" if typed else "Speak now",
                              done="Time is up" + ("" if typed else ": press Stop")),
            unsafe_allow_javascript=True)


# =========================================================================== scoring


def score_with_status(attempt_id: int, spoken: bool = True, label: str = "Scoring your answer..."):
    """Score a saved attempt, showing each stage as it starts. Returns the ScoreOutcome;
    says what to do when the answer could not be scored (the recording is kept)."""
    from trainer.data import records
    from trainer.data.storage import AttemptStatus

    with st.status(label, expanded=True) as status:
        if spoken:
            status.write("Getting the speech model ready...")
            try:
                warm_recogniser()
            except Exception:  # noqa: BLE001 - scoring itself reports the failure and keeps the attempt
                pass
        status.write("Getting the grammar checker ready...")
        warm_grammar()
        outcome = records.score_attempt(attempt_id, progress=lambda stage: status.write(
            STAGE_TEXT.get(stage, stage.capitalize()) + "..."))
        if outcome.status == AttemptStatus.SCORED:
            status.update(label="Scored", state="complete", expanded=False)
        else:
            status.update(label="Not scored", state="error", expanded=False)
    if outcome.status == AttemptStatus.UNSCORABLE:
        st.warning(outcome.message + " Your answer is kept in your history.")
    elif outcome.status != AttemptStatus.SCORED:
        st.warning(outcome.message)
    return outcome


# =========================================================================== the report


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _bound(check) -> str:
    if check.min is not None and check.max is not None:
        return f"{_number(check.min)} to {_number(check.max)}"
    return f"at least {_number(check.min)}" if check.min is not None else f"at most {_number(check.max)}"


def _checks_table(checks) -> list[dict]:
    return [{"measure": feature_title(c.feature), "yours": _number(c.value), "needed": _bound(c),
             "met": "✅" if c.met else ("❌" if c.met is False else "not measured")} for c in checks]


def show_dimension(name: str, machine, effective=None) -> None:
    """One dimension in an expander: band wording, the coach's band if set, and the
    evidence (measured features, thresholds reached and those of the band above)."""
    band = effective.band if effective else machine.band
    label = effective.label if effective else machine.label
    descriptor = effective.descriptor if effective else machine.descriptor
    title = f"{dimension_title(name)}: {machine.score:.0f}/100 · band {band} ({label})"
    if effective is not None and effective.overridden:
        title += " · set by your coach"
    with st.expander(title):
        st.write(descriptor)
        if effective is not None and effective.overridden:
            override = effective.override
            st.info(f"Your coach {escape_markdown(override.coach_name)} set this band to {override.coach_band} "
                    f"(the machine gave {override.machine_band}): {escape_markdown(override.reason)}")
        if machine.band_checks:
            st.caption(f"Why band {machine.band}: the thresholds it asks for")
            st.dataframe(_checks_table(machine.band_checks), hide_index=True)
        if machine.next_band_checks:
            st.caption(f"What band {machine.band + 1} asks for")
            st.dataframe(_checks_table(machine.next_band_checks), hide_index=True)
        _dimension_details(name, machine)
        st.caption("All measurements")
        st.json({"features": machine.features, **machine.details}, expanded=False)


def _dimension_details(name: str, machine) -> None:
    details = machine.details
    if name == "fluency":
        pauses = details.get("pauses") or []
        fillers = details.get("fillers") or []
        st.caption(f"{len(pauses)} pause(s) of 0.25 s or more"
                   + (f", longest {max(p['seconds'] for p in pauses):.1f} s" if pauses else "")
                   + f"; {len(fillers)} filler(s)"
                   + (": " + ", ".join(escape_markdown(f.get('heard') or f['filler']) for f in fillers) if fillers else ""))
    elif name == "vocabulary":
        phrases = [p["matched"] for p in details.get("call_centre_phrases") or []]
        if phrases:
            st.caption("Call-centre phrases you used: " + "; ".join(escape_markdown(p) for p in phrases[:10]))
        above = details.get("above_a2_words") or {}
        if above:
            st.caption("Words above A2: " + ", ".join(f"{escape_markdown(w)} ({lvl})" for w, lvl in list(above.items())[:15]))
    elif name == "comprehension":
        answer = details.get("answer")
        if answer:
            st.caption(f"Closest accepted answer: {escape_markdown(answer.get('best_accepted') or '')}")
        if key_points := details.get("key_points"):
            st.dataframe([{"key point": p["point"], "covered": "✅" if p["found"] else "❌"}
                          for p in key_points.get("points", [])], hide_index=True)
    elif name == "call_handling":
        moves = details.get("moves") or []
        if moves:
            st.dataframe([{"step": m["move"], "done": "✅" if m["found"] else ("❌" if m["required"] else "optional"),
                           "you said": m.get("matched_text") or ""} for m in moves], hide_index=True)


def show_scores(report, dimensions: dict | None = None) -> None:
    """Overall score, level and the hiring-bar verdict, then every dimension with its
    evidence. ``dimensions`` (AttemptDetail.dimensions) adds the coach's bands."""
    if not report.scorable:
        st.error(report.reason)
        return
    overall = report.overall
    cols = st.columns(3)
    cols[0].metric("Overall", f"{overall.score:.0f}/100")
    cols[1].metric("Level", overall.level)
    cols[2].metric(f"Hiring bar {overall.hiring_bar}", overall.verdict)
    for name, machine in report.dimensions.items():
        show_dimension(name, machine, (dimensions or {}).get(name))
    for name, why in report.unavailable.items():
        st.warning(f"{dimension_title(name)} was not scored: {why}")
    for warning in report.warnings:
        if not any(warning.startswith(f"{name}:") for name in report.unavailable):
            st.caption(warning)


def show_transcript(report, answer_text: str | None = None) -> None:
    """What we heard (or what was typed), grammar errors marked with their message and
    suggestion on hover and listed below, words the recogniser was unsure of in amber;
    for a read-aloud answer, the text read with each word coloured by pronunciation."""
    text = answer_text if answer_text is not None else (report.transcript.text if report.transcript else "")
    errors = grammar_errors(report)
    pronunciation = report.dimensions.get("pronunciation")
    unsure = [w["start"] for w in (pronunciation.details.get("low_confidence_words") or [])] if pronunciation else []
    if text:
        st.markdown("**What we heard**" if answer_text is None else "**Your reply**")
        words = report.transcript.words if (report.transcript and answer_text is None) else []
        st.html(transcript_html(transcript_tokens(text, errors, unsure, words), errors))
        if unsure:
            st.html(legend_html(["unclear"], {"unclear": "words the recogniser was unsure of"}))
    if errors:
        with st.expander(f"Grammar notes ({len(errors)})", expanded=len(errors) <= 3):
            for number, error in enumerate(errors, 1):
                fix = f" Try: *{escape_markdown(', '.join(error.suggestions[:3]))}*" if error.suggestions else ""
                st.markdown(f"{number}. **{escape_markdown(error.text)}**: {escape_markdown(error.message)}{fix}")
    reading = pronunciation.details.get("words") if pronunciation else None
    if reading:
        st.markdown("**Your reading, word by word**")
        st.html(reading_html(reading))
        st.html(legend_html(WORD_LABELS))


def show_fluency_timeline(report) -> None:
    chart = fluency_chart(report)
    if chart is not None:
        st.altair_chart(chart, width="stretch")


def show_facts(report) -> None:
    rows = fact_rows(report)
    if rows:
        captured = sum(r["captured"] for r in rows)
        st.markdown(f"**The caller's details: you captured {captured} of {len(rows)}**")
        st.dataframe([{**r, "captured": "✅" if r["captured"] else "❌ missed"} for r in rows], hide_index=True)


def show_report(report, dimensions: dict | None = None, answer_text: str | None = None) -> None:
    """A whole machine report: scores with evidence, transcript, fluency timeline, facts."""
    show_scores(report, dimensions)
    if report.transcript or answer_text:
        show_transcript(report, answer_text)
    show_fluency_timeline(report)
    show_facts(report)


def show_comments(comments) -> None:
    if not comments:
        return
    st.subheader("Your coach's comments")
    for comment in comments:
        with st.container(border=True):
            when = (comment.updated_at or comment.created_at).astimezone().strftime("%d %b %Y %H:%M")
            st.caption(f"{escape_markdown(comment.author_name)} · {when}" + (" (edited)" if comment.updated_at else ""))
            st.markdown(escape_markdown(comment.text))


def comparison_rows(detail, earlier: Sequence, points: Sequence) -> list[dict]:
    """This attempt and the earlier ones (AttemptSummary, scored), newest first, with the
    bands that count per dimension (records.dimension_history points)."""
    bands: dict[int, dict[str, int]] = {}
    for point in points:
        bands.setdefault(point.attempt_id, {})[point.dimension] = point.band
    rows = []
    for summary in [detail.summary, *earlier]:
        row = {"when": summary.created_at.astimezone().strftime("%d %b %H:%M"),
               "overall": None if summary.overall_score is None else round(summary.overall_score),
               "level": summary.level or ""}
        own = {n: d.band for n, d in detail.dimensions.items()} if summary.id == detail.id else bands.get(summary.id, {})
        for name in detail.dimensions:
            row[dimension_title(name)] = own.get(name)
        row["this one"] = "◀" if summary.id == detail.id else ""
        rows.append(row)
    return rows


def show_comparison(detail, earlier: Sequence, points: Sequence, same_task: bool = True) -> None:
    st.subheader("Compared with your earlier answers")
    if not earlier:
        st.caption("This is your first scored answer of this kind: answer it again later to see your progress.")
        return
    if not same_task:
        st.caption(f"No earlier answer to this task; compared with your earlier "
                   f"{TASK_TYPE_NAMES.get(detail.summary.task_type, detail.summary.task_type).lower()} answers.")
    previous = earlier[0]
    if detail.summary.overall_score is not None and previous.overall_score is not None:
        delta = detail.summary.overall_score - previous.overall_score
        st.metric("Overall, against your previous answer", f"{detail.summary.overall_score:.0f}/100", f"{delta:+.0f}")
    st.dataframe(comparison_rows(detail, earlier[:5], points), hide_index=True)


def show_next_lesson(dimensions: dict, bank_: ContentBank) -> None:
    name = weakest_dimension(dimensions)
    if name is None:
        return
    lessons = lessons_for(bank_, name)
    st.subheader("What to work on next")
    st.write(f"Your weakest area in this answer is **{dimension_title(name).lower()}** "
             f"(band {dimensions[name].band}).")
    if not lessons:
        st.caption("Practise more tasks of this kind.")
        return
    st.page_link("views/lessons.py", label=f"Take the lesson: {lessons[0].title}", icon="📘",
                 query_params={"lesson": lessons[0].id})
    for other in lessons[1:3]:
        st.page_link("views/lessons.py", label=f"Also: {other.title}", icon="📗", query_params={"lesson": other.id})


def show_attempt_status(summary) -> bool:
    """A message for an attempt that is not scored; True when it is scored."""
    from trainer.data.records import ScoreOutcome
    from trainer.data.storage import AttemptStatus

    if summary.status == AttemptStatus.SCORED:
        return True
    if summary.status == AttemptStatus.UNSCORABLE:
        st.warning(f"This answer could not be scored: {summary.status_reason}")
    elif summary.status == AttemptStatus.FAILED:
        st.warning(ScoreOutcome(summary.id, summary.status, summary.status_reason).message)
    else:
        st.info("This answer is saved and waiting to be scored.")
    return False


def show_feedback(detail, *, earlier: Sequence = (), points: Sequence = (), same_task: bool = True,
                  bank_: ContentBank | None = None) -> None:
    """The full feedback of one saved attempt (records.AttemptDetail): recording or typed
    answer, scores with the coach's bands, evidence, transcript, fluency timeline, facts,
    coach comments, comparison with ``earlier`` attempts and the lesson to take next."""
    bank_ = bank_ or get_bank()
    summary = detail.summary
    if detail.recording_path is not None and detail.recording_path.is_file():
        st.audio(str(detail.recording_path))
    scored = show_attempt_status(summary)
    report = detail.report
    if report is not None and scored:
        show_scores(report, detail.dimensions)
    show_comments(detail.comments)
    if report is not None:
        if report.transcript or detail.answer_text:
            show_transcript(report, detail.answer_text)
        show_fluency_timeline(report)
        show_facts(report)
    elif detail.answer_text:
        st.markdown("**Your reply**")
        st.text(detail.answer_text)
    if scored:
        show_comparison(detail, earlier, points, same_task)
        show_next_lesson(detail.dimensions, bank_)


def status_of(summary) -> str:
    return {"scored": "scored", "unscorable": "not scorable", "failed": "to be scored again",
            "recorded": "waiting", "scoring": "being scored"}.get(str(summary.status), str(summary.status))


def since(moment: datetime) -> str:
    return moment.astimezone().strftime("%d %b %Y %H:%M")
