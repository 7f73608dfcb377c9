"""Calibration on expert ratings: measured read-aloud features -> the experts' 0-10 scores.

A small, interpretable model per expert dimension of speechocean762 (``accuracy``,
``completeness``, ``fluency``, ``prosodic``, ``total``): a ridge regression on standardised,
named features, fitted on the corpus's train rows only (``bench/agreement.py --fit``) with
features and regularisation chosen by speaker-grouped cross-validation. The fitted model is a
small versioned JSON file in ``trainer/calibration_models/`` read with plain numpy, so the app
needs no scikit-learn; fitting does (the ``bench`` extra).

    features = reading_features(transcript, reference_text, {"fluency": (f, e), ...})
    estimates = default_model().predict(features)   # {dimension: Estimate}
    estimates["fluency"].value                       # 0-10, like a speechocean762 expert
    estimates["fluency"].evidence()                  # each feature's value, coefficient, contribution

Prediction, per dimension: each feature is held inside the range seen in training (1st-99th
percentile; a missing one takes the training median), standardised with the training mean and
scale, multiplied by its coefficient (its *contribution*: points above or below an average
training reading), summed with the intercept (the training mean score) and clipped to 0-10.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz

from trainer.features.fluency import vad_speech
from trainer.features.pronunciation import ReadAloudEvidence
from trainer.speech.alignment import HeardToken, WordAlignment, align_words, heard_tokens
from trainer.speech.lexicon import VOWELS, syllable_count
from trainer.speech.textnorm import words as norm_words
from trainer.speech.transcript import Transcript

DIMENSIONS = ("accuracy", "completeness", "fluency", "prosodic", "total")
MODEL_DIR = Path(__file__).resolve().parent / "calibration_models"
# The model the app loads; a refit with different inputs gets a new version and file name
# (v2: with the pronunciation stage's GOP and alignment features; v3: the same candidates,
# measured after the aligner's silence reset and the recogniser's stretched-word check).
MODEL_VERSION = 3
DEFAULT_MODEL_FILE = MODEL_DIR / f"speechocean762-v{MODEL_VERSION}.json"
MODEL_FORMAT = 1
# Bump when reading_features() changes what a feature means (cached tables are rebuilt).
FEATURE_VERSION = "1"
SCALE = (0.0, 10.0)  # the experts' scale

# The rubric features the scoring engine adds: calibrated estimates on the experts' 0-10 scale.
RUBRIC_FEATURES = {
    "accuracy": "calibrated_accuracy",
    "completeness": "calibrated_completeness",
    "fluency": "calibrated_fluency",
    "prosodic": "calibrated_prosody",
    "total": "calibrated_total",
}

# --------------------------------------------------------------------------- features


def _align_reference(reference: list[str], heard: list[HeardToken]) -> tuple[WordAlignment, list[float], list[float]]:
    """The word alignment of the reference with the heard words; per reference word the
    recogniser's probability of the same word aligned to it (0: not heard as written) and
    the spelling similarity (0-1) of the word aligned to it (1: the same word, 0: none)."""
    aligned = align_words(reference, [t.text for t in heard])
    confidence = [0.0] * len(reference)
    similarity = [0.0] * len(reference)
    for pair in aligned.pairs:
        if pair.kind == "equal":
            confidence[pair.ref], similarity[pair.ref] = heard[pair.hyp].probability, 1.0
        elif pair.kind == "substitute":
            similarity[pair.ref] = fuzz.ratio(reference[pair.ref], heard[pair.hyp].text) / 100.0
    return aligned, confidence, similarity


def reference_word_confidence(transcript: Transcript, reference_text: str) -> list[float]:
    """Per normalised reference word: the recogniser's probability of hearing it as written."""
    reference = norm_words(reference_text)
    heard = heard_tokens(transcript)
    if not reference or not heard:
        return [0.0] * len(reference)
    return _align_reference(reference, heard)[1]


