"""The calibration model: the packaged file, fitting, the estimates on real readings, the
rubric banding on them, and the agreement benchmark's command line."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pytest

from tests.helpers.speechocean import speechocean_rows
from tests.helpers.transcripts import word_transcript
from trainer.config import PROJECT_ROOT
from trainer.scoring import calibration
from trainer.scoring.calibration import (
    DIMENSIONS,
    CalibrationModel,
    default_model,
)

# One sentence read by two children: experts gave the first accuracy 9, fluency 9,
# total 8 and the second accuracy 5, fluency 6, total 4.
PAIR_TEXT = "SO BILLY WENT INTO THE PET SHOP"
GOOD_READING, POOR_READING = "000030116", "000480125"
OTHER_TEXT = "I WILL GIVE YOU A RING TOMORROW EVENING"


# --------------------------------------------------------------------------- the packaged model


def test_packaged_model_loads_with_every_dimension_and_its_training_record():
    model = default_model()
    assert set(model.dimensions) == set(DIMENSIONS)
    rows = model.training["rows"]
    assert model.training["split"] == "train" and rows == len(set(model.training["utt_ids"]))
    assert model.feature_version == calibration.FEATURE_VERSION
    for name, dimension in model.dimensions.items():
        n = len(dimension.features)
        assert n >= 1
        assert all(
            len(v) == n
            for v in (
                dimension.means,
                dimension.scales,
                dimension.coefficients,
                dimension.lower,
                dimension.upper,
                dimension.medians,
            )
        ), name
        assert all(s > 0 for s in dimension.scales)
        assert all(lo <= hi for lo, hi in zip(dimension.lower, dimension.upper))
        if dimension.method == "ridge":
            assert dimension.cv["grouped_by"] == "speaker" and dimension.cv["rows"] == rows
            assert -1 <= dimension.cv["pearson"] <= 1
            assert 0 < dimension.intercept <= 10


def _extremes(model: CalibrationModel, pick) -> dict[str, float]:
    """Each feature at the end of its training range chosen by ``pick(dimension, i)``."""
    values = {}
    for dimension in model.dimensions.values():
        for i, name in enumerate(dimension.features):
            values[name] = pick(dimension, i)
    return values


def test_predictions_stay_on_the_experts_scale_for_any_input():
    model = default_model()
    far_low = _extremes(model, lambda d, i: d.lower[i] - 1000 * d.scales[i])
    far_high = _extremes(model, lambda d, i: d.upper[i] + 1000 * d.scales[i])
    for features in ({}, far_low, far_high, {n: float("nan") for n in model.features}):
        for name, estimate in model.predict(features).items():
            assert 0.0 <= estimate.value <= 10.0, (name, features)
            # the evidence adds up: intercept + contributions = the unclipped estimate
            total = estimate.intercept + sum(t.contribution for t in estimate.terms)
            assert math.isclose(total, estimate.unclipped, abs_tol=1e-9)
    # nothing measured: every feature takes the training median and says so
    empty = model.predict({})["fluency"]
    assert empty.imputed == model.dimensions["fluency"].features


def test_better_measures_give_higher_estimates():
    """Every coefficient points the way its feature's own correlation does (the fit rejects
    sign flips), so moving every feature to its better end raises every fitted estimate."""
    model = default_model()
    better = {}
    worse = {}
    for dimension in model.dimensions.values():
        for i, name in enumerate(dimension.features):
            good_high = dimension.coefficients[i] > 0
            better.setdefault(name, dimension.upper[i] if good_high else dimension.lower[i])
            worse.setdefault(name, dimension.lower[i] if good_high else dimension.upper[i])
    for name, dimension in model.dimensions.items():
        if dimension.method != "ridge":
            continue
        consistent = all(
            (dimension.coefficients[i] > 0) == (better[f] == dimension.upper[i])
            for i, f in enumerate(dimension.features)
        )
        if consistent:  # a feature shared by two dimensions may point different ways
            assert dimension.predict(better).value > dimension.predict(worse).value + 1.0, name


def test_model_file_round_trips(tmp_path):
    model = default_model()
    path = tmp_path / "model.json"
    model.save(path)
    again = CalibrationModel.load(path)
    features = _extremes(model, lambda d, i: d.medians[i] + 0.3 * d.scales[i])
    for name in DIMENSIONS:
        assert again.predict(features)[name].value == pytest.approx(model.predict(features)[name].value)
    assert again.words == model.words
    broken = json.loads(path.read_text())
    broken["format"] = 99
    path.write_text(json.dumps(broken))
    with pytest.raises(ValueError):
        CalibrationModel.load(path)


# --------------------------------------------------------------------------- words


def _word(label: str, gop: float | None, lowest: float | None = None) -> dict:
    return {"index": 0, "word": "shop", "label": label, "gop": gop, "min_phone_gop": lowest}


def test_word_measures_floor_an_omitted_word_and_refuse_words_that_do_not_line_up():
    rows = calibration.word_mark_features([_word("ok", -0.4, -1.2), _word("omitted", None)], [0.9, 0.0])
    assert rows == [
        {"word_gop": -0.4, "min_phone_gop": -1.2, "recogniser_confidence": 0.9},
        {
            "word_gop": calibration.WORD_GOP_FLOOR,
            "min_phone_gop": calibration.PHONE_GOP_FLOOR,
            "recogniser_confidence": 0.0,
        },
    ]
    assert (
        calibration.word_mark_features([_word("ok", -20.0, -30.0)], [0.5])[0]["word_gop"] == calibration.WORD_GOP_FLOOR
    )
    assert calibration.word_mark_features([_word("ok", -0.4)], [0.9, 0.8]) is None
    # over a telephone line the channel's own loss is given back, as the pronunciation stage does
    from trainer.features.pronunciation import NARROWBAND_GOP_DROP, THRESHOLDS

    phone = calibration.word_mark_features([_word("ok", -1.4, -2.2)], [0.7], narrowband=True)[0]
    assert phone["word_gop"] == pytest.approx(-1.4 + NARROWBAND_GOP_DROP) and phone["recogniser_confidence"] > 0.7
    lowered = {"thresholds": asdict(THRESHOLDS.lowered_by(NARROWBAND_GOP_DROP))}
    assert calibration.narrowband_evidence(lowered) and not calibration.narrowband_evidence(
        {"thresholds": asdict(THRESHOLDS)}
    )


def test_the_word_model_flags_by_its_likelihood_and_keeps_the_stages_label():
    model = calibration.WordMarkModel(
        features=list(calibration.WORD_MARK_FEATURES),
        means=[-1.0, -2.0, 0.8],
        scales=[1.0, 1.5, 0.2],
        coefficients=[-1.5, -0.5, -0.8],
        intercept=-2.5,
        threshold=0.3,
    )
    words = [
        _word("ok", -4.5, -6.0),
        _word("mispronounced", -0.2, -0.5),
        _word("unclear", -0.1, -0.2),
        _word("omitted", None),
    ]
    marked = model.mark(words, [0.2, 0.95, 0.99, 0.0])
    assert [w["measured_label"] for w in marked] == ["ok", "mispronounced", "unclear", "omitted"]
    assert [w["label"] for w in marked] == ["mispronounced", "unclear", "unclear", "omitted"]
    assert marked[0]["expert_mark"] >= 0.3 > marked[1]["expert_mark"] and marked[3]["expert_mark"] > 0.9
    assert words[0]["label"] == "ok"  # copies: the stage's evidence is not changed
    # a worse measure never lowers the likelihood
    assert model.likelihood({"word_gop": -3, "min_phone_gop": -4, "recogniser_confidence": 0.5}) > model.likelihood(
        {"word_gop": -1, "min_phone_gop": -4, "recogniser_confidence": 0.5}
    )
    again = calibration.WordMarkModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.mark(words, [0.2, 0.95, 0.99, 0.0]) == marked


def test_the_feedback_reading_says_how_likely_an_expert_marks_each_word():
    from trainer.webapp.transcript import reading_html

    page = reading_html([{**_word("mispronounced", -3.0), "expert_mark": 0.62}, {"word": "now", "label": "ok"}])
    assert "mispronounced; an expert would mark it 62 times in 100" in page
    assert page.count("an expert would mark it") == 1  # a word the model did not see has no such line


def test_the_packaged_word_model_ranks_words_better_than_the_stages_flag():
    words = default_model().words
    assert words is not None and words.features == list(calibration.WORD_MARK_FEATURES)
    # fitted on train words only, cross-validated by speaker
    assert words.cv["words"] > 1000 and words.cv["auc"] > words.cv["stage_flag_auc"]
    assert words.cv["flag_auc"] > words.cv["stage_flag_auc"]  # and so does its yes/no flag
    assert all(c < 0 for c in words.coefficients)  # lower GOP and confidence: more likely marked
    assert 0.0 < words.threshold < 1.0


def test_fitting_the_word_model_finds_the_measure_that_drives_the_marks():
    rng = np.random.default_rng(5)
    rows, marked, groups = [], [], []
    for speaker in range(8):
        for _ in range(120):
            gop = rng.normal(-1.0, 1.0)
            rows.append(
                {"word_gop": gop, "min_phone_gop": rng.normal(-2.0, 1.0), "recogniser_confidence": rng.uniform()}
            )
            marked.append(int(gop + 0.5 * rng.normal() < -2.2))
            groups.append(f"s{speaker}")
    fitting = _fitting()
    model = fitting.fit_word_model(fitting.WordTable(rows, marked, groups))
    gop, lowest, confidence = (abs(c) for c in model.coefficients)
    assert gop > 3 * max(lowest, confidence)
    assert model.cv["auc"] > 0.9 and model.cv["flag_auc"] > 0.75 and 0.0 < model.threshold < 1.0
    assert fitting.fit_word_model(fitting.WordTable(rows, marked, groups)) == model  # reproducible


# --------------------------------------------------------------------------- features


def test_recognition_features_compare_the_heard_words_with_the_text():
    text = "We call it bear"
    exact = calibration.recognition_features(
        word_transcript([("We", 0.9), ("call", 0.8), ("it", 0.9), ("bear.", 0.7)]), text
    )
    assert exact["asr_reference_words_heard"] == 1.0 and exact["asr_word_error_rate"] == 0.0
    assert exact["asr_reference_confidence"] == pytest.approx(0.825)
    misheard = calibration.recognition_features(
        word_transcript([("We", 0.9), ("call", 0.8), ("it", 0.9), ("Bill.", 0.7)]), text
    )
    assert misheard["asr_reference_words_heard"] == 0.75 and misheard["asr_reference_words_spoken"] == 1.0
    assert misheard["asr_reference_confidence"] == pytest.approx(0.65)
    assert exact["asr_reference_similarity"] > misheard["asr_reference_similarity"] > 0.75
    missing = calibration.recognition_features(word_transcript([("We", 0.9), ("call", 0.8)]), text)
    assert missing["asr_reference_words_spoken"] == 0.5
    silent = calibration.recognition_features(word_transcript([]), text)
    assert silent["asr_reference_words_spoken"] == 0.0 and silent["asr_word_error_rate"] == 1.0


def test_digits_whisper_writes_with_hyphens_count_as_the_words_read():
    # Whisper gives "2-8-9-1" as the words "2", "-8", "-9", "-1"
    heard = word_transcript([("2", 0.9), ("-8", 0.8), ("-9", 0.9), ("-1", 0.6)])
    features = calibration.recognition_features(heard, "TWO EIGHT NINE ONE")
    assert features["asr_reference_words_heard"] == 1.0
    assert features["asr_reference_confidence"] == pytest.approx(0.6)
    from trainer.speech.textnorm import normalize

    assert normalize("Call 555-0134, then 1-108.") == "call five five five zero one three four then one one zero eight"
    assert normalize("twenty-one") == "twenty one"


def test_alignment_features_read_the_pronunciation_evidence_through_its_types():
    from trainer.features.pronunciation import (
        THRESHOLDS,
        PhoneScore,
        ReadAloudEvidence,
        WordScore,
    )

    def word(index, text, start, phones):
        scored = [PhoneScore(p, s, e, g, -5.0, -4.0) for p, s, e, g in phones]
        return WordScore(
            index,
            text,
            "ok",
            start,
            scored[-1].end if scored else None,
            -1.0,
            -1.5,
            text,
            " ".join(p for p, *_ in phones) or None,
            "cmudict",
            scored,
        )

    record = ReadAloudEvidence(
        words=[
            word(0, "we", 0.5, [("W", 0.5, 0.6, -0.5), ("IY", 0.6, 0.8, -1.0)]),
            word(1, "call", 1.3, [("K", 1.3, 1.4, -2.0), ("AO", 1.4, 1.7, None), ("L", 1.7, 1.8, -3.0)]),
            WordScore(2, "it", "omitted", None, None, None, None, None, "IH T", "cmudict"),
        ],
        inserted=[],
        thresholds=THRESHOLDS,
        notes=[],
        aligned_seconds=2.0,
    )
    stored = json.loads(json.dumps(record.to_dict()))
    assert ReadAloudEvidence.from_dict(stored).to_dict() == stored  # a stored report reads back as it was
    features = calibration.alignment_features(record)
    assert calibration.alignment_features(stored) == features
    assert features["aligned_seconds_per_phone"] == pytest.approx(1.3 / 5)
    assert features["aligned_gap_share"] == pytest.approx(0.5 / 1.3)
    assert features["aligned_gaps_per_word"] == 0.5
    assert features["mean_vowel_seconds"] == pytest.approx(0.25)
    assert features["phone_gop_p10"] == pytest.approx(-2.7)
    assert calibration.alignment_features({}) == {}


def test_syllables_come_from_the_dictionary_then_the_spelling():
    assert calibration.syllable_count("elephants") == 3
    assert calibration.syllable_count("bear") == 1
    assert calibration.syllable_count("zorblaxify") >= 3  # not a word: vowel groups


# --------------------------------------------------------------------------- fitting


def _fitting():
    """bench/calibration_fit.py (bench/ is not a package: imported as bench/agreement.py is)."""
    if str(PROJECT_ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    import calibration_fit

    return calibration_fit


def fit_model(table, **kwargs) -> CalibrationModel:
    return _fitting().fit_model(table, **kwargs)


def _synthetic_table(seed: int = 7):
    """Six speakers; ``clear`` and ``pace`` drive every score, ``noise`` does not."""
    rng = np.random.default_rng(seed)
    rows, groups, ids = [], [], []
    targets = {d: [] for d in DIMENSIONS}
    for speaker in range(6):
        for k in range(15):
            clear, pace, noise = rng.normal(), rng.normal(), rng.normal()
            rows.append(
                {
                    "clear": 0.6 + 0.1 * clear,
                    "pace": 3.0 + 0.5 * pace,
                    "noise": noise,
                    "asr_reference_words_spoken": 1.0,
                }
            )
            groups.append(f"s{speaker}")
            ids.append(f"{speaker}-{k}")
            base = 7.5 + 1.0 * clear - 0.6 * pace + 0.3 * rng.normal()
            for d in DIMENSIONS:
                targets[d].append(10.0 if d == "completeness" else float(np.clip(base, 0, 10)))
    return _fitting().FeatureTable(ids, groups, rows, targets)


def test_fit_on_a_fixed_table_is_reproducible_and_finds_the_real_features():
    table = _synthetic_table()
    first = fit_model(table).to_dict()
    second = fit_model(_synthetic_table()).to_dict()
    assert first == second
    accuracy = first["dimensions"]["accuracy"]
    assert set(accuracy["features"]) == {"clear", "pace"}
    by_name = dict(zip(accuracy["features"], accuracy["coefficients"]))
    assert by_name["clear"] > 0 > by_name["pace"]
    assert accuracy["cv"]["pearson"] > 0.8
    assert first["dimensions"]["completeness"]["method"] == "direct"
    # a different sample of the same process gives a different (not hard-coded) model
    assert fit_model(_synthetic_table(seed=8)).to_dict()["dimensions"]["accuracy"] != accuracy


def test_closed_form_ridge_is_scikit_learns_ridge():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(3)
    z = rng.normal(size=(60, 4))
    y = z @ np.array([0.5, -1.0, 0.0, 2.0]) + 7 + rng.normal(size=60)
    fitting = _fitting()
    for alpha in fitting.ALPHAS:
        ours = fitting._ridge(z, y, alpha)
        theirs = Ridge(alpha=alpha).fit(z, y)
        assert np.allclose(ours.coef_, theirs.coef_) and math.isclose(ours.intercept_, theirs.intercept_)


def test_cross_validation_never_sees_a_speaker_in_training_and_held_out_folds():
    table = _synthetic_table()
    fitting = _fitting()
    for train, held_out in fitting._folds(table.groups, fitting.CV_FOLDS):
        assert not {table.groups[i] for i in train} & {table.groups[i] for i in held_out}


def test_test_rows_never_reach_the_fit(tmp_path):
    """The benchmark's training table holds train rows only: whatever the test rows measure
    or the experts gave them, the fitted model is the same."""
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    import agreement

    table = _synthetic_table()
    utterances, rows = [], {}
    for i, (uid, speaker, features) in enumerate(zip(table.ids, table.groups, table.rows)):
        split = "test" if speaker in ("s4", "s5") else "train"
        scores = {d: table.targets[d][i] for d in DIMENSIONS}
        utterances.append(agreement.Utterance(uid, split, speaker, 7, tmp_path / f"{uid}.wav", "X", scores))
        rows[uid] = features
    train_table = agreement.training_table(utterances, rows)
    assert set(train_table.ids) == {u.utt_id for u in utterances if u.split == "train"}
    fitted = fit_model(train_table).to_dict()

    spoiled_rows = dict(rows)
    for u in utterances:
        if u.split == "test":
            u.scores = {d: 10.0 - s for d, s in u.scores.items()}  # the opposite of the truth
            spoiled_rows[u.utt_id] = {k: -v for k, v in rows[u.utt_id].items()}
    assert fit_model(agreement.training_table(utterances, spoiled_rows)).to_dict() == fitted
    # while spoiling one train row does change it: the check above can fail
    first_train = next(u for u in utterances if u.split == "train")
    first_train.scores = {d: 0.0 for d in DIMENSIONS}
    assert fit_model(agreement.training_table(utterances, spoiled_rows)).to_dict() != fitted


def test_packaged_model_is_what_fitting_the_cached_train_rows_gives():
    """On a machine where bench/agreement.py has run (its cache holds every train reading the
    model was fitted on), refitting those rows reproduces the packaged file exactly."""
    packaged = default_model().to_dict()
    folder, _ = speechocean_rows(packaged["training"]["data"], "scores.tsv")
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    import agreement

    fitted_on = set(packaged["training"]["utt_ids"])
    utterances = [u for u in agreement.load_corpus(folder) if u.utt_id in fitted_on]
    assert len(utterances) == len(fitted_on) and all(u.split == "train" for u in utterances)
    cache = agreement.Cache(agreement.DEFAULT_CACHE)
    try:
        measured = agreement.measure_all(utterances, agreement.ReadOnlyCache(cache), quiet=True)
    except agreement.NotCached as missing:
        pytest.skip(f"the benchmark cache does not hold every train reading ({missing}); run bench/agreement.py first")
    rows = agreement.feature_rows(utterances, measured)
    table = agreement.training_table(utterances, rows)
    fitting = _fitting()
    if packaged.get("encoder"):
        try:
            source = packaged["encoder"].get("source", calibration.ENCODER_LAST_OUTPUT)
            states = agreement.encoder_states(utterances, measured, agreement.ReadOnlyCache(cache), source=source)
        except agreement.NotCached as missing:
            pytest.skip(f"the benchmark cache does not hold every train reading's encoder states ({missing})")
        readout, out_of_fold = fitting.fit_encoder_readout(
            np.array([states[uid] for uid in table.ids]),
            table.groups,
            table.targets,
            whisper_model=packaged["encoder"]["whisper_model"],
            pooling=packaged["encoder"]["pooling"],
            source=source,
        )
        stored = calibration.EncoderReadout.from_dict(packaged["encoder"])
        assert readout.cv == stored.cv and readout.source == stored.source
        train_states = np.array([states[uid] for uid in table.ids])
        refitted = readout.estimates(train_states)
        for d, values in stored.estimates(train_states).items():
            assert np.allclose(refitted[d], values, atol=1e-3)
        for i, uid in enumerate(table.ids):
            rows[uid].update(fitting.encoder_row_features(out_of_fold, i))
    refit = fit_model(
        table,
        training={k: packaged["training"][k] for k in ("data", "split", "recognition", "pronunciation", "command")},
        candidates=packaged["training"]["candidate_features"],
    )
    assert refit.to_dict()["dimensions"] == packaged["dimensions"]
    words = fitting.fit_word_model(agreement.word_table(utterances, measured))
    assert words.to_dict() == packaged["words"]


# --------------------------------------------------------------------------- real readings


@pytest.fixture(scope="module")
def pair():
    folder, rows = speechocean_rows("speechocean762-scored", "scores.tsv")
    by_id = {r["utt_id"]: r for r in rows}
    return {key: folder / by_id[key]["file"] for key in (GOOD_READING, POOR_READING)}


def _estimates(path, text):
    """The scoring pipeline's stages on one reading, then the packaged model."""
    from trainer.features.fluency import measure_fluency
    from trainer.speech.audio import load_audio
    from trainer.speech.encoder_states import transcribe_keeping_states

    audio = load_audio(path)
    transcript, kept = transcribe_keeping_states(audio, expected_text=text)  # as the scoring engine does
    measured = measure_fluency(transcript, audio)
    stages = {
        "fluency": (measured.features(), measured.evidence()),
        "audio": (calibration.audio_features(audio, text), {}),
    }
    try:
        from trainer.features import pronunciation
    except ImportError:
        pass
    else:
        result = pronunciation.assess_read_aloud(audio, text, transcript=transcript)
        stages["pronunciation"] = (result.features(), result.evidence())
    model = default_model()
    if model.encoder is not None:
        from trainer.scoring.stages import readout_states

        stages["encoder"] = (model.encoder.features(readout_states(model.encoder.source, audio, kept)), {})
    return model.predict(calibration.reading_features(transcript, text, stages))


