"""A transcript as HTML: the answer's words with grammar errors marked (message and
suggestion on hover, numbered like the list under it) and the words the recogniser was
unsure of; a read-aloud answer's text coloured word by word by pronunciation. Plain
functions, no Streamlit; every piece of text is escaped (it is what someone said or typed).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trainer.scoring import GrammarError

# Per-word pronunciation labels (trainer.features.pronunciation) and how they are shown.
WORD_LABELS = {
    "ok": ("#1a7f37", "clear"),
    "unclear": ("#9a6700", "unclear"),
    "mispronounced": ("#cf222e", "mispronounced"),
    "omitted": ("#6e7781", "left out"),
}
RESTORED_STYLE = "border-bottom:2px dotted #0969da;cursor:help"
GRAMMAR_MARK_STYLE = "background:#fff1c2;border-bottom:2px wavy #cf222e;padding:0 1px;text-decoration:none;cursor:help"


@dataclass(frozen=True)
class Token:
    """A piece of a transcript as shown: its text, the grammar error it is part of (index
    into the report's errors) and the recogniser's confidence label."""

    text: str
    error: int | None = None
    unsure: bool = False
    restored_from: str | None = None  # what the recogniser wrote, where the verbatim pass heard another form


def _words_with_offsets(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]


def _bare(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def grammar_errors(report) -> list[GrammarError]:
    return report.grammar_errors() if report else []


def transcript_tokens(
    text: str, errors: Sequence[GrammarError] = (), unsure_times: Iterable[float] = (), words: Sequence = ()
) -> list[Token]:
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
        error = next((i for i, e in enumerate(errors) if e.offset < end and start < e.offset + max(1, e.length)), None)
        unsure = False
        restored_from = None
        for j in range(cursor, min(cursor + 3, len(timed))):
            if _bare(timed[j].text) == _bare(piece):
                unsure = round(timed[j].start, 2) in unsure_times
                restored_from = getattr(timed[j], "restored_from", None)
                cursor = j + 1
                break
        tokens.append(Token(piece, error, unsure, restored_from))
    return tokens


def transcript_html(
    text: str, errors: Sequence[GrammarError] = (), unsure_times: Iterable[float] = (), words: Sequence = ()
) -> str:
    """``text`` as escaped HTML: grammar errors marked (message and suggestion in the hover
    title, numbered like the list under the transcript), words the recogniser was unsure
    of in amber (see ``transcript_tokens`` for ``unsure_times`` and ``words``)."""
    parts: list[str] = []
    open_error: int | None = None
    for token in transcript_tokens(text, errors, unsure_times, words):
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
        if token.restored_from:
            hint = html.escape(f"as said: the recogniser wrote \u201c{token.restored_from}\u201d", quote=True)
            word = f'<span style="{RESTORED_STYLE}" title="{hint}">{word}</span>'
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
        if word.get("expert_mark") is not None:
            hint += f"; an expert would mark it {round(100 * word['expert_mark'])} times in 100"
        style = f"color:{colour};font-weight:600"
        if word.get("label") == "omitted":
            style += ";text-decoration:line-through"
        parts.append(
            f'<span style="{style}" title="{html.escape(hint, quote=True)}">{html.escape(str(word["word"]))}</span>'
        )
    return '<p style="font-size:1.1rem;line-height:1.9">' + " ".join(parts) + "</p>"


def legend_html(labels: Iterable[str], names: dict[str, str] | None = None) -> str:
    items = [
        f'<span style="color:{WORD_LABELS[label][0]};font-weight:600">'
        f"{html.escape((names or {}).get(label, WORD_LABELS[label][1]))}</span>"
        for label in labels
    ]
    return '<p style="font-size:0.85rem">Colours: ' + " · ".join(items) + "</p>"
