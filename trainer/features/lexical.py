"""Word-level helpers the feature modules share: function words, a light lemmatiser and
the spellings of hesitations. No feature module is needed to use them."""

from __future__ import annotations

import re
from functools import lru_cache

# Hesitation sounds as the recogniser spells them, and the one spelling each counts as.
HESITATION_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"u+h*m+", "um"),
    (r"u+h+", "uh"),
    (r"e+r+m+", "erm"),
    (r"e+r+", "er"),
    (r"a+h+", "ah"),
    (r"h+m+|m+h*m+", "hmm"),
)

# Function words: pronouns, determiners, auxiliaries, prepositions, conjunctions,
# contractions and discourse particles. Not content words for share_above_a2.
STOP_WORDS = frozenset(
    """
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
""".split()
)


_IRREGULAR = {
    "went": "go",
    "gone": "go",
    "got": "get",
    "gotten": "get",
    "gave": "give",
    "given": "give",
    "took": "take",
    "taken": "take",
    "came": "come",
    "made": "make",
    "said": "say",
    "told": "tell",
    "sent": "send",
    "paid": "pay",
    "bought": "buy",
    "brought": "bring",
    "thought": "think",
    "left": "leave",
    "kept": "keep",
    "lost": "lose",
    "found": "find",
    "saw": "see",
    "seen": "see",
    "knew": "know",
    "known": "know",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "broke": "break",
    "broken": "break",
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "was": "be",
    "were": "be",
    "is": "be",
    "are": "be",
    "am": "be",
    "been": "be",
    "had": "have",
    "has": "have",
    "did": "do",
    "does": "do",
    "phoned": "phone",
    "kids": "child",
    "kid": "child",
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


def canonical_hesitation(word: str) -> str | None:
    for pattern, canonical in HESITATION_PATTERNS:
        if re.fullmatch(pattern, word):
            return canonical
    return None


_WORD_RE = re.compile(r"[a-z]+(?:['’][a-z]+)*")


def words_of(text: str) -> list[str]:
    """Alphabetic words, lower case, hesitation fillers removed."""
    found = [w.replace("’", "'") for w in _WORD_RE.findall(text.lower())]
    return [w for w in found if canonical_hesitation(w) is None]
