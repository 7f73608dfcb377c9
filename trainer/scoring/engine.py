"""The scoring engine: a recorded (or typed) answer to a task in, a transparent report out.

    report = score(audio, task)               # Audio from trainer.audio.load_audio
    report = score(audio, reference_text=...) # read aloud against any text
    report = score(audio)                     # a free, unscripted answer
    report = score_text("Hi Maria, ...", chat_task)   # typed chat replies

Each stage is its own module (asr, grammar, fluency, pronunciation, vocabulary,
comprehension); this one runs them for the dimensions the task type is scored on, bands
every dimension with its rubric from ``lessons/rubrics`` and keeps the evidence: the
measured features, the thresholds of the band reached and of the band above.
"""

from __future__ import annotations

import json
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field
from typing import Callable

from trainer.speech import lexicon
from trainer.speech.audio import Audio, AudioError, load_audio
from trainer.config import get_settings
from trainer.content import Rubric, Scenario, get_bank
from trainer.speech.transcript import Transcript

ENGINE_VERSION = "1"

# An answer with fewer recognised words than this cannot be judged.
MIN_WORDS = 3
# Below this share of dictionary words we ask the model which language it heard.
MIN_ENGLISH_WORD_SHARE = 0.7
# ... and call it "not English" when English is less likely than this.
MIN_ENGLISH_PROBABILITY = 0.3
# A scripted answer sharing fewer reference words than this read something else.
MIN_REFERENCE_OVERLAP = 0.2
# Weights for a free answer with no task (grammar, fluency, vocabulary, intelligibility).
FREE_ANSWER_WEIGHTS = {"fluency": 0.3, "grammar": 0.25, "vocabulary": 0.25, "pronunciation": 0.2}
SCRIPTED_WEIGHTS = {"pronunciation": 0.55, "fluency": 0.45}
# Scripted answers (read aloud, repeat): the calibrated estimates (trainer.calibration, on
# the speechocean762 experts' 0-10 scale) each rubric dimension bands on.
CALIBRATED = {"pronunciation": ("accuracy",), "fluency": ("fluency", "prosodic")}

Progress = Callable[[str], None]


@dataclass
class ThresholdCheck:
    feature: str
    value: float | None
    min: float | None
    max: float | None
    met: bool | None  # None: not computed for this answer, so not applied


@dataclass
class DimensionScore:
    name: str
    score: float  # 0-100
    band: int  # 1-5
    label: str
    descriptor: str
    weight: float
    features: dict[str, float]
    band_checks: list[ThresholdCheck]  # the thresholds of the band reached
    next_band_checks: list[ThresholdCheck]  # what the band above asks for
    details: dict = field(default_factory=dict)  # stage evidence (pauses, errors, words...)

    @property
    def evidence(self) -> dict:
        return {
            "features": self.features,
            "band_thresholds": [asdict(c) for c in self.band_checks],
            "next_band_thresholds": [asdict(c) for c in self.next_band_checks],
            **self.details,
        }


@dataclass
class Overall:
    score: float
    level: str  # CEFR A1-C2
    verdict: str  # "ready" / "not yet" against the hiring bar
    hiring_bar: str


