"""Grammatical range from word cues (trainer.features.grammar_range, issue 16)."""

from __future__ import annotations

import pytest

from trainer.features.grammar_range import FEATURE_NAMES, measure_range


def test_each_structure_is_found():
    text = (
        "I have worked in sales, and I am studying English now. The order was shipped yesterday. "
        "I want to help customers, so I will call them, and I can explain the problem. "
        "If the parcel is late, the agent who handles it is faster than the system. I bought it."
    )
    result = measure_range(text)
    assert set(result.structures) == {
        "perfect",
        "progressive",
        "passive",
        "infinitive",
        "future",
        "modal",
        "conditional",
        "relative clause",
        "comparison",
        "past",
    }
    assert result.structure_variety == 10
    assert result.structures["perfect"] == "have worked"
    assert result.subordinators == ["if", "who"]
    assert set(result.features()) == set(FEATURE_NAMES)


def test_contractions_and_negation():
    result = measure_range("I'll check it. Your order hasn't arrived, and we're looking into it.")
    assert {"future", "perfect", "progressive"} <= set(result.structures)
    assert "modal" not in result.structures


def test_simple_present_answer_has_little_range():
    result = measure_range("I like my job. My job is good. I talk to people. People are nice.")
    assert result.structure_variety <= 1
    assert result.subordinators_per_100_words == 0.0
    assert measure_range("").features() == {"structure_variety": 0.0, "subordinators_per_100_words": 0.0}


def test_subordination_rate():
    result = measure_range("I stayed because it was late, although I was tired.")
    assert result.subordinators == ["because", "although"]
    assert result.subordinators_per_100_words == pytest.approx(200 / 10)
