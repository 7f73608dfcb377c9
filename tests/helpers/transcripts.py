"""Transcripts made by hand, for tests of what is read from a transcript."""

from __future__ import annotations

from trainer.speech.transcript import Transcript, Word


def word_transcript(words: list[tuple[str, float]]) -> Transcript:
    """A Whisper-style transcript of (word as written, probability): a word every 0.4 s."""
    return Transcript(
        " ".join(w for w, _ in words),
        [Word(w, i * 0.4, i * 0.4 + 0.3, p) for i, (w, p) in enumerate(words)],
        "whisper",
        "test",
        5.0,
    )