@pytest.mark.slow
def test_a_clear_reading_scores_higher_than_a_poor_one_of_the_same_sentence(pair):
    good = _estimates(pair[GOOD_READING], PAIR_TEXT)
    poor = _estimates(pair[POOR_READING], PAIR_TEXT)
    # the estimates shrink toward the mean (ridge, r ~ 0.5): the experts' 3-4 points of
    # difference become about one point; a quarter of a grade is the least we accept
    for dimension in ("accuracy", "fluency", "prosodic", "total"):
        assert good[dimension].value > poor[dimension].value + 0.25, (
            dimension,
            good[dimension].evidence(),
            poor[dimension].evidence(),
        )


@pytest.mark.slow
def test_reading_the_wrong_sentence_scores_lower_than_reading_the_right_one(pair):
    right = _estimates(pair[GOOD_READING], PAIR_TEXT)
    wrong = _estimates(pair[GOOD_READING], OTHER_TEXT)
    assert wrong["accuracy"].value < right["accuracy"].value - 1.0
    assert wrong["completeness"].value < right["completeness"].value


@pytest.mark.slow
def test_the_scoring_engine_bands_a_reading_on_the_calibrated_estimates_with_their_terms(pair):
    pytest.importorskip("trainer.features.pronunciation")
    from trainer.scoring.engine import score_file

    report = score_file(pair[GOOD_READING], reference_text=PAIR_TEXT)
    assert report.scorable, report.reason
    expected = _estimates(pair[GOOD_READING], PAIR_TEXT)
    pronunciation = report.dimensions["pronunciation"]
    fluency = report.dimensions["fluency"]
    assert pronunciation.features["calibrated_accuracy"] == pytest.approx(expected["accuracy"].value, abs=0.01)
    assert fluency.features["calibrated_fluency"] == pytest.approx(expected["fluency"].value, abs=0.01)
    assert "calibrated_prosody" in fluency.features
    evidence = report.to_dict()["dimensions"]["pronunciation"]["evidence"]
    terms = evidence["calibration"]["accuracy"]["terms"]
    assert terms and all({"feature", "value", "coefficient", "contribution"} <= set(t) for t in terms)
    total = evidence["calibration"]["accuracy"]["intercept"] + sum(t["contribution"] for t in terms)
    if default_model().encoder is not None:  # the encoder's estimate is measured, not an average stand-in
        encoder_terms = [t for t in terms if t["feature"].startswith("encoder_estimate_")]
        assert encoder_terms and all(t["value"] is not None for t in encoder_terms)
        assert not evidence["calibration"]["accuracy"]["imputed"]
    assert min(max(total, 0), 10) == pytest.approx(pronunciation.features["calibrated_accuracy"], abs=0.01)
    # the band is the one the rubric gives the estimate, and the raw measures stay in the evidence
    assert [c.feature for c in pronunciation.band_checks if c.met is not None] == [
        "calibrated_accuracy",
        "completeness",
    ]
    assert "speech_rate_wpm" in fluency.features
    assert all(c.met is None for c in fluency.band_checks if c.feature == "speech_rate_wpm")
    # each word of the text carries how likely an expert marks it, and the label follows it
    words_model = default_model().words
    assert words_model is not None and evidence["word_marks"]["threshold"] == words_model.threshold
    words = evidence["words"]
    assert len(words) == len(PAIR_TEXT.split()) and all(0.0 <= w["expert_mark"] <= 1.0 for w in words)
    for word in words:
        if word["measured_label"] != "omitted":
            assert (word["label"] == "mispronounced") == (word["expert_mark"] >= words_model.threshold), word


