"""Grammatical range from a dependency parse (trainer.features.grammar_range, issue 16), and
how the grammar rubric's compensatory rule uses it."""

from __future__ import annotations

import pytest

from trainer.content import get_bank
from trainer.content.samples import load_manifest
from trainer.features import grammar_range
from trainer.features.grammar_range import FEATURE_NAMES, KINDS, measure_range

RUBRIC = get_bank().get_rubric("grammar")


def test_each_structure_is_found():
    text = (
        "I have worked in sales, and I am studying English now. The order was shipped yesterday. "
        "I enjoy helping customers. I want to help them, and I will call them. I can explain the problem. "
        "If the parcel is late, the agent who handles it is faster than the system. I bought it "
        "because it was cheap. I think that you are right."
    )
    result = measure_range(text)
    assert set(result.structures) == set(KINDS)
    assert result.structure_variety == len(KINDS) == 13
    assert result.structures["perfect"] == "have worked"
    assert result.structures["passive"] == "was shipped"
    assert result.structures["relative clause"] == "agent who handles"
    assert result.subordinators == ["if", "who", "because", "that"]
    assert set(result.features()) == set(FEATURE_NAMES)


def test_contractions_negation_and_going_to():
    result = measure_range("Your order hasn't arrived, and we're looking into it. I'm going to send it tomorrow.")
    assert result.structures["perfect"] == "hasn't arrived"
    assert result.structures["progressive"] == "'re looking"
    assert result.structures["future"] == "going to send"
    assert "modal" not in result.structures


def test_clauses_and_dependent_clauses():
    result = measure_range("I stayed because it was late, although I was tired. The man who called is my brother.")
    # stayed, was (late), was (tired), called, is: five clauses, three of them dependent
    assert (result.clauses, result.dependent_clauses) == (5, 3)
    assert result.subordinators == ["because", "although", "who"]
    assert result.dependent_clauses_per_clause == pytest.approx(0.6)
    assert result.mean_clause_length == pytest.approx(17 / 5)  # 10 + 7 words


def test_simple_present_answer_has_little_range():
    result = measure_range("I like my job. My job is good. I talk to people. People are nice.")
    assert result.structure_variety == 0 and result.dependent_clauses == 0
    assert result.subordinators_per_100_words == 0.0
    assert measure_range("").features() == dict.fromkeys(FEATURE_NAMES, 0.0)


def test_the_model_is_the_pinned_one(monkeypatch):
    grammar_range.get_parser()  # the installed files match MODEL_SHA256, or this raises
    monkeypatch.setattr(grammar_range, "MODEL_SHA256", "0" * 64)
    grammar_range.get_parser.cache_clear()
    try:
        with pytest.raises(grammar_range.ParserUnavailable, match="not the pinned ones"):
            grammar_range.get_parser()
    finally:
        grammar_range.get_parser.cache_clear()


# --------------------------------------------------------------------------- the rubric


def grammar_score(errors: float, text: str | None, task_type: str = "open_question") -> float:
    features = {"grammar_errors_per_100_words": errors}
    words = None
    if text is not None:
        features.update(measure_range(text).features())
        words = len(text.split())
    return RUBRIC.compensatory_score(features, task_type, words)[0]


def test_accuracy_alone_keeps_the_former_bands():
    """Scripted tasks (and answers under 30 words) are scored on accuracy alone, and the
    former band limits (1, 3, 6, 10 errors per 100 words) stay in their bands."""
    for errors, score, band in ((0, 100, 5), (1, 82, 5), (2, 71.5, 4), (3, 61, 4), (6, 41, 3), (10, 25, 2), (15, 0, 1)):
        assert round(grammar_score(errors, None), 1) == score, errors
        assert RUBRIC.band_for_score(round(grammar_score(errors, None), 1)).band == band, errors
    short = "I want to work here because I like people."
    assert grammar_score(2, short) == grammar_score(2, None)
    long = "I have worked in a shop where I talked to customers, because I like people. " * 3
    assert grammar_score(2, long, "sentence_build") == grammar_score(2, None)
    assert grammar_score(2, long, "open_question") != grammar_score(2, None)


def test_more_range_never_lowers_the_score_and_errors_always_do():
    features = {
        "grammar_errors_per_100_words": 3.0,
        "structure_variety": 4.0,
        "dependent_clauses_per_clause": 0.2,
        "mean_clause_length": 6.0,
    }
    base = RUBRIC.compensatory_score(features, "open_question", 100)[0]
    for name, step in (("structure_variety", 1), ("dependent_clauses_per_clause", 0.05), ("mean_clause_length", 1)):
        for k in range(1, 12):
            more = RUBRIC.compensatory_score({**features, name: features[name] + k * step}, "open_question", 100)[0]
            assert more >= base, (name, k)
    fewer_errors = RUBRIC.compensatory_score({**features, "grammar_errors_per_100_words": 1.0}, "open_question", 100)
    assert fewer_errors[0] > base


def test_good_sample_answers_show_more_range_than_weak_ones():
    samples = [s for s in load_manifest() if s.kind == "answer" and s.quality and len(s.text.split()) >= 30]
    by_content: dict[str, dict[str, float]] = {}
    for sample in samples:
        by_content.setdefault(sample.content_id, {})[sample.quality] = grammar_score(0, sample.text)
    pairs = [v for v in by_content.values() if {"good", "weak"} <= set(v)]
    assert len(pairs) >= 4
    assert all(v["good"] > v["weak"] for v in pairs), by_content
