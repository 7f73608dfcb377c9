"""Fitting the calibration model (``bench/agreement.py --fit``): speechocean762 train rows in,
the versioned JSON file ``trainer/scoring/calibration.py`` reads out.

Per expert dimension, forward selection of named features by speaker-grouped
cross-validation (at most ``MAX_FEATURES``, each adding ``MIN_GAIN`` to the cross-validated
Pearson r, every coefficient the way ``FEATURE_DIRECTIONS`` says), then a ridge regression on
all train rows; completeness is not fitted (``direct_completeness``). The app only loads and
applies the result (``trainer.scoring.calibration``), so scikit-learn and SciPy (the
``bench`` extra) are needed here only.

bench/ is not a package: ``agreement.py`` imports this file as ``calibration_fit`` (its own
folder is on ``sys.path``, and it puts the repository there for ``trainer``), and so do the
tests (``sys.path.insert(0, "bench")``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr
from sklearn.model_selection import GroupKFold

from trainer.scoring.calibration import (
    DIMENSIONS,
    ENCODER_FEATURE_PREFIX,
    ENCODER_LAST_OUTPUT,
    FEATURE_VERSION,
    MODEL_VERSION,
    SCALE,
    WORD_MARK_FEATURES,
    CalibrationModel,
    DimensionModel,
    EncoderReadout,
    WordMarkModel,
)

ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
CV_FOLDS = 8  # speaker groups: 16 train speakers -> 2 per fold
MAX_FEATURES = 8
MIN_GAIN = 0.004  # a feature joins only if it adds this much to the cross-validated r
CLIP_PERCENTILES = (1.0, 99.0)
# Intervals (residual_intervals): the share of cross-validated train readings an interval
# should hold, and the fewest readings a region of the table may rest on.
INTERVAL_COVERAGE = 0.8
INTERVAL_MIN_ROWS = 60
INTERVAL_MAX_REGIONS = 4
# Which way each measure should move a score, from what it measures (+1: higher is better).
# A feature whose own correlation with a score goes the other way is not used for that
# score, and no fitted coefficient may go against it: the evidence always reads "a better
# measure, a higher score". Features not listed follow their own correlation's sign.
FEATURE_DIRECTIONS = {
    **{ENCODER_FEATURE_PREFIX + d: 1 for d in DIMENSIONS},  # an estimate of an expert score
    **dict.fromkeys(
        (
            "asr_reference_confidence",
            "asr_reference_words_heard",
            "asr_reference_words_spoken",
            "asr_char_similarity",
            "asr_reference_similarity",
            "asr_mean_word_probability",
            "asr_min_word_probability",
            "pronunciation_accuracy",
            "completeness",
            "mean_phone_gop",
            "median_phone_gop",
            "mean_word_gop",
            "min_word_gop",
            "phone_gop_p10",
            "forced_score_per_frame",
            "share_words_ok",
            "heard_as_written_share",
            "speech_rate_wpm",
            "articulation_rate_wpm",
            "articulation_syllables_per_second",
            "phonation_time_ratio",
            "mean_length_of_run",
            "pitch_variation_semitones",
            # goodness of pronunciation by class of sound (calibration.phone_class_features)
            "gop_vowel",
            "gop_stop",
            "gop_fricative",
            "gop_nasal",
            "gop_approximant",
            "gop_final_consonant",
        ),
        1,
    ),
    **dict.fromkeys(
        (
            "asr_word_error_rate",
            "asr_inserted_words_per_reference_word",
            "share_phones_below_low",
            "share_phones_below_very_low",
            "share_words_unclear",
            "share_words_mispronounced",
            "share_words_omitted",
            "pauses_per_minute",
            "long_pauses_per_minute",
            "fillers_per_100_words",
            "repetitions_per_100_words",
            "longest_pause_seconds",
            "pause_seconds_total",
            "seconds_per_syllable",
            "vad_seconds_per_syllable",
            "vad_speech_seconds_per_syllable",
            "vad_pauses_per_syllable",
            "vad_longest_pause_seconds",
            "vad_pause_share",
            "aligned_seconds_per_phone",
            "aligned_gap_share",
            "aligned_gaps_per_word",
            "mean_vowel_seconds",
        ),
        -1,
    ),
}
# Measures of the text or of the voice rather than of the reading: never model inputs.
EXCLUDED_FEATURES = frozenset({"reference_syllables", "pitch_median_hz", "inserted_words"})


@dataclass
class FeatureTable:
    """One row per utterance: its features, speaker and the experts' scores."""

    ids: list[str]
    groups: list[str]
    rows: list[dict[str, float]]
    targets: dict[str, list[float]]

    def matrix(self, names: Sequence[str]) -> np.ndarray:
        return np.array([[row.get(n, np.nan) for n in names] for row in self.rows], dtype=float)


