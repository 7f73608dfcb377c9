"""Calibration on expert ratings: measured read-aloud features -> the experts' 0-10 scores.

A small, interpretable model per expert dimension of speechocean762 (``accuracy``,
``completeness``, ``fluency``, ``prosodic``, ``total``): a ridge regression on standardised,
named features, fitted on the corpus's train rows only (``bench/agreement.py --fit``, the
fitting code is ``bench/calibration_fit.py``) with features and regularisation chosen by
speaker-grouped cross-validation. The fitted model is a small versioned JSON file in
``trainer/scoring/calibration_models/``; this module only computes the features and loads and
applies the model, with plain numpy, so the app needs no scikit-learn; fitting does (the
``bench`` extra).

    features = reading_features(transcript, reference_text, {"fluency": (f, e), ...})
    estimates = default_model().predict(features)   # {dimension: Estimate}
    estimates["fluency"].value                       # 0-10, like a speechocean762 expert
    estimates["fluency"].evidence()                  # each feature's value, coefficient, contribution

Prediction, per dimension: each feature is held inside the range seen in training (1st-99th
percentile; a missing one takes the training median), standardised with the training mean and
scale, multiplied by its coefficient (its *contribution*: points above or below an average
training reading), summed with the intercept (the training mean score) and clipped to 0-10.

Encoder states (v6; pooled over the reading's frames since v7): one candidate feature per
dimension, ``encoder_estimate_<dimension>``, is what the recogniser's encoder states of the
reading alone suggest (:class:`EncoderReadout`, fitted on the same train rows); the
calibration stage computes it with ``trainer.speech.encoder_states`` (a readout of the last
output) or ``trainer.speech.encoder_layers`` (of every layer; ``bench/agreement.py --fit
--encoder-source every_layer``, not the packaged model: docs/validity.md) and leaves it to
the training median, with a warning, for another recogniser or telephone-band audio.

Uncertainty: each estimate carries an interval (``Estimate.low``/``high``, by default 80 %),
read from the model file's ``interval`` table: the 10th and 90th percentiles of the
speaker-grouped cross-validated residuals (expert score minus estimate) of the train rows, by
region of the estimate and by length of the text read (``bench/calibration_fit.py``
``residual_intervals``). A short reading, or one in a region where the experts disagreed more
with the model, gets a wider interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from trainer.features.fluency import vad_speech
from trainer.features.pronunciation import (
    NARROWBAND_GOP_DROP,
    NARROWBAND_PROBABILITY_DROP,
    THRESHOLDS,
    ReadAloudEvidence,
)
from trainer.speech.alignment import HeardToken, WordAlignment, align_words, heard_tokens
from trainer.speech.lexicon import VOWELS, syllable_count
from trainer.speech.textnorm import words as norm_words
from trainer.speech.transcript import Transcript

DIMENSIONS = ("accuracy", "completeness", "fluency", "prosodic", "total")
MODEL_DIR = Path(__file__).resolve().parent / "calibration_models"
# The model the app loads; a refit with different inputs gets a new version and file name
# (v2: with the pronunciation stage's GOP and alignment features; v3: the same candidates,
# measured after the aligner's silence reset and the recogniser's stretched-word check;
# v4: refitted on speechocean762-large's train rows measured then, Whisper's digit pieces
# joined back, with interval tables; v5: refitted on all 1620 of them, with the word model;
# v6: the same rows with the encoder readout's estimates among the candidates; v7: the
# encoder states pooled as their mean and spread over the reading's frames, not over words).
MODEL_VERSION = 7
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
            "asr_word_error_rate": 1.0,
            "asr_reference_words_heard": 0.0,
            "asr_reference_words_spoken": 0.0,
            "asr_reference_confidence": 0.0,
            "asr_inserted_words_per_reference_word": 0.0,
            "asr_char_similarity": 0.0,
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


def _read_aloud_evidence(evidence: ReadAloudEvidence | dict) -> ReadAloudEvidence:
    """The pronunciation stage's evidence, or its stored dict read back."""
    return evidence if isinstance(evidence, ReadAloudEvidence) else ReadAloudEvidence.from_dict(evidence)


