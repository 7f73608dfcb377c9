"""The scoring stages: each one measures the features of one or more rubric dimensions
through its feature module (``trainer.features``) and keeps the evidence, and the registry
the engine runs them from, in order.

A stage is anything with the ``Stage`` protocol's four members::

    name          what the user sees while it runs (scoring progress) and the key of its
                  time in ``Report.stage_seconds``
    dimensions    the rubric dimensions it measures (or refines)
    applies(ctx)  whether it runs for this answer (its dimensions have a weight for the
                  task type, the answer is spoken, ...)
    measure(ctx)  a ``StageResult``: features and evidence per dimension, or why a
                  dimension could not be measured

Adding a dimension: its feature module in ``trainer/features/``, one adapter class here
and one ``register()`` line below; then its rubric in ``lessons/rubrics`` and its weight
in the task types that are scored on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from trainer.content import TURN_DIMENSIONS, Scenario, Task, get_bank
from trainer.features import comprehension, fluency, grammar, grammar_range, pronunciation, vocabulary
from trainer.scoring import calibration
from trainer.speech import encoder_layers, encoder_states
from trainer.speech.asr import RecognitionError
from trainer.speech.audio import Audio
from trainer.speech.transcript import Transcript

# Scripted answers (read aloud, repeat): the calibrated estimates (trainer.scoring.calibration,
# on the speechocean762 experts' 0-10 scale) each rubric dimension bands on.
CALIBRATED = {"pronunciation": ("accuracy",), "fluency": ("fluency", "prosodic")}


@dataclass
class Measurement:
    """One dimension as measured: the features its rubric bands on, and the evidence."""

    features: dict[str, float]
    details: dict = field(default_factory=dict)  # stage evidence (pauses, errors, words...)


@dataclass
class ScoringContext:
    """What the stages read: the answer, the task it answers and the dimensions scored."""

    weights: dict[str, float]  # the dimensions this answer is scored on, with their weights
    audio: Audio | None = None
    transcript: Transcript | None = None  # None for a typed answer
    task: Task | None = None
    reference_text: str | None = None  # the text a read-aloud or repeat answer says
    typed_text: str | None = None  # a typed answer (chat replies)
    # a mock call: the caller's turns (0-based) the applicant answered; None when the answer
    # covers the whole call (an uploaded recording of it, or no call at all)
    answered_turns: tuple[int, ...] | None = None
    # the recogniser's pooled encoder states, kept from the transcription's own pass
    # (trainer.speech.encoder_states); None: the calibration runs a pass of its own
    encoder_states: np.ndarray | None = None
    # what the stages that ran before measured, by dimension (filled in by the engine)
    measured: dict[str, Measurement] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The answer's words: the typed text, or what the recogniser heard."""
        if self.typed_text is not None:
            return self.typed_text
        assert self.transcript is not None, "a context has a transcript or a typed text"
        return self.transcript.text

    def scores(self, dimension: str) -> bool:
        return dimension in self.weights

    @property
    def scenario(self) -> Scenario | None:
        scenario_id = getattr(self.task, "scenario", None)
        return get_bank().get_scenario(scenario_id) if scenario_id else None

    def skipped_turns(self) -> list[int]:
        """The scenario's turns (0-based) the applicant did not answer (none unless a mock
        call says which turns were answered)."""
        scenario = self.scenario
        if scenario is None or self.answered_turns is None:
            return []
        return [i for i in range(len(scenario.turns)) if i not in self.answered_turns]


def turn_list(numbers: Sequence[int]) -> str:
    """1-based turn numbers in words: "turn 4", "turns 4 and 5", "turns 2, 4 and 5"."""
    shown = [str(n + 1) for n in numbers]
    if len(shown) == 1:
        return f"turn {shown[0]}"
    return f"turns {', '.join(shown[:-1])} and {shown[-1]}"


def skipped_turns_rules() -> list[str]:
    """The rubrics' rules for a call's unanswered turns, in plain words, one per dimension
    measured on a call's turns (comprehension, call handling)."""
    bank = get_bank()
    return [rule.explanation.strip() for d in TURN_DIMENSIONS if (rule := bank.get_rubric(d).skipped_turns) is not None]