@dataclass
class Report:
    task_id: str | None
    task_type: str
    scorable: bool
    reason: str | None = None  # why not scorable, for the applicant
    reason_code: str | None = None
    overall: Overall | None = None
    dimensions: dict[str, DimensionScore] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # dimension -> why not scored
    transcript: Transcript | None = None
    warnings: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    engine_version: str = ENGINE_VERSION

    def to_dict(self) -> dict:
        data = {
            "task_id": self.task_id,
            "task_type": self.task_type,
            "scorable": self.scorable,
            "reason": self.reason,
            "reason_code": self.reason_code,
            "overall": asdict(self.overall) if self.overall else None,
            "dimensions": {
                name: {
                    "score": d.score, "band": d.band, "label": d.label, "descriptor": d.descriptor,
                    "weight": d.weight, "evidence": d.evidence,
                }
                for name, d in self.dimensions.items()
            },
            "unavailable": self.unavailable,
            "transcript": self.transcript.to_dict() if self.transcript else None,
            "warnings": self.warnings,
            "stage_seconds": self.stage_seconds,
            "engine_version": self.engine_version,
        }
        return json.loads(json.dumps(data, default=_jsonable))

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        """The report back from ``to_dict()`` (as stored with an attempt)."""
        dimensions = {}
        for name, d in (data.get("dimensions") or {}).items():
            details = dict(d.get("evidence") or {})
            features = details.pop("features", {})
            reached = [ThresholdCheck(**c) for c in details.pop("band_thresholds", [])]
            above = [ThresholdCheck(**c) for c in details.pop("next_band_thresholds", [])]
            dimensions[name] = DimensionScore(name, d["score"], d["band"], d["label"], d["descriptor"],
                                              d["weight"], features, reached, above, details)
        transcript = data.get("transcript")
        return cls(
            task_id=data.get("task_id"),
            task_type=data["task_type"],
            scorable=data["scorable"],
            reason=data.get("reason"),
            reason_code=data.get("reason_code"),
            overall=Overall(**data["overall"]) if data.get("overall") else None,
            dimensions=dimensions,
            unavailable=dict(data.get("unavailable") or {}),
            transcript=Transcript.from_dict(transcript) if transcript else None,
            warnings=list(data.get("warnings") or []),
            stage_seconds=dict(data.get("stage_seconds") or {}),
            engine_version=data.get("engine_version", ENGINE_VERSION),
        )


def _jsonable(value):
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return str(value)


# --------------------------------------------------------------------------- banding


def _checks(rubric: Rubric, band_index: int, features: dict[str, float], task_type: str) -> list[ThresholdCheck]:
    if band_index < 0:
        return []
    checks = []
    for name, threshold in rubric.bands[band_index].thresholds.items():
        scope = rubric.feature_scope.get(name)
        applies = name in features and not (scope and task_type not in scope)
        value = features.get(name)
        checks.append(ThresholdCheck(name, value, threshold.min, threshold.max,
                                     threshold.met(value) if applies else None))
    return checks


def _progress(check: ThresholdCheck, floor, ceiling) -> float:
    """How far (0-1) a value has gone from the threshold of the band reached (or the
    feature's range) toward the one above it."""
    if check.met:
        return 1.0
    value = check.value
    if value is None:
        return 0.0
    if check.min is not None and value < check.min and floor is not None and floor < check.min:
        return min(max((value - floor) / (check.min - floor), 0.0), 1.0)
    if check.max is not None and value > check.max and ceiling is not None and ceiling > check.max:
        return min(max((ceiling - value) / (ceiling - check.max), 0.0), 1.0)
    return 0.0


def _share_toward_next(rubric: Rubric, index: int, features: dict[str, float],
                       reached: list[ThresholdCheck], above: list[ThresholdCheck]) -> float:
    applied = [c for c in above if c.met is not None]
    if applied:
        current = rubric.bands[index].thresholds
        shares = []
        for check in applied:
            here = current.get(check.feature)
            low, high = rubric.feature_range.get(check.feature, (None, None))
            floor = here.min if here is not None and here.min is not None else low
            ceiling = here.max if here is not None and here.max is not None else high
            shares.append(_progress(check, floor, ceiling))
        return sum(shares) / len(shares)
    # band 5: headroom between its thresholds and the top of each feature's range
    headroom = []
    for check in reached:
        low, high = rubric.feature_range.get(check.feature, (None, None))
        if check.met and check.min is not None and high is not None and high > check.min:
            headroom.append(min((check.value - check.min) / (high - check.min), 1.0))
    return sum(headroom) / len(headroom) if headroom else 0.5


