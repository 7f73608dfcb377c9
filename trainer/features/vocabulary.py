"""Vocabulary features: word types, MTLD, share of words above A2, call-centre phrases.

``measure_vocabulary(text, phrasebank=None) -> VocabularyResult``; without a phrase bank the
project's ``lessons/phrasebank.yaml`` is used.

- *Words* are the alphabetic words of the text, lower-cased (contractions kept whole:
  "don't"), without hesitation fillers ("um", "uh") and without digits (an account number
  is not vocabulary).
- ``word_types``: different word forms.
- ``lexical_diversity_mtld``: MTLD (McCarthy & Jarvis 2010), the mean length of stretches of
  text whose running type-token ratio stays above ``MTLD_THRESHOLD`` (0.72), computed forward
  and backward and averaged; the leftover stretch counts as a partial factor
  ``(1 - TTR) / (1 - 0.72)``. Short texts: MTLD is unstable below about 50 words, and a text
  that never completes one factor would be divided by a tiny partial factor and look
  extremely diverse. So the factor count is floored at 1: **a text that does not complete
  one factor scores its own length in words** (5 different words give 5.0, an empty text
  0.0). ``mtld_reliable`` says whether the text had ``MTLD_RELIABLE_WORDS`` words.
- ``share_above_a2``: share of *content words* (not in ``STOP_WORDS``) whose CEFR level in
  ``cefrpy`` is B1 or higher. cefrpy (offline, its word list ships in the package) gives a
  level per part of speech; without a tagger the **lowest** of a word's levels is used (the
  basic sense: "schedule" is A2 as a noun, B2 as a verb, so A2). Words cefrpy does not know
  (brand and most personal names, "ShopNest") are left out of the share and listed in the
  evidence. cefrpy places about three quarters of its 170,000 entries at C2, which for rare
  words means "not in the learner lists" rather than "mastery level"; such words count as
  above A2, which is what the feature asks, but it means "jeepney" or "courier" count as
  advanced.
- ``call_centre_phrases``: distinct phrase-bank items used: vocabulary terms ("refund",
  "tracking number", "AHT") and call-move phrases ("thank you for calling", "let me
  confirm"), not the politeness words (those are ``politeness_markers`` in call handling).
  Move phrases made only of function words ("this is", "so that's") are not counted as
  vocabulary. Overlapping matches count once (the longest).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from trainer.content import get_bank
from trainer.features.lexical import STOP_WORDS, canonical_hesitation, stem

if TYPE_CHECKING:  # pragma: no cover
    from trainer.content import PhraseBank

MTLD_THRESHOLD = 0.72  # McCarthy & Jarvis 2010 factor size
MTLD_RELIABLE_WORDS = 50  # below this MTLD is reported but flagged unreliable
ABOVE_A2_LEVEL = 3  # cefrpy levels: A1=1, A2=2, B1=3, B2=4, C1=5, C2=6
MIN_CONTENT_WORD_LETTERS = 2
# Move phrases of the phrase bank that are not call-centre vocabulary.
PHRASE_MOVES_EXCLUDED = ("politeness",)

FEATURE_NAMES = ("word_types", "lexical_diversity_mtld", "share_above_a2", "call_centre_phrases")

_WORD_RE = re.compile(r"[a-z]+(?:['’][a-z]+)*")


# --------------------------------------------------------------------------- helpers


def words_of(text: str) -> list[str]:
    """Alphabetic words, lower case, hesitation fillers removed."""
    found = [w.replace("’", "'") for w in _WORD_RE.findall(text.lower())]
    return [w for w in found if canonical_hesitation(w) is None]


def content_words(words: list[str]) -> list[str]:
    return [w for w in words if w not in STOP_WORDS and len(w) >= MIN_CONTENT_WORD_LETTERS]


def mtld(words: list[str], threshold: float = MTLD_THRESHOLD) -> float:
    """Bidirectional MTLD; a text completing no factor scores its length (see module doc)."""
    if not words:
        return 0.0
    forward = _mtld_one_way(words, threshold)
    backward = _mtld_one_way(list(reversed(words)), threshold)
    return (forward + backward) / 2.0


def _mtld_one_way(words: list[str], threshold: float) -> float:
    factors = 0.0
    types: set[str] = set()
    count = 0
    ttr = 1.0
    for word in words:
        count += 1
        types.add(word)
        ttr = len(types) / count
        if ttr <= threshold:
            factors += 1.0
            types, count, ttr = set(), 0, 1.0
    if count > 0:
        factors += (1.0 - ttr) / (1.0 - threshold)
    return len(words) / max(factors, 1.0)


@lru_cache(maxsize=1)
def _cefr_analyzer():
    from cefrpy import CEFRAnalyzer

    return CEFRAnalyzer()


@lru_cache(maxsize=50000)
def cefr_level(word: str) -> int | None:
    """Lowest CEFR level (1=A1 ... 6=C2) cefrpy gives the word, None if unknown."""
    analyzer = _cefr_analyzer()
    word = word.lower()
    if not analyzer.is_word_in_database(word):
        return None
    levels = analyzer.get_pos_level_dict_for_word(word) or {}
    values = [int(level) for level in levels.values()]
    return min(values) if values else None


CEFR_NAMES = {1: "A1", 2: "A2", 3: "B1", 4: "B2", 5: "C1", 6: "C2"}


def _flat(text: str) -> str:
    """Lower case, e-mail spelled "email", punctuation to spaces (apostrophes kept)."""
    text = text.lower().replace("’", "'").replace("e-mail", "email")
    text = re.sub(r"[^a-z0-9']+", " ", text)
    return " ".join(text.split())


def vocabulary_terms(term: str) -> list[str]:
    """Matchable forms of a phrase-bank term: "average handling time (AHT)" -> the phrase
    and "aht"; "tier 1 / tier 2" -> "tier 1", "tier 2"."""
    forms: list[str] = []
    inside = re.findall(r"\(([^)]*)\)", term)
    outside = re.sub(r"\([^)]*\)", " ", term)
    for part in [*outside.split("/"), *inside]:
        flat = _flat(part)
        if flat:
            forms.append(flat)
    return list(dict.fromkeys(forms))


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class PhraseUse:
    phrase: str  # as in the phrase bank
    source: str  # "vocabulary" or the call move ("greeting", "closing"...)
    matched: str  # the words in the text
    position: int  # word index in the flattened text


@dataclass
class VocabularyResult:
    word_count: int
    word_types: int
    lexical_diversity_mtld: float
    mtld_reliable: bool
    content_word_count: int
    rated_content_words: int
    above_a2_words: list[str]  # tokens, in order
    unrated_words: list[str]  # content words cefrpy does not know (types)
    share_above_a2: float
    phrases: list[PhraseUse] = field(default_factory=list)

    @property
    def call_centre_phrases(self) -> int:
        return len(self.phrases)

    def features(self) -> dict[str, float]:
        return {
            "word_types": float(self.word_types),
            "lexical_diversity_mtld": round(self.lexical_diversity_mtld, 4),
            "share_above_a2": round(self.share_above_a2, 4),
            "call_centre_phrases": float(self.call_centre_phrases),
        }

    def evidence(self) -> dict:
        levels: dict[str, str] = {}
        for word in self.above_a2_words:
            level = cefr_level(word)
            if level is not None:
                levels[word] = CEFR_NAMES[level]
        return {
            "word_count": self.word_count,
            "word_types": self.word_types,
            "mtld_reliable": self.mtld_reliable,
            "mtld_threshold": MTLD_THRESHOLD,
            "content_word_count": self.content_word_count,
            "rated_content_words": self.rated_content_words,
            "above_a2_words": levels,
            "unrated_words": list(self.unrated_words),
            "call_centre_phrases": [asdict(p) for p in self.phrases],
            "cefr_source": "cefrpy (lowest level over parts of speech)",
        }

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- measure


def _phrase_catalogue(phrasebank: PhraseBank) -> list[tuple[str, str, tuple[str, ...]]]:
    """(phrase as written, source, flat words), longest first."""
    items: list[tuple[str, str, tuple[str, ...]]] = []
    for entry in phrasebank.vocabulary:
        for form in vocabulary_terms(entry.term):
            items.append((entry.term, "vocabulary", tuple(form.split())))
    for move, phrases in phrasebank.moves.items():
        if move in PHRASE_MOVES_EXCLUDED:
            continue
        for phrase in phrases.phrases:
            words = tuple(_flat(phrase).split())
            if not words or all(w in STOP_WORDS for w in words):
                continue  # "this is", "so that's": not vocabulary
            items.append((phrase, move, words))
    return sorted(items, key=lambda item: -len(item[2]))


def find_call_centre_phrases(text: str, phrasebank: PhraseBank) -> list[PhraseUse]:
    """Distinct phrase-bank items used, longest match first, no overlaps."""
    words = _flat(text).split()
    stems = [stem(w) for w in words]
    taken = [False] * len(words)
    used: dict[str, PhraseUse] = {}
    for phrase, source, target in _phrase_catalogue(phrasebank):
        # a term counts once whichever of its forms is used; a phrase listed under two
        # moves ("thank you for calling") counts once
        key = f"term:{phrase}" if source == "vocabulary" else " ".join(target)
        if key in used:
            continue
        n = len(target)
        target_stems = [stem(w) for w in target]
        for i in range(len(words) - n + 1):
            if any(taken[i : i + n]):
                continue
            # vocabulary terms match on stems ("refunds", "escalated"); move phrases exactly
            same = (stems[i : i + n] == target_stems) if source == "vocabulary" else (tuple(words[i : i + n]) == target)
            if same:
                used[key] = PhraseUse(phrase, source, " ".join(words[i : i + n]), i)
                for j in range(i, i + n):
                    taken[j] = True
                break
    return sorted(used.values(), key=lambda p: p.position)


def measure_vocabulary(text: str, phrasebank: PhraseBank | None = None) -> VocabularyResult:
    """Vocabulary features of a transcript or a typed reply."""
    if phrasebank is None:
        phrasebank = get_bank().phrasebank
    words = words_of(text)
    content = content_words(words)
    rated: list[str] = []
    above: list[str] = []
    unrated: list[str] = []
    for word in content:
        level = cefr_level(word)
        if level is None:
            if word not in unrated:
                unrated.append(word)
            continue
        rated.append(word)
        if level >= ABOVE_A2_LEVEL:
            above.append(word)
    return VocabularyResult(
        word_count=len(words),
        word_types=len(set(words)),
        lexical_diversity_mtld=mtld(words),
        mtld_reliable=len(words) >= MTLD_RELIABLE_WORDS,
        content_word_count=len(content),
        rated_content_words=len(rated),
        above_a2_words=above,
        unrated_words=unrated,
        share_above_a2=len(above) / len(rated) if rated else 0.0,
        phrases=find_call_centre_phrases(text, phrasebank) if phrasebank is not None else [],
    )