def turns_evidence(context: ScoringContext, dimension: str, **counted) -> dict:
    """What a call's report says about its turns on ``dimension``: how many, which were
    answered and skipped (1-based), the rubric's rule for skipped turns and its words."""
    scenario = context.scenario
    assert scenario is not None
    skipped = context.skipped_turns()
    rule = get_bank().get_rubric(dimension).skipped_turns
    assert rule is not None, f"rubric.{dimension} needs a skipped_turns rule"
    return {
        "total": len(scenario.turns),
        "answered": [i + 1 for i in range(len(scenario.turns)) if i not in skipped],
        "skipped": [i + 1 for i in skipped],
        "skipped_text": turn_list(skipped) if skipped else "",
        "rule": rule.rule,
        "explanation": rule.explanation,
        **counted,
    }


@dataclass
class StageResult:
    measured: dict[str, Measurement] = field(default_factory=dict)  # new or refined, by dimension
    unavailable: dict[str, str] = field(default_factory=dict)  # dimension -> why it is not scored
    warnings: list[str] = field(default_factory=list)  # for the report
    # services that did not answer (worth another try later): "grammar checker"
    services_down: list[str] = field(default_factory=list)


def _one(dimension: str, features: dict[str, float], details: dict) -> StageResult:
    return StageResult(measured={dimension: Measurement(features, details)})


