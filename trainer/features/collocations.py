"""Collocation strength: how strongly the neighbouring words of an answer go together in
English, the phrase side of vocabulary ("make sure", "deal with", "heavy traffic").

Public API::

    measure_collocations(text) -> CollocationResult   # .strength is None when too few pairs
    reference_points() -> ReferencePoints             # the norms the rubric's anchors come from

Norms: the English dictionaries that ship in SymSpell's package (``symspellpy``, MIT): 82,765
words and the 242,342 most frequent word pairs, each with its count in Google Books Ngram
(every listed pair occurs at least 6.4 million times). Only these two data files are read;
the spelling corrector is not used. No other package reachable here ships counts of word
pairs.

The measure is pointwise mutual information (Church & Hanks 1990): for a pair of neighbouring
words a b, ``MI = log2(f(ab) * N / (f(a) * f(b)))``, N the sum of the word counts, i.e. how
many times more often the pair occurs than its words would meet by chance.
``strength`` is the mean MI over the answer's *listed* pairs. Learner texts of higher
proficiency use pairs of higher MI (Durrant & Schmitt 2009; Bestgen & Granger 2014, who
found the mean MI of an essay's bigrams to rise with its rated quality); a beginner strings
frequent words together in combinations that are frequent but loosely bound ("very good",
"is the").

- Pairs are taken inside a sentence (no pair across ``.!?;:,`` or a line break), from the
  words of ``trainer.features.lexical.words_of`` (lower case, fillers removed). A pair
  whose words are both in the word list but which is not in the pair list is rarer than the
  list's cut-off: it has no count and is left out of the mean (its share is evidence:
  ``listed_share``). A word outside the word list (a name, a misspelling, a contraction,
  which Google's tokens split) leaves its pairs out.
- Fewer than ``MIN_LISTED_PAIRS`` listed pairs: not measured (``strength`` is None), and the
  vocabulary rubric leaves the component out.
- ``reference_points()``: two values computed from the lists themselves, the anchors of the
  vocabulary rubric: the mean MI of running English (every listed pair weighted by its count,
  about 8.2) and of words paired at random (every listed pair weighted by the count chance
  alone would give it, ``f(a) * f(b) / N``, about 4.2).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from trainer.features.lexical import words_of

WORDS_FILE = "frequency_dictionary_en_82_765.txt"
PAIRS_FILE = "frequency_bigramdictionary_en_243_342.txt"
MIN_LISTED_PAIRS = 8  # a mean of fewer pairs swings with one phrase
STRONGEST_SHOWN = 8
_SENTENCE_BREAK = re.compile(r"[.!?;:,\n\r]+")


class CollocationNormsUnavailable(RuntimeError):
    """The symspellpy package (and its word lists) is not installed."""


@dataclass(frozen=True)
class Norms:
    word_counts: dict[str, int]
    pair_mi: dict[str, float]  # "make sure" -> its MI (one string a key: a third of the memory of tuples)
    total_words: int


@dataclass(frozen=True)
class ReferencePoints:
    running_english: float  # mean MI of the listed pairs, weighted by their counts
    random_pairs: float  # ... weighted by the counts chance alone would give them


@dataclass
class CollocationResult:
    pairs: int  # neighbouring pairs whose two words are in the word list
    listed_pairs: int  # of those, in the pair list (these have an MI)
    strength: float | None  # mean MI of the listed pairs; None below MIN_LISTED_PAIRS
    strongest: list[tuple[str, float]]  # distinct pairs with the highest MI, e.g. ("make sure", 6.1)

    @property
    def listed_share(self) -> float:
        return self.listed_pairs / self.pairs if self.pairs else 0.0

    def evidence(self) -> dict:
        return {
            "pairs": self.pairs,
            "listed_pairs": self.listed_pairs,
            "listed_share": round(self.listed_share, 4),
            "strength": None if self.strength is None else round(self.strength, 3),
            "strongest": [{"pair": pair, "mi": round(mi, 2)} for pair, mi in self.strongest],
            "norms": "SymSpell's Google Books Ngram counts (symspellpy)",
        }


def _lines(name: str):
    try:
        files = resources.files("symspellpy")
    except ModuleNotFoundError as error:
        raise CollocationNormsUnavailable("the symspellpy package is not installed") from error
    with (files / name).open(encoding="utf-8") as handle:
        yield from handle


@lru_cache(maxsize=1)
def norms() -> Norms:
    """The word counts and every listed pair's MI (read once per process: about 0.8 s and 45 MB)."""
    counts: dict[str, int] = {}
    for line in _lines(WORDS_FILE):
        word, count = line.split()
        counts[word] = int(count)
    total = sum(counts.values())
    pair_mi: dict[str, float] = {}
    for line in _lines(PAIRS_FILE):
        first, second, count = line.split()
        if first in counts and second in counts:
            pair_mi[f"{first} {second}"] = math.log2(int(count) * total / (counts[first] * counts[second]))
    return Norms(counts, pair_mi, total)


@lru_cache(maxsize=1)
def reference_points() -> ReferencePoints:
    n = norms()
    running = weight_running = chance = weight_chance = 0.0
    for pair, mi in n.pair_mi.items():
        first, second = pair.split(" ")
        observed = 2.0**mi * n.word_counts[first] * n.word_counts[second] / n.total_words
        expected = n.word_counts[first] * n.word_counts[second] / n.total_words
        running += observed * mi
        weight_running += observed
        chance += expected * mi
        weight_chance += expected
    return ReferencePoints(running / weight_running, chance / weight_chance)


def word_pairs(text: str) -> list[tuple[str, str]]:
    """Neighbouring words inside each sentence, as ``words_of`` reads them."""
    pairs: list[tuple[str, str]] = []
    for sentence in _SENTENCE_BREAK.split(text):
        words = words_of(sentence)
        pairs.extend(zip(words, words[1:], strict=False))
    return pairs


def measure_collocations(text: str) -> CollocationResult:
    n = norms()
    known = [p for p in word_pairs(text) if p[0] in n.word_counts and p[1] in n.word_counts]
    joined = [f"{first} {second}" for first, second in known]
    listed = [(pair, n.pair_mi[pair]) for pair in joined if pair in n.pair_mi]
    strength = sum(mi for _, mi in listed) / len(listed) if len(listed) >= MIN_LISTED_PAIRS else None
    distinct = dict(listed)
    strongest = sorted(distinct.items(), key=lambda item: -item[1])[:STRONGEST_SHOWN]
    return CollocationResult(
        pairs=len(known),
        listed_pairs=len(listed),
        strength=strength,
        strongest=strongest,
    )
