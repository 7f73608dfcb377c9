"""Comprehension and call-handling features: answers, key points, caller facts, call moves.

Public API (each result has ``features()`` with the rubric's feature names and
``evidence()``, JSON-serialisable):

- ``match_answer(answer, accepted) -> AnswerMatch``: ``answer_match`` 0-1.
- ``key_point_coverage(text, key_points) -> Coverage``: ``key_point_coverage`` 0-1.
- ``facts_captured(text, facts) -> FactCheck``: ``facts_captured`` 0-1.
- ``call_moves(text, expected_moves, phrasebank=None) -> MoveCoverage``:
  ``call_moves_covered`` 0-1 and ``politeness_markers`` (a count).

Matching rules are described on each function; every cut is a module constant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz
from text_to_num import alpha2digit

from trainer.content import get_bank
from trainer.features.lexical import STOP_WORDS, stem
from trainer.speech.textnorm import normalize

if TYPE_CHECKING:  # pragma: no cover
    from trainer.content import ExpectedMove, Fact, KeyPoint, PhraseBank

# --------------------------------------------------------------------------- thresholds

# match_answer: token-sort similarity (0-100) at or above which a near-miss ("a blu jacket")
# counts, scored by its similarity; below it only content-word overlap gives partial credit.
ANSWER_FUZZY_CUT = 85.0
# Negations that, right before an accepted answer, turn it around ("not blue").
NEGATIONS = frozenset({"not", "no", "never", "isn't", "wasn't", "don't", "didn't"})
# Words that count as content in short answers although STOP_WORDS lists them.
ANSWER_KEYWORDS = frozenset({"yes", "no", "never", "before", "after", "today", "tomorrow", "yesterday", "now", "not"})

# key_point_coverage: an accepted phrasing is found when its lemmas appear in order
# ("exact"), or a window of the text is this similar to it (rapidfuzz ratio, 0-100),
# or all of its content lemmas occur within a window of KEY_POINT_WINDOW_FACTOR x its length.
KEY_POINT_FUZZY_CUT = 85.0
KEY_POINT_MIN_FUZZY_CHARS = 5  # shorter phrasings ("rain") must match exactly
KEY_POINT_WINDOW_FACTOR = 2.5

# facts_captured
NAME_FUZZY_CUT = 80.0  # each part of a name, against the best word of the text
ADDRESS_WORD_SHARE = 0.6  # share of an address's words needed (all its numbers are needed)
DATE_NEIGHBOURHOOD = 3  # words between a month and its day ("May the third", "3rd of May")
AMOUNT_TOLERANCE = 0.005

# call_moves: the phrase bank's moves that can show each expected move.
MOVE_SOURCES: dict[str, tuple[str, ...]] = {
    "greeting": ("greeting",),
    "verification": ("verification",),
    "empathy": ("empathy", "apology"),
    "resolution": ("resolution",),
    "escalation": ("escalation", "transfer"),
    "confirmation": ("confirmation",),
    "closing": ("closing",),
}
# A greeting counts only in the first OPENING_WORDS words, a closing only in the last
# CLOSING_WORDS (or anywhere when the text is shorter): "thank you for calling" at the
# end is a closing, "this is" in mid-call is not a greeting.
OPENING_WORDS = 40
CLOSING_WORDS = 40
# A move's own phrasing (a whole model sentence) counts when a window of the text is this
# similar to it (rapidfuzz token_set_ratio on lemmas, 0-100) and shares at least
# MOVE_PHRASING_MIN_SHARED content lemmas with it.
MOVE_PHRASING_CUT = 80.0
MOVE_PHRASING_MIN_SHARED = 3

FEATURES = {
    "answer_match": "AnswerMatch",
    "key_point_coverage": "Coverage",
    "facts_captured": "FactCheck",
    "call_moves_covered": "MoveCoverage",
    "politeness_markers": "MoveCoverage",
}


# --------------------------------------------------------------------------- text helpers


def flat(text: str) -> str:
    """Lower case, "e-mail" as "email", punctuation to spaces (apostrophes kept)."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("e-mail", "email")
    text = re.sub(r"[^a-z0-9']+", " ", text)
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return " ".join(text.split())


def lemmas(text: str) -> list[str]:
    """Normalised words (numbers spelled out) reduced by :func:`trainer.features.lexical.stem`."""
    return [stem(w) for w in normalize(text).split()]


def _content(words: Iterable[str], keep: frozenset[str] = frozenset()) -> list[str]:
    return [w for w in words if w in keep or (w not in STOP_WORDS and len(w) > 1)]