class Stage(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dimensions(self) -> tuple[str, ...]: ...

    def applies(self, context: ScoringContext) -> bool: ...

    def measure(self, context: ScoringContext) -> StageResult: ...


# --------------------------------------------------------------------------- registry

STAGES: dict[str, Stage] = {}  # by name, in the order they run


def register(stage: Stage) -> Stage:
    """Add a stage at the end of the pipeline (a stage may read what the ones before it
    measured, ``context.measured``)."""
    if stage.name in STAGES:
        raise ValueError(f"a scoring stage named {stage.name!r} is registered already")
    STAGES[stage.name] = stage
    return stage


# --------------------------------------------------------------------------- adapters


class GrammarStage:
    """Grammar errors a listener could hear (LanguageTool), per 100 words, and the range of
    structures used (``trainer.features.grammar_range``)."""

    name = "grammar"
    dimensions = ("grammar",)

    def applies(self, context: ScoringContext) -> bool:
        return context.scores("grammar")

    def measure(self, context: ScoringContext) -> StageResult:
        try:
            checked = grammar.check_grammar(context.text)
        except grammar.GrammarUnavailable as error:
            return StageResult(unavailable={"grammar": str(error)}, services_down=["grammar checker"])
        details = {
            "errors": [e.to_dict() for e in checked.errors],
            "word_count": checked.word_count,
            "checker": checked.server_version,
        }
        features = {"grammar_errors_per_100_words": checked.errors_per_100_words}
        warnings = []
        try:
            scope = grammar_range.measure_range(context.text)
        except grammar_range.ParserUnavailable as error:
            # accuracy is still scored; the rubric leaves out the range it cannot see
            warnings.append(f"grammar: range not measured ({error})")
        else:
            features.update(scope.features())
            details["range"] = scope.evidence()
        result = _one("grammar", features, details)
        result.warnings += warnings
        return result


class FluencyStage:
    """Pace, pauses, fillers and repetitions of a spoken answer."""

    name = "fluency"
    dimensions = ("fluency",)

    def applies(self, context: ScoringContext) -> bool:
        return context.scores("fluency") and context.transcript is not None

    def measure(self, context: ScoringContext) -> StageResult:
        assert context.transcript is not None
        measured = fluency.measure_fluency(context.transcript, context.audio)
        return _one("fluency", measured.features(), measured.evidence())


class PronunciationStage:
    """A reading against its text (word by word), or the intelligibility of free speech."""

    name = "pronunciation"
    dimensions = ("pronunciation",)

    def applies(self, context: ScoringContext) -> bool:
        return context.scores("pronunciation") and context.transcript is not None

    def measure(self, context: ScoringContext) -> StageResult:
        assert context.transcript is not None and context.audio is not None
        if context.reference_text:
            reading = pronunciation.assess_read_aloud(
                context.audio, context.reference_text, transcript=context.transcript
            )
            return _one("pronunciation", reading.features(), reading.evidence())
        heard = pronunciation.assess_intelligibility(context.transcript, context.audio)
        return _one("pronunciation", heard.features(), heard.evidence())


def readout_states(source: str, audio: Audio, kept: np.ndarray | None = None) -> np.ndarray:
    """The pooled encoder states of ``audio`` that a readout of ``source`` (one of
    ``calibration.ENCODER_SOURCES``) reads; ``kept``: the last output's states the
    transcription kept (``encoder_states.transcribe_keeping_states``)."""
    if source == calibration.ENCODER_EVERY_LAYER:
        # CTranslate2 hands out the last output only: every layer needs a numpy pass (1.3 s for 30 s)
        return encoder_layers.pooled_layer_states(audio)
    # the transcription's own pass when it kept one, else a pass of its own
    return kept if kept is not None else encoder_states.pooled_encoder_states(audio)


class CalibrationStage:
    """Adds the calibrated expert-scale estimates to the pronunciation and fluency features
    of a scripted answer (the rubrics band scripted answers on them), with each one's terms
    as evidence."""

    name = "calibration"
    dimensions = tuple(CALIBRATED)

    def applies(self, context: ScoringContext) -> bool:
        return (
            bool(context.reference_text)
            and context.transcript is not None
            and any(d in context.measured for d in CALIBRATED)
        )

    def measure(self, context: ScoringContext) -> StageResult:
        assert context.transcript is not None and context.audio is not None and context.reference_text
        present = [name for name in CALIBRATED if name in context.measured]
        try:
            model = calibration.default_model()
        except (OSError, ValueError, KeyError) as error:
            return StageResult(
                unavailable={name: f"the calibration model could not be read ({error})" for name in present}
            )
        stages: dict[str, Sequence[dict]] = {name: (m.features, m.details) for name, m in context.measured.items()}
        stages["audio"] = (calibration.audio_features(context.audio, context.reference_text), {})
        result = StageResult()
        if model.encoder is not None:
            pronunciation_details = context.measured["pronunciation"].details if "pronunciation" in present else {}
            try:
                loaded = encoder_states.model_fingerprint()
            except OSError as error:  # the model folder went missing: score without the states
                loaded = f"an unreadable model ({error})"
            if loaded != model.encoder.whisper_model:
                result.warnings.append(
                    f"The calibration model reads the encoder of {model.encoder.whisper_model}; the recogniser "
                    f"here is {loaded}, so the answer's encoder states were not used."
                )
            elif calibration.narrowband_evidence(pronunciation_details):
                # fitted on microphone readings only: a phone line shifts every state
                result.warnings.append("Telephone-band audio: the recogniser's encoder states were not used.")
            else:
                try:
                    states = readout_states(model.encoder.source, context.audio, context.encoder_states)
                except (RecognitionError, RuntimeError, OSError, ValueError) as error:
                    result.warnings.append(f"The recogniser's encoder states could not be computed ({error}).")
                else:
                    stages["encoder"] = (model.encoder.features(states), {})
        estimates = model.predict(calibration.reading_features(context.transcript, context.reference_text, stages))
        for name in present:
            targets = CALIBRATED[name]
            before = context.measured[name]
            features = {
                **before.features,
                **{calibration.RUBRIC_FEATURES[t]: round(estimates[t].value, 2) for t in targets},
            }
            details = {**before.details, "calibration": {t: estimates[t].evidence() for t in targets}}
            if name == "pronunciation" and model.words and before.details.get("words"):
                confidence = calibration.reference_word_confidence(context.transcript, context.reference_text)
                marked = model.words.mark(
                    before.details["words"], confidence, narrowband=calibration.narrowband_evidence(before.details)
                )
                if marked is not None:
                    details["words"] = marked
                    details["word_marks"] = {
                        "model": model.label,
                        "threshold": model.words.threshold,
                        "features": list(model.words.features),
                        "how": "likelihood that an expert marks the word (speechocean762 word accuracy "
                        f"below {calibration.WORD_MARK_BELOW:g}); at the threshold or above the word is "
                        "flagged mispronounced",
                    }
            result.measured[name] = Measurement(features, details)
        missing = sorted({f for name in present for t in CALIBRATED[name] for f in estimates[t].imputed})
        if missing:
            result.warnings.append(
                "Not measured for this answer, so an average reading's value was "
                "used in the calibrated scores: " + ", ".join(missing)
            )
        return result


class VocabularyStage:
    """Variety, sophistication (frequency norms, CEFR lists) and the call-centre phrases
    used; an answer shorter than the rubric's ``min_words`` is not judged."""

    name = "vocabulary"
    dimensions = ("vocabulary",)

    def applies(self, context: ScoringContext) -> bool:
        return context.scores("vocabulary")

    def measure(self, context: ScoringContext) -> StageResult:
        measured = vocabulary.measure_vocabulary(context.text, get_bank().phrasebank)
        rule = get_bank().get_rubric("vocabulary").compensatory
        if rule is not None and measured.word_count < rule.min_words:
            return StageResult(
                unavailable={
                    "vocabulary": f"not enough words to judge vocabulary ({measured.word_count} words; "
                    f"at least {rule.min_words} are needed)"
                }
            )
        return _one("vocabulary", measured.features(), measured.evidence())


class ComprehensionStage:
    """The answer to a listening or sentence-building task, the key points of a retelling
    and the caller's details a role-play call captured."""

    name = "comprehension"
    dimensions = ("comprehension",)

    def applies(self, context: ScoringContext) -> bool:
        return context.scores("comprehension") and context.task is not None

    def measure(self, context: ScoringContext) -> StageResult:
        task, text = context.task, context.text
        assert task is not None
        features: dict[str, float] = {}
        evidence: dict = {}
        if task.type in ("listening", "sentence_build"):
            match = comprehension.match_answer(text, task.answers)
            features.update(match.features())
            evidence["answer"] = match.evidence()
        key_points = getattr(task, "key_points", None)
        if key_points:
            coverage = comprehension.key_point_coverage(text, key_points)
            features.update(coverage.features())
            evidence["key_points"] = coverage.evidence()
        scenario = context.scenario
        if scenario is not None and task.type == "role_play":
            skipped = context.skipped_turns()
            rule = get_bank().get_rubric("comprehension").skipped_turns
            counted = list(scenario.facts)
            left_out = []
            if skipped and rule is not None and rule.rule == "left_out":
                counted = [f for f in scenario.facts if scenario.fact_turn(f) not in skipped]
                left_out = [
                    {"label": f.label, "expected": f.value, "turn": scenario.fact_turn(f) + 1}
                    for f in scenario.facts
                    if scenario.fact_turn(f) in skipped
                ]
            if skipped:
                evidence["turns"] = turns_evidence(context, "comprehension", facts_left_out=left_out)
            if not counted:
                return StageResult(
                    unavailable={
                        "comprehension": f"the call ended before the caller gave any of the details to capture "
                        f"({turn_list(skipped)} not answered)"
                    }
                )
            facts = comprehension.facts_captured(text, counted)
            features.update(facts.features())
            evidence["facts"] = facts.evidence()
        return _one("comprehension", features, evidence)


class CallHandlingStage:
    """The moves of a call (greeting, verifying, empathy, closing...) found in the answer."""

    name = "call handling"
    dimensions = ("call_handling",)

    def applies(self, context: ScoringContext) -> bool:
        return context.scores("call_handling") and context.task is not None

    def measure(self, context: ScoringContext) -> StageResult:
        scenario = context.scenario
        expected = scenario.moves if scenario else getattr(context.task, "expected_moves", [])
        skipped = context.skipped_turns()
        rule = get_bank().get_rubric("call_handling").skipped_turns
        left_out: list[str] = []
        if scenario is not None and skipped and rule is not None and rule.rule == "left_out":
            # a move only ever expected in reply to skipped turns is not asked for
            def only_skipped(move) -> bool:
                turns = scenario.move_turns(move.move)
                return bool(turns) and all(t in skipped for t in turns)

            left_out = [m.move for m in scenario.moves if only_skipped(m)]
            expected = [m for m in scenario.moves if m.move not in left_out]
        measured = comprehension.call_moves(context.text, expected, get_bank().phrasebank)
        evidence = measured.evidence()
        if scenario is not None and skipped:
            expected_there = [
                m.move for m in scenario.moves if m.required and any(t in skipped for t in scenario.move_turns(m.move))
            ]
            missed_there = [m for m in expected_there if m in evidence["missing_required"]]
            evidence["turns"] = turns_evidence(
                context, "call_handling", moves_left_out=left_out, moves_missed_in_skipped_turns=missed_there
            )
        return _one("call_handling", measured.features(), evidence)


register(GrammarStage())
register(FluencyStage())
register(PronunciationStage())
register(CalibrationStage())
register(VocabularyStage())
register(ComprehensionStage())
register(CallHandlingStage())