def band_dimension(rubric: Rubric, features: dict[str, float], task_type: str, weight: float,
                   details: dict | None = None) -> DimensionScore:
    """Band with the rubric; place the 0-100 score inside the band's range by how far the
    features have gone toward the next band's thresholds (from this band's thresholds, or
    the feature's range in band 1), so progress shows before a band changes."""
    band = rubric.band_for(features, task_type)
    index = next(i for i, b in enumerate(rubric.bands) if b.band == band.band)
    reached = _checks(rubric, index, features, task_type)
    above = _checks(rubric, index - 1, features, task_type)
    share = _share_toward_next(rubric, index, features, reached, above)
    low, high = band.score_range
    score = round(low + (high - low) * min(share, 0.99), 1)
    return DimensionScore(rubric.dimension, score, band.band, band.label, band.descriptor.strip(),
                          weight, features, reached, above, details or {})


# --------------------------------------------------------------------------- stages


def _timed(report: Report, stage: str, progress: Progress | None):
    class _Timer:
        def __enter__(self):
            if progress:
                progress(stage)
            self.started = time.perf_counter()

        def __exit__(self, *exc):
            report.stage_seconds[stage] = round(time.perf_counter() - self.started, 3)
            return False

    return _Timer()


def _reference_for(task) -> str | None:
    if task is None:
        return None
    if task.type in ("read_aloud", "repeat"):
        return task.text
    return None


def _weights(task, reference_text: str | None) -> dict[str, float]:
    if task is not None:
        return dict(get_bank().weights_for(task.type))
    return dict(SCRIPTED_WEIGHTS if reference_text else FREE_ANSWER_WEIGHTS)


def _task_type(task, reference_text) -> str:
    if task is not None:
        return task.type
    return "read_aloud" if reference_text else "free_answer"


def _scenario(task) -> Scenario | None:
    scenario_id = getattr(task, "scenario", None)
    return get_bank().get_scenario(scenario_id) if scenario_id else None


def english_word_share(text: str) -> float:
    """Share of the words that are English words (in the CMU pronouncing dictionary)."""
    from trainer.speech.textnorm import words as norm_words

    tokens = norm_words(text)
    if not tokens:
        return 0.0
    english = lexicon.words()
    return sum(t in english for t in tokens) / len(tokens)


def _language_problem(audio: Audio, transcript: Transcript) -> str | None:
    """Whisper forced to English still writes Spanish as Spanish: when few of the words are
    English words, ask the multilingual model which language it heard."""
    if transcript.engine != "whisper" or english_word_share(transcript.text) >= MIN_ENGLISH_WORD_SHARE:
        return None
    from trainer.speech.asr import get_whisper_model

    model = get_whisper_model()
    if not model.model.is_multilingual:
        return "unknown"
    language, _, all_probabilities = model.detect_language(audio.samples)
    english = dict(all_probabilities).get("en", 0.0)
    if language != "en" and english < MIN_ENGLISH_PROBABILITY:
        return language
    return None


def _unscorable(report: Report, code: str, reason: str) -> Report:
    report.scorable = False
    report.reason_code = code
    report.reason = reason
    return report


def _looks_repetitive(text: str) -> bool:
    data = text.encode()
    return len(data) > 80 and len(data) / len(zlib.compress(data)) > 3.0