def _find_sequence(haystack: Sequence[str], needle: Sequence[str]) -> int:
    n = len(needle)
    if not n:
        return -1
    for i in range(len(haystack) - n + 1):
        if list(haystack[i : i + n]) == list(needle):
            return i
    return -1


def _best_window(words: list[str], target: list[str], scorer=fuzz.ratio) -> tuple[float, int, int]:
    """Best similarity of ``target`` (words) to a window of ``words`` of about its length."""
    best = (0.0, -1, -1)
    if not words or not target:
        return best
    joined_target = " ".join(target)
    n = len(target)
    for size in {max(1, n - 1), n, n + 1}:
        for i in range(0, max(1, len(words) - size + 1)):
            score = scorer(" ".join(words[i : i + size]), joined_target)
            if score > best[0]:
                best = (float(score), i, min(i + size, len(words)))
    return best


# --------------------------------------------------------------------------- answers


@dataclass
class AnswerMatch:
    answer: str
    normalized_answer: str
    answer_match: float  # 0-1
    matched: bool  # exact, contained or a close fuzzy match
    method: str  # "exact" | "contains" | "contained" | "fuzzy" | "overlap" | "none"
    best_accepted: str | None
    similarity: float  # rapidfuzz token_sort_ratio to the best accepted answer, 0-100

    def features(self) -> dict[str, float]:
        return {"answer_match": round(self.answer_match, 4)}

    def evidence(self) -> dict:
        return {**asdict(self), "fuzzy_cut": ANSWER_FUZZY_CUT}


def match_answer(answer: str, accepted: list[str]) -> AnswerMatch:
    """How well a short answer matches any accepted answer (best over them).

    Both sides are normalised (``trainer.speech.textnorm``: lower case, numbers spelled out).
    1.0 for an exact match, for an answer containing an accepted answer ("it was blue" for
    "blue", unless negated right before: "not blue"), or for an answer whose content words
    all belong to an accepted one ("blue" for "a blue jacket"). Otherwise the rapidfuzz
    token-sort similarity when it reaches ``ANSWER_FUZZY_CUT``, else the share of the
    accepted answer's content lemmas the answer has (partial credit), else 0.
    """
    said = normalize(answer)
    said_words = said.split()
    said_content = set(stem(w) for w in _content(said_words, ANSWER_KEYWORDS))
    best = AnswerMatch(answer, said, 0.0, False, "none", None, 0.0)
    if not said:
        return best

    def better(candidate: AnswerMatch) -> None:
        nonlocal best
        if (candidate.answer_match, candidate.similarity) > (best.answer_match, best.similarity):
            best = candidate

    for option in accepted:
        target = normalize(option)
        if not target:
            continue
        target_words = target.split()
        similarity = float(fuzz.token_sort_ratio(said, target))
        if said == target:
            better(AnswerMatch(answer, said, 1.0, True, "exact", option, similarity))
            continue
        position = _find_sequence(said_words, target_words)
        negated = position > 0 and said_words[position - 1] in NEGATIONS and target_words[0] not in NEGATIONS
        if position >= 0 and not negated:
            better(AnswerMatch(answer, said, 1.0, True, "contains", option, similarity))
            continue
        target_content = set(stem(w) for w in _content(target_words, ANSWER_KEYWORDS))
        if said_content and said_content <= target_content and not (set(said_words) & NEGATIONS - set(target_words)):
            better(AnswerMatch(answer, said, 1.0, True, "contained", option, similarity))
            continue
        if similarity >= ANSWER_FUZZY_CUT:
            better(AnswerMatch(answer, said, similarity / 100.0, True, "fuzzy", option, similarity))
            continue
        flipped = bool((set(said_words) & NEGATIONS) - set(target_words))
        if target_content and not flipped:
            share = len(said_content & target_content) / len(target_content)
            if share > 0:
                better(AnswerMatch(answer, said, share, False, "overlap", option, similarity))
                continue
        better(AnswerMatch(answer, said, 0.0, False, "none", option, similarity))
    return best


# --------------------------------------------------------------------------- key points


@dataclass
class KeyPointResult:
    point: str
    found: bool
    method: str | None = None  # "exact" | "words" | "fuzzy"
    accepted: str | None = None  # the accepted phrasing that matched
    matched_text: str | None = None  # the words of the answer that matched it
    score: float = 0.0  # 0-100


@dataclass
class Coverage:
    points: list[KeyPointResult]

    @property
    def key_point_coverage(self) -> float:
        return sum(p.found for p in self.points) / len(self.points) if self.points else 0.0

    def features(self) -> dict[str, float]:
        return {"key_point_coverage": round(self.key_point_coverage, 4)}

    def evidence(self) -> dict:
        return {
            "found": sum(p.found for p in self.points),
            "total": len(self.points),
            "points": [asdict(p) for p in self.points],
            "fuzzy_cut": KEY_POINT_FUZZY_CUT,
        }


