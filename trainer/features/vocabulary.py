"""Vocabulary features: word types, lexical diversity (MTLD, MATTR, HD-D), sophistication
from frequency norms (wordfreq) and from the CEFR word lists (cefrpy), collocation strength,
call-centre phrases.

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
  level per part of speech (Penn Treebank tags); the word is rated **by the part of speech
  it has in the answer**, as spaCy's tagger reads it (``trainer.features.grammar_range``'s
  pinned model: "schedule" is B2 in "we schedule a visit", A2 in "the schedule"), and by
  the lowest of its levels when the list has no level for that part of speech or the
  tagger is not there ("future" as a noun is A1, as an adjective B1). Words cefrpy does not know
  (brand and most personal names, "ShopNest") are left out of the share and listed in the
  evidence. cefrpy places about three quarters of its 170,000 entries at C2, which for rare
  words means "not in the learner lists" rather than "mastery level"; such words count as
  above A2, which is what the feature asks, but it means "jeepney" or "courier" count as
  advanced.
- ``mattr``: moving-average type-token ratio (Covington & McFall 2010): the mean TTR of every
  window of ``MATTR_WINDOW`` (30) consecutive words. Unlike MTLD or the plain TTR it does not
  drift with the length of the text, as long as the text is at least one window long: the
  window is the shortest answer whose vocabulary is judged (``min_words`` of the vocabulary
  rubric), so every judged answer is measured the same way. A shorter text gets its TTR.
- ``hdd``: HD-D (McCarthy & Jarvis 2007), the expected TTR of a random draw of 42 words
  (hypergeometric): the sum over types of the probability that the type is in the draw,
  divided by 42. Texts under 42 words draw all their words (= TTR). Reported for comparison.
  Both are small implementations checked by hand in tests/test_vocabulary.py; the
  ``lexicalrichness`` package would bring matplotlib, nltk and textblob for two formulas.
- Frequency norms (``wordfreq``, its English list ships in the package: Zipf = log10 of
  occurrences per billion words, 7 for "the", 3 for a word met once in a million words;
  Van Heuven et al. 2014 call Zipf 1-3 low-frequency and 4-7 high-frequency words):
  ``mean_zipf_content`` is the mean Zipf of the content-word tokens (lower = rarer words);
  ``share_beyond_2k`` and ``share_beyond_5k`` are the shares of content-word tokens that are
  not among the 2,000 (5,000) most frequent English word forms, the frequency-band idea of
  Laufer & Nation's (1995) Lexical Frequency Profile on wordfreq's list of forms. All three
  are taken over the *rated* content words (those cefrpy knows), so a misspelling ("becuase")
  or a brand name does not count as a rare word.
- ``cefr_profile`` (evidence): how many content-word tokens cefrpy rates at each level
  A1..C2, and unknown. ``share_b2_plus``: the share rated B2 or above, over rated words.
- ``phrasal_verbs`` (evidence): verb + particle pairs the parse finds ("set up", "find
  out", "pick it up"), a kind of multiword expression learners use more as they progress.
- ``collocation_strength``: how strongly neighbouring words go together, the mean mutual
  information of the answer's word pairs in Google Books counts
  (``trainer.features.collocations``); not measured when fewer than 8 pairs are listed.
- ``call_centre_phrases``: distinct phrase-bank items used: vocabulary terms ("refund",
  "tracking number", "AHT") and call-move phrases ("thank you for calling", "let me
  confirm"), not the politeness words (those are ``politeness_markers`` in call handling).
  Move phrases made only of function words ("this is", "so that's") are not counted as
  vocabulary. Overlapping matches count once (the longest).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from trainer.content import FEATURES, get_bank
from trainer.features.collocations import CollocationResult, measure_collocations
from trainer.features.lexical import STOP_WORDS, stem, words_of

if TYPE_CHECKING:  # pragma: no cover
    from trainer.content import PhraseBank

MTLD_THRESHOLD = 0.72  # McCarthy & Jarvis 2010 factor size
MTLD_RELIABLE_WORDS = 50  # below this MTLD is reported but flagged unreliable
MATTR_WINDOW = 30  # words; = the vocabulary rubric's min_words (see module doc)
HDD_SAMPLE = 42  # McCarthy & Jarvis 2007
FREQUENT_FORMS = (2000, 5000)  # frequency bands of share_beyond_2k / share_beyond_5k
B2_LEVEL = 4
ABOVE_A2_LEVEL = 3  # cefrpy levels: A1=1, A2=2, B1=3, B2=4, C1=5, C2=6
MIN_CONTENT_WORD_LETTERS = 2
# Move phrases of the phrase bank that are not call-centre vocabulary.
PHRASE_MOVES_EXCLUDED = ("politeness",)

FEATURE_NAMES = FEATURES["vocabulary"]  # the content model's list: rubrics may name only these

# --------------------------------------------------------------------------- helpers


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


def mattr(words: list[str], window: int = MATTR_WINDOW) -> float:
    """Moving-average TTR (Covington & McFall 2010); a text shorter than the window: its TTR."""
    if not words:
        return 0.0
    if len(words) <= window:
        return len(set(words)) / len(words)
    counts: dict[str, int] = {}
    for word in words[:window]:
        counts[word] = counts.get(word, 0) + 1
    total = len(counts)
    for i in range(window, len(words)):
        out, new = words[i - window], words[i]
        counts[out] -= 1
        if not counts[out]:
            del counts[out]
        counts[new] = counts.get(new, 0) + 1
        total += len(counts)
    return total / (len(words) - window + 1) / window


def hdd(words: list[str], sample: int = HDD_SAMPLE) -> float:
    """HD-D (McCarthy & Jarvis 2007): expected TTR of a random draw of ``sample`` words."""
    n = len(words)
    if not n:
        return 0.0
    draw = min(sample, n)
    counts: dict[str, int] = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    absent_all = math.comb(n, draw)
    present = sum(1.0 - math.comb(n - f, draw) / absent_all for f in counts.values())
    return present / draw


@lru_cache(maxsize=1)
def _wordfreq():
    import wordfreq

    return wordfreq


@lru_cache(maxsize=4)
def frequent_forms(n: int) -> frozenset[str]:
    """The ``n`` most frequent English word forms in wordfreq's list."""
    return frozenset(_wordfreq().top_n_list("en", n))