def recognition_features(transcript: Transcript, reference_text: str) -> dict[str, float]:
    """How well the recogniser's words match the text to read, and how sure it was.

    The reference and the heard words are aligned (``jiwer``): a reference word counts as
    *heard* when the same word is aligned to it, *spoken* when any word is (a substitution
    is a word said unclearly or differently, a deletion a word not said at all)."""
    reference = norm_words(reference_text)
    heard = heard_tokens(transcript)
    if not reference:
        return {}
    if not heard:
        return {
            "asr_word_error_rate": 1.0, "asr_reference_words_heard": 0.0,
            "asr_reference_words_spoken": 0.0, "asr_reference_confidence": 0.0,
            "asr_inserted_words_per_reference_word": 0.0, "asr_char_similarity": 0.0,
            "asr_reference_similarity": 0.0,
        }
    n = len(reference)
    probabilities = [t.probability for t in heard]
    aligned, confidence, similarity = _align_reference(reference, heard)
    return {
        "asr_reference_similarity": float(np.mean(similarity)),
        "asr_word_error_rate": min(float(aligned.wer), 2.0),
        "asr_reference_words_heard": aligned.hits / n,
        "asr_reference_words_spoken": (aligned.hits + aligned.substitutions) / n,
        "asr_reference_confidence": float(np.mean(confidence)),
        "asr_inserted_words_per_reference_word": aligned.insertions / n,
        "asr_char_similarity": fuzz.ratio(" ".join(reference), " ".join(t.text for t in heard)) / 100.0,
        "asr_mean_word_probability": float(np.mean(probabilities)),
        "asr_min_word_probability": float(np.min(probabilities)),
    }


def timing_features(reference_text: str, fluency_evidence: dict) -> dict[str, float]:
    """Reading pace measured against the text's syllables, and the longest pause."""
    syllables = sum(syllable_count(w) for w in norm_words(reference_text))
    speaking = float(fluency_evidence.get("speaking_seconds") or 0.0)
    phonation = float(fluency_evidence.get("phonation_seconds") or 0.0)
    pauses = [p["seconds"] for p in fluency_evidence.get("pauses", [])]
    features = {
        "reference_syllables": float(syllables),
        "longest_pause_seconds": max(pauses, default=0.0),
        "pause_seconds_total": float(sum(pauses)),
    }
    if speaking > 0 and syllables:
        features["seconds_per_syllable"] = speaking / syllables
    if phonation > 0 and syllables:
        features["articulation_syllables_per_second"] = syllables / phonation
    return features


def alignment_features(pronunciation_evidence: ReadAloudEvidence | dict) -> dict[str, float]:
    """Pace, gaps, rhythm and the weakest sounds from the forced alignment of the text
    (``trainer.features.pronunciation``'s evidence, or its stored dict: aligned words with
    their phones, times and GOP).

    The aligner times each expected phone, so these hold where recognition failed: a
    reading stretched word by word shows long phones and gaps between the words."""
    evidence = (pronunciation_evidence if isinstance(pronunciation_evidence, ReadAloudEvidence)
                else ReadAloudEvidence.from_dict(pronunciation_evidence))
    words = [w for w in evidence.words if w.phones and w.start is not None and w.end is not None]
    phones = [p for w in words for p in w.phones]
    features: dict[str, float] = {}
    if not phones:
        return features
    vowels = np.array([p.end - p.start for p in phones if p.phone in VOWELS])
    span = words[-1].end - words[0].start
    if span > 0:
        features["aligned_seconds_per_phone"] = span / len(phones)
    if len(words) > 1 and span > 0:
        gaps = np.array([b.start - a.end for a, b in zip(words, words[1:])])
        features["aligned_gap_share"] = float(np.clip(gaps, 0, None).sum() / span)
        features["aligned_gaps_per_word"] = float((gaps >= 0.25).sum() / len(words))
    if vowels.size > 1:
        # normalised pairwise variability of vowel durations (Grabe & Low 2002): rhythm
        pairs = (vowels[1:] + vowels[:-1]) / 2
        features["vowel_duration_npvi"] = float(100 * np.mean(np.abs(np.diff(vowels)) / pairs))
        features["mean_vowel_seconds"] = float(vowels.mean())
    gops = np.array([p.gop for p in phones if p.gop is not None])
    if gops.size:
        features["phone_gop_p10"] = float(np.percentile(gops, 10))
    return features


