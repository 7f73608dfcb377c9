"""The CMU pronouncing dictionary: the one reader of the copy PocketSphinx ships.

    pronunciations()["bear"]    # "B EH R": the first pronunciation of each word
    "bear" in words()           # the 130k words, alternates folded in
    syllable_count("elephants") # 3: vowel phones, else vowel groups in the spelling

Words are lower-case as in the dictionary (``trainer.speech.textnorm.normalize`` gives them);
phones are the 39 CMU phones without stress marks (the PocketSphinx copy has none). The file
is read once per process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DICTIONARY_FILE = "cmudict-en-us.dict"
# The 39 phones of the CMU dictionary (and of PocketSphinx's US English acoustic model).
PHONES = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH"
).split()
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())


def model_dir() -> Path:
    """PocketSphinx's US English model folder: the acoustic model, the phone language model
    and the dictionary."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us"


def dictionary_path() -> Path:
    return model_dir() / DICTIONARY_FILE


@lru_cache(maxsize=1)
def _read() -> tuple[dict[str, str], frozenset[str]]:
    """(first pronunciation per word, every word with its alternates "word(2)" folded in)."""
    entries: dict[str, str] = {}
    every: set[str] = set()
    with dictionary_path().open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            word, _, phones = line.strip().partition(" ")
            every.add(word.split("(")[0])
            if word and "(" not in word:
                entries.setdefault(word, phones.strip())
    every.discard("")
    return entries, frozenset(every)


def pronunciations() -> dict[str, str]:
    """The first pronunciation of each word, as space-separated CMU phones (do not modify)."""
    return _read()[0]


def words() -> frozenset[str]:
    """Every word of the dictionary."""
    return _read()[1]


def pronunciation(word: str) -> str | None:
    """CMU phones of a normalised word, None when the dictionary does not have it."""
    return pronunciations().get(word)


@lru_cache(maxsize=1)
def _syllables() -> dict[str, int]:
    return {word: max(1, sum(p in VOWELS for p in phones.split())) for word, phones in pronunciations().items()}


def syllable_count(word: str) -> int:
    """Syllables of a normalised word: its vowel phones in the dictionary, else the vowel
    groups of its spelling (at least 1)."""
    known = _syllables().get(word)
    if known:
        return known
    return max(1, len(re.findall(r"[aeiouy]+", word)))
