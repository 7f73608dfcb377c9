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

if TYPE_CHECKING:  # pragma: no cover
    from .content import PhraseBank

MTLD_THRESHOLD = 0.72  # McCarthy & Jarvis 2010 factor size
MTLD_RELIABLE_WORDS = 50  # below this MTLD is reported but flagged unreliable
ABOVE_A2_LEVEL = 3  # cefrpy levels: A1=1, A2=2, B1=3, B2=4, C1=5, C2=6
MIN_CONTENT_WORD_LETTERS = 2
# Move phrases of the phrase bank that are not call-centre vocabulary.
PHRASE_MOVES_EXCLUDED = ("politeness",)

FEATURE_NAMES = ("word_types", "lexical_diversity_mtld", "share_above_a2", "call_centre_phrases")

# Function words: pronouns, determiners, auxiliaries, prepositions, conjunctions,
# contractions and discourse particles. Not content words for share_above_a2.
STOP_WORDS = frozenset("""
a an the this that these those some any each every no none all both either neither such
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself
it its itself we us our ours ourselves they them their theirs themselves one ones
what which who whom whose when where why how whatever whoever
am is are was were be been being do does did doing done have has had having
will would shall should can could may might must ought
i'm you're he's she's it's we're they're i've you've we've they've i'd you'd he'd she'd
we'd they'd i'll you'll he'll she'll we'll they'll isn't aren't wasn't weren't don't
doesn't didn't haven't hasn't hadn't won't wouldn't can't cannot couldn't shouldn't
mustn't let's that's there's here's what's who's where's how's
and or but nor so yet if then than because as while though although unless until since
of to in on at by for with from about into onto over under up down out off through
between after before during without within along across against among around upon
not very too just also only even still already again ever never now here there
yes yeah no oh okay ok well please hi hello bye
""".split())

_WORD_RE = re.compile(r"[a-z]+(?:['’][a-z]+)*")


# --------------------------------------------------------------------------- helpers


def words_of(text: str) -> list[str]:
    """Alphabetic words, lower case, hesitation fillers removed."""
    from .fluency import canonical_hesitation

    found = [w.replace("’", "'") for w in _WORD_RE.findall(text.lower())]
    return [w for w in found if canonical_hesitation(w) is None]


def content_words(words: list[str]) -> list[str]:
    return [w for w in words if w not in STOP_WORDS and len(w) >= MIN_CONTENT_WORD_LETTERS]


_IRREGULAR = {
    "went": "go", "gone": "go", "got": "get", "gotten": "get", "gave": "give", "given": "give",
    "took": "take", "taken": "take", "came": "come", "made": "make", "said": "say",
    "told": "tell", "sent": "send", "paid": "pay", "bought": "buy", "brought": "bring",
    "thought": "think", "left": "leave", "kept": "keep", "lost": "lose", "found": "find",
    "saw": "see", "seen": "see", "knew": "know", "known": "know", "wrote": "write",
    "written": "write", "spoke": "speak", "spoken": "speak", "broke": "break", "broken": "break",
    "children": "child", "people": "person", "men": "man", "women": "woman", "was": "be",
    "were": "be", "is": "be", "are": "be", "am": "be", "been": "be", "had": "have", "has": "have",
    "did": "do", "does": "do", "phoned": "phone", "kids": "child", "kid": "child",
}


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    """A light English lemmatiser for matching ("apologized" ~ "apologize", "pizzas" ~
    "pizza", "called" ~ "call", "arrived" ~ "arrive" ~ "arriving"). Not a linguistic
    lemma: both sides of a comparison go through it, so only consistency matters."""
    w = word.lower().replace("’", "'")
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("ise", "ize") if w.endswith(("ise", "ised", "ising", "ises")) else w
    for suffix in ("ies", "ied"):
        if w.endswith(suffix) and len(w) > 4:
            return w[:-3] + "y"
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    elif w.endswith("es") and len(w) > 4 and w[-3] in "sxz":
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsaeiou":
        w = w[:-1]  # "stopped" -> "stopp" -> "stop"
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]  # "arrive" and "arriv(ed)" meet at "arriv"
    return w


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


def _phrase_catalogue(phrasebank: "PhraseBank") -> list[tuple[str, str, tuple[str, ...]]]:
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


def find_call_centre_phrases(text: str, phrasebank: "PhraseBank") -> list[PhraseUse]:
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
            if any(taken[i:i + n]):
                continue
            # vocabulary terms match on stems ("refunds", "escalated"); move phrases exactly
            same = (stems[i:i + n] == target_stems) if source == "vocabulary" else (
                tuple(words[i:i + n]) == target)
            if same:
                used[key] = PhraseUse(phrase, source, " ".join(words[i:i + n]), i)
                for j in range(i, i + n):
                    taken[j] = True
                break
    return sorted(used.values(), key=lambda p: p.position)


def measure_vocabulary(text: str, phrasebank: "PhraseBank | None" = None) -> VocabularyResult:
    """Vocabulary features of a transcript or a typed reply."""
    if phrasebank is None:
        from .comprehension import default_phrasebank

        phrasebank = default_phrasebank()
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