# --------------------------------------------------------------------------- rubric banding


def test_scripted_answers_band_on_the_calibrated_estimates_with_a_continuous_score():
    from trainer.content import get_bank
    from trainer.scoring.engine import band_dimension

    rubric = get_bank().get_rubric("pronunciation")
    scores = []
    for value in (1.0, 2.4, 2.6, 4.0, 5.0, 6.0, 7.0, 8.0, 8.6, 9.5, 10.0):
        result = band_dimension(rubric, {"calibrated_accuracy": value, "completeness": 100.0}, "read_aloud", 0.55)
        expected_band = 5 if value >= 8.5 else 4 if value >= 6.5 else 3 if value >= 4.5 else 2 if value >= 2.5 else 1
        assert result.band == expected_band, value
        scores.append(result.score)
    assert scores == sorted(scores) and len(set(scores)) == len(scores)
    # unscripted answers ignore it and band on intelligibility
    free = band_dimension(rubric, {"calibrated_accuracy": 1.0, "intelligibility": 95.0}, "open_question", 0.2)
    assert free.band == 5

    fluency = get_bank().get_rubric("fluency")
    slow = {
        "speech_rate_wpm": 60.0,
        "long_pauses_per_minute": 20.0,
        "mean_length_of_run": 1.5,
        "calibrated_fluency": 9.2,
    }
    assert band_dimension(fluency, slow, "read_aloud", 0.45).band == 5
    assert band_dimension(fluency, slow, "open_question", 0.3).band == 1
    assert band_dimension(fluency, {**slow, "calibrated_fluency": 7.8}, "read_aloud", 0.45).band == 4
    assert band_dimension(fluency, {**slow, "calibrated_fluency": 6.0}, "read_aloud", 0.45).band == 3