def _key_point_parts(point) -> tuple[str, list[str]]:
    if isinstance(point, str):
        return point, [point]
    if isinstance(point, dict):
        return point["point"], list(point.get("accepted") or [point["point"]])
    return point.point, list(point.accepted)


def key_point_coverage(text: str, key_points: Iterable[KeyPoint | dict | str]) -> Coverage:
    """Which key points an answer mentions. Each point (a ``KeyPoint``, a dict with
    ``point``/``accepted``, or a plain string) is found when one of its accepted phrasings
    matches: its lemmas in order ("exact"), all its content lemmas close together in any
    order ("words"), or a window of the answer at least ``KEY_POINT_FUZZY_CUT`` similar
    ("fuzzy", for phrasings of ``KEY_POINT_MIN_FUZZY_CHARS`` letters or more)."""
    said = normalize(text).split()
    said_lemmas = [stem(w) for w in said]
    results: list[KeyPointResult] = []
    for point in key_points:
        label, phrasings = _key_point_parts(point)
        result = KeyPointResult(label, False)
        for phrasing in phrasings:
            found = _match_phrasing(said, said_lemmas, phrasing)
            if found and (not result.found or found.score > result.score):
                result = found
                result.point = label
                if found.method == "exact":
                    break
        results.append(result)
    return Coverage(results)


def _match_phrasing(said: list[str], said_lemmas: list[str], phrasing: str) -> KeyPointResult | None:
    target_words = normalize(phrasing).split()
    target = [stem(w) for w in target_words]
    if not target:
        return None
    position = _find_sequence(said_lemmas, target)
    if position >= 0:
        return KeyPointResult("", True, "exact", phrasing, " ".join(said[position : position + len(target)]), 100.0)
    content = [stem(w) for w in _content(target_words)]
    if len(content) >= 2:
        width = max(len(target), int(round(len(target) * KEY_POINT_WINDOW_FACTOR)))
        for i in range(len(said_lemmas)):
            window = said_lemmas[i : i + width]
            if set(content) <= set(window):
                end = max(j for j in range(len(window)) if window[j] in content) + i + 1
                start = min(j for j in range(len(window)) if window[j] in content) + i
                return KeyPointResult("", True, "words", phrasing, " ".join(said[start:end]), 95.0)
    if len("".join(target_words)) >= KEY_POINT_MIN_FUZZY_CHARS:
        score, start, end = _best_window(said_lemmas, target)
        if score >= KEY_POINT_FUZZY_CUT:
            return KeyPointResult("", True, "fuzzy", phrasing, " ".join(said[start:end]), score)
    return None


# --------------------------------------------------------------------------- numbers

_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_ORDINALS = {
    w: i + 1
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split()
    )
}
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}
_ORDINAL_WORDS = frozenset(_ORDINALS) | frozenset(_ORDINAL_TENS)
# Number words text2num reads together ("twelve hundred forty nine" -> 1249). "zero" and
# "oh" stay digits of their own and "double five" a pair: rules of ours, applied first.
_CARDINALS = frozenset(_UNITS) - {"zero"} | frozenset(_TENS) | {"hundred", "thousand"}
_MULTIPLIERS = {"double": 2, "triple": 3}
_NATO = {
    w: w[0]
    for w in (
        "alpha alfa bravo charlie delta echo foxtrot golf hotel india juliet juliett kilo lima "
        "mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray x-ray "
        "yankee zulu"
    ).split()
}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _is_number_word(word: str) -> bool:
    return (
        word in _UNITS or word in _TENS or word in ("hundred", "thousand") or word in _ORDINALS or word in _ORDINAL_TENS
    )


@dataclass
class NumberRun:
    """Consecutive number words or digits, read the way people say codes and amounts."""

    start: int  # token index
    end: int  # exclusive
    groups: list[str]  # "fifteen ninety nine" -> ["15", "99"]; "4471" -> ["4471"]
    decimal: str | None = None  # digits after "point"

    @property
    def digits(self) -> str:
        return "".join(self.groups)

    def values(self) -> set[float]:
        """Amounts this run can mean: the whole number, the digits, dollars and cents."""
        found: set[float] = set()
        if not self.groups:
            return found
        whole = int(self.digits) if self.digits.isdigit() else None
        if whole is not None:
            found.add(float(whole))
        if len(self.groups) == 1 and self.decimal:
            found.add(float(f"{self.groups[0]}.{self.decimal}"))
        if len(self.groups) == 2 and len(self.groups[1]) <= 2:
            found.add(int(self.groups[0]) + int(self.groups[1]) / 100.0)
        for g in self.groups:
            found.add(float(int(g)))
        return found