def alignment_features(pronunciation_evidence: ReadAloudEvidence | dict) -> dict[str, float]:
    """Pace, gaps, rhythm and the weakest sounds from the forced alignment of the text
    (``trainer.features.pronunciation``'s evidence, or its stored dict: aligned words with
    their phones, times and GOP).

    The aligner times each expected phone, so these hold where recognition failed: a
    reading stretched word by word shows long phones and gaps between the words."""
    evidence = _read_aloud_evidence(pronunciation_evidence)
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


# Phone classes of the CMU set, for GOP statistics by class (the sounds learners of English
# most often get wrong differ by class: vowel length and quality, final stops, th / v / f, l / r).
PHONE_CLASSES = {
    "vowel": VOWELS,
    "stop": frozenset("B D G K P T".split()),
    "fricative": frozenset("CH DH F HH JH S SH TH V Z ZH".split()),
    "nasal": frozenset("M N NG".split()),
    "approximant": frozenset("L R W Y".split()),
}


def phone_class_features(pronunciation_evidence: ReadAloudEvidence | dict) -> dict[str, float]:
    """Goodness of pronunciation by class of sound: the mean GOP of the vowels, stops,
    fricatives, nasals and approximants read, and of word-final consonants (often dropped)."""
    evidence = _read_aloud_evidence(pronunciation_evidence)
    by_class: dict[str, list[float]] = {name: [] for name in (*PHONE_CLASSES, "final_consonant")}
    for word in evidence.words:
        for i, phone in enumerate(word.phones):
            if phone.gop is None:
                continue
            for name, members in PHONE_CLASSES.items():
                if phone.phone in members:
                    by_class[name].append(phone.gop)
            if i == len(word.phones) - 1 and phone.phone not in VOWELS:
                by_class["final_consonant"].append(phone.gop)
    return {f"gop_{name}": float(np.mean(values)) for name, values in by_class.items() if values}


def rhythm_features(pronunciation_evidence: ReadAloudEvidence | dict) -> dict[str, float]:
    """Rhythm from the aligned phone durations (Ramus et al. 1999; Dellwo 2006): the share of
    time in vowels (%V), the variability of consonant and vowel durations (VarcoC, VarcoV:
    100 x SD / mean) and how evenly paced the words are (coefficient of variation of the
    seconds per phone across words)."""
    evidence = _read_aloud_evidence(pronunciation_evidence)
    words = [w for w in evidence.words if w.phones and w.start is not None and w.end is not None]
    phones = [p for w in words for p in w.phones]
    if len(phones) < 3:
        return {}
    vowel = np.array([p.end - p.start for p in phones if p.phone in VOWELS])
    consonant = np.array([p.end - p.start for p in phones if p.phone not in VOWELS])
    features: dict[str, float] = {}
    total = float(vowel.sum() + consonant.sum())
    if total > 0:
        features["rhythm_vowel_share"] = float(vowel.sum()) / total
    if vowel.size > 1 and vowel.mean() > 0:
        features["rhythm_varco_vowel"] = float(100 * vowel.std() / vowel.mean())
    if consonant.size > 1 and consonant.mean() > 0:
        features["rhythm_varco_consonant"] = float(100 * consonant.std() / consonant.mean())
    pace = np.array(
        [(w.end - w.start) / len(w.phones) for w in words if w.end and w.start is not None and w.end > w.start]
    )
    if pace.size > 1 and pace.mean() > 0:
        features["rhythm_word_pace_variation"] = float(pace.std() / pace.mean())
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