# --------------------------------------------------------------------------- benchmark CLI


@pytest.mark.slow
def test_agreement_benchmark_runs_on_a_small_folder_and_writes_predictions(tmp_path):
    folder, rows = speechocean_rows("speechocean762-scored", "scores.tsv")
    chosen = [r for r in rows if r["split"] == "train"][:2] + [r for r in rows if r["split"] == "test"][:2]
    data = tmp_path / "scored"
    (data / "audio").mkdir(parents=True)
    for row in chosen:
        shutil.copyfile(folder / row["file"], data / row["file"])
    with (data / "scores.tsv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(chosen)
    ids = {r["utt_id"] for r in chosen}
    with (folder / "words.tsv").open() as source, (data / "words.tsv").open("w") as target:
        for i, line in enumerate(source):
            if i == 0 or line.split("\t", 1)[0] in ids:
                target.write(line)
    out = tmp_path / "predictions.tsv"
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "agreement.py"),
            "--data",
            str(data),
            "--out",
            str(out),
            "--cache",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    for dimension in ("accuracy", "fluency", "prosodic", "total"):
        assert f"\n{dimension} " in result.stdout
    assert "GOPT" in result.stdout and "Word level" in result.stdout
    with out.open() as handle:
        table = list(csv.DictReader(handle, delimiter="\t"))
    assert list(table[0]) == ["utt_id", "accuracy", "completeness", "fluency", "prosodic", "total"]
    assert [r["utt_id"] for r in table] == [r["utt_id"] for r in chosen]
    for row in table:
        assert all(0.0 <= float(row[d]) <= 10.0 for d in DIMENSIONS)
    # the second run reads everything from the cache
    again = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "agreement.py"),
            "--data",
            str(data),
            "--cache",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
    )
    assert again.returncode == 0 and "0 computed" in again.stderr, again.stderr


