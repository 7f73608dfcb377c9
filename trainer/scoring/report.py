"""The scoring report: what the engine hands back for one answer, and the one place that
turns it into JSON (``Report.to_dict()``, stored with an attempt) and back
(``Report.from_dict()``).

    report.overall                       # score 0-100, CEFR level, verdict against the bar
    report.dimensions["fluency"]         # DimensionScore: score, band, the thresholds met
    report.dimensions["fluency"].interval  # ScoreInterval: where the score likely lies (or None)
    report.grammar_errors()              # the grammar evidence, typed (GrammarError)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from trainer.features.grammar import GrammarError
from trainer.speech.transcript import Transcript

ENGINE_VERSION = "1"


@dataclass
class ThresholdCheck:
    feature: str
    value: float | None
    min: float | None
    max: float | None
    met: bool | None  # None: not computed for this answer, so not applied


@dataclass(frozen=True)
class ScoreInterval:
    """Where a 0-100 score likely lies: ``low``-``high`` holds the score an expert would give
    (banded like ours) for ``coverage`` of comparable readings. For a calibrated dimension it
    comes from the calibration model's cross-validated residuals (``trainer.scoring.calibration``);
    for an overall score, from its parts."""

    low: float
    high: float
    coverage: float = 0.8
    basis: str = ""  # where it comes from, in a few words
    # how much of the error one person's other answers share (0: independent), for combining
    # the intervals of several answers (trainer.data.interviews.interview_interval)
    correlation: float = 0.0

    def words(self, score: float) -> str:
        """The score in plain words: "62, likely between 54 and 70"."""
        return f"{score:.0f}, likely between {self.low:.0f} and {self.high:.0f}"

    @property
    def width(self) -> float:
        return self.high - self.low

    @classmethod
    def from_dict(cls, data: dict | None) -> ScoreInterval | None:
        return cls(**data) if data else None


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
    interval: ScoreInterval | None = None  # calibrated dimensions only (scripted answers)

    @property
    def evidence(self) -> dict:
        return {
            "features": self.features,
            "band_thresholds": [asdict(c) for c in self.band_checks],
            "next_band_thresholds": [asdict(c) for c in self.next_band_checks],
            **self.details,
        }

    def grammar_errors(self) -> list[GrammarError]:
        """The grammar errors in this dimension's evidence (the grammar dimension's), in
        the order of the text; none for the other dimensions."""
        return [GrammarError.from_dict(e) for e in (self.details or {}).get("errors") or []]


@dataclass
class Overall:
    score: float
    level: str  # CEFR A1-C2
    verdict: str  # "ready" / "not yet" against the hiring bar
    hiring_bar: str
    interval: ScoreInterval | None = None  # from the dimensions' intervals, when any has one


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
    # services that did not answer while scoring ("grammar checker"): a later try may do better
    services_down: list[str] = field(default_factory=list)

    def grammar_errors(self) -> list[GrammarError]:
        """The grammar errors found in the answer (none when grammar was not scored)."""
        grammar = self.dimensions.get("grammar")
        return grammar.grammar_errors() if grammar is not None else []

    def to_dict(self) -> dict:
        data = {
            "task_id": self.task_id,
            "task_type": self.task_type,
            "scorable": self.scorable,
            "reason": self.reason,
            "reason_code": self.reason_code,
            "overall": _overall_dict(self.overall),
            "dimensions": {
                name: {
                    "score": d.score,
                    "band": d.band,
                    "label": d.label,
                    "descriptor": d.descriptor,
                    "weight": d.weight,
                    "evidence": d.evidence,
                    # only when there is one: a report without intervals reads back unchanged
                    **({"interval": asdict(d.interval)} if d.interval else {}),
                }
                for name, d in self.dimensions.items()
            },
            "unavailable": self.unavailable,
            "transcript": self.transcript.to_dict() if self.transcript else None,
            "warnings": self.warnings,
            "stage_seconds": self.stage_seconds,
            "engine_version": self.engine_version,
        }
        if self.services_down:
            data["services_down"] = self.services_down
        return json.loads(json.dumps(data, default=_jsonable))

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """The report back from ``to_dict()`` (as stored with an attempt)."""
        dimensions = {}
        for name, d in (data.get("dimensions") or {}).items():
            details = dict(d.get("evidence") or {})
            features = details.pop("features", {})
            reached = [ThresholdCheck(**c) for c in details.pop("band_thresholds", [])]
            above = [ThresholdCheck(**c) for c in details.pop("next_band_thresholds", [])]
            dimensions[name] = DimensionScore(
                name,
                d["score"],
                d["band"],
                d["label"],
                d["descriptor"],
                d["weight"],
                features,
                reached,
                above,
                details,
                ScoreInterval.from_dict(d.get("interval")),
            )
        transcript = data.get("transcript")
        return cls(
            task_id=data.get("task_id"),
            task_type=data["task_type"],
            scorable=data["scorable"],
            reason=data.get("reason"),
            reason_code=data.get("reason_code"),
            overall=_overall(data.get("overall")),
            dimensions=dimensions,
            unavailable=dict(data.get("unavailable") or {}),
            transcript=Transcript.from_dict(transcript) if transcript else None,
            warnings=list(data.get("warnings") or []),
            stage_seconds=dict(data.get("stage_seconds") or {}),
            engine_version=data.get("engine_version", ENGINE_VERSION),
            services_down=list(data.get("services_down") or []),
        )


def _overall_dict(overall: Overall | None) -> dict | None:
    if overall is None:
        return None
    data = asdict(overall)
    if overall.interval is None:
        del data["interval"]  # as stored before intervals existed
    return data


def _overall(data: dict | None) -> Overall | None:
    if not data:
        return None
    data = dict(data)
    data["interval"] = ScoreInterval.from_dict(data.get("interval"))
    return Overall(**data)


def overall_interval(dimensions: dict[str, DimensionScore]) -> ScoreInterval | None:
    """The overall score's interval: the weighted mean of each dimension's bounds (a
    dimension without an interval counts at its score). None when no dimension has one."""
    with_interval = [d for d in dimensions.values() if d.interval is not None]
    weight = sum(d.weight for d in dimensions.values())
    if not with_interval or not weight:
        return None
    low = sum(d.weight * (d.interval.low if d.interval else d.score) for d in dimensions.values()) / weight
    high = sum(d.weight * (d.interval.high if d.interval else d.score) for d in dimensions.values()) / weight
    names = ", ".join(d.name for d in with_interval)
    intervals = [d.interval for d in with_interval if d.interval is not None]
    return ScoreInterval(
        round(low, 1),
        round(high, 1),
        intervals[0].coverage,
        f"from the intervals of {names}; the other scores counted as measured",
        max(i.correlation for i in intervals),
    )


def _jsonable(value):
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return str(value)
