"""Grammatical range from surface cues: how many kinds of verb phrase and clause an answer
uses, and how often it subordinates (the CEFR's "range" beside accuracy; Versant's Sentence
Mastery rewards longer and more complex sentences said correctly).

``measure_range(text) -> RangeResult``

No dependency parse: spaCy's English models are published on GitHub, not on PyPI (the
``en-core-web-sm-*`` packages on PyPI are third-party re-uploads), and nothing may be fetched
at run time, so the measures are read from word cues that need no tagger:

- ``structure_variety``: how many of these ten structures appear at least once (the kinds a
  B1-B2 grammar syllabus adds to the present simple): modal verb + verb ("can help"), future
  ("will", "'ll", "going to" + verb), perfect ("have/has/had" + past participle), progressive
  ("be" + -ing), passive ("be/get" + past participle), past simple (a past form after a
  pronoun or noun: "I studied", "he went"), to-infinitive ("to" + verb: "want to work"),
  conditional ("if" ... ), relative clause ("who", "which", "whose", "whom"; "that" is left
  out as too ambiguous), comparison ("than", "more/less ... than", "-er than").
- ``subordinators_per_100_words``: subordinating conjunctions and relative pronouns
  ("because", "although", "when", "if", "which", "who"...) per 100 words: how often a
  sentence carries a dependent clause (Lu 2011: dependent clauses per clause rise with
  proficiency in learner writing).

Cues read words only, so they also work on transcripts without punctuation. They can miss
a structure ("the order was shipped" is found; "got it delivered" is not) or see one that is
not there ("I want to work" is an infinitive, "go to work" is read as one too): counts of
kinds used, not a parse. The past participle test knows the -ed form and the irregular
participles listed below.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from trainer.features.lexical import STOP_WORDS

FEATURE_NAMES = ("structure_variety", "subordinators_per_100_words")

_WORD_RE = re.compile(r"[a-z]+(?:['’][a-z]+)*")

MODALS = frozenset("can could may might must should would shall ought".split())
BE = frozenset("am is are was were be been being 's 're m".split())
HAVE = frozenset("have has had 've 'd having".split())
PRONOUNS = frozenset("i you he she it we they".split())
SUBORDINATORS = frozenset(
    "because although though unless whereas whether if when whenever while since until "
    "once which who whom whose where".split()
)
RELATIVES = frozenset("who which whose whom".split())
IRREGULAR_PAST = frozenset(
    "went got gave took came made said told sent paid bought brought thought left kept lost found "
    "saw knew wrote spoke broke felt heard met began ran sat stood understood taught caught chose "
    "drove ate fell forgot grew held hung led meant put read rode rose sang sold shut slept spent "
    "threw won wore".split()
)
IRREGULAR_PARTICIPLES = frozenset(
    "gone got gotten given taken come made said told sent paid bought brought thought left kept "
    "lost found seen known written spoken broken felt heard met begun run understood taught "
    "caught chosen driven eaten fallen forgotten grown held led meant put read shown done been "
    "sold spent thrown won worn done become".split()
)
NOT_VERBS = frozenset("the a an my your his her our their this that these those".split())


def _participle(word: str) -> bool:
    return word in IRREGULAR_PARTICIPLES or (word.endswith("ed") and len(word) > 3)


def _ing(word: str) -> bool:
    return (
        word.endswith("ing")
        and len(word) > 4
        and word not in ("thing", "nothing", "something", "anything", "everything", "morning", "evening", "during")
    )


def _verb_like(word: str) -> bool:
    return word not in NOT_VERBS and word not in STOP_WORDS - MODALS - BE - HAVE


@dataclass
class RangeResult:
    word_count: int
    structures: dict[str, str] = field(default_factory=dict)  # kind -> first words found
    subordinators: list[str] = field(default_factory=list)  # in order

    @property
    def structure_variety(self) -> int:
        return len(self.structures)

    @property
    def subordinators_per_100_words(self) -> float:
        return 100.0 * len(self.subordinators) / self.word_count if self.word_count else 0.0

    def features(self) -> dict[str, float]:
        return {
            "structure_variety": float(self.structure_variety),
            "subordinators_per_100_words": round(self.subordinators_per_100_words, 2),
        }

    def evidence(self) -> dict:
        return {"structures": dict(self.structures), "subordinators": list(self.subordinators)}

    def to_dict(self) -> dict:
        return asdict(self)


def measure_range(text: str) -> RangeResult:
    words = [w.replace("’", "'") for w in _WORD_RE.findall(text.lower())]
    # split contractions' auxiliaries: "i'll" -> "i", "'ll"; "she's" -> "she", "'s"
    tokens: list[str] = []
    for w in words:
        m = re.fullmatch(r"([a-z]+)('ll|'ve|'re|'s|'d|'m)", w)
        if m and m.group(1) not in ("let",):
            tokens += [m.group(1), m.group(2)]
        elif w.endswith("n't"):
            tokens += [w[:-3] or w, "not"]
        else:
            tokens.append(w)
    found: dict[str, str] = {}

    def note(kind: str, i: int, n: int) -> None:
        found.setdefault(kind, " ".join(tokens[i : i + n]))

    subordinators = [t for t in tokens if t in SUBORDINATORS]
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        after = tokens[i + 2] if i + 2 < len(tokens) else ""
        if nxt == "not":  # "can not help", "is not working"
            nxt, after = after, (tokens[i + 3] if i + 3 < len(tokens) else "")
        if t in MODALS and nxt and _verb_like(nxt):
            note("modal", i, 2)
        if t in ("will", "'ll") and nxt and _verb_like(nxt):
            note("future", i, 2)
        if t == "going" and nxt == "to" and after and _verb_like(after) and not after.endswith("ing"):
            note("future", i, 3)
        if t in HAVE and nxt and _participle(nxt) and t != "'d":
            note("perfect", i, 2)
        if t in BE and nxt and _ing(nxt):
            note("progressive", i, 2)
        if (t in BE or t in ("get", "got", "gets")) and nxt and _participle(nxt) and nxt != "been":
            note("passive", i, 2)
        if (
            i > 0
            and (tokens[i - 1] in PRONOUNS or tokens[i - 1] not in STOP_WORDS)
            and (t in IRREGULAR_PAST or (t.endswith("ed") and len(t) > 3))
        ):
            if tokens[i - 1] not in BE and tokens[i - 1] not in HAVE:
                note("past", i - 1, 2)
        if t == "to" and nxt and _verb_like(nxt) and not nxt.endswith(("ing", "s")) and nxt not in SUBORDINATORS:
            note("infinitive", i, 2)
        if t == "if":
            note("conditional", i, 2)
        if t in RELATIVES and i > 0:
            note("relative clause", i - 1, 2)
        if t == "than":
            note("comparison", max(i - 1, 0), 2)
    return RangeResult(len(words), found, subordinators)