def reading_features(
    transcript: Transcript, reference_text: str, stages: dict[str, Sequence[dict]]
) -> dict[str, float]:
    """Every candidate feature of a read-aloud answer, by name.

    ``stages`` maps a stage name to its ``(features, evidence)`` as the scoring engine
    measures them: ``fluency`` (``trainer.features.fluency``), ``audio`` (:func:`audio_features`)
    and, when available, ``pronunciation`` (``trainer.features.pronunciation.assess_read_aloud``;
    its evidence as :class:`ReadAloudEvidence` or its stored dict) and ``encoder``
    (:meth:`EncoderReadout.features` of the reading's pooled encoder states).
    Their feature names are kept as they are; recognition features start with ``asr_``."""
    features: dict[str, float] = {}
    for stage in ("fluency", "audio", "pronunciation", "encoder"):
        if stage in stages:
            stage_features = stages[stage][0]
            features.update(
                {k: float(v) for k, v in stage_features.items() if v is not None and math.isfinite(float(v))}
            )
    features.update(recognition_features(transcript, reference_text))
    if "pronunciation" in stages:
        features.update(alignment_features(stages["pronunciation"][1]))
        features.update(phone_class_features(stages["pronunciation"][1]))
        features.update(rhythm_features(stages["pronunciation"][1]))
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
    low: float | None = None  # the interval (0-10) an expert's score likely falls in; None: no table
    high: float | None = None
    coverage: float | None = None  # the share of cross-validated train readings inside such intervals
    # how much of its error a speaker's other readings share (0: independent; see the fit)
    correlation: float | None = None

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
            "terms": [
                {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(t).items()} for t in self.terms
            ],
            "imputed": self.imputed,
            "interval": None if self.low is None or self.high is None else [round(self.low, 2), round(self.high, 2)],
            "interval_coverage": self.coverage,
            "interval_within_speaker_correlation": self.correlation,
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
    # Cross-validated residual quantiles by region (see residual_interval); {}: no intervals.
    interval: dict = field(default_factory=dict)

    def residual_interval(self, estimate: float, syllables: float | None) -> tuple[float, float] | None:
        """(below, above): how far under and over ``estimate`` an expert's score likely lies,
        from the cross-validated residuals of train readings in the same region of estimates
        and of the same length class (syllables of the text; unknown: the longest class)."""
        table = self.interval
        if not table:
            return None
        region = sum(estimate >= edge for edge in table["score_edges"])
        length = (
            len(table["syllable_edges"])
            if syllables is None
            else sum(syllables >= edge for edge in table["syllable_edges"])
        )
        return table["below"][length][region], table["above"][length][region]

    def predict(self, features: dict[str, float], model_name: str = "") -> Estimate:
        terms = []
        total = self.intercept
        for i, name in enumerate(self.features):
            raw = features.get(name)
            value = None if raw is None or not math.isfinite(raw) else float(raw)
            used = self.medians[i] if value is None else min(max(value, self.lower[i]), self.upper[i])
            contribution = self.coefficients[i] * (used - self.means[i]) / self.scales[i]
            total += contribution
            terms.append(Term(name, value, used, self.means[i], self.scales[i], self.coefficients[i], contribution))
        low, high = self.clip
        value = float(min(max(total, low), high))
        estimate = Estimate(self.dimension, value, float(total), self.intercept, terms, model_name)
        spread = self.residual_interval(value, features.get("reference_syllables"))
        if spread is not None:
            # the interval always holds the estimate itself, and stays on the experts' scale
            estimate.low = float(min(max(value + min(spread[0], 0.0), low), high))
            estimate.high = float(min(max(value + max(spread[1], 0.0), low), high))
            estimate.coverage = self.interval.get("coverage")
            estimate.correlation = (self.interval.get("speaker_means") or {}).get("within_speaker_correlation")
        return estimate

    def to_dict(self) -> dict:
        data = asdict(self)
        data["clip"] = list(self.clip)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> DimensionModel:
        data = dict(data)
        data["clip"] = tuple(data.get("clip", SCALE))
        return cls(**data)


# --------------------------------------------------------------------------- words

# Which words of a reading an expert would mark (speechocean762 word accuracy below 7): a
# logistic regression on three measures of each word of the text, fitted on train words. The
# pronunciation stage's label is one threshold on the word's GOP, so it cannot tell which of two
# words with the same label is worse: as a ranking it reached AUC 0.68 on the large test rows
# where the GOP itself reached 0.81.
WORD_MARK_FEATURES = ("word_gop", "min_phone_gop", "recogniser_confidence")
# An omitted word has no GOP: it takes the floor, below nearly every word that was measured.
WORD_GOP_FLOOR = -6.0
PHONE_GOP_FLOOR = -8.0
# the experts' word accuracy (0-10) under which a word counts as marked (their guide: 7-9 is
# an accent only)
WORD_MARK_BELOW = 7.0