def audio_features(audio, reference_text: str) -> dict[str, float]:
    """Pace and pauses from the voice activity detector alone, per syllable of the text.

    They do not depend on recognition, which fails on some readings (children, strong
    accents): the word-based fluency measures then see no words and no pauses at all."""
    syllables = sum(syllable_count(w) for w in norm_words(reference_text)) or 1
    segments = vad_speech(audio.samples)
    if not segments:
        return {"vad_speech_seconds_per_syllable": 0.0}
    span = segments[-1].end - segments[0].start
    voiced = sum(s.duration for s in segments)
    gaps = [b.start - a.end for a, b in zip(segments, segments[1:])]
    return {
        "vad_seconds_per_syllable": span / syllables,
        "vad_speech_seconds_per_syllable": voiced / syllables,
        "vad_pauses_per_syllable": sum(g >= 0.25 for g in gaps) / syllables,
        "vad_longest_pause_seconds": max(gaps, default=0.0),
        "vad_pause_share": 1.0 - voiced / span if span > 0 else 0.0,
    }


def reading_features(transcript: Transcript, reference_text: str,
                     stages: dict[str, Sequence[dict]]) -> dict[str, float]:
    """Every candidate feature of a read-aloud answer, by name.

    ``stages`` maps a stage name to its ``(features, evidence)`` as the scoring engine
    measures them: ``fluency`` (``trainer.features.fluency``), ``audio`` (:func:`audio_features`)
    and, when available, ``pronunciation`` (``trainer.features.pronunciation.assess_read_aloud``;
    its evidence as :class:`ReadAloudEvidence` or its stored dict).
    Their feature names are kept as they are; recognition features start with ``asr_``."""
    features: dict[str, float] = {}
    for stage in ("fluency", "audio", "pronunciation"):
        if stage in stages:
            stage_features = stages[stage][0]
            features.update({k: float(v) for k, v in stage_features.items()
                             if v is not None and math.isfinite(float(v))})
    features.update(recognition_features(transcript, reference_text))
    if "pronunciation" in stages:
        features.update(alignment_features(stages["pronunciation"][1]))
    if "fluency" in stages:
        features.update(timing_features(reference_text, stages["fluency"][1]))
    return features


# --------------------------------------------------------------------------- model


@dataclass
class Term:
    feature: str
    value: float | None  # measured (None: not measured, the training median was used)
    used: float  # after holding it inside the training range
    mean: float
    scale: float
    coefficient: float  # points on the 0-10 scale per training standard deviation
    contribution: float  # points above (+) or below (-) an average training reading


@dataclass
class Estimate:
    dimension: str
    value: float  # 0-10
    unclipped: float
    intercept: float
    terms: list[Term]
    model: str

    @property
    def imputed(self) -> list[str]:
        return [t.feature for t in self.terms if t.value is None]

    def evidence(self) -> dict:
        return {
            "model": self.model,
            "dimension": self.dimension,
            "estimate": round(self.value, 2),
            "scale": list(SCALE),
            "intercept": round(self.intercept, 3),
            "terms": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(t).items()}
                      for t in self.terms],
            "imputed": self.imputed,
            "how": "estimate = intercept + sum of contributions, clipped to 0-10; contribution = "
                   "coefficient x (value - mean) / scale",
        }


