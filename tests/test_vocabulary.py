"""Vocabulary features: word types, MTLD, CEFR share from cefrpy, call-centre phrases."""

from __future__ import annotations

import json

import pytest

from trainer.features.vocabulary import (
    FEATURE_NAMES,
    MTLD_THRESHOLD,
    cefr_level,
    measure_vocabulary,
    mtld,
    stem,
)

BASIC = (
    "I have a problem. My phone is not good. I want a new phone. The phone is bad. "
    "I call you and you help me. I want a new phone. My phone is not good. I call "
    "you and you help me. The phone is bad and I have a problem with the phone."
)
ADVANCED = (
    "I completely understand your frustration about the duplicate charge on your "
    "statement. I have verified the transaction, processed a refund, and escalated the "
    "billing discrepancy to our specialist team, who will investigate the payment "
    "system. You should receive a confirmation with a reference number within two "
    "business days, and the credit will appear on your next billing cycle."
)


def reference_mtld_forward(words, threshold=0.72):
    """A plain re-statement of McCarthy & Jarvis's forward pass, for checking."""
    factors, start = 0.0, 0
    for i in range(len(words)):
        segment = words[start : i + 1]
        if len(set(segment)) / len(segment) <= threshold:
            factors += 1
            start = i + 1
    rest = words[start:]
    if rest:
        factors += (1 - len(set(rest)) / len(rest)) / (1 - threshold)
    return len(words) / max(factors, 1.0)


def test_mtld_known_values():
    assert mtld([]) == 0.0
    # "a b a b ...": TTR reaches 2/3 <= 0.72 after three words -> factors of 3 words
    alternating = ["a", "b"] * 30
    assert mtld(alternating) == pytest.approx(3.0, abs=0.05)
    # one word repeated: a factor closes every second word (TTR 0.5)
    assert mtld(["same"] * 40) == pytest.approx(2.0)
    words = (BASIC + " " + ADVANCED).lower().replace(".", "").replace(",", "").split()
    expected = (reference_mtld_forward(words) + reference_mtld_forward(words[::-1])) / 2
    assert mtld(words) == pytest.approx(expected)
    assert MTLD_THRESHOLD == 0.72


def test_mtld_short_texts_score_their_length():
    # never completing a factor: documented value = number of words, not an inflated ratio
    assert mtld(["we", "will", "call", "you", "back"]) == 5.0
    assert mtld(["thank", "you"]) == 2.0


def test_varied_answer_scores_higher_than_repetitive_one(bank):
    basic = measure_vocabulary(BASIC, bank.phrasebank)
    advanced = measure_vocabulary(ADVANCED, bank.phrasebank)
    assert advanced.lexical_diversity_mtld > basic.lexical_diversity_mtld + 20
    assert advanced.word_types > basic.word_types
    assert advanced.share_above_a2 > 0.2 > basic.share_above_a2
    assert basic.call_centre_phrases == 0
    assert advanced.call_centre_phrases >= 4
    rubric = bank.get_rubric("vocabulary")
    assert rubric.band_for(advanced.features(), "role_play").band > rubric.band_for(basic.features(), "role_play").band


def test_features_and_evidence(bank):
    result = measure_vocabulary(ADVANCED, bank.phrasebank)
    features = result.features()
    assert set(features) == set(FEATURE_NAMES)
    assert all(isinstance(v, float) for v in features.values())
    evidence = json.loads(json.dumps(result.evidence()))
    assert evidence["above_a2_words"]["refund"] == "B1"
    assert "duplicate" in evidence["above_a2_words"]
    phrases = {p["phrase"] for p in evidence["call_centre_phrases"]}
    assert {"refund", "reference number", "billing cycle", "credit"} <= phrases
    assert evidence["mtld_reliable"] is True


def test_cefrpy_works_offline_and_unknown_words_are_left_out(bank):
    assert cefr_level("the") == 1 and cefr_level("refund") == 3
    assert cefr_level("schedule") == 2  # lowest level over its parts of speech
    assert cefr_level("shopnest") is None
    result = measure_vocabulary("ShopNest will refund the parcel", bank.phrasebank)
    assert result.unrated_words == ["shopnest"]
    assert result.rated_content_words == 2  # refund, parcel ("will", "the" are function words)
    assert result.share_above_a2 == pytest.approx(1.0)


def test_fillers_and_numbers_are_not_vocabulary(bank):
    result = measure_vocabulary("Um, uh, the code is 4471, uh, 4471.", bank.phrasebank)
    assert result.word_count == 3 and result.word_types == 3  # the, code, is


def test_phrases_match_inflections_and_abbreviations_once(bank):
    text = (
        "We escalated it and issued two refunds. Your AHT and tier 2 team, thank you for "
        "calling, thank you for calling."
    )
    result = measure_vocabulary(text, bank.phrasebank)
    found = [(p.phrase, p.source) for p in result.phrases]
    assert ("refund", "vocabulary") in found
    assert ("escalation", "vocabulary") not in found  # "escalated" is not "escalation"
    assert ("average handling time (AHT)", "vocabulary") in found
    assert ("tier 1 / tier 2", "vocabulary") in found
    assert sum(p == "thank you for calling" for p, _ in found) == 1  # distinct phrases
    generic = measure_vocabulary("So that's it, this is fine.", bank.phrasebank)
    assert generic.call_centre_phrases == 0  # function-word-only phrases are not vocabulary


def test_default_phrase_bank_is_used_without_one():
    assert measure_vocabulary("I will send a refund").call_centre_phrases == 1


def test_stem_brings_forms_together():
    assert stem("apologized") == stem("apologize") == stem("apologised")
    assert stem("arrived") == stem("arrive") == stem("arriving")
    assert stem("pizzas") == stem("pizza") and stem("stopped") == stem("stop")
    assert stem("called") == stem("call") and stem("parties") == stem("party")
    assert stem("walked") != stem("talked")
