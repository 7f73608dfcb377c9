"""Banding: a dimension's measured features against its rubric (``lessons/rubrics``), to a
band, a 0-100 score inside the band's range, and the threshold checks that show why (the
thresholds of the band reached and those of the band above)."""

from __future__ import annotations

from trainer.content import Rubric
from trainer.scoring.calibration import RUBRIC_FEATURES
from trainer.scoring.report import DimensionScore, ScoreInterval, ThresholdCheck


def threshold_checks(
    rubric: Rubric, band_index: int, features: dict[str, float], task_type: str
) -> list[ThresholdCheck]:
    """Every threshold of the rubric's band at ``band_index`` against the features (none
    for an index below 0: there is no band above the top one)."""
    if band_index < 0:
        return []
    checks = []
    for name, threshold in rubric.bands[band_index].thresholds.items():
        scope = rubric.feature_scope.get(name)
        applies = name in features and not (scope and task_type not in scope)
        value = features.get(name)
        checks.append(
            ThresholdCheck(name, value, threshold.min, threshold.max, threshold.met(value) if applies else None)
        )
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


def _share_toward_next(
    rubric: Rubric, index: int, features: dict[str, float], reached: list[ThresholdCheck], above: list[ThresholdCheck]
) -> float:
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


def band_dimension(
    rubric: Rubric, features: dict[str, float], task_type: str, weight: float, details: dict | None = None
) -> DimensionScore:
    """Band with the rubric; place the 0-100 score inside the band's range by how far the
    features have gone toward the next band's thresholds (from this band's thresholds, or
    the feature's range in band 1), so progress shows before a band changes. A compensatory
    rubric scores the weighted mean of its components instead, and its evidence lists each
    component's part (``details["components"]``)."""
    if rubric.compensatory is not None:
        return _compensatory(rubric, features, task_type, weight, details)
    band = rubric.band_for(features, task_type)
    index = next(i for i, b in enumerate(rubric.bands) if b.band == band.band)
    reached = threshold_checks(rubric, index, features, task_type)
    above = threshold_checks(rubric, index - 1, features, task_type)
    share = _share_toward_next(rubric, index, features, reached, above)
    low, high = band.score_range
    score = round(low + (high - low) * min(share, 0.99), 1)
    return DimensionScore(
        rubric.dimension,
        score,
        band.band,
        band.label,
        band.descriptor.strip(),
        weight,
        features,
        reached,
        above,
        details or {},
        calibrated_interval(rubric, features, task_type, details or {}),
    )


def calibrated_interval(
    rubric: Rubric, features: dict[str, float], task_type: str, details: dict
) -> ScoreInterval | None:
    """The 0-100 interval of a dimension banded on a calibrated estimate: the rubric applied
    to the bounds of the estimate's interval (``details["calibration"]``, on the experts'
    0-10 scale) in its place, every other feature as measured. None when the rubric does not
    band this answer on a calibrated estimate with an interval."""
    for target, estimate in (details.get("calibration") or {}).items():
        feature = RUBRIC_FEATURES.get(target)
        bounds = estimate.get("interval") if isinstance(estimate, dict) else None
        if feature is None:
            continue
        scope = rubric.feature_scope.get(feature)
        if (
            not bounds
            or feature not in features
            or (scope and task_type not in scope)
            or not any(feature in b.thresholds for b in rubric.bands)
        ):
            continue
        low = band_dimension(rubric, {**features, feature: bounds[0]}, task_type, 0.0).score
        high = band_dimension(rubric, {**features, feature: bounds[1]}, task_type, 0.0).score
        coverage = estimate.get("interval_coverage") or 0.8
        return ScoreInterval(
            min(low, high),
            max(low, high),
            coverage,
            f"{feature} {estimate['estimate']:.1f} of 10, {100 * coverage:.0f} % interval "
            f"{bounds[0]:.1f}-{bounds[1]:.1f} from cross-validated expert ratings",
            estimate.get("interval_within_speaker_correlation") or 0.0,
        )
    return None


def rubric_task_type(task_type: str) -> str:
    """A free answer with no task is banded like an open question (same weights, and the
    rubrics' feature scopes name task types)."""
    return "open_question" if task_type == "free_answer" else task_type


def _compensatory(
    rubric: Rubric, features: dict[str, float], task_type: str, weight: float, details: dict | None
) -> DimensionScore:
    score, parts = rubric.compensatory_score(features, task_type, (details or {}).get("word_count"))
    score = round(score, 1)
    band = rubric.band_for_score(score)
    above = next((b for b in reversed(rubric.bands) if b.band == band.band + 1), None)
    evidence = dict(details or {})
    evidence["components"] = parts
    evidence["next_band_at"] = above.score_range[0] if above else None
    return DimensionScore(
        rubric.dimension, score, band.band, band.label, band.descriptor.strip(), weight, features, [], [], evidence
    )