# --------------------------------------------------------------------------- uncertainty (issue 15)


def test_intervals_come_from_cross_validated_residuals_by_region_and_length():
    """The fit stores, per dimension, residual quantiles by region of the estimate and by
    length of the text; a short-text class where the experts scatter more gets the wider
    interval, and about 80 % of the cross-validated residuals fall inside."""
    rng = np.random.default_rng(15)
    n = 600
    estimates = rng.uniform(5, 9.5, n)
    syllables = rng.integers(2, 30, n).astype(float)
    noise = np.where(syllables < np.median(syllables), 1.5, 0.4)
    experts = estimates + rng.normal(0, 1, n) * noise
    table = _fitting().residual_intervals(estimates, experts, syllables)
    assert table["coverage"] == 0.8 and 0.75 <= table["cv_share_inside"] <= 0.85
    assert len(table["syllable_edges"]) == 1 and len(table["below"]) == 2
    short = [hi - lo for lo, hi in zip(table["below"][0], table["above"][0])]
    long = [hi - lo for lo, hi in zip(table["below"][1], table["above"][1])]
    assert min(short) > 2 * max(long)

    model = default_model()
    for name in ("accuracy", "fluency", "prosodic", "total"):
        dimension = model.dimensions[name]
        assert dimension.interval and dimension.interval["coverage"] == 0.8, name
        features = {f: m for f, m in zip(dimension.features, dimension.medians)}
        few = dimension.predict({**features, "reference_syllables": 3.0})
        many = dimension.predict({**features, "reference_syllables": 60.0})
        for estimate in (few, many):
            assert 0 <= estimate.low <= estimate.value <= estimate.high <= 10
            assert estimate.evidence()["interval"] == [round(estimate.low, 2), round(estimate.high, 2)]


