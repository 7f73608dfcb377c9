"""Scoring: an answer in, a banded report with its evidence out.

    from trainer.scoring import score, score_file, score_text, Report

``engine`` (score, score_file, score_text: the checks that an answer can be scored, then
the stages), ``stages`` (the stage protocol and registry: one adapter per feature module),
``banding`` (a dimension's features against its rubric), ``report`` (Report and its JSON),
``calibration`` (the expert-scale estimates scripted answers band on), ``level`` (the level
of an answer and of a session of answers, with its range).
"""

from trainer.scoring.banding import band_dimension
from trainer.scoring.engine import score, score_file, score_text
from trainer.scoring.level import AnswerEvidence, LevelEstimate, answer_level, report_words, session_level
from trainer.scoring.report import ENGINE_VERSION, DimensionScore, GrammarError, Overall, Report, ThresholdCheck
from trainer.scoring.stages import Measurement, ScoringContext, Stage, StageResult, register

__all__ = [
    "AnswerEvidence",
    "LevelEstimate",
    "ENGINE_VERSION",
    "DimensionScore",
    "GrammarError",
    "Measurement",
    "Overall",
    "Report",
    "answer_level",
    "report_words",
    "session_level",
    "ScoringContext",
    "Stage",
    "StageResult",
    "ThresholdCheck",
    "band_dimension",
    "register",
    "score",
    "score_file",
    "score_text",
]