def score(
    audio: Audio,
    task=None,
    *,
    reference_text: str | None = None,
    transcript: Transcript | None = None,
    progress: Progress | None = None,
) -> Report:
    """Score a spoken answer. ``task`` is a task from the bank (or its id); without one the
    answer is scored as free speech, or as read aloud when ``reference_text`` is given."""
    if isinstance(task, str):
        task = get_bank().get_task(task)
    if task is not None and task.type == "chat_reply":
        raise ValueError("chat replies are typed: use score_text()")
    reference_text = reference_text or _reference_for(task)
    task_type = _task_type(task, reference_text)
    report = Report(task_id=task.id if task else None, task_type=task_type, scorable=True)
    report.warnings += [w.message for w in audio.warnings]

    if transcript is None:
        with _timed(report, "transcribing", progress):
            from trainer.speech.asr import transcribe

            # Read-aloud and repeat tasks tell the recogniser the text (asr keeps passages
            # out of the prompt), as the calibration
            # model (trainer/calibration_models) was fitted: far fewer readings refused as
            # off topic or too short (20 of 653 speechocean762 readings instead of 85), and
            # a sentence not read is still transcribed as said (bench/asr.py).
            transcript = transcribe(audio, expected_text=reference_text)
    report.transcript = transcript

    from trainer.speech.textnorm import words as norm_words

    heard = norm_words(transcript.text)
    if len(heard) < MIN_WORDS:
        return _unscorable(report, "too_short",
                           "We heard too few words to score. Please answer in full sentences.")
    language = _language_problem(audio, transcript)
    if language:
        return _unscorable(report, "not_english",
                           "This answer does not sound like English. Please answer in English.")
    if _looks_repetitive(transcript.text):
        return _unscorable(report, "unclear", "We could not make out your answer. Please record it again.")
    if reference_text:
        expected = set(norm_words(reference_text))
        overlap = len(expected & set(heard)) / max(1, len(expected))
        if overlap < MIN_REFERENCE_OVERLAP:
            return _unscorable(report, "off_topic",
                               "Your recording does not match the text you were asked to say. "
                               "Please read the text on the screen.")

    weights = _weights(task, reference_text)
    dimensions = _measure(audio, transcript, task, reference_text, weights, report, progress)
    _finish(report, dimensions, weights, task_type, progress)
    return report


def score_text(text: str, task=None, progress: Progress | None = None) -> Report:
    """Score a typed answer (chat replies): grammar, call handling, vocabulary."""
    if isinstance(task, str):
        task = get_bank().get_task(task)
    task_type = task.type if task else "chat_reply"
    report = Report(task_id=task.id if task else None, task_type=task_type, scorable=True)
    from trainer.speech.textnorm import words as norm_words

    if len(norm_words(text)) < MIN_WORDS:
        return _unscorable(report, "too_short", "Your reply is too short to score. Please write a full reply.")
    weights = dict(get_bank().weights_for(task_type)) if task else {"grammar": 0.5, "vocabulary": 0.5}
    dimensions = _measure(None, None, task, None, weights, report, progress, typed_text=text)
    _finish(report, dimensions, weights, task_type, progress)
    return report


def _measure(audio, transcript, task, reference_text, weights, report, progress, typed_text=None):
    """features and stage evidence per dimension, for the dimensions with a weight."""
    text = typed_text if typed_text is not None else transcript.text
    results: dict[str, tuple[dict, dict]] = {}
    bank = get_bank()

    if "grammar" in weights:
        with _timed(report, "grammar", progress):
            from trainer.features.grammar import GrammarUnavailable, check_grammar

            try:
                checked = check_grammar(text)
                results["grammar"] = (
                    {"grammar_errors_per_100_words": checked.errors_per_100_words},
                    {"errors": [asdict(e) for e in checked.errors], "word_count": checked.word_count,
                     "checker": checked.server_version},
                )
            except GrammarUnavailable as error:
                report.unavailable["grammar"] = str(error)
    if "fluency" in weights and transcript is not None:
        with _timed(report, "fluency", progress):
            from trainer.features.fluency import measure_fluency

            measured = measure_fluency(transcript, audio)
            results["fluency"] = (measured.features(), measured.evidence())
    if "pronunciation" in weights and transcript is not None:
        with _timed(report, "pronunciation", progress):
            from trainer.features import pronunciation

            if reference_text:
                measured = pronunciation.assess_read_aloud(audio, reference_text, transcript=transcript)
            else:
                measured = pronunciation.assess_intelligibility(transcript, audio)
            results["pronunciation"] = (measured.features(), measured.evidence())
    if reference_text and transcript is not None and any(d in results for d in CALIBRATED):
        with _timed(report, "calibration", progress):
            _calibrate(results, audio, transcript, reference_text, report)
    if "vocabulary" in weights:
        with _timed(report, "vocabulary", progress):
            from trainer.features.vocabulary import measure_vocabulary

            measured = measure_vocabulary(text, bank.phrasebank)
            results["vocabulary"] = (measured.features(), measured.evidence())
    if "comprehension" in weights and task is not None:
        with _timed(report, "comprehension", progress):
            results["comprehension"] = _comprehension(text, task)
    if "call_handling" in weights and task is not None:
        with _timed(report, "call handling", progress):
            from trainer.features.comprehension import call_moves

            scenario = _scenario(task)
            expected = scenario.moves if scenario else getattr(task, "expected_moves", [])
            measured = call_moves(text, expected, bank.phrasebank)
            results["call_handling"] = (measured.features(), measured.evidence())
    return results