def _tokens(text: str) -> list[str]:
    """Lower-case tokens keeping digits, decimal points and times ("15.99", "3:30")."""
    text = text.lower().replace("’", "'").replace("e-mail", "email")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)  # 3,850 -> 3850
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)  # 3rd -> 3
    text = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", text)  # p.m. -> pm
    # punctuation is kept as tokens so "4471, $15.99" stays two numbers
    return re.findall(r"\d+(?:[.:]\d+)?|[a-z]+(?:'[a-z]+)?|[,;!?]|\.(?=\s|$)", text)


def number_runs(tokens: list[str]) -> list[NumberRun]:
    """Parse spoken and written numbers: "four four seven one" -> 4471, "oh" as zero inside
    numbers, "double five" -> 55, "twelve hundred forty nine" -> 1249, "nineteen ninety" ->
    1990, "fifteen point nine nine" -> 15.99, "third" -> 3."""
    runs: list[NumberRun] = []
    i = 0
    while i < len(tokens):
        if not _starts_number(tokens, i):
            i += 1
            continue
        run = NumberRun(i, i, [])
        j = i
        while j < len(tokens):
            word = tokens[j]
            if re.fullmatch(r"\d+", word):
                run.groups.append(word)
            elif re.fullmatch(r"\d+\.\d+", word):
                whole, frac = word.split(".")
                run.groups.append(whole)
                run.decimal = frac
            elif re.fullmatch(r"\d+:\d+", word):
                run.groups.append(word.replace(":", ""))
            elif word == "zero" or (word in ("oh", "o") and (run.groups or _starts_number(tokens, j + 1))):
                run.groups.append("0")
            elif (
                word in _MULTIPLIERS
                and j + 1 < len(tokens)
                and (tokens[j + 1] in _UNITS and _UNITS[tokens[j + 1]] < 10 or tokens[j + 1] in ("oh", "o"))
            ):
                digit = "0" if tokens[j + 1] in ("oh", "o") else str(_UNITS[tokens[j + 1]])
                run.groups.append(digit * _MULTIPLIERS[word])
                j += 1
            elif word in _CARDINALS or word in _ORDINALS or word in _ORDINAL_TENS:
                # number words, as many as follow one another, read by text2num
                k = j
                while k < len(tokens) and (
                    tokens[k] in _CARDINALS
                    or (
                        tokens[k] == "and"
                        and tokens[k - 1] in ("hundred", "thousand")
                        and k + 1 < len(tokens)
                        and tokens[k + 1] in _CARDINALS | _ORDINAL_WORDS
                    )
                ):
                    k += 1
                ordinal = k < len(tokens) and tokens[k] in _ORDINAL_WORDS
                end = k + 1 if ordinal else k
                run.groups.extend(_number_groups(tokens[j:end]))
                j = end
                if ordinal:
                    break  # an ordinal ends the number
                continue
            elif word == "point" and run.groups and _starts_number(tokens, j + 1):
                k = j + 1
                decimals = ""
                while k < len(tokens) and (
                    tokens[k] in ("oh", "o") or (tokens[k] in _UNITS and _UNITS[tokens[k]] < 10) or tokens[k].isdigit()
                ):
                    decimals += (
                        "0"
                        if tokens[k] in ("oh", "o")
                        else (tokens[k] if tokens[k].isdigit() else str(_UNITS[tokens[k]]))
                    )
                    k += 1
                if len(run.groups) >= 1 and decimals:
                    run.decimal = decimals
                j = k
                break
            else:
                break
            j += 1
        run.end = j
        if run.groups:
            runs.append(run)
        i = max(j, i + 1)
    return runs


def _number_groups(words: list[str]) -> list[str]:
    """Number words, each number as its digits: ["twelve", "hundred", "forty", "nine"] ->
    ["1249"], ["fifteen", "ninety", "nine"] -> ["15", "99"], ["twenty", "first"] -> ["21"]."""
    read = alpha2digit(" ".join(words), "en", threshold=0).split()
    return [match.group(1) for match in (re.fullmatch(r"(\d+)(?:st|nd|rd|th)?", g) for g in read) if match]


def _starts_number(tokens: list[str], i: int) -> bool:
    if i >= len(tokens):
        return False
    word = tokens[i]
    return (
        bool(re.fullmatch(r"\d+(?:[.:]\d+)?", word))
        or _is_number_word(word)
        or (word in _MULTIPLIERS and i + 1 < len(tokens) and (tokens[i + 1] in _UNITS))
    )


# --------------------------------------------------------------------------- facts


