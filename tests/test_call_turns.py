"""A mock call ended early: the turns answered are scored, the turns skipped are named, and
they count as the rubrics' ``skipped_turns`` rules say (lessons/rubrics): the caller's
details of a turn never answered are left out of comprehension, the steps of a call never
finished count as missed in call handling. No speech stack, no LanguageTool: the stages
read a transcript made by hand."""

from __future__ import annotations

import pytest
import yaml

from tests.helpers.transcripts import word_transcript
from trainer.content import Rubric, get_bank
from trainer.scoring.banding import band_dimension
from trainer.scoring.stages import CallHandlingStage, ComprehensionStage, ScoringContext

BANK = get_bank()
TASK = BANK.get_task("task.role_play.003")  # internet outage: 5 turns, the mobile number in turn 5
SCENARIO = BANK.get_scenario(TASK.scenario)

# The agent's side of turns 1-3: greets, verifies, says back the caller's name only.
THREE_TURNS = (
    "Thank you for calling, this is Sam. I'm so sorry your internet is down, I understand. "
    "May I have your account number please? Thank you Mr Derek Thompson. "
    "There is an outage in your area and a technician is working on it, it should be fixed by six p.m."
)


def context(text: str, answered: tuple[int, ...] | None) -> ScoringContext:
    transcript = word_transcript([(w, 0.9) for w in text.split()])
    weights = dict(BANK.weights_for("role_play"))
    return ScoringContext(weights, transcript=transcript, task=TASK, answered_turns=answered)


def test_the_scenario_knows_in_which_turn_each_detail_is_given():
    assert [SCENARIO.fact_turn(f) for f in SCENARIO.facts] == [1, 1, 2, 4]
    assert SCENARIO.move_turns("closing") == [4]


def test_details_of_skipped_turns_are_left_out_and_the_skipped_turns_are_listed():
    measured = ComprehensionStage().measure(context(THREE_TURNS, (0, 1, 2))).measured["comprehension"]
    # 1 of the 3 details given in turns 1-3; the mobile number (turn 5) was never heard
    assert measured.features["facts_captured"] == pytest.approx(1 / 3, abs=1e-3)
    assert [f["label"] for f in measured.details["facts"]["facts"]] == [f.label for f in SCENARIO.facts[:3]]
    turns = measured.details["turns"]
    assert turns["answered"] == [1, 2, 3] and turns["skipped"] == [4, 5] and turns["total"] == 5
    assert turns["skipped_text"] == "turns 4 and 5"
    rule = BANK.get_rubric("comprehension").skipped_turns
    assert turns["rule"] == rule.rule == "left_out" and turns["explanation"] == rule.explanation
    assert turns["facts_left_out"] == [{"label": "Mobile number for updates", "expected": "404-555-0192", "turn": 5}]

    score = band_dimension(BANK.get_rubric("comprehension"), measured.features, "role_play", 1.0, measured.details)
    assert score.band == 2 and score.score > 25  # not "0/100, did not understand"


def test_the_whole_call_answered_counts_every_detail_and_names_no_turn():
    for answered in ((0, 1, 2, 3, 4), None):
        measured = ComprehensionStage().measure(context(THREE_TURNS, answered)).measured["comprehension"]
        assert measured.features["facts_captured"] == pytest.approx(1 / 4, abs=1e-3)
        assert "turns" not in measured.details


def test_a_call_ended_before_any_detail_is_not_scored_on_comprehension_and_says_why():
    result = ComprehensionStage().measure(context("Thank you for calling, how can I help you today?", (0,)))
    assert not result.measured
    assert "turns 2, 3, 4 and 5 not answered" in result.unavailable["comprehension"]


def test_steps_expected_in_skipped_turns_count_as_missed_in_call_handling():
    measured = CallHandlingStage().measure(context(THREE_TURNS, (0, 1, 2))).measured["call_handling"]
    turns = measured.details["turns"]
    assert turns["skipped"] == [4, 5] and turns["rule"] == "count_as_missed"
    assert {"confirmation", "closing"} <= set(turns["moves_missed_in_skipped_turns"])
    assert {"confirmation", "closing"} <= set(measured.details["missing_required"])
    required = [m for m in SCENARIO.moves if m.required]
    assert measured.features["call_moves_covered"] <= (len(required) - 2) / len(required)


def test_each_turn_dimension_rubric_must_say_how_skipped_turns_count():
    from pathlib import Path

    from trainer.config import get_settings

    rubrics = Path(get_settings().content_dir) / "rubrics"
    comprehension = yaml.safe_load((rubrics / "comprehension.yaml").read_text())
    Rubric.model_validate(comprehension)
    del comprehension["skipped_turns"]
    with pytest.raises(ValueError, match="skipped_turns"):
        Rubric.model_validate(comprehension)
    fluency = yaml.safe_load((rubrics / "fluency.yaml").read_text())
    fluency["skipped_turns"] = {"rule": "left_out", "explanation": "Left out."}
    with pytest.raises(ValueError, match="not measured turn by turn"):
        Rubric.model_validate(fluency)
    with pytest.raises(ValueError):
        Rubric.model_validate(
            {
                **yaml.safe_load((rubrics / "call_handling.yaml").read_text()),
                "skipped_turns": {"rule": "ignored", "explanation": "x"},
            }
        )
