"""Text normalisation for comparing what was said with what was expected.

Recognisers write "$25", "3rd" or "Mr." where a reference has "twenty five dollars",
"third" or "mister"; scoring and WER compare words, so both sides are spelled out,
lower-cased and stripped of punctuation first.
"""

from __future__ import annotations

import re

import jiwer
from num2words import num2words

_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
# Whisper writes digits read one by one as "2-8-9-1" or "555-0134": each digit is a word.
_DIGIT_GROUPS = re.compile(r"^\d+(-\d+)+$")
_ABBREVIATIONS = {
    "mr": "mister",
    "mrs": "missus",
    "ms": "miss",
    "dr": "doctor",
    "st": "street",
    "ok": "okay",
    "e-mail": "email",
}


def _spell_number(token: str) -> str:
    if len(token) > 1 and token.startswith("0") and token.isdigit():
        return " ".join(num2words(int(d)) for d in token)  # "0351": read digit by digit
    if "." in token:
        whole, frac = token.split(".")
        return f"{num2words(int(whole))} point {' '.join(num2words(int(d)) for d in frac)}"
    return num2words(int(token))


def _spell_token(token: str) -> str:
    bare = token.strip('.,!?;:"()[]')
    prefix = ""
    suffix = ""
    if bare.startswith("$"):
        bare, suffix = bare[1:], " dollars"
    if bare.endswith("%"):
        bare, suffix = bare[:-1], " percent"
    bare = bare.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", bare) else bare
    if _NUMBER.match(bare):
        return prefix + _spell_number(bare) + suffix
    if _DIGIT_GROUPS.match(bare):
        return " ".join(num2words(int(d)) for d in bare if d.isdigit())
    if match := _ORDINAL.match(bare.lower()):
        return num2words(int(match.group(1)), to="ordinal")
    if match := _TIME.match(bare):
        hours, minutes = int(match.group(1)), int(match.group(2))
        return num2words(hours) + ("" if minutes == 0 else f" {num2words(minutes)}")
    lowered = bare.lower()
    if lowered in _ABBREVIATIONS:
        return _ABBREVIATIONS[lowered]
    return token


def normalize(text: str) -> str:
    """Lower-case words, numbers spelled out, no punctuation, single spaces."""
    text = text.replace("’", "'").replace("‘", "'")
    spelled = " ".join(_spell_token(t) for t in text.split())
    spelled = spelled.lower().replace("-", " ")
    spelled = re.sub(r"[^\w\s']", " ", spelled)  # keep apostrophes of contractions
    spelled = re.sub(r"(?<!\w)'|'(?!\w)", " ", spelled)
    return re.sub(r"\s+", " ", spelled).strip()


def words(text: str) -> list[str]:
    return normalize(text).split()


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER (errors summed over all utterances / reference words)."""
    pairs = [(normalize(r), normalize(h)) for r, h in zip(references, hypotheses, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return 0.0
    return jiwer.wer([r for r, _ in pairs], [h for _, h in pairs])
