"""Collocation strength (trainer.features.collocations) on SymSpell's real Google Books counts."""

from __future__ import annotations

import math
import random

import pytest

from trainer.features import collocations
from trainer.features.collocations import MIN_LISTED_PAIRS, measure_collocations, norms, reference_points

FLUENT = (
    "Thank you for calling. I am sorry to hear that your order has not arrived yet. Let me check "
    "the tracking number for you. It looks like the package was delayed because of heavy traffic, "
    "but it should arrive by the end of the day. Is there anything else I can help you with today?"
)


def test_mutual_information_is_computed_from_the_counts():
    n = norms()
    first, second = "make", "sure"
    words_file = collocations.WORDS_FILE
    pair_count = next(
        int(line.split()[2]) for line in collocations._lines(collocations.PAIRS_FILE) if line.startswith("make sure ")
    )
    assert words_file.endswith(".txt") and n.total_words == sum(n.word_counts.values())
    expected = math.log2(pair_count * n.total_words / (n.word_counts[first] * n.word_counts[second]))
    assert n.pair_mi["make sure"] == pytest.approx(expected)
    # a fixed phrase is far more bound than a pair of frequent words meeting by chance
    assert n.pair_mi["make sure"] > n.pair_mi["is the"] + 3


def test_reference_points_are_the_rubric_anchors(bank):
    points = reference_points()
    assert 3.5 < points.random_pairs < points.running_english < 9
    component = next(
        c for c in bank.get_rubric("vocabulary").compensatory.components if c.feature == "collocation_strength"
    )
    # the rubric states the anchors to one decimal: they must be the lists' own reference points
    assert component.zero == round(points.random_pairs, 1)
    assert component.full == round(points.running_english, 1)


def test_words_in_their_order_go_together_more_than_the_same_words_shuffled():
    fluent = measure_collocations(FLUENT)
    assert fluent.strength is not None and fluent.listed_pairs >= MIN_LISTED_PAIRS
    assert "thank you" in [pair for pair, _ in fluent.strongest] or "make sure" in [p for p, _ in fluent.strongest]
    words = FLUENT.replace(".", "").replace("?", "").replace(",", "").split()
    shuffled_strengths = []
    for seed in range(5):
        random.Random(seed).shuffle(words)
        shuffled = measure_collocations(" ".join(words))
        if shuffled.strength is not None:
            shuffled_strengths.append(shuffled.strength)
        assert shuffled.listed_share < fluent.listed_share
    assert shuffled_strengths and max(shuffled_strengths) < fluent.strength


def test_pairs_stay_inside_a_sentence_and_unknown_words_are_left_out():
    assert collocations.word_pairs("I agree. Thank you") == [("i", "agree"), ("thank", "you")]
    # fillers are not words; a made-up word has no pairs
    assert collocations.word_pairs("um thank uh you") == [("thank", "you")]
    result = measure_collocations("the zorblaxian zorblaxian order")
    assert result.pairs == 0 and result.strength is None


def test_too_few_listed_pairs_is_not_measured_and_the_rubric_leaves_it_out(bank):
    from trainer.features.vocabulary import measure_vocabulary

    short = measure_collocations("Thank you for calling.")
    assert short.listed_pairs < MIN_LISTED_PAIRS and short.strength is None
    features = measure_vocabulary("Thank you for calling.").features()
    assert "collocation_strength" not in features
    score, parts = bank.get_rubric("vocabulary").compensatory_score(features, "open_question")
    assert "collocation_strength" not in [p["feature"] for p in parts] and 0 <= score <= 100


def test_a_learner_answer_scores_below_the_same_ideas_in_natural_english():
    learner = (
        "I like work call center because I like people and problem. I study two year college. "
        "Future I want leader. I am good talk with customer and I am patient person for them always."
    )
    natural = (
        "I would like to work in a call center because I enjoy helping people and solving problems. "
        "I studied for two years at college. In the future I want to become a team leader. I am good "
        "at talking with customers and I am always patient with them."
    )
    weak, good = measure_collocations(learner), measure_collocations(natural)
    assert weak.strength is not None and good.strength is not None
    assert good.strength > weak.strength + 0.5
    assert good.evidence()["strongest"][0]["mi"] >= good.evidence()["strongest"][-1]["mi"]
