"""The CMU lexicon and the word alignment that recognition features and the pronunciation
stage share (trainer.speech.lexicon, trainer.speech.alignment)."""

from __future__ import annotations

import jiwer
import pytest

from tests.helpers.transcripts import word_transcript
from trainer.speech import lexicon
from trainer.speech.alignment import AlignedPair, align_words, heard_tokens

# --------------------------------------------------------------------------- lexicon


def test_the_dictionary_gives_first_pronunciations_words_and_syllables():
    assert lexicon.pronunciation("bear") == "B EH R"
    assert lexicon.pronunciation("zorblaxify") is None
    # "read" has two pronunciations ("read(2)"): the first is kept, the word counted once
    assert lexicon.pronunciation("read") == "R EH D"
    assert {"read", "bear", "elephants"} <= lexicon.words()
    assert not any("(" in w for w in lexicon.words())
    assert len(lexicon.words()) > 100_000
    assert set(lexicon.pronunciations()) <= lexicon.words()
    assert lexicon.syllable_count("elephants") == 3 and lexicon.syllable_count("bear") == 1
    assert lexicon.syllable_count("zorblaxify") == 4  # not a word: vowel groups of the spelling
    assert all(p in lexicon.PHONES for p in lexicon.pronunciation("elephants").split())
    assert lexicon.VOWELS < set(lexicon.PHONES)


def test_the_dictionary_is_read_once():
    assert lexicon.words() is lexicon.words()
    assert lexicon.pronunciations() is lexicon.pronunciations()


# --------------------------------------------------------------------------- heard words


def test_heard_words_are_normalised_with_their_times_and_probability():
    heard = heard_tokens(word_transcript([("It's", 0.9), ("$25,", 0.7), ("Mr.", 0.8)]))
    assert [t.text for t in heard] == ["it's", "twenty", "five", "dollars", "mister"]
    assert [t.probability for t in heard] == [0.9, 0.7, 0.7, 0.7, 0.8]
    assert heard[1].start == heard[3].start == 0.4 and heard[3].end == pytest.approx(0.7)


def test_whisper_digit_pieces_are_joined_back_or_kept_apart():
    # Whisper writes "2-8-9-1" as the words "2", "-8", "-9", "-1"
    transcript = word_transcript([("2", 0.9), ("-8", 0.8), ("-9", 0.9), ("-1", 0.6), ("thanks", 0.9)])
    joined = heard_tokens(transcript)
    assert [t.text for t in joined] == ["two", "eight", "nine", "one", "thanks"]
    assert [(t.start, t.end, t.probability) for t in joined[:4]] == [(0.0, pytest.approx(1.5), 0.6)] * 4
    apart = heard_tokens(transcript, join_digits=False)
    assert [t.text for t in apart] == ["two", "8", "9", "1", "thanks"]
    assert [t.probability for t in apart] == [0.9, 0.8, 0.9, 0.6, 0.9]
    assert apart[1].start == pytest.approx(0.4)


# --------------------------------------------------------------------------- alignment


def test_alignment_pairs_every_word_and_counts_as_jiwer_does():
    reference = "we call it the bear".split()
    hypothesis = "well we call it a bill".split()
    alignment = align_words(reference, hypothesis)
    assert alignment.pairs == [
        AlignedPair("insert", None, 0, -1),
        AlignedPair("equal", 0, 1),
        AlignedPair("equal", 1, 2),
        AlignedPair("equal", 2, 3),
        AlignedPair("substitute", 3, 4),
        AlignedPair("substitute", 4, 5),
    ]
    assert alignment.matched() == [1, 2, 3, 4, 5]
    assert alignment.inserted() == {0: -1}
    expected = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
    assert (alignment.hits, alignment.substitutions, alignment.deletions, alignment.insertions) == (
        expected.hits,
        expected.substitutions,
        expected.deletions,
        expected.insertions,
    )
    assert alignment.wer == expected.wer == pytest.approx(3 / 5)


def test_deleted_and_inserted_words_know_their_place():
    alignment = align_words("please hold the line".split(), "please hold on line now".split())
    assert alignment.matched() == [0, 1, 2, 3]
    assert alignment.inserted() == {4: 3}
    alignment = align_words("please hold the line".split(), "please line".split())
    assert alignment.matched() == [0, None, None, 1]
    assert [p.kind for p in alignment.pairs] == ["equal", "delete", "delete", "equal"]


def test_empty_sides():
    nothing_heard = align_words(["we", "call"], [])
    assert nothing_heard.matched() == [None, None] and nothing_heard.wer == 1.0
    nothing_expected = align_words([], ["hello", "there"])
    assert nothing_expected.matched() == [] and nothing_expected.inserted() == {0: -1, 1: -1}
    assert align_words([], []).pairs == [] and align_words([], []).wer == 0.0