def word_mark_features(
    words: Sequence[dict], confidence: Sequence[float], narrowband: bool = False
) -> list[dict[str, float]] | None:
    """Per word of the text read (the pronunciation evidence's ``words``, in order) the
    measures the word model reads; ``confidence``: ``reference_word_confidence`` of the same
    text. None when the two do not line up word for word. Telephone-band audio is corrected
    by what the channel alone takes off (as the pronunciation stage lowers its thresholds)."""
    if not words or len(words) != len(confidence):
        return None
    gop_drop = NARROWBAND_GOP_DROP if narrowband else 0.0
    probability_drop = NARROWBAND_PROBABILITY_DROP if narrowband else 0.0
    rows = []
    for word, heard in zip(words, confidence):
        gop, lowest = word.get("gop"), word.get("min_phone_gop")
        rows.append(
            {
                "word_gop": WORD_GOP_FLOOR if gop is None else max(float(gop) + gop_drop, WORD_GOP_FLOOR),
                "min_phone_gop": PHONE_GOP_FLOOR if lowest is None else max(float(lowest) + gop_drop, PHONE_GOP_FLOOR),
                "recogniser_confidence": min(1.0, float(heard) + probability_drop),
            }
        )
    return rows


def narrowband_evidence(pronunciation_evidence: dict) -> bool:
    """Whether the pronunciation stage judged the audio telephone-band (it lowered its GOP
    thresholds for the channel)."""
    used = (pronunciation_evidence.get("thresholds") or {}).get("ok_gop", THRESHOLDS.ok_gop)
    return used < THRESHOLDS.ok_gop - NARROWBAND_GOP_DROP / 2