def _calibrate(results: dict, audio: Audio, transcript: Transcript, reference_text: str,
               report: Report) -> None:
    """Add the calibrated expert-scale estimates to the pronunciation and fluency features
    (the rubrics band scripted answers on them) with each one's terms as evidence."""
    from trainer.scoring import calibration

    try:
        model = calibration.default_model()
    except (OSError, ValueError, KeyError) as error:
        for name in CALIBRATED:
            if results.pop(name, None) is not None:
                report.unavailable[name] = f"the calibration model could not be read ({error})"
        return
    stages = {**results, "audio": (calibration.audio_features(audio, reference_text), {})}
    estimates = model.predict(calibration.reading_features(transcript, reference_text, stages))
    for name, targets in CALIBRATED.items():
        if name not in results:
            continue
        features, details = results[name]
        for target in targets:
            features[calibration.RUBRIC_FEATURES[target]] = round(estimates[target].value, 2)
        details["calibration"] = {target: estimates[target].evidence() for target in targets}
    missing = sorted({f for name, targets in CALIBRATED.items() if name in results
                      for t in targets for f in estimates[t].imputed})
    if missing:
        report.warnings.append("Not measured for this answer, so an average reading's value was "
                               "used in the calibrated scores: " + ", ".join(missing))


def _comprehension(text: str, task) -> tuple[dict, dict]:
    from trainer.features import comprehension

    features: dict[str, float] = {}
    evidence: dict = {}
    if task.type == "listening":
        match = comprehension.match_answer(text, task.answers)
        features.update(match.features())
        evidence["answer"] = match.evidence()
    elif task.type == "sentence_build":
        match = comprehension.match_answer(text, task.answers)
        features.update(match.features())
        evidence["answer"] = match.evidence()
    key_points = getattr(task, "key_points", None)
    if key_points:
        coverage = comprehension.key_point_coverage(text, key_points)
        features.update(coverage.features())
        evidence["key_points"] = coverage.evidence()
    scenario = _scenario(task)
    if scenario is not None and task.type == "role_play":
        facts = comprehension.facts_captured(text, scenario.facts)
        features.update(facts.features())
        evidence["facts"] = facts.evidence()
    return features, evidence


def _rubric_task_type(task_type: str) -> str:
    """A free answer with no task is banded like an open question (same weights, and the
    rubrics' feature scopes name task types)."""
    return "open_question" if task_type == "free_answer" else task_type