def candidate_features(table: FeatureTable, min_share: float = 0.9) -> list[str]:
    """Features measured on at least ``min_share`` of the rows, with some variation."""
    names = sorted({n for row in table.rows for n in row} - EXCLUDED_FEATURES)
    keep = []
    for name in names:
        column = table.matrix([name])[:, 0]
        present = column[np.isfinite(column)]
        if present.size >= min_share * len(column) and np.ptp(present) > 0:
            keep.append(name)
    return keep


@dataclass
class _Prepared:
    lower: np.ndarray
    upper: np.ndarray
    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> _Prepared:
        lower, upper = np.nanpercentile(x, CLIP_PERCENTILES, axis=0)
        medians = np.nanmedian(x, axis=0)
        held = cls._hold(x, lower, upper, medians)
        scales = held.std(axis=0)
        return cls(lower, upper, medians, held.mean(axis=0), np.where(scales > 0, scales, 1.0))

    @staticmethod
    def _hold(x, lower, upper, medians) -> np.ndarray:
        filled = np.where(np.isfinite(x), x, medians)
        return np.clip(filled, lower, upper)

    def standardise(self, x: np.ndarray) -> np.ndarray:
        return (self._hold(x, self.lower, self.upper, self.medians) - self.means) / self.scales


@dataclass(frozen=True)
class _Ridge:
    coef_: np.ndarray
    intercept_: float

    def predict(self, z: np.ndarray) -> np.ndarray:
        return z @ self.coef_ + self.intercept_