@lru_cache(maxsize=50000)
def zipf(word: str) -> float:
    """wordfreq's Zipf value of an English word form (0 when the list does not have it)."""
    return float(_wordfreq().zipf_frequency(word, "en"))


@lru_cache(maxsize=1)
def _cefr_analyzer():
    from cefrpy import CEFRAnalyzer

    return CEFRAnalyzer()


@lru_cache(maxsize=50000)
def cefr_level_as(word: str, tag: str | None) -> int | None:
    """CEFR level (1-6) of the word as the part of speech ``tag`` (Penn Treebank); the lowest
    of its levels when cefrpy has none for that tag; None if cefrpy does not know the word."""
    if tag:
        analyzer = _cefr_analyzer()
        # the exact tag, else the other tags of the same part of speech ("schedule" tagged
        # VBP is rated as the verb VB)
        family = [tag, *(t for t in TAG_FAMILIES.get(tag[:2], ()) if t != tag)]
        levels = [analyzer.get_word_pos_level_float(word.lower(), t) for t in family]
        found = [level for level in levels if level is not None]
        if found:
            return int(round(found[0] if levels[0] is not None else min(found)))
    return cefr_level(word)


def tagged(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """The tagger's part of speech of each word, in order of occurrence per word form
    (``{"schedule": ["VB", "NN"]}``), and the phrasal verbs the parse finds; nothing when
    the pinned English model is not there."""
    from trainer.features import grammar_range

    try:
        doc = grammar_range.get_parser()(text)
    except grammar_range.ParserUnavailable:
        return {}, []
    tags: dict[str, list[str]] = {}
    for token in doc:
        tags.setdefault(token.lower_.replace("’", "'"), []).append(token.tag_)
    phrasal = [f"{t.head.lower_} {t.lower_}" for t in doc if t.dep_ == "prt" and t.head.pos_ == "VERB"]
    return tags, list(dict.fromkeys(phrasal))


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


TAG_FAMILIES = {
    "VB": ("VB", "VBP", "VBZ", "VBD", "VBN", "VBG"),
    "NN": ("NN", "NNS", "NNP", "NNPS"),
    "JJ": ("JJ", "JJR", "JJS"),
    "RB": ("RB", "RBR", "RBS"),
}

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
    mattr: float = 0.0
    hdd: float = 0.0
    share_b2_plus: float = 0.0
    mean_zipf_content: float = 0.0
    share_beyond_2k: float = 0.0
    share_beyond_5k: float = 0.0
    cefr_profile: dict[str, int] = field(default_factory=dict)
    rare_words: list[str] = field(default_factory=list)  # content words beyond the 5k, types
    word_levels: dict[str, int] = field(default_factory=dict)  # above-A2 word -> level as used
    phrasal_verbs: list[str] = field(default_factory=list)  # "set up", "find out" (types)
    collocations: CollocationResult | None = None

    @property
    def call_centre_phrases(self) -> int:
        return len(self.phrases)

    def features(self) -> dict[str, float]:
        return {
            "word_types": float(self.word_types),
            "lexical_diversity_mtld": round(self.lexical_diversity_mtld, 4),
            "mattr": round(self.mattr, 4),
            "hdd": round(self.hdd, 4),
            "share_above_a2": round(self.share_above_a2, 4),
            "share_b2_plus": round(self.share_b2_plus, 4),
            "mean_zipf_content": round(self.mean_zipf_content, 3),
            "share_beyond_2k": round(self.share_beyond_2k, 4),
            "share_beyond_5k": round(self.share_beyond_5k, 4),
            "call_centre_phrases": float(self.call_centre_phrases),
        } | self._collocation_feature()

    def _collocation_feature(self) -> dict[str, float]:
        # too few listed word pairs: not measured, and the rubric leaves the component out
        strength = self.collocations.strength if self.collocations else None
        return {} if strength is None else {"collocation_strength": round(strength, 3)}

    def evidence(self) -> dict:
        levels = {word: CEFR_NAMES[level] for word, level in self.word_levels.items()}
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
            "cefr_source": "cefrpy, by the part of speech in the answer (else the lowest level)",
            "phrasal_verbs": list(self.phrasal_verbs),
            "cefr_profile": dict(self.cefr_profile),
            "rare_words": list(self.rare_words),
            "mattr_window": MATTR_WINDOW,
            "frequency_source": "wordfreq (English, Zipf scale)",
            "collocations": self.collocations.evidence() if self.collocations else None,
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
    profile = {name: 0 for name in CEFR_NAMES.values()} | {"unknown": 0}
    b2_plus = 0
    tags, phrasal = tagged(text) if content else ({}, [])
    seen: dict[str, int] = {}
    word_levels: dict[str, int] = {}
    for word in content:
        # the tag of this occurrence of the word (the n-th "schedule" gets the n-th tag)
        occurrences = tags.get(word, [])
        nth = seen.get(word, 0)
        seen[word] = nth + 1
        level = cefr_level_as(word, occurrences[nth] if nth < len(occurrences) else None)
        if level is None:
            profile["unknown"] += 1
            if word not in unrated:
                unrated.append(word)
            continue
        profile[CEFR_NAMES[level]] += 1
        rated.append(word)
        if level >= ABOVE_A2_LEVEL:
            above.append(word)
            word_levels.setdefault(word, level)
        if level >= B2_LEVEL:
            b2_plus += 1
    top_2k, top_5k = (frequent_forms(n) for n in FREQUENT_FORMS)
    # rated words only: a misspelling or a brand name is not a rare word
    beyond_2k = [w for w in rated if w not in top_2k]
    beyond_5k = [w for w in rated if w not in top_5k]
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
        mattr=mattr(words),
        hdd=hdd(words),
        share_b2_plus=b2_plus / len(rated) if rated else 0.0,
        mean_zipf_content=sum(zipf(w) for w in rated) / len(rated) if rated else 0.0,
        share_beyond_2k=len(beyond_2k) / len(rated) if rated else 0.0,
        share_beyond_5k=len(beyond_5k) / len(rated) if rated else 0.0,
        cefr_profile=profile,
        rare_words=list(dict.fromkeys(beyond_5k)),
        word_levels=word_levels,
        phrasal_verbs=phrasal,
        collocations=measure_collocations(text) if words else None,
    )