@dataclass
class DimensionModel:
    dimension: str
    features: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]
    intercept: float
    lower: list[float]  # each feature is held inside [lower, upper] (training percentiles)
    upper: list[float]
    medians: list[float]  # stands in for a feature that could not be measured
    clip: tuple[float, float] = SCALE
    method: str = "ridge"
    alpha: float | None = None
    cv: dict = field(default_factory=dict)
    note: str = ""

    def predict(self, features: dict[str, float], model_name: str = "") -> Estimate:
        terms = []
        total = self.intercept
        for i, name in enumerate(self.features):
            raw = features.get(name)
            value = None if raw is None or not math.isfinite(raw) else float(raw)
            used = self.medians[i] if value is None else min(max(value, self.lower[i]), self.upper[i])
            contribution = self.coefficients[i] * (used - self.means[i]) / self.scales[i]
            total += contribution
            terms.append(Term(name, value, used, self.means[i], self.scales[i], self.coefficients[i],
                              contribution))
        low, high = self.clip
        return Estimate(self.dimension, float(min(max(total, low), high)), float(total),
                        self.intercept, terms, model_name)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["clip"] = list(self.clip)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "DimensionModel":
        data = dict(data)
        data["clip"] = tuple(data.get("clip", SCALE))
        return cls(**data)


@dataclass
class CalibrationModel:
    name: str
    version: int
    feature_version: str
    dimensions: dict[str, DimensionModel]
    training: dict = field(default_factory=dict)
    description: str = ""
    format: int = MODEL_FORMAT

    @property
    def label(self) -> str:
        return f"{self.name}-v{self.version}"

    @property
    def features(self) -> list[str]:
        """Every feature any dimension uses."""
        return sorted({f for d in self.dimensions.values() for f in d.features})

    def predict(self, features: dict[str, float]) -> dict[str, Estimate]:
        return {name: d.predict(features, self.label) for name, d in self.dimensions.items()}

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "name": self.name,
            "version": self.version,
            "feature_version": self.feature_version,
            "description": self.description,
            "training": self.training,
            "dimensions": {name: d.to_dict() for name, d in self.dimensions.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "CalibrationModel":
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"calibration model format {data.get('format')!r} is not {MODEL_FORMAT}")
        return cls(
            name=data["name"], version=int(data["version"]), feature_version=str(data["feature_version"]),
            dimensions={k: DimensionModel.from_dict(v) for k, v in data["dimensions"].items()},
            training=data.get("training", {}), description=data.get("description", ""),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str | None = None) -> "CalibrationModel":
        path = Path(path) if path else DEFAULT_MODEL_FILE
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_model() -> CalibrationModel:
    return CalibrationModel.load(DEFAULT_MODEL_FILE)