@pytest.mark.slow
def test_a_read_aloud_answer_carries_an_interval_on_each_calibrated_score(read_aloud_report, sample_reports):
    """Real speech through the engine: the pronunciation and fluency scores of a read-aloud
    answer carry a 0-100 interval that holds the score (the rubric applied to the bounds of
    the calibrated estimate), the overall one from them, and both survive storage; a free
    answer's scores, not calibrated, carry none."""
    from trainer.content import get_bank
    from trainer.scoring.banding import band_dimension
    from trainer.scoring.report import Report

    _, _, report = read_aloud_report
    for name, feature, target in (
        ("pronunciation", "calibrated_accuracy", "accuracy"),
        ("fluency", "calibrated_fluency", "fluency"),
    ):
        dimension = report.dimensions[name]
        interval = dimension.interval
        assert interval is not None, name
        assert interval.low <= dimension.score <= interval.high and interval.low < interval.high, name
        bounds = dimension.details["calibration"][target]["interval"]
        assert bounds[0] <= dimension.features[feature] <= bounds[1]
        rubric = get_bank().get_rubric(name)
        assert interval.low == band_dimension(rubric, {**dimension.features, feature: bounds[0]}, "read_aloud", 0).score
        assert interval.words(dimension.score) == (
            f"{dimension.score:.0f}, likely between {interval.low:.0f} and {interval.high:.0f}"
        )
    overall = report.overall.interval
    assert overall is not None and overall.low <= report.overall.score <= overall.high
    again = Report.from_dict(report.to_dict())
    assert again.dimensions["pronunciation"].interval == report.dimensions["pronunciation"].interval
    assert again.overall.interval == overall

    _, _, free = sample_reports["listening"]
    assert all(d.interval is None for d in free.dimensions.values()) and free.overall.interval is None


@pytest.mark.slow
def test_an_interviews_interval_is_wide_after_one_reading_and_narrows_with_more(read_aloud_report):
    from trainer.data.interviews import interview_interval

    _, _, report = read_aloud_report
    data = report.to_dict()
    score = report.overall.score
    one = interview_interval(score, [(score, data)])
    assert (one.low, one.high) == (report.overall.interval.low, report.overall.interval.high)
    twenty = interview_interval(score, [(score, data)] * 20)
    # one person's readings share part of their error (measured on the train speakers), so
    # twenty readings narrow the interval less than independent errors would (1 / root 20)
    rho = report.overall.interval.correlation
    assert 0 < rho < 1 and twenty.correlation == rho
    assert twenty.width == pytest.approx(one.width * ((1 + 19 * rho) / 20) ** 0.5, abs=0.2)
    assert one.width / 20**0.5 < twenty.width < one.width
    # answers without an interval (a typed reply, an unscorable answer) add no width
    mixed = interview_interval(score, [(score, data), (score, None), (score, {"overall": None})])
    assert mixed.width == pytest.approx(one.width / 3, abs=0.2)
    assert interview_interval(score, [(score, None)]) is None


# --------------------------------------------------------------------------- encoder states (issue 15)