def _finish(report: Report, results: dict, weights: dict[str, float], task_type: str,
            progress: Progress | None) -> None:
    bank = get_bank()
    with _timed(report, "rubrics", progress):
        for name, (features, details) in results.items():
            if not features:
                report.unavailable[name] = "nothing to measure for this answer"
                continue
            report.dimensions[name] = band_dimension(bank.get_rubric(name), features,
                                                     _rubric_task_type(task_type), weights[name], details)
        for name in weights:
            if name not in report.dimensions and name not in report.unavailable:
                report.unavailable[name] = "not measured for this kind of answer"
        total_weight = sum(d.weight for d in report.dimensions.values())
        if not total_weight:
            _unscorable(report, "no_dimensions", "None of the scores could be computed for this answer.")
            return
        overall = sum(d.score * d.weight for d in report.dimensions.values()) / total_weight
        bar = get_settings().hiring_bar or bank.levels.hiring_bar
        report.overall = Overall(
            score=round(overall, 1),
            level=bank.levels.level_for(overall),
            verdict="ready" if bank.levels.meets_bar(overall, bar) else "not yet",
            hiring_bar=bar,
        )
        if report.unavailable:
            report.warnings += [f"{name}: {why}" for name, why in report.unavailable.items()]


def score_file(path, task=None, *, reference_text: str | None = None, progress: Progress | None = None) -> Report:
    """Load and score a file; a recording we cannot use becomes a not-scorable report."""
    task_obj = get_bank().get_task(task) if isinstance(task, str) else task
    task_type = _task_type(task_obj, reference_text or _reference_for(task_obj))
    try:
        audio = load_audio(path)
    except AudioError as error:
        report = Report(task_id=task_obj.id if task_obj else None, task_type=task_type, scorable=False)
        return _unscorable(report, error.code, error.user_message)
    return score(audio, task_obj, reference_text=reference_text, progress=progress)


# --------------------------------------------------------------------------- CLI


def register(subparsers) -> None:
    parser = subparsers.add_parser("score", help="score a recorded answer against the rubrics")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--task", help="task id from the bank (see: trainer content list --kind task)")
    parser.add_argument("--reference-text", help="score a read-aloud answer against this text")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.set_defaults(handler=_cli_score)


def _cli_score(args) -> int:
    progress = None if args.json else (lambda stage: print(f"... {stage}", file=sys.stderr, flush=True))
    try:
        report = score_file(args.file, args.task, reference_text=args.reference_text, progress=progress)
    except KeyError as error:
        print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render_text(report))
    return 0 if report.scorable else 1


def _calibration_line(target: str, estimate: dict) -> str:
    """One calibrated estimate with its largest contributions (the evidence, in short)."""
    terms = sorted(estimate["terms"], key=lambda t: -abs(t["contribution"]))[:3]
    parts = ", ".join(f"{t['feature']} {t['value'] if t['value'] is not None else 'n/a'} "
                      f"({t['contribution']:+.2f})" for t in terms)
    return (f"expert-scale {target} {estimate['estimate']:.1f}/10 ({estimate['model']}): "
            f"average {estimate['intercept']:.2f}; {parts}")


def render_text(report: Report) -> str:
    lines = []
    if not report.scorable:
        return f"Not scorable: {report.reason}"
    o = report.overall
    lines.append(f"Overall {o.score:.0f}/100, level {o.level}, {o.verdict} for a {o.hiring_bar} hiring bar")
    for name, d in report.dimensions.items():
        lines.append(f"  {name:<14} {d.score:5.1f}  band {d.band}  {d.label}")
        missed = [c for c in d.next_band_checks if c.met is False]
        for c in missed[:3]:
            bound = f">= {c.min:g}" if c.min is not None else f"<= {c.max:g}"
            lines.append(f"      to reach band {d.band + 1}: {c.feature} {bound} (yours: {c.value:.2f})")
        for target, estimate in (d.details.get("calibration") or {}).items():
            lines.append("      " + _calibration_line(target, estimate))
    for name, why in report.unavailable.items():
        lines.append(f"  {name:<14} not scored: {why}")
    if report.transcript:
        lines.append(f"Transcript: {report.transcript.text}")
    for warning in report.warnings:
        lines.append(f"Note: {warning}")
    return "\n".join(lines)
