"""What the recogniser heard, word by word, aligned with the words that were expected.

    heard = heard_tokens(transcript)               # normalised words with times and probability
    alignment = align_words(reference, [t.text for t in heard])
    alignment.matched()    # per reference word: the index of the heard word at its place, or None
    alignment.inserted()   # heard words the reference does not have -> the reference word they follow
    alignment.wer, alignment.hits, ...

The alignment is ``jiwer``'s word-level Levenshtein alignment (its chunks, one pair per word).
Both sides are lists of normalised words (``trainer.speech.textnorm``): a word holds no space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jiwer

from trainer.speech.textnorm import normalize
from trainer.speech.transcript import Transcript

EQUAL, SUBSTITUTE, DELETE, INSERT = "equal", "substitute", "delete", "insert"


@dataclass(frozen=True)
class HeardToken:
    """One normalised word the recogniser heard ("$25" gives three tokens that share the
    times and probability of the word they come from)."""

    text: str
    start: float
    end: float
    probability: float


# Whisper writes digits read one by one, "2-8-9-1", as the words "2", "-8", "-9", "-1".
_DIGIT_CONTINUATION = re.compile(r"^-\d")
_ENDS_WITH_DIGIT = re.compile(r"\d$")


def heard_tokens(transcript: Transcript, *, join_digits: bool = True) -> list[HeardToken]:
    """The transcript's words normalised the same way as a reference text.

    ``join_digits``: Whisper's digit pieces ("2", "-8", "-9", "-1") are joined back first,
    so that they read as the digits "two eight nine one"; the joined word takes the times of
    its first and last pieces and the lowest probability of them. Without it each piece is
    normalised on its own ("-8" -> "8") and keeps its own times."""
    words: list[tuple[str, float, float, float]] = []
    for word in transcript.words:
        text = word.text.strip()
        if join_digits and words and _DIGIT_CONTINUATION.match(text) and _ENDS_WITH_DIGIT.search(words[-1][0]):
            before, start, _, probability = words[-1]
            words[-1] = (before + text, start, word.end, min(probability, float(word.probability)))
        else:
            words.append((text, word.start, word.end, float(word.probability)))
    return [
        HeardToken(part, start, end, probability)
        for text, start, end, probability in words
        for part in normalize(text).split()
    ]


@dataclass(frozen=True)
class AlignedPair:
    """One step of the alignment: a reference word and the hypothesis word at its place."""

    kind: str  # equal / substitute / delete (no hypothesis word) / insert (no reference word)
    ref: int | None  # index in the reference; None for an inserted word
    hyp: int | None  # index in the hypothesis; None for a deleted word
    follows: int | None = None  # an inserted word: the reference index it follows (-1: the start)


@dataclass(frozen=True)
class WordAlignment:
    pairs: list[AlignedPair]
    hits: int
    substitutions: int
    deletions: int
    insertions: int
    wer: float  # (substitutions + deletions + insertions) / reference words

    def matched(self) -> list[int | None]:
        """Per reference word the hypothesis index aligned to it (equal or substituted)."""
        matched: list[int | None] = [None] * sum(pair.ref is not None for pair in self.pairs)
        for pair in self.pairs:
            if pair.kind in (EQUAL, SUBSTITUTE):
                matched[pair.ref] = pair.hyp
        return matched

    def inserted(self) -> dict[int, int]:
        """Inserted hypothesis words: hypothesis index -> the reference index it follows."""
        return {pair.hyp: pair.follows for pair in self.pairs if pair.kind == INSERT}


def align_words(reference: list[str], hypothesis: list[str]) -> WordAlignment:
    """``jiwer``'s word alignment of two lists of normalised words, one pair per word."""
    if not reference:  # jiwer refuses an empty reference; its convention for the WER
        return WordAlignment(
            [AlignedPair(INSERT, None, j, -1) for j in range(len(hypothesis))],
            0,
            0,
            0,
            len(hypothesis),
            float(len(hypothesis)),
        )
    output = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
    pairs: list[AlignedPair] = []
    for chunk in output.alignments[0]:
        if chunk.type in (EQUAL, SUBSTITUTE):
            pairs += [
                AlignedPair(chunk.type, chunk.ref_start_idx + offset, chunk.hyp_start_idx + offset)
                for offset in range(chunk.ref_end_idx - chunk.ref_start_idx)
            ]
        elif chunk.type == DELETE:
            pairs += [AlignedPair(DELETE, i, None) for i in range(chunk.ref_start_idx, chunk.ref_end_idx)]
        elif chunk.type == INSERT:
            pairs += [
                AlignedPair(INSERT, None, j, chunk.ref_start_idx - 1)
                for j in range(chunk.hyp_start_idx, chunk.hyp_end_idx)
            ]
        else:
            raise ValueError(f"unknown jiwer alignment chunk {chunk.type!r}")
    return WordAlignment(
        pairs, output.hits, output.substitutions, output.deletions, output.insertions, float(output.wer)
    )
