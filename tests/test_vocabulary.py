"""Vocabulary features: word types, MTLD, MATTR, HD-D, frequency norms (wordfreq), CEFR share\nfrom cefrpy, call-centre phrases; the compensatory vocabulary rubric (issue 16)."""

from __future__ import annotations

import json

import pytest

from trainer.features.vocabulary import (
    FEATURE_NAMES,
    MATTR_WINDOW,
    MTLD_THRESHOLD,
    cefr_level,
    cefr_level_as,
    hdd,
    mattr,
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


# --------------------------------------------------------------------------- issue 16


def test_mattr_and_hdd_agree_with_hand_computation():
    # MATTR, window 3 over "a b a b c": windows aba, bab, abc -> (2/3 + 2/3 + 3/3) / 3
    assert mattr(["a", "b", "a", "b", "c"], window=3) == pytest.approx(7 / 9)
    assert mattr(["a", "b", "a"], window=5) == pytest.approx(2 / 3)  # shorter than a window: TTR
    assert mattr([]) == 0.0
    # HD-D, draws of 2 from "a a b": P(a drawn) = 1, P(b drawn) = 1 - C(2,2)/C(3,2) = 2/3
    assert hdd(["a", "a", "b"], sample=2) == pytest.approx((1 + 2 / 3) / 2)
    # against scipy's hypergeometric distribution on a real text (McCarthy & Jarvis 2007)
    from scipy.stats import hypergeom

    words = (BASIC + " " + ADVANCED).lower().replace(".", "").replace(",", "").split()
    counts = {w: words.count(w) for w in set(words)}
    expected = sum(1 - hypergeom.pmf(0, len(words), f, 42) for f in counts.values()) / 42
    assert hdd(words) == pytest.approx(expected)
    assert MATTR_WINDOW == 30


def test_mattr_holds_at_short_lengths():
    # the same speakers' words, 60 or 240 of them: MATTR barely moves, the TTR falls
    from trainer.content.samples import load_manifest
    from trainer.features.vocabulary import words_of

    good = [s.text for s in load_manifest() if s.kind == "answer" and s.quality == "good" and not s.telephone]
    words = words_of(" ".join(good))
    short, long_ = words[:60], words[:240]
    assert len(long_) == 240
    assert abs(mattr(short) - mattr(long_)) < 0.08
    assert len(set(short)) / len(short) - len(set(long_)) / len(long_) > 0.1


def test_frequency_norms_and_cefr_profile(bank):
    basic = measure_vocabulary(BASIC, bank.phrasebank)
    advanced = measure_vocabulary(ADVANCED, bank.phrasebank)
    assert advanced.mean_zipf_content < basic.mean_zipf_content
    assert advanced.share_beyond_2k > basic.share_beyond_2k
    assert advanced.share_beyond_2k >= advanced.share_beyond_5k > 0 and basic.share_beyond_5k == 0.0
    assert sum(advanced.cefr_profile.values()) == advanced.content_word_count
    assert "discrepancy" in advanced.rare_words
    # a misspelling is not a rare word
    typo = measure_vocabulary("I realy want the becuase refund", bank.phrasebank)
    assert typo.unrated_words == ["realy", "becuase"]
    assert typo.rare_words == ["refund"] and typo.share_beyond_5k == 0.5  # of refund, want


GOOD_OPEN_ANSWER = (
    "I want to work in a call center because I enjoy helping people and solving problems. I studied "
    "for two years at college, and I use English every day, so I think I can talk to customers clearly. "
    "I also like working in a team. In the future, I would like to become a team leader or a trainer."
)


def _vocabulary_band(bank, text: str, task_type: str = "open_question"):
    from trainer.scoring.banding import band_dimension

    return band_dimension(bank.get_rubric("vocabulary"), measure_vocabulary(text).features(), task_type, 0.25)


def test_good_sample_answer_reaches_band_3(bank):
    from trainer.content.samples import load_manifest, sample_path

    spoken = next(s.text for s in load_manifest() if s.path == sample_path("task.open_question.001", "good"))
    assert " ".join(spoken.split()) == GOOD_OPEN_ANSWER
    good = _vocabulary_band(bank, GOOD_OPEN_ANSWER)
    assert good.band >= 3, good.details["components"]
    weak_text = next(s.text for s in load_manifest() if s.path == sample_path("task.open_question.001", "weak"))
    assert _vocabulary_band(bank, weak_text).score < good.score


def test_evidence_lists_each_component_and_its_points(bank):
    scored = _vocabulary_band(bank, GOOD_OPEN_ANSWER)
    parts = scored.details["components"]
    # no service phrases in an open question
    assert [p["feature"] for p in parts] == ["mattr", "share_beyond_2k", "share_above_a2", "collocation_strength"]
    assert sum(p["points"] for p in parts) == pytest.approx(scored.score, abs=0.1)
    assert scored.band_checks == [] and scored.next_band_checks == []
    role_play = _vocabulary_band(bank, ADVANCED, "role_play")
    assert "call_centre_phrases" in [p["feature"] for p in role_play.details["components"]]


def test_more_sophistication_never_lowers_the_score(bank):
    rubric = bank.get_rubric("vocabulary")
    base = measure_vocabulary(GOOD_OPEN_ANSWER).features()
    for component in rubric.compensatory.components:
        low, high = sorted((component.zero, component.full))
        step = (high - low) / 10
        values = [low - step + i * step for i in range(13)]
        if component.full < component.zero:
            values.reverse()  # lower is better: walk toward better
        scores = [rubric.compensatory_score(base | {component.feature: v}, "role_play")[0] for v in values]
        assert scores == sorted(scores), component.feature
    # and on text: rarer words for the same ideas
    richer = GOOD_OPEN_ANSWER.replace("helping people", "assisting people").replace(
        "solving problems", "resolving complaints"
    )
    assert _vocabulary_band(bank, richer).score > _vocabulary_band(bank, GOOD_OPEN_ANSWER).score


def test_short_answer_is_not_judged_instead_of_a_low_band(bank):
    from trainer.scoring.stages import STAGES, ScoringContext

    stage = STAGES["vocabulary"]
    short = stage.measure(ScoringContext({"vocabulary": 1.0}, typed_text="Sure, I can check your order for you now."))
    assert short.measured == {}
    assert short.unavailable["vocabulary"].startswith("not enough words to judge vocabulary")
    assert "9 words" in short.unavailable["vocabulary"]
    enough = stage.measure(ScoringContext({"vocabulary": 1.0}, typed_text=GOOD_OPEN_ANSWER))
    assert "vocabulary" in enough.measured and not enough.unavailable
    assert bank.get_rubric("vocabulary").compensatory.min_words == 30


def test_a_word_is_rated_by_the_part_of_speech_it_has_in_the_answer():
    """cefrpy rates "schedule" A2 as a noun and B2 as a verb: the tagger decides which."""
    as_verb = measure_vocabulary("We schedule a technician visit for Monday morning.")
    as_noun = measure_vocabulary("The schedule shows a technician visit on Monday morning.")
    assert as_verb.evidence()["above_a2_words"].get("schedule") == "B2"
    assert "schedule" not in as_noun.evidence()["above_a2_words"]
    # a tag the list has no level for falls back to the word's other verb tags, then its lowest
    assert cefr_level_as("schedule", "VBP") == 4 and cefr_level_as("schedule", "NN") == 2
    assert cefr_level_as("schedule", None) == cefr_level("schedule") == 2


def test_phrasal_verbs_are_listed_as_evidence():
    result = measure_vocabulary("Let me look it up. I will set up the account and find out why it failed.")
    assert result.evidence()["phrasal_verbs"] == ["look up", "set up", "find out"]