# --------------------------------------------------------------------------- fitting
# scikit-learn (the ``bench`` extra) is imported here only: the app never fits.

ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
CV_FOLDS = 8  # speaker groups: 16 train speakers -> 2 per fold
MAX_FEATURES = 8
MIN_GAIN = 0.004  # a feature joins only if it adds this much to the cross-validated r
CLIP_PERCENTILES = (1.0, 99.0)
# Which way each measure should move a score, from what it measures (+1: higher is better).
# A feature whose own correlation with a score goes the other way is not used for that
# score, and no fitted coefficient may go against it: the evidence always reads "a better
# measure, a higher score". Features not listed follow their own correlation's sign.
FEATURE_DIRECTIONS = {
    **dict.fromkeys((
        "asr_reference_confidence", "asr_reference_words_heard", "asr_reference_words_spoken",
        "asr_char_similarity", "asr_reference_similarity", "asr_mean_word_probability",
        "asr_min_word_probability", "pronunciation_accuracy", "completeness", "mean_phone_gop",
        "median_phone_gop", "mean_word_gop", "min_word_gop", "phone_gop_p10",
        "forced_score_per_frame", "share_words_ok", "heard_as_written_share", "speech_rate_wpm",
        "articulation_rate_wpm", "articulation_syllables_per_second", "phonation_time_ratio",
        "mean_length_of_run", "pitch_variation_semitones"), 1),
    **dict.fromkeys((
        "asr_word_error_rate", "asr_inserted_words_per_reference_word", "share_phones_below_low",
        "share_phones_below_very_low", "share_words_unclear", "share_words_mispronounced",
        "share_words_omitted", "pauses_per_minute", "long_pauses_per_minute",
        "fillers_per_100_words", "repetitions_per_100_words", "longest_pause_seconds",
        "pause_seconds_total", "seconds_per_syllable", "vad_seconds_per_syllable",
        "vad_speech_seconds_per_syllable", "vad_pauses_per_syllable", "vad_longest_pause_seconds",
        "vad_pause_share", "aligned_seconds_per_phone", "aligned_gap_share",
        "aligned_gaps_per_word", "mean_vowel_seconds"), -1),
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
    def of(cls, x: np.ndarray) -> "_Prepared":
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


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _folds(groups: Sequence[str], n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold

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


def select_features(table: FeatureTable, dimension: str, candidates: Sequence[str],
                    folds=None, alphas: Sequence[float] = ALPHAS, max_features: int = MAX_FEATURES,
                    min_gain: float = MIN_GAIN) -> tuple[list[str], float, float, list[dict]]:
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


def fit_dimension(table: FeatureTable, dimension: str, features: Sequence[str], alpha: float,
                  folds=None) -> DimensionModel:
    """Ridge on all given rows, with the speaker-grouped CV figures of the same recipe."""
    y = np.array(table.targets[dimension], dtype=float)
    x = table.matrix(features)
    folds = folds if folds is not None else _folds(table.groups, CV_FOLDS)
    oof = cross_validated(x, y, folds, alpha)
    prepared = _Prepared.of(x)
    model = _ridge(prepared.standardise(x), y, alpha)
    return DimensionModel(
        dimension=dimension, features=list(features),
        means=_floats(prepared.means), scales=_floats(prepared.scales),
        coefficients=_floats(model.coef_), intercept=round(float(model.intercept_), 6),
        lower=_floats(prepared.lower), upper=_floats(prepared.upper), medians=_floats(prepared.medians),
        method="ridge", alpha=alpha,
        cv={"pearson": round(_pearson(oof, y), 4), "spearman": round(_spearman(oof, y), 4),
            "folds": len(folds), "grouped_by": "speaker", "rows": int(len(y))},
    )


def direct_completeness(table: FeatureTable) -> DimensionModel:
    """Completeness is not fitted: all but one train row (and every test row) score 10, so
    there is nothing to learn. The estimate is the measured share of reference words spoken."""
    name, per_unit = ("completeness", 0.1) if any("completeness" in r for r in table.rows) \
        else ("asr_reference_words_spoken", 10.0)
    upper = 100.0 if name == "completeness" else 1.0
    return DimensionModel(
        dimension="completeness", features=[name], means=[0.0], scales=[1.0], coefficients=[per_unit],
        intercept=0.0, lower=[0.0], upper=[upper], medians=[upper], method="direct",
        note="not fitted: the expert completeness scores have no variance to learn from "
             "(319 of 320 train rows are 10); 10 x the share of reference words spoken",
    )


def fit_model(table: FeatureTable, *, name: str = "speechocean762", version: int = MODEL_VERSION,
              dimensions: Iterable[str] = DIMENSIONS, training: dict | None = None,
              progress=None) -> CalibrationModel:
    """Choose features and alpha per dimension by speaker-grouped CV, then fit on all rows.
    ``table`` must hold training rows only."""
    folds = _folds(table.groups, CV_FOLDS)
    candidates = candidate_features(table)
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
        name=name, version=version, feature_version=FEATURE_VERSION, dimensions=fitted,
        training={**(training or {}), "rows": len(table.ids), "speakers": len(set(table.groups)),
                  "candidate_features": candidates, "alphas": list(ALPHAS), "cv_folds": len(folds),
                  "max_features": MAX_FEATURES, "min_gain": MIN_GAIN,
                  "clip_percentiles": list(CLIP_PERCENTILES)},
        description="Estimates of speechocean762 expert sentence scores (0-10) from read-aloud "
                    "measures; ridge regression on standardised features chosen by forward "
                    "selection with speaker-grouped cross-validation on the train split.",
    )


def _floats(values) -> list[float]:
    return [round(float(v), 6) for v in values]