def _ridge(z: np.ndarray, y: np.ndarray, alpha: float) -> _Ridge:
    """Ridge regression with an unpenalised intercept, in closed form: the same solution as
    scikit-learn's ``Ridge(alpha)`` (tests check it) at a fraction of its per-call cost,
    which matters in the thousands of fits of forward selection."""
    z_mean = z.mean(axis=0)
    y_mean = float(y.mean())
    zc = z - z_mean
    coef = np.linalg.solve(zc.T @ zc + alpha * np.eye(z.shape[1]), zc.T @ (y - y_mean))
    return _Ridge(coef, y_mean - float(z_mean @ coef))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def speaker_r(predictions: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> float:
    """Pearson r of each speaker's mean estimate against the experts' mean for that speaker."""
    speakers = sorted(set(groups))
    g = np.array(groups)
    ours = np.array([predictions[g == s].mean() for s in speakers])
    theirs = np.array([y[g == s].mean() for s in speakers])
    return _pearson(ours, theirs)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _folds(groups: Sequence[str], n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n_splits = min(n_splits, len(set(groups)))
    index = np.arange(len(groups))
    return list(GroupKFold(n_splits=n_splits).split(index, index, list(groups)))


def _fold_matrices(x: np.ndarray, folds) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per fold: (train rows, held-out rows, standardised train X, standardised held-out X),
    with clipping, medians and scaling learnt on the fold's training rows only. Each column
    is prepared on its own, so a subset of columns is a slice of these matrices."""
    prepared = []
    for train, held_out in folds:
        fold = _Prepared.of(x[train])
        prepared.append((train, held_out, fold.standardise(x[train]), fold.standardise(x[held_out])))
    return prepared


def _cv_predict(fold_matrices, columns: list[int], y: np.ndarray, alpha: float) -> np.ndarray:
    predictions = np.empty_like(y, dtype=float)
    for train, held_out, z_train, z_held in fold_matrices:
        model = _ridge(z_train[:, columns], y[train], alpha)
        predictions[held_out] = np.clip(model.predict(z_held[:, columns]), *SCALE)
    return predictions


def cross_validated(x: np.ndarray, y: np.ndarray, folds, alpha: float) -> np.ndarray:
    """Out-of-fold predictions; clipping, medians and scaling learnt inside each fold."""
    return _cv_predict(_fold_matrices(x, folds), list(range(x.shape[1])), y, alpha)


def _signs_agree(z: np.ndarray, y: np.ndarray, alpha: float, expected: np.ndarray) -> bool:
    """Every coefficient goes the expected way (see FEATURE_DIRECTIONS)."""
    coefficients = _ridge(z, y, alpha).coef_
    return bool(np.all(np.sign(coefficients) == expected))


def select_features(
    table: FeatureTable,
    dimension: str,
    candidates: Sequence[str],
    folds=None,
    alphas: Sequence[float] = ALPHAS,
    max_features: int = MAX_FEATURES,
    min_gain: float = MIN_GAIN,
) -> tuple[list[str], float, float, list[dict]]:
    """Forward selection by speaker-grouped cross-validated Pearson r: (features, alpha, r, steps)."""
    y = np.array(table.targets[dimension], dtype=float)
    folds = folds if folds is not None else _folds(table.groups, CV_FOLDS)
    x_all = table.matrix(candidates)
    fold_matrices = _fold_matrices(x_all, folds)
    z_all = _Prepared.of(x_all).standardise(x_all)
    marginal = np.sign([_pearson(z_all[:, j], y) for j in range(len(candidates))])
    expected = np.array([FEATURE_DIRECTIONS.get(name, marginal[j]) for j, name in enumerate(candidates)])
    usable = [j for j in range(len(candidates)) if marginal[j] == expected[j] and marginal[j] != 0]
    chosen: list[int] = []
    best_r, best_alpha = -1.0, alphas[0]
    steps: list[dict] = []
    while len(chosen) < max_features:
        step_best = None
        for j in usable:
            if j in chosen:
                continue
            columns = chosen + [j]
            for alpha in alphas:
                r = _pearson(_cv_predict(fold_matrices, columns, y, alpha), y)
                if math.isnan(r) or (step_best is not None and r <= step_best[0]):
                    continue
                if not _signs_agree(z_all[:, columns], y, alpha, expected[columns]):
                    continue
                step_best = (r, j, alpha)
        if step_best is None or step_best[0] < best_r + min_gain:
            break
        best_r, j, best_alpha = step_best
        chosen.append(j)
        steps.append({"added": candidates[j], "alpha": best_alpha, "cv_pearson": round(best_r, 4)})
    return [candidates[j] for j in chosen], best_alpha, best_r, steps


def residual_intervals(
    estimates: np.ndarray,
    experts: np.ndarray,
    syllables: np.ndarray,
    coverage: float = INTERVAL_COVERAGE,
    min_rows: int = INTERVAL_MIN_ROWS,
    max_regions: int = INTERVAL_MAX_REGIONS,
) -> dict:
    """The interval table of a dimension (``DimensionModel.interval``) from out-of-fold
    estimates of train rows: the texts split at their median syllable count into a short and
    a long class (one class when too few rows), the estimates of each class's rows into up to
    ``max_regions`` regions at quantiles of the estimates (each region at least ``min_rows``
    rows per class), and per cell the residual (expert - estimate) quantiles holding
    ``coverage`` of the rows between them."""
    residual = experts - estimates
    known = syllables[np.isfinite(syllables)]
    syllable_edges = [float(np.median(known))] if len(known) >= 4 * min_rows else []
    length = np.array([sum(s >= e for e in syllable_edges) for s in syllables])
    smallest_class = min(int((length == k).sum()) for k in range(len(syllable_edges) + 1))
    regions = int(max(1, min(max_regions, smallest_class // min_rows)))
    score_edges = [round(float(q), 3) for q in np.quantile(estimates, np.arange(1, regions) / regions)]
    region = np.array([sum(v >= e for e in score_edges) for v in estimates])
    tail = (1.0 - coverage) / 2
    below, above, rows = [], [], []
    for k in range(len(syllable_edges) + 1):
        below.append([]), above.append([]), rows.append([])
        for r in range(regions):
            cell = residual[(length == k) & (region == r)]
            if cell.size < 10:  # a region empty in this class: fall back to the class's rows
                cell = residual[length == k]
            below[k].append(round(float(np.quantile(cell, tail)), 3))
            above[k].append(round(float(np.quantile(cell, 1 - tail)), 3))
            rows[k].append(int(cell.size))
    inside = [below[length[i]][region[i]] <= residual[i] <= above[length[i]][region[i]] for i in range(len(residual))]
    return {
        "coverage": coverage,
        "method": "speaker-grouped cross-validated residuals (expert - estimate) of the train rows, "
        f"{100 * tail:g}th-{100 * (1 - tail):g}th percentile per region of the estimate and length class "
        "(syllables of the text)",
        "score_edges": score_edges,
        "syllable_edges": syllable_edges,
        "below": below,
        "above": above,
        "rows": rows,
        "cv_share_inside": round(float(np.mean(inside)), 4),
    }


def speaker_residuals(estimates: np.ndarray, experts: np.ndarray, groups: Sequence[str]) -> dict:
    """How far a speaker's mean estimate lies from the experts' mean for that speaker, over
    the out-of-fold estimates (the check on how an interview's interval narrows with its
    answers: independent errors would narrow it by the root of the number of readings)."""
    residual = experts - estimates
    g = np.array(groups)
    speakers = sorted(set(groups))
    means = np.array([residual[g == s].mean() for s in speakers])
    # within-speaker correlation of the errors: var(speaker mean) = var(reading) (1 + (m-1) rho) / m
    m = len(groups) / max(1, len(speakers))
    variance = float(residual.var())
    rho = (m * float(means.var()) / variance - 1) / (m - 1) if variance > 0 and m > 1 else 0.0
    return {
        "within_speaker_correlation": round(min(max(rho, 0.0), 1.0), 3),
        "speakers": len(speakers),
        "readings_per_speaker": round(len(groups) / max(1, len(speakers)), 1),
        "below": round(float(np.quantile(means, 0.1)), 3),
        "above": round(float(np.quantile(means, 0.9)), 3),
        "reading_below": round(float(np.quantile(residual, 0.1)), 3),
        "reading_above": round(float(np.quantile(residual, 0.9)), 3),
    }


def fit_dimension(
    table: FeatureTable, dimension: str, features: Sequence[str], alpha: float, folds=None
) -> DimensionModel:
    """Ridge on all given rows, with the speaker-grouped CV figures of the same recipe."""
    y = np.array(table.targets[dimension], dtype=float)
    x = table.matrix(features)
    folds = folds if folds is not None else _folds(table.groups, CV_FOLDS)
    oof = cross_validated(x, y, folds, alpha)
    prepared = _Prepared.of(x)
    model = _ridge(prepared.standardise(x), y, alpha)
    return DimensionModel(
        dimension=dimension,
        features=list(features),
        means=_floats(prepared.means),
        scales=_floats(prepared.scales),
        coefficients=_floats(model.coef_),
        intercept=round(float(model.intercept_), 6),
        lower=_floats(prepared.lower),
        upper=_floats(prepared.upper),
        medians=_floats(prepared.medians),
        method="ridge",
        alpha=alpha,
        cv={
            "pearson": round(_pearson(oof, y), 4),
            "spearman": round(_spearman(oof, y), 4),
            "folds": len(folds),
            "grouped_by": "speaker",
            "rows": int(len(y)),
        },
        interval={
            **residual_intervals(oof, y, table.matrix(["reference_syllables"])[:, 0]),
            "speaker_means": speaker_residuals(oof, y, table.groups),
        },
    )


def direct_completeness(table: FeatureTable) -> DimensionModel:
    """Completeness is not fitted: all but one train row (and every test row) score 10, so
    there is nothing to learn. The estimate is the measured share of reference words spoken."""
    name, per_unit = (
        ("completeness", 0.1) if any("completeness" in r for r in table.rows) else ("asr_reference_words_spoken", 10.0)
    )
    upper = 100.0 if name == "completeness" else 1.0
    return DimensionModel(
        dimension="completeness",
        features=[name],
        means=[0.0],
        scales=[1.0],
        coefficients=[per_unit],
        intercept=0.0,
        lower=[0.0],
        upper=[upper],
        medians=[upper],
        method="direct",
        note="not fitted: the expert completeness scores have no variance to learn from "
        "(319 of 320 train rows are 10); 10 x the share of reference words spoken",
    )


def fit_model(
    table: FeatureTable,
    *,
    name: str = "speechocean762",
    version: int = MODEL_VERSION,
    dimensions: Iterable[str] = DIMENSIONS,
    training: dict | None = None,
    progress=None,
    candidates: Sequence[str] | None = None,
) -> CalibrationModel:
    """Choose features and alpha per dimension by speaker-grouped CV, then fit on all rows.
    ``table`` must hold training rows only; ``candidates``: the features to choose from
    (default: every candidate_features() of the table)."""
    folds = _folds(table.groups, CV_FOLDS)
    candidates = list(candidates) if candidates is not None else candidate_features(table)
    fitted: dict[str, DimensionModel] = {}
    for dimension in dimensions:
        if dimension == "completeness":
            fitted[dimension] = direct_completeness(table)
            continue
        features, alpha, _, steps = select_features(table, dimension, candidates, folds)
        model = fit_dimension(table, dimension, features, alpha, folds)
        model.cv["selection"] = steps
        fitted[dimension] = model
        if progress:
            progress(f"{dimension}: {', '.join(features)} (alpha {alpha:g}, CV r {model.cv['pearson']:.3f})")
    return CalibrationModel(
        name=name,
        version=version,
        feature_version=FEATURE_VERSION,
        dimensions=fitted,
        training={
            **(training or {}),
            "rows": len(table.ids),
            "speakers": len(set(table.groups)),
            "candidate_features": candidates,
            "alphas": list(ALPHAS),
            "cv_folds": len(folds),
            "max_features": MAX_FEATURES,
            "min_gain": MIN_GAIN,
            "clip_percentiles": list(CLIP_PERCENTILES),
        },
        description="Estimates of speechocean762 expert sentence scores (0-10) from read-aloud "
        "measures; ridge regression on standardised features chosen by forward "
        "selection with speaker-grouped cross-validation on the train split.",
    )


@dataclass
class WordTable:
    """One row per word of a train reading: its measures (``word_mark_features``), whether
    the experts marked it (word accuracy below 7) and the reader."""

    rows: list[dict[str, float]]
    marked: list[int]
    groups: list[str]
    stage_flagged: list[int] | None = None  # the pronunciation stage's own flag, for comparison


WORD_MODEL_C = 1.0  # sklearn's default regularisation: three standardised inputs, thousands of words


def fit_word_model(table: WordTable) -> WordMarkModel:
    """Logistic regression on standardised word measures (unweighted, so its output is a
    likelihood on the experts' base rate); the flag threshold is the one that gives the best
    F1 on the speaker-grouped cross-validated likelihoods, reported with their AUC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import precision_recall_curve, roc_auc_score

    features = list(WORD_MARK_FEATURES)
    x = np.array([[row[f] for f in features] for row in table.rows], dtype=float)
    y = np.array(table.marked, dtype=int)

    def fitted(rows: np.ndarray, labels: np.ndarray):
        mean, scale = rows.mean(axis=0), rows.std(axis=0) + 1e-9
        return mean, scale, LogisticRegression(C=WORD_MODEL_C).fit((rows - mean) / scale, labels)

    folds = _folds(table.groups, CV_FOLDS)
    oof = np.zeros(len(y))
    for train, held_out in folds:
        mean, scale, model = fitted(x[train], y[train])
        oof[held_out] = model.predict_proba((x[held_out] - mean) / scale)[:, 1]
    precision, recall, cuts = precision_recall_curve(y, oof)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-9)
    best = int(np.argmax(f1))
    threshold = float(cuts[best])
    flags = oof >= threshold
    mean, scale, model = fitted(x, y)
    return WordMarkModel(
        features=features,
        means=_floats(mean),
        scales=_floats(scale),
        coefficients=_floats(model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 6),
        threshold=round(threshold, 4),
        cv={
            "auc": round(float(roc_auc_score(y, oof)), 4),
            "flag_auc": round(float(roc_auc_score(y, flags)), 4),
            "precision": round(float(y[flags].mean()), 4) if flags.any() else None,
            "recall": round(float(flags[y == 1].mean()), 4),
            **(
                {"stage_flag_auc": round(float(roc_auc_score(y, table.stage_flagged)), 4)}
                if table.stage_flagged
                else {}
            ),
            "words": len(y),
            "marked": int(y.sum()),
            "speakers": len(set(table.groups)),
            "folds": len(folds),
            "C": WORD_MODEL_C,
            "threshold_rule": "best F1 on the cross-validated likelihoods",
        },
    )


def _floats(values) -> list[float]:
    return [round(float(v), 6) for v in values]


# --------------------------------------------------------------------------- encoder states

ENCODER_COMPONENTS = (16, 32, 64)
ENCODER_ALPHAS = (10.0, 100.0, 1000.0)
ENCODER_DIMENSIONS = ("accuracy", "fluency", "prosodic", "total")


def _principal_components(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(means, scales, components (k, d)) of standardised ``x``."""
    means, scales = x.mean(axis=0), x.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    _, _, vt = np.linalg.svd((x - means) / scales, full_matrices=False)
    return means, scales, vt[:k]


def _readout_fit(x: np.ndarray, ys: dict[str, np.ndarray], k: int, alpha: float) -> EncoderReadout:
    means, scales, components = _principal_components(x, k)
    scores = ((x - means) / scales) @ components.T
    centre, spread = scores.mean(axis=0), scores.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    readouts = {}
    for dimension, y in ys.items():
        ridge = _ridge((scores - centre) / spread, y, alpha)
        coefficients = ridge.coef_ / spread  # on the raw component scores
        readouts[dimension] = {
            "coefficients": coefficients.tolist(),
            "intercept": float(ridge.intercept_ - float(centre @ coefficients)),
        }
    return EncoderReadout.linear(means, scales, components, readouts, whisper_model="", pooling="")


def encoder_out_of_fold(x: np.ndarray, ys: dict[str, np.ndarray], folds, k: int, alpha: float) -> dict[str, np.ndarray]:
    """Out-of-fold readouts: components and ridge learnt on each fold's training rows."""
    oof = {d: np.empty(len(x)) for d in ys}
    for train, held_out in folds:
        fitted = _readout_fit(x[train], {d: y[train] for d, y in ys.items()}, k, alpha)
        for d, values in fitted.estimates(x[held_out]).items():
            oof[d][held_out] = values
    return oof


def encoder_row_features(out_of_fold: dict[str, np.ndarray], row: int) -> dict[str, float]:
    """Row ``row``'s ``encoder_estimate_*`` features from :func:`fit_encoder_readout`'s out-of-fold estimates."""
    return {ENCODER_FEATURE_PREFIX + d: float(values[row]) for d, values in out_of_fold.items()}


def fit_encoder_readout(
    states: np.ndarray,
    groups: Sequence[str],
    targets: dict[str, Sequence[float]],
    *,
    whisper_model: str,
    pooling: str,
    source: str = ENCODER_LAST_OUTPUT,
    dimensions: Sequence[str] = ENCODER_DIMENSIONS,
) -> tuple[EncoderReadout, dict[str, np.ndarray]]:
    """The readout of pooled encoder states (train rows only), with the number of components
    and alpha chosen by the mean speaker-grouped CV r over ``dimensions``; and its out-of-fold
    estimates of the same rows, which stand in for the feature when the calibration model is
    fitted on them (the full readout has seen their scores)."""
    ys = {d: np.asarray(targets[d], dtype=float) for d in dimensions}
    folds = _folds(groups, CV_FOLDS)
    best = None
    grid = []
    for k in ENCODER_COMPONENTS:
        for alpha in ENCODER_ALPHAS:
            oof = encoder_out_of_fold(states, ys, folds, k, alpha)
            rs = {d: _pearson(oof[d], ys[d]) for d in dimensions}
            mean_r = float(np.mean(list(rs.values())))
            grid.append({"components": k, "alpha": alpha, **{d: round(r, 4) for d, r in rs.items()}})
            if best is None or mean_r > best[0]:
                best = (mean_r, k, alpha, oof, rs)
    assert best is not None
    _, k, alpha, oof, rs = best
    fitted = _readout_fit(states, ys, k, alpha)
    readout = EncoderReadout(
        whisper_model=whisper_model,
        pooling=pooling,
        source=source,
        # weights on raw states span orders of magnitude: keep significant digits, not decimals
        weights={d: [float(f"{w:.7g}") for w in weights] for d, weights in fitted.weights.items()},
        intercepts={d: round(b, 6) for d, b in fitted.intercepts.items()},
        cv={
            "components": k,
            "alpha": alpha,
            "pearson": {d: round(r, 4) for d, r in rs.items()},
            "grid": grid,
            "folds": len(folds),
            "grouped_by": "speaker",
            "rows": int(len(states)),
        },
    )
    return readout, oof
