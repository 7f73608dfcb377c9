"""Words and dates as the pages show them: escaping of user text for Markdown, dates, and
the display names of dimensions, measured features, roles and attempts. Plain functions,
no Streamlit. Task-type names live in the content layer (``trainer.content.TASK_TYPE_NAMES``).

Text typed by users or heard by the recogniser is always escaped before it is rendered:
``html.escape`` inside HTML, ``escape_markdown`` inside Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from trainer.content import ContentBank, task_type_name
from trainer.data import Role
from trainer.speech.textnorm import normalize

ROLE_NAMES = {Role.APPLICANT: "applicant", Role.COACH: "coach", Role.RECRUITER: "recruiter", Role.ADMIN: "admin"}


def a_role(role: Role | str) -> str:
    """ "a coach", "an admin": a role's name with its article."""
    name = ROLE_NAMES[Role(role)]
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


DIMENSION_NAMES = {
    "grammar": "Grammar",
    "fluency": "Fluency",
    "pronunciation": "Pronunciation",
    "vocabulary": "Vocabulary",
    "comprehension": "Comprehension",
    "call_handling": "Call handling",
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
    "mattr": "variety of words (MATTR, 30-word window)",
    "hdd": "variety of words (HD-D)",
    "share_b2_plus": "share of words at B2 or above",
    "mean_zipf_content": "word frequency (mean Zipf, lower = rarer)",
    "share_beyond_2k": "share of words beyond the 2,000 most frequent",
    "share_beyond_5k": "share of words beyond the 5,000 most frequent",
    "collocation_strength": "how well your words go together (mean MI of word pairs)",
    "structure_variety": "kinds of sentence structure used",
    "subordinators_per_100_words": "linking clauses (because, which, if...) per 100 words",
    "mean_clause_length": "words per clause (mean)",
    "dependent_clauses_per_clause": "share of clauses that depend on another (because..., which..., if...)",
    "call_centre_phrases": "call-centre phrases used",
    "key_point_coverage": "key points covered",
    "answer_match": "answer matches",
    "facts_captured": "caller's details captured",
    "call_moves_covered": "call steps covered",
    "politeness_markers": "politeness markers",
}

# Every ASCII punctuation character can be backslash-escaped in CommonMark: escaped, user
# text cannot make links, images, HTML, LaTeX ($) or Streamlit's :color[...] directives.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: object) -> str:
    """User text made safe to put inside st.markdown / labels / headers (names, comments,
    transcripts): shown as typed, no links, no emphasis, no HTML."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return escaped.replace("\r", "").replace("\n", "  \n")


def when(value: datetime | None) -> str:
    """A stored (UTC) moment for the staff's tables: "2026-05-12 14:03"; "" for none."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def dimension_title(name: str) -> str:
    return DIMENSION_NAMES.get(name, name.replace("_", " ").capitalize())


def feature_title(name: str) -> str:
    return FEATURE_NAMES.get(name, name.replace("_", " "))


def task_label(task) -> str:
    return f"{task.level} · {task.display_title}"


def attempt_title(summary, bank: ContentBank) -> str:
    """ "Listening question: What colour ... (12 May 14:03)" for lists of attempts."""
    kind = task_type_name(summary.task_type)
    title = ""
    if summary.task_id:
        try:
            title = bank.get_task(summary.task_id).display_title
        except KeyError:
            title = summary.task_id
    if summary.kind == "mock_call":
        kind = "Mock call" + (f", turn {summary.position + 1}" if summary.position is not None else "")
    at = summary.created_at.astimezone().strftime("%d %b %H:%M")
    return f"{kind}: {title} ({at})" if title else f"{kind} ({at})"


def status_of(summary) -> str:
    return {
        "scored": "scored",
        "unscorable": "not scorable",
        "failed": "scoring failed",
        "recorded": "waiting",
        "scoring": "being scored",
    }.get(str(summary.status), str(summary.status))


def matches_any(answer: str, accepted: Iterable[str]) -> bool:
    """A typed answer equals one of the accepted ones, ignoring case, punctuation and how
    numbers are written."""

    said = normalize(answer or "")
    return bool(said) and any(said == normalize(a) for a in accepted)
