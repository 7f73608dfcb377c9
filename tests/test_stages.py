"""The scoring stages' registry and the report model, without the speech stack or
LanguageTool: the order the stages run in, and a stored report (as old attempts hold it)
read back with its grammar evidence typed."""

from __future__ import annotations

import pytest

from trainer.scoring import GrammarError, Report, StageResult, register, stages

STORED = {
    "task_id": "task.chat_reply.001",
    "task_type": "chat_reply",
    "scorable": True,
    "reason": None,
    "reason_code": None,
    "overall": {"score": 61.0, "level": "B1", "verdict": "not yet", "hiring_bar": "B2"},
    "dimensions": {
        "grammar": {
            "score": 55.0,
            "band": 3,
            "label": "Adequate",
            "descriptor": "Some errors.",
            "weight": 0.4,
            "evidence": {
                "features": {"grammar_errors_per_100_words": 4.2},
                "band_thresholds": [
                    {"feature": "grammar_errors_per_100_words", "value": 4.2, "min": None, "max": 6.0, "met": True}
                ],
                "next_band_thresholds": [
                    {"feature": "grammar_errors_per_100_words", "value": 4.2, "min": None, "max": 3.0, "met": False}
                ],
                "errors": [
                    {
                        "text": "go",
                        "offset": 3,
                        "length": 2,
                        "category": "GRAMMAR",
                        "rule_id": "HE_VERB_AGR",
                        "message": "Did you mean 'goes'?",
                        "suggestions": ["goes", "went"],
                        "issue_type": "grammar",
                    }
                ],
                "word_count": 24,
                "checker": "LanguageTool 6.8",
            },
        },
        "vocabulary": {
            "score": 70.0,
            "band": 4,
            "label": "Good",
            "descriptor": "Varied.",
            "weight": 0.2,
            "evidence": {"features": {"word_types": 20.0}, "band_thresholds": [], "next_band_thresholds": []},
        },
    },
    "unavailable": {},
    "transcript": None,
    "warnings": [],
    "stage_seconds": {"grammar": 0.2},
    "engine_version": "1",
}


def test_stages_run_in_the_pipeline_order_under_the_names_users_see():
    assert list(stages.STAGES) == [
        "grammar",
        "fluency",
        "pronunciation",
        "calibration",
        "vocabulary",
        "comprehension",
        "call handling",
    ]
    for stage in stages.STAGES.values():
        assert stage.dimensions and isinstance(stage.name, str)


def test_a_stage_name_is_registered_once():
    class Again:
        name = "grammar"
        dimensions = ("grammar",)

        def applies(self, context):
            return False

        def measure(self, context):
            return StageResult()

    with pytest.raises(ValueError):
        register(Again())
    assert list(stages.STAGES).count("grammar") == 1


def test_a_stored_report_reads_back_with_typed_grammar_errors():
    report = Report.from_dict(STORED)
    assert report.to_dict() == STORED
    errors = report.grammar_errors()
    assert errors == [
        GrammarError("go", 3, 2, "GRAMMAR", "HE_VERB_AGR", "Did you mean 'goes'?", ["goes", "went"], "grammar")
    ]
    assert report.dimensions["grammar"].grammar_errors() == errors
    assert report.dimensions["vocabulary"].grammar_errors() == []
    assert errors[0].to_dict() == STORED["dimensions"]["grammar"]["evidence"]["errors"][0]


def test_a_report_without_grammar_has_no_grammar_errors():
    stored = {**STORED, "dimensions": {"vocabulary": STORED["dimensions"]["vocabulary"]}}
    assert Report.from_dict(stored).grammar_errors() == []


def test_a_grammar_error_missing_keys_still_reads():
    error = GrammarError.from_dict({"text": "go", "message": "agreement", "suggestions": None, "extra": 1})
    assert (error.text, error.offset, error.length, error.suggestions) == ("go", -1, 0, [])