@dataclass
class FactResult:
    type: str
    label: str
    expected: str
    found: bool
    matched: str | None = None  # what in the answer matched (or the form that matched)
    detail: str = ""


@dataclass
class FactCheck:
    facts: list[FactResult]

    @property
    def facts_captured(self) -> float:
        return sum(f.found for f in self.facts) / len(self.facts) if self.facts else 0.0

    def features(self) -> dict[str, float]:
        return {"facts_captured": round(self.facts_captured, 4)}

    def evidence(self) -> dict:
        return {
            "captured": sum(f.found for f in self.facts),
            "total": len(self.facts),
            "facts": [asdict(f) for f in self.facts],
        }


def _fact_parts(fact) -> tuple[str, str, str, list[str]]:
    if isinstance(fact, dict):
        return fact["type"], fact.get("label", fact["type"]), fact["value"], list(fact.get("accepted") or [])
    return fact.type, fact.label, fact.value, list(fact.accepted)


class _Answer:
    """An answer prepared once for all fact checks."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.runs = number_runs(self.tokens)
        self.words = flat(text).split()
        self.code_streams = _code_streams(text)
        self.email_stream = _email_stream(self.tokens)


def _code_streams(text: str) -> list[str]:
    """The answer's codes joined across punctuation ("two oh six, five five five" is one
    phone number) and split at it ("4471, 15.99" are two numbers)."""
    return [_code_stream(text), "|".join(_code_stream(part) for part in re.split(r"[,;:!?]|\.(?=\s|$)", text))]


def _code_stream(text: str) -> str:
    """Codes as spoken or written, joined: "S N five five eight one two oh" -> "sn558120";
    ordinary words become "|" so codes cannot run into them."""
    raw = re.findall(r"[A-Za-z0-9']+", text.replace("’", "'"))
    lower = [w.lower() for w in raw]
    # "N as in Nancy" -> "N"
    cleaned: list[tuple[str, str]] = []
    i = 0
    while i < len(raw):
        if len(lower[i]) == 1 and i + 3 < len(raw) + 1 and lower[i + 1 : i + 3] == ["as", "in"] and i + 3 < len(raw):
            cleaned.append((raw[i], lower[i]))
            i += 4
            continue
        cleaned.append((raw[i], lower[i]))
        i += 1
    tokens = [w for _, w in cleaned]
    number_at: dict[int, NumberRun] = {r.start: r for r in number_runs(tokens)}
    out: list[str] = []
    i = 0
    while i < len(cleaned):
        original, word = cleaned[i]
        if i in number_at:
            run = number_at[i]
            out.append(run.digits)
            i = max(run.end, i + 1)
            continue
        if any(c.isdigit() for c in word):
            out.append(word)
        elif len(word) == 1:
            out.append(word)
        elif original.isupper() and len(original) <= 4:
            out.append(word)  # "SN", "NTL"
        elif word in _NATO and _code_neighbour(tokens, i):
            out.append(_NATO[word])
        elif word in ("dash", "hyphen"):
            pass
        else:
            out.append("|")
        i += 1
    return "".join(out)


def _code_neighbour(tokens: list[str], i: int) -> bool:
    for j in (i - 1, i + 1):
        if 0 <= j < len(tokens):
            w = tokens[j]
            if len(w) == 1 or any(c.isdigit() for c in w) or w in _NATO or _is_number_word(w):
                return True
    return False


def _email_stream(tokens: list[str]) -> str:
    """Spoken e-mail words joined: "john dot cruz at gmail dot com" -> "john.cruz@gmail.com"."""
    runs = {r.start: r for r in number_runs(tokens)}
    out: list[str] = []
    i = 0
    mapping = {"at": "@", "dot": ".", "period": ".", "underscore": "_", "dash": "-", "hyphen": "-"}
    while i < len(tokens):
        word = tokens[i]
        if i in runs and word not in ("o",):
            run = runs[i]
            out.append(run.digits + (f".{run.decimal}" if run.decimal else ""))
            i = run.end
            continue
        out.append(mapping.get(word, word))
        i += 1
    return " ".join(out).replace(" @ ", "@").replace(" . ", ".").replace(" _ ", "_").replace(" - ", "-")


def _written_email_forms(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]+", text.lower()))


def _canonical_code(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _check_code(answer: _Answer, forms: list[str]) -> tuple[bool, str | None]:
    for form in forms:
        code = _canonical_code(form)
        if not code:
            continue
        for stream in answer.code_streams:
            # a code must not be part of a longer number: "4471" is not captured by "44712"
            for match in re.finditer(re.escape(code), stream):
                before = stream[match.start() - 1] if match.start() > 0 else "|"
                after = stream[match.end()] if match.end() < len(stream) else "|"
                if not (before.isdigit() and code[0].isdigit()) and not (after.isdigit() and code[-1].isdigit()):
                    return True, form
    return False, None


def _check_email(answer: _Answer, forms: list[str]) -> tuple[bool, str | None]:
    stream = answer.email_stream.replace(" ", "")
    written = _written_email_forms(answer.text)
    for form in forms:
        target = form.lower().replace(" ", "")
        if target in written or target in stream:
            return True, form
    return False, None


def _amount_value(value: str) -> float | None:
    runs = number_runs(_tokens(value))
    if not runs:
        return None
    run = runs[0]
    if run.decimal:
        return float(f"{run.digits}.{run.decimal}")
    text = flat(value)
    if "cent" in text and len(runs) >= 2:
        return float(runs[0].digits) + float(runs[1].digits) / 100.0
    return float(run.digits)


def _check_amount(answer: _Answer, forms: list[str]) -> tuple[bool, str | None]:
    targets = [(form, _amount_value(form)) for form in forms]
    candidates: list[tuple[float, str]] = []
    for k, run in enumerate(answer.runs):
        said = " ".join(answer.tokens[run.start : run.end])
        for value in run.values():
            candidates.append((value, said))
        # "fifteen dollars and ninety nine cents"
        following = answer.tokens[run.end : run.end + 3]
        if following[:1] in (["dollars"], ["dollar"]) and k + 1 < len(answer.runs):
            nxt = answer.runs[k + 1]
            if nxt.start <= run.end + 2 and answer.tokens[nxt.end : nxt.end + 1] in (["cents"], ["cent"]):
                candidates.append(
                    (int(run.digits) + int(nxt.digits) / 100.0, " ".join(answer.tokens[run.start : nxt.end + 1]))
                )
    for _form, target in targets:
        if target is None:
            continue
        for value, said in candidates:
            if abs(value - target) < AMOUNT_TOLERANCE:
                return True, said
    return False, None


def _check_name(answer: _Answer, forms: list[str]) -> tuple[bool, str | None]:
    words = answer.words
    for form in forms:
        parts = [p for p in flat(form).split() if p not in ("mr", "mrs", "ms", "miss", "dr")]
        if not parts or not words:
            continue
        matched: list[str] = []
        for part in parts:
            best = max(words, key=lambda w: fuzz.ratio(w, part))
            if fuzz.ratio(best, part) < NAME_FUZZY_CUT:
                break
            matched.append(best)
        else:
            return True, " ".join(matched)
    return False, None


def _date_parts(value: str) -> dict:
    tokens = _tokens(value)
    runs = number_runs(tokens)
    parts: dict = {}
    for i, word in enumerate(tokens):
        if word in _MONTHS:
            parts["month"] = word
            # the day: a number right after the month ("May 3", "May third"), else before
            after = [r for r in runs if i < r.start <= i + DATE_NEIGHBOURHOOD]
            before = [r for r in runs if i - DATE_NEIGHBOURHOOD <= r.end - 1 < i]
            for run in after[:1] + before[-1:]:
                day = int(run.groups[0]) if run.groups[0].isdigit() else 0
                if 1 <= day <= 31:
                    parts["day"] = day
                    break
        elif word in _WEEKDAYS:
            parts["weekday"] = word
        elif re.fullmatch(r"\d{4}", word) and 1900 <= int(word) <= 2100:
            parts["year"] = word
        elif re.fullmatch(r"\d{1,2}:\d{2}", word):
            parts["time"] = word.replace(":", "")
        elif word.isdigit() and i + 1 < len(tokens) and tokens[i + 1] in ("am", "pm"):
            parts["time"] = word
            parts["ampm"] = tokens[i + 1]
    return parts


def _check_date(answer: _Answer, forms: list[str]) -> tuple[bool, str | None]:
    tokens = answer.tokens
    for form in forms:
        parts = _date_parts(form)
        if not parts:
            continue
        found: list[str] = []
        ok = True
        if "month" in parts:
            positions = [i for i, w in enumerate(tokens) if w == parts["month"]]
            hit = None
            for i in positions:
                if "day" not in parts:
                    hit = (i, i + 1)
                    break
                for run in answer.runs:
                    near = (i < run.start <= i + DATE_NEIGHBOURHOOD) or (i - DATE_NEIGHBOURHOOD <= run.end - 1 < i)
                    if near and run.groups and int(run.groups[0]) == parts["day"]:
                        hit = (min(i, run.start), max(i + 1, run.end))
                        break
                if hit:
                    break
            if hit is None:
                ok = False
            else:
                found.append(" ".join(tokens[hit[0] : hit[1]]))
        if ok and "weekday" in parts:
            ok = parts["weekday"] in tokens
            found.append(parts["weekday"])
        if ok and "year" in parts:
            ok = any(parts["year"] in run.digits for run in answer.runs)
            found.append(parts["year"])
        if ok and "time" in parts:
            hits = [run for run in answer.runs if run.digits == parts["time"]]
            if "ampm" in parts:
                hits = [
                    r
                    for r in hits
                    if "".join(tokens[r.end : r.end + 2]).startswith(parts["ampm"])
                    or tokens[r.end : r.end + 1] in (["in"],)
                    and "afternoon" in tokens[r.end : r.end + 3]
                ]
            ok = bool(hits)
            if hits:
                found.append(" ".join(tokens[hits[0].start : hits[0].end]))
        if ok:
            return True, ", ".join(found)
    return False, None


def _check_address(answer: _Answer, forms: list[str]) -> tuple[bool, str | None]:
    for form in forms:
        tokens = _tokens(form)
        numbers = [t for t in tokens if t.isdigit()]
        words = [w for w in tokens if not w.isdigit() and w not in STOP_WORDS]
        digits = {run.digits for run in answer.runs} | {g for run in answer.runs for g in run.groups}
        if not all(n in digits for n in numbers):
            continue
        present = [w for w in words if any(fuzz.ratio(w, s) >= NAME_FUZZY_CUT for s in answer.words)]
        if not words or len(present) / len(words) >= ADDRESS_WORD_SHARE:
            return True, " ".join(numbers + present)
    return False, None


_FACT_CHECKS = {
    "name": _check_name,
    "account_number": _check_code,
    "phone": _check_code,
    "email": _check_email,
    "amount": _check_amount,
    "date": _check_date,
    "address": _check_address,
}


def facts_captured(text: str, facts: Iterable[Fact | dict]) -> FactCheck:
    """Which caller facts an answer states correctly. Each fact (a ``Fact`` or a dict with
    type/label/value/accepted) is checked against its value and its accepted forms, with
    spoken forms understood on the answer's side: digits read one by one with "oh" for
    zero and "double five" ("four four seven one" = 4471), letters and NATO words in codes
    ("S N five five eight..." = SN-558120), e-mails read out ("john dot cruz at gmail dot
    com"), amounts in words or figures ("forty five dollars", "$45", "fifteen ninety-nine",
    "fifteen dollars and ninety-nine cents"), dates ("May third", "3rd of May"; a year or
    time in the fact must be there too), names (each part within ``NAME_FUZZY_CUT``) and
    addresses (every number and ``ADDRESS_WORD_SHARE`` of the words)."""
    answer = _Answer(text)
    results: list[FactResult] = []
    for fact in facts:
        kind, label, value, accepted = _fact_parts(fact)
        check = _FACT_CHECKS.get(kind, _check_code)
        found, matched = check(answer, [value, *accepted])
        results.append(FactResult(kind, label, value, found, matched, "" if found else "not found in the answer"))
    return FactCheck(results)


# --------------------------------------------------------------------------- call moves


@dataclass
class MoveResult:
    move: str
    required: bool
    found: bool
    source: str | None = None  # "phrase", "pattern" or "phrasing"
    phrase: str | None = None  # the phrase bank phrase / pattern / model phrasing used
    matched_text: str | None = None
    position: int | None = None  # word index in the flattened answer


@dataclass
class PolitenessMarker:
    text: str
    position: int  # word index


@dataclass
class MoveCoverage:
    moves: list[MoveResult]
    politeness: list[PolitenessMarker] = field(default_factory=list)
    word_count: int = 0

    @property
    def call_moves_covered(self) -> float:
        required = [m for m in self.moves if m.required]
        return sum(m.found for m in required) / len(required) if required else 0.0

    @property
    def politeness_markers(self) -> int:
        return len(self.politeness)

    def features(self) -> dict[str, float]:
        return {
            "call_moves_covered": round(self.call_moves_covered, 4),
            "politeness_markers": float(self.politeness_markers),
        }

    def evidence(self) -> dict:
        return {
            "moves": [asdict(m) for m in self.moves],
            "missing_required": [m.move for m in self.moves if m.required and not m.found],
            "politeness": [asdict(p) for p in self.politeness],
            "word_count": self.word_count,
        }


def _move_parts(move) -> tuple[str, bool, list[str]]:
    if isinstance(move, str):
        return move, True, []
    if isinstance(move, dict):
        return move["move"], bool(move.get("required", True)), list(move.get("phrasings") or [])
    return move.move, move.required, list(move.phrasings)


def _phrase_spans(text_flat: str, phrase: str) -> list[tuple[int, int]]:
    target = flat(phrase)
    if not target:
        return []
    pattern = r"(?<![a-z0-9'])" + re.escape(target) + r"(?![a-z0-9'])"
    return [(m.start(), m.end()) for m in re.finditer(pattern, text_flat)]


def _pattern_spans(text_flat: str, pattern: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(pattern, text_flat, re.IGNORECASE) if m.end() > m.start()]


def _word_index(text_flat: str, char: int) -> int:
    return text_flat.count(" ", 0, char)


def call_moves(
    text: str,
    expected_moves: Iterable[ExpectedMove | dict | str],
    phrasebank: PhraseBank | None = None,
) -> MoveCoverage:
    """Which expected call moves an agent's words make, and how many politeness markers.

    ``expected_moves`` are a scenario's ``ExpectedMove`` objects (with phrasings and
    ``required``), dicts of the same shape, or plain move names (a chat reply's
    ``expected_moves``; all required). A move is found from the phrase bank (its phrases as
    whole words, its regular expressions; empathy also accepts apology phrases, escalation
    transfer phrases) or from the move's own phrasings (fuzzy, see ``MOVE_PHRASING_CUT``).
    Greetings count only in the first ``OPENING_WORDS`` words, closings only in the last
    ``CLOSING_WORDS``. ``call_moves_covered`` is the share of required moves found.
    ``politeness_markers`` counts the non-overlapping matches of the phrase bank's
    politeness phrases and patterns ("please", "thank you", "sir", "may I", "I appreciate").
    """
    bank = phrasebank or get_bank().phrasebank
    text_flat = flat(text)
    words = text_flat.split()
    total_words = len(words)
    said_lemmas = [stem(w) for w in words]
    results: list[MoveResult] = []
    for move in expected_moves:
        name, required, phrasings = _move_parts(move)
        result = MoveResult(name, required, False)
        allowed = _allowed_positions(name, total_words)
        candidates: list[MoveResult] = []
        for source_move in MOVE_SOURCES.get(name, (name,)):
            entry = bank.moves.get(source_move)
            if entry is None:
                continue
            for phrase in entry.phrases:
                for start, end in _phrase_spans(text_flat, phrase):
                    position = _word_index(text_flat, start)
                    if allowed(position):
                        candidates.append(
                            MoveResult(name, required, True, "phrase", phrase, text_flat[start:end], position)
                        )
                        break
            for pattern in entry.patterns:
                for start, end in _pattern_spans(text_flat, pattern):
                    position = _word_index(text_flat, start)
                    if allowed(position):
                        candidates.append(
                            MoveResult(name, required, True, "pattern", pattern, text_flat[start:end], position)
                        )
                        break
        for phrasing in phrasings:
            found = _match_move_phrasing(words, said_lemmas, phrasing)
            if found and allowed(found[0]):
                candidates.append(
                    MoveResult(
                        name, required, True, "phrasing", phrasing, " ".join(words[found[0] : found[1]]), found[0]
                    )
                )
        if candidates:
            # the earliest evidence, preferring the longest match at the same place
            result = min(candidates, key=lambda c: (c.position, -len(c.matched_text or "")))
        results.append(result)
    return MoveCoverage(results, politeness_markers(text_flat, bank), total_words)


def _allowed_positions(move: str, total: int):
    if move == "greeting":
        return lambda position: position < OPENING_WORDS
    if move == "closing":
        return lambda position: position >= total - CLOSING_WORDS
    return lambda position: True


def _match_move_phrasing(words: list[str], said_lemmas: list[str], phrasing: str) -> tuple[int, int] | None:
    target_words = flat(phrasing).split()
    target = [stem(w) for w in target_words]
    content = {stem(w) for w in _content(target_words)}
    if not target:
        return None
    score, start, end = _best_window(said_lemmas, target, scorer=fuzz.token_set_ratio)
    if score < MOVE_PHRASING_CUT or start < 0:
        return None
    shared = content & set(said_lemmas[start:end])
    if len(shared) < min(MOVE_PHRASING_MIN_SHARED, len(content)):
        return None
    return start, end


def politeness_markers(text_or_flat: str, phrasebank: PhraseBank | None = None) -> list[PolitenessMarker]:
    """Politeness phrases and patterns of the phrase bank, overlaps merged, in order."""
    bank = phrasebank or get_bank().phrasebank
    text_flat = flat(text_or_flat)
    entry = bank.moves.get("politeness")
    if entry is None:
        return []
    spans: list[tuple[int, int]] = []
    for phrase in entry.phrases:
        spans += _phrase_spans(text_flat, phrase)
    for pattern in entry.patterns:
        spans += _pattern_spans(text_flat, pattern)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [PolitenessMarker(text_flat[s:e], _word_index(text_flat, s)) for s, e in merged]