def _synthetic_states(seed: int = 3, dims: int = 40):
    """Readings whose expert score lies along one direction of their states, buried among
    larger directions that carry nothing (as speaker and channel do in real states)."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=dims)
    direction /= np.linalg.norm(direction)
    states, groups, scores = [], [], []
    for speaker in range(8):
        accent = rng.normal(size=dims)  # a speaker's own offset, unrelated to the score
        for _ in range(12):
            skill = rng.normal()
            states.append(accent + 1.5 * skill * direction + 0.3 * rng.normal(size=dims))
            groups.append(f"s{speaker}")
            scores.append(float(np.clip(7.0 + 1.2 * skill + 0.2 * rng.normal(), 0, 10)))
    targets = {d: scores for d in ("accuracy", "fluency", "prosodic", "total")}
    return np.array(states), groups, targets


def test_the_encoder_readout_learns_the_scored_direction_and_cross_validates_by_speaker():
    fitting = _fitting()
    states, groups, targets = _synthetic_states()
    readout, out_of_fold = fitting.fit_encoder_readout(states, groups, targets, whisper_model="m", pooling="p")
    assert readout.cv["pearson"]["accuracy"] > 0.7
    assert np.corrcoef(out_of_fold["accuracy"], targets["accuracy"])[0, 1] > 0.7
    # out-of-fold: an estimate never comes from a readout that saw its speaker's scores
    spoiled = {d: list(v) for d, v in targets.items()}
    held = [i for i, g in enumerate(groups) if g == "s0"]
    for i in held:
        for d in spoiled:
            spoiled[d][i] = 10.0 - spoiled[d][i]
    folds = fitting._folds(groups, fitting.CV_FOLDS)
    k, alpha = readout.cv["components"], readout.cv["alpha"]
    ys = {d: np.asarray(v) for d, v in targets.items()}
    again = fitting.encoder_out_of_fold(states, {d: np.asarray(v) for d, v in spoiled.items()}, folds, k, alpha)
    before = fitting.encoder_out_of_fold(states, ys, folds, k, alpha)
    assert np.allclose(again["accuracy"][held], before["accuracy"][held])
    assert not np.allclose(again["accuracy"], before["accuracy"])  # the other speakers' estimates moved
    # the packaged form gives the same estimates as the fit, and stays on the experts' scale
    restored = calibration.EncoderReadout.from_dict(json.loads(json.dumps(readout.to_dict())))
    fitted = fitting._readout_fit(states, ys, k, alpha)  # projection and ridge before collapsing
    for d, values in fitted.estimates(states).items():
        assert np.allclose(restored.estimates(states)[d], values, atol=1e-4)
    features = restored.features(states[0])
    assert set(features) == {f"encoder_estimate_{d}" for d in ("accuracy", "fluency", "prosodic", "total")}
    assert restored.features(states[0] * 1e6)["encoder_estimate_accuracy"] in (0.0, 10.0)
    better, worse = states[0] + 3 * np.linalg.svd(states - states.mean(0))[2][0], states[0]
    assert restored.features(better) != restored.features(worse)


def test_a_readout_kept_as_projection_and_ridge_reads_as_its_collapsed_weights():
    """The v6-v7 files keep the standardisation, the principal components and the ridge
    apart; loaded, they give the estimates those three steps give, and refuse states of
    another width."""
    rng = np.random.default_rng(11)
    means, scales = rng.normal(size=30), rng.uniform(0.5, 2.0, size=30)
    components = np.linalg.qr(rng.normal(size=(30, 4)))[0].T
    readouts = {"accuracy": {"coefficients": [0.4, -0.2, 0.1, 0.3], "intercept": 6.5}}
    stored = {
        "whisper_model": "m",
        "pooling": "p",
        "means": means.tolist(),
        "scales": scales.tolist(),
        "components": components.tolist(),
        "readouts": readouts,
    }
    readout = calibration.EncoderReadout.from_dict(stored)
    assert readout.source == calibration.ENCODER_LAST_OUTPUT and readout.width == 30
    states = means + rng.normal(size=(20, 30)) * scales
    expected = np.clip(((states - means) / scales) @ components.T @ [0.4, -0.2, 0.1, 0.3] + 6.5, 0, 10)
    assert np.allclose(readout.estimates(states)["accuracy"], expected)
    assert len(set(np.round(expected, 3))) > 10  # the readings differ, so the check can fail
    with pytest.raises(ValueError, match="30 pooled numbers"):
        readout.features(np.zeros(31))
    with pytest.raises(ValueError, match="source"):
        calibration.EncoderReadout.from_dict({**stored, "source": "the middle layer"})


def test_a_calibration_model_with_an_encoder_readout_round_trips(tmp_path):
    states, groups, targets = _synthetic_states()
    readout, _ = _fitting().fit_encoder_readout(states, groups, targets, whisper_model="m", pooling="p")
    model = default_model()
    with_encoder = CalibrationModel.from_dict({**model.to_dict(), "encoder": readout.to_dict()})
    path = tmp_path / "model.json"
    with_encoder.save(path)
    loaded = CalibrationModel.load(path)
    assert loaded.encoder is not None and loaded.encoder.to_dict() == readout.to_dict()
    assert CalibrationModel.load(path).to_dict() == with_encoder.to_dict()


def test_pooled_encoder_states_are_the_mean_and_spread_of_the_reading_frames(pair):
    """Real Whisper states of a real reading: the mean and the standard deviation of each of
    the encoder's 512 outputs over the frames the reading lasts (not the padding), and two
    readings of one sentence by different children differ."""
    from trainer.speech.audio import load_audio
    from trainer.speech.encoder_states import SECONDS_PER_FRAME, encoder_frames, pool_frames, pooled_encoder_states

    vectors = []
    for key in (GOOD_READING, POOR_READING):
        audio = load_audio(pair[key])
        frames = encoder_frames(audio)
        assert frames.shape == (1500, 512) and np.isfinite(frames).all()
        pooled = pooled_encoder_states(audio)
        assert pooled.shape == (1024,)
        reading = frames[: int(np.ceil(audio.duration / SECONDS_PER_FRAME))]
        assert len(reading) < len(frames)  # a short reading: the padding is left out
        assert np.allclose(pooled[:512], reading.mean(axis=0), atol=1e-5)
        assert np.allclose(pooled[512:], reading.std(axis=0), atol=1e-5)
        assert (pooled[512:] > 0).all()
        vectors.append(pooled)
    assert not np.allclose(vectors[0], vectors[1])
    # a reading shorter than one frame still gets a vector (of that frame)
    tiny = pool_frames(frames, 0.001)
    assert np.allclose(tiny[:512], frames[0]) and np.allclose(tiny[512:], 0)


def test_a_scripted_answer_keeps_the_encoder_states_of_its_own_transcription(pair):
    """The transcription's own encoder pass, pooled, so the calibration needs no second
    pass: the transcript is the same as without it, and the states read as a pass of their
    own does, within a few hundredths of a point."""
    from trainer.speech.asr import transcribe
    from trainer.speech.audio import load_audio
    from trainer.speech.encoder_states import pooled_encoder_states, transcribe_keeping_states

    audio = load_audio(pair[GOOD_READING])
    transcript, kept = transcribe_keeping_states(audio, expected_text=PAIR_TEXT)
    assert transcript.to_dict() | {"processing_seconds": 0} == transcribe(audio, expected_text=PAIR_TEXT).to_dict() | {
        "processing_seconds": 0
    }
    assert kept is not None and kept.shape == (1024,)
    own = pooled_encoder_states(audio)
    # the same window, but faster-whisper leaves out its last mel frame
    assert not np.array_equal(kept, own)
    assert np.corrcoef(kept, own)[0, 1] > 0.999
    readout = default_model().encoder
    assert readout is not None and readout.source == calibration.ENCODER_LAST_OUTPUT
    from_kept, from_own = readout.features(kept), readout.features(own)
    assert max(abs(from_kept[k] - from_own[k]) for k in from_kept) < 0.1  # points on the experts' 0-10
    _, none = transcribe_keeping_states(audio, engine="sphinx")
    assert none is None  # no Whisper pass to keep


def _with_readout(
    model: CalibrationModel, whisper_model: str, source: str = calibration.ENCODER_LAST_OUTPUT
) -> CalibrationModel:
    """``model`` whose accuracy also reads a readout of the real encoder's pooled states
    (512 means and 512 spreads of the last output, or of each of its 7 layer outputs)."""
    rng = np.random.default_rng(5)
    width = 1024 if source == calibration.ENCODER_LAST_OUTPUT else 7 * 1024
    readout = calibration.EncoderReadout.linear(
        means=[0.0] * width,
        scales=[1.0] * width,
        components=rng.normal(size=(2, width)).tolist(),
        readouts={
            d: {"coefficients": [0.01, -0.01], "intercept": 6.0} for d in ("accuracy", "fluency", "prosodic", "total")
        },
        whisper_model=whisper_model,
        pooling="test",
        source=source,
    )
    data = model.to_dict()
    accuracy = data["dimensions"]["accuracy"]
    for key, value in (("features", "encoder_estimate_accuracy"), ("means", 6.0), ("scales", 1.0),
                       ("coefficients", 0.5), ("lower", 0.0), ("upper", 10.0), ("medians", 6.0)):  # fmt: skip
        accuracy[key] = [*accuracy[key], value]
    return CalibrationModel.from_dict({**data, "encoder": readout.to_dict()})


def test_the_calibration_stage_reads_the_encoder_of_the_model_it_was_fitted_with(pair, monkeypatch):
    """The stage pools the real encoder states of the reading into the readout's feature, and
    leaves them out, saying why, when the answer was transcribed by another model."""
    pytest.importorskip("trainer.features.pronunciation")
    from trainer.scoring.engine import score_file
    from trainer.speech.audio import load_audio
    from trainer.speech.encoder_states import model_fingerprint, pooled_encoder_states, transcribe_keeping_states

    audio = load_audio(pair[GOOD_READING])
    _, kept = transcribe_keeping_states(audio, expected_text=PAIR_TEXT)  # as the engine transcribes it
    assert kept is not None
    model = _with_readout(default_model(), model_fingerprint())
    monkeypatch.setattr(calibration, "default_model", lambda: model)
    report = score_file(pair[GOOD_READING], reference_text=PAIR_TEXT)
    terms = report.to_dict()["dimensions"]["pronunciation"]["evidence"]["calibration"]["accuracy"]["terms"]
    encoder = next(t for t in terms if t["feature"] == "encoder_estimate_accuracy")
    assert model.encoder is not None
    # the transcription's own encoder pass, kept with its transcript
    expected = model.encoder.features(kept)["encoder_estimate_accuracy"]
    assert encoder["value"] == pytest.approx(expected, abs=1e-3)
    # ... which reads as a pass of its own would, within a few hundredths of a point
    own_pass = model.encoder.features(pooled_encoder_states(audio))["encoder_estimate_accuracy"]
    assert encoder["value"] == pytest.approx(own_pass, abs=0.05)
    assert not any("encoder" in w for w in report.warnings)

    other = _with_readout(default_model(), "another-whisper")
    monkeypatch.setattr(calibration, "default_model", lambda: other)
    report = score_file(pair[GOOD_READING], reference_text=PAIR_TEXT)
    terms = report.to_dict()["dimensions"]["pronunciation"]["evidence"]["calibration"]["accuracy"]["terms"]
    assert next(t for t in terms if t["feature"] == "encoder_estimate_accuracy")["value"] is None
    assert any("another-whisper" in w and "not used" in w for w in report.warnings)

    # the encoder failing on an answer costs that term, never the score
    from trainer.speech import encoder_states

    def broken(*args, **kwargs):
        raise RuntimeError("the model could not be loaded")

    # pooling fails in the transcription (which keeps no states) and in the stage's own pass
    monkeypatch.setattr(calibration, "default_model", lambda: model)
    monkeypatch.setattr(encoder_states, "pool_frames", broken)
    report = score_file(pair[GOOD_READING], reference_text=PAIR_TEXT)
    assert report.scorable and "pronunciation" in report.dimensions
    terms = report.to_dict()["dimensions"]["pronunciation"]["evidence"]["calibration"]["accuracy"]["terms"]
    assert next(t for t in terms if t["feature"] == "encoder_estimate_accuracy")["value"] is None
    assert any("could not be computed" in w and "could not be loaded" in w for w in report.warnings)


def test_a_readout_of_every_layer_reads_the_layers_of_the_answer_itself(pair, monkeypatch):
    """A readout fitted on every encoder layer gets its feature from the numpy pass over the
    reading's own frames (trainer.speech.encoder_layers), not from the transcription's last
    output; the layers of a good and a poor reading of one sentence differ."""
    pytest.importorskip("trainer.features.pronunciation")
    from trainer.scoring.engine import score_file
    from trainer.speech.audio import load_audio
    from trainer.speech.encoder_layers import pooled_layer_states
    from trainer.speech.encoder_states import model_fingerprint

    model = _with_readout(default_model(), model_fingerprint(), calibration.ENCODER_EVERY_LAYER)
    assert model.encoder is not None and model.encoder.width == 7 * 1024
    monkeypatch.setattr(calibration, "default_model", lambda: model)
    report = score_file(pair[GOOD_READING], reference_text=PAIR_TEXT)
    terms = report.to_dict()["dimensions"]["pronunciation"]["evidence"]["calibration"]["accuracy"]["terms"]
    value = next(t for t in terms if t["feature"] == "encoder_estimate_accuracy")["value"]
    good = pooled_layer_states(load_audio(pair[GOOD_READING]))
    assert value == pytest.approx(model.encoder.features(good)["encoder_estimate_accuracy"], abs=1e-3)
    assert not any("encoder" in w for w in report.warnings)
    poor = pooled_layer_states(load_audio(pair[POOR_READING]))
    assert model.encoder.features(good) != model.encoder.features(poor)