@dataclass
class WordMarkModel:
    """P(an expert marks the word) = logistic(intercept + sum coefficient x standardised value)."""

    features: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]
    intercept: float
    threshold: float  # a word at this likelihood or above is flagged (chosen on train CV)
    cv: dict = field(default_factory=dict)

    def likelihood(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(
            c * (values[name] - m) / sd
            for name, m, sd, c in zip(self.features, self.means, self.scales, self.coefficients)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def mark(self, words: Sequence[dict], confidence: Sequence[float], narrowband: bool = False) -> list[dict] | None:
        """Copies of ``words`` with ``expert_mark`` (the likelihood, 0-1) and the label the
        Feedback page shows decided by it: at the threshold or above a spoken word reads
        "mispronounced", below it a word the stage called mispronounced reads "unclear";
        "omitted" stays. The stage's own label is kept as ``measured_label``."""
        rows = word_mark_features(words, confidence, narrowband)
        if rows is None:
            return None
        marked = []
        for word, values in zip(words, rows):
            p = self.likelihood(values)
            label = word.get("label")
            if label != "omitted":
                if p >= self.threshold:
                    label = "mispronounced"
                elif label == "mispronounced":
                    label = "unclear"
            marked.append({**word, "label": label, "measured_label": word.get("label"), "expert_mark": round(p, 3)})
        return marked

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> WordMarkModel:
        return cls(**data)


# --------------------------------------------------------------------------- encoder states

ENCODER_FEATURE_PREFIX = "encoder_estimate_"


# Which pooled states a readout reads (each computed by its own trainer.speech module).
ENCODER_LAST_OUTPUT = "last_output"  # trainer.speech.encoder_states: the last output of the 30 s window
ENCODER_EVERY_LAYER = "every_layer"  # trainer.speech.encoder_layers: every layer, on the reading's frames
ENCODER_SOURCES = (ENCODER_LAST_OUTPUT, ENCODER_EVERY_LAYER)


@dataclass
class EncoderReadout:
    """The experts' scores as the recogniser's encoder alone suggests them. Fitted as the
    reading's pooled encoder states standardised, projected on their first principal
    components (fitted on train readings) and read out by one ridge regression per dimension
    (``bench/calibration_fit.py``). All three steps are linear, so the file keeps their
    product: one weight per pooled number and an intercept per dimension (the same
    estimates, in a file as many times smaller as there were components). Each readout
    becomes one feature of the calibration model, ``encoder_estimate_<dimension>`` on the
    0-10 scale, so the report shows it as one term beside the named measures (what the sound
    of the words suggests) rather than as thousands of numbers."""

    whisper_model: str  # the states are only meaningful for the model they were fitted with
    pooling: str
    weights: dict[str, list[float]]  # dimension -> one weight per pooled number
    intercepts: dict[str, float]
    source: str = ENCODER_LAST_OUTPUT  # which states: one of ENCODER_SOURCES
    cv: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in ENCODER_SOURCES:
            raise ValueError(f"encoder readout source {self.source!r} is not one of {ENCODER_SOURCES}")
        widths = {len(w) for w in self.weights.values()}
        if len(widths) > 1 or set(self.weights) != set(self.intercepts):
            raise ValueError("encoder readout: every dimension needs weights of one width and an intercept")

    @property
    def width(self) -> int:
        """How many pooled numbers the readout reads."""
        return len(next(iter(self.weights.values()), []))

    @classmethod
    def linear(
        cls,
        means: Sequence[float],
        scales: Sequence[float],
        components: Sequence[Sequence[float]],
        readouts: dict[str, dict],
        **rest,
    ) -> EncoderReadout:
        """The readout of states standardised by ``means`` and ``scales``, projected on
        ``components`` (k, d) and read by ``readouts`` ({dimension: {"coefficients": [k],
        "intercept"}}), collapsed into weights on the states themselves."""
        projection = np.asarray(components, dtype=float).T / np.asarray(scales, dtype=float)[:, None]
        weights, intercepts = {}, {}
        for dimension, readout in readouts.items():
            vector = projection @ np.asarray(readout["coefficients"], dtype=float)
            weights[dimension] = vector.tolist()
            intercepts[dimension] = float(readout["intercept"]) - float(np.asarray(means, dtype=float) @ vector)
        return cls(weights=weights, intercepts=intercepts, **rest)

    def estimates(self, states: np.ndarray) -> dict[str, np.ndarray]:
        """Each dimension's estimate (0-10) for each row of pooled states, shape (n, d)."""
        x = np.asarray(states, dtype=float)
        if x.shape[-1] != self.width:
            raise ValueError(f"the readout reads {self.width} pooled numbers, not {x.shape[-1]}")
        return {
            dimension: np.clip(x @ np.asarray(weights) + self.intercepts[dimension], *SCALE)
            for dimension, weights in self.weights.items()
        }

    def features(self, states: Sequence[float] | np.ndarray) -> dict[str, float]:
        """``{encoder_estimate_<dimension>: 0-10}`` for one reading's pooled states."""
        found = self.estimates(np.asarray(states, dtype=float)[None, :])
        return {ENCODER_FEATURE_PREFIX + dimension: float(values[0]) for dimension, values in found.items()}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EncoderReadout:
        data = dict(data)
        if "components" in data:  # the v6-v7 files keep the projection and the ridge apart
            parts = [data.pop(key) for key in ("means", "scales", "components", "readouts")]
            return cls.linear(*parts, **data)
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
    words: WordMarkModel | None = None  # which words an expert would mark (None: not fitted)
    encoder: EncoderReadout | None = None  # the encoder-state features (None: not used)

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
            **({"words": self.words.to_dict()} if self.words else {}),
            **({"encoder": self.encoder.to_dict()} if self.encoder else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> CalibrationModel:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"calibration model format {data.get('format')!r} is not {MODEL_FORMAT}")
        return cls(
            name=data["name"],
            version=int(data["version"]),
            feature_version=str(data["feature_version"]),
            dimensions={k: DimensionModel.from_dict(v) for k, v in data["dimensions"].items()},
            training=data.get("training", {}),
            description=data.get("description", ""),
            words=WordMarkModel.from_dict(data["words"]) if data.get("words") else None,
            encoder=EncoderReadout.from_dict(data["encoder"]) if data.get("encoder") else None,
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str | None = None) -> CalibrationModel:
        path = Path(path) if path else DEFAULT_MODEL_FILE
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_model() -> CalibrationModel:
    return CalibrationModel.load(DEFAULT_MODEL_FILE)
