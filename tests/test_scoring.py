"""The scoring engine end to end: real espeak-ng speech, real recognition, the real
LanguageTool server, the rubrics in lessons/."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from trainer.config import get_settings
from trainer.content import get_bank
from trainer.scoring import engine as scoring
from trainer.speech.audio import from_array, load_audio
from trainer.speech.textnorm import normalize
from trainer.speech.tts import synthesize

pytestmark = pytest.mark.slow

GOOD_ANSWER = (
    "I want to work in a call center because I enjoy helping people solve their problems. "
    "In my last job I answered customer questions every day, and I learned to stay calm "
    "and polite even when a customer was upset."
)
# Whisper smooths many learner errors away ("I work" -> "I worked"); agreement errors such
# as "she don't" survive it, so the weak answer carries those.
WEAK_PHRASES = [
    "um I want",
    "work in a call center",
    "because uh",
    "my sister don't like",
    "her job now",
    "and she say",
    "the customers is always angry",
]


def pausy_answer(phrases: list[str], pause_seconds: float, voice: str = "elderly_male"):
    """Phrases synthesised one by one and joined with real silences."""
    pieces = []
    for phrase in phrases:
        samples, rate = sf.read(synthesize(phrase, voice), dtype="float32")
        pieces.append(from_array(samples, rate).samples)
        pieces.append(np.zeros(int(pause_seconds * 16000), np.float32))
    return from_array(np.concatenate(pieces))


@pytest.fixture(scope="module")
def good_and_weak():
    good = scoring.score(load_audio(synthesize(GOOD_ANSWER, "calm_female")), "task.open_question.001")
    weak = scoring.score(pausy_answer(WEAK_PHRASES, 1.4), "task.open_question.001")
    return good, weak


def test_open_answer_report_has_every_dimension_with_evidence(good_and_weak):
    good, _ = good_and_weak
    assert good.scorable, good.reason
    assert set(good.dimensions) == {"fluency", "grammar", "vocabulary", "pronunciation"}
    for dimension in good.dimensions.values():
        assert 0 <= dimension.score <= 100 and 1 <= dimension.band <= 5
        assert dimension.features and dimension.descriptor
        # every threshold that decided the band is shown with the measured value
        for check in dimension.band_checks:
            assert check.met in (True, None)
            if check.met:
                assert check.value is not None
    assert good.overall.level in {"A1", "A2", "B1", "B2", "C1", "C2"}
    assert good.overall.verdict in {"ready", "not yet"}


def test_weak_answer_scores_lower_where_it_is_weaker(good_and_weak):
    good, weak = good_and_weak
    assert weak.scorable, weak.reason
    assert weak.overall.score < good.overall.score
    assert weak.dimensions["fluency"].score < good.dimensions["fluency"].score
    assert weak.dimensions["grammar"].score <= good.dimensions["grammar"].score
    errors = weak.dimensions["grammar"].details["errors"]
    assert errors and all(e["rule_id"] for e in errors)
    assert weak.dimensions["fluency"].features["long_pauses_per_minute"] > 0


def test_read_aloud_task_from_the_bank():
    task = get_bank().get_task("task.read_aloud.001")
    # espeak-ng's male voices sit far from the acoustic model's speakers; this one is closer
    report = scoring.score(load_audio(synthesize(task.text, "young_female")), task)
    assert report.scorable, report.reason
    assert set(report.dimensions) == {"pronunciation", "fluency"}
    pronunciation = report.dimensions["pronunciation"]
    assert pronunciation.features["completeness"] > 80
    assert 0 <= pronunciation.features["pronunciation_accuracy"] <= 100
    words = pronunciation.evidence["words"]
    assert [w["word"] for w in words] == normalize(task.text).split()
    assert {w["label"] for w in words} <= {"ok", "unclear", "mispronounced", "omitted"}
    assert sum(w["label"] == "ok" for w in words) > len(words) / 2
    assert pronunciation.evidence["thresholds"]["ok_gop"] < 0


def test_reading_something_else_is_not_scored_as_the_text():
    task = get_bank().get_task("task.read_aloud.001")
    other = "My favourite food is chicken adobo with rice and I cook it every weekend for my family."
    report = scoring.score(load_audio(synthesize(other, "calm_male")), task)
    assert not report.scorable and report.reason_code == "off_topic"
    assert "text" in report.reason


def test_too_few_words_is_not_scorable():
    report = scoring.score(load_audio(synthesize("Yes.", "calm_female"), min_seconds=0.3))
    assert not report.scorable and report.reason_code == "too_short"


def test_non_english_answer_is_not_scorable(tmp_path):
    path = tmp_path / "spanish.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            "es",
            "-w",
            str(path),
            "Buenos días, quisiera hablar con alguien sobre mi factura porque me cobraron dos veces.",
        ],
        check=True,
    )
    report = scoring.score(load_audio(path))
    assert not report.scorable and report.reason_code == "not_english"


def test_silence_is_not_scorable_with_a_clear_reason(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(16000 * 3, np.float32), 16000)
    report = scoring.score_file(path, "task.open_question.001")
    assert not report.scorable and report.reason_code == "no_speech"
    assert "microphone" in report.reason


def test_dead_grammar_server_leaves_the_other_scores(monkeypatch):
    from trainer.features import grammar

    monkeypatch.setenv("TRAINER_LANGUAGETOOL_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr(grammar, "_server", None)  # the shared server is chosen once per process
    get_settings.cache_clear()
    try:
        report = scoring.score(load_audio(synthesize(GOOD_ANSWER, "calm_female")), "task.open_question.001")
    finally:
        monkeypatch.delenv("TRAINER_LANGUAGETOOL_URL")
        get_settings.cache_clear()
    assert report.scorable
    assert "grammar" not in report.dimensions
    assert "unavailable" in report.unavailable["grammar"]
    assert {"fluency", "vocabulary", "pronunciation"} <= set(report.dimensions)
    assert any("grammar" in w for w in report.warnings)


def test_same_recording_same_report():
    audio = load_audio(synthesize(GOOD_ANSWER, "young_female"))
    one = scoring.score(audio, "task.open_question.001").to_dict()
    two = scoring.score(audio, "task.open_question.001").to_dict()
    one.pop("stage_seconds"), two.pop("stage_seconds")
    one["transcript"].pop("processing_seconds"), two["transcript"].pop("processing_seconds")
    assert one == two


def test_typed_chat_reply():
    task = get_bank().get_task("task.chat_reply.001")
    good = scoring.score_text(task.sample_reply, task)
    poor = scoring.score_text("ok we check it later maybe it come tomorow", task)
    assert good.scorable and poor.scorable
    assert good.dimensions["call_handling"].score > poor.dimensions["call_handling"].score
    assert good.overall.score > poor.overall.score


def test_cli_score_json(tmp_path):
    # 30 words or more: a shorter answer is too short to judge vocabulary (issue 16)
    path = synthesize(
        "Yesterday I call the customer and he are very angry about his bill. I explained that the "
        "payment arrived late, and I offered to send a new invoice today so he can check every charge.",
        "calm_male",
    )
    result = subprocess.run(
        [sys.executable, "-m", "trainer.cli", "score", str(path), "--json"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"score", "level", "verdict"} <= set(report["overall"])
    for name in ("grammar", "fluency", "vocabulary", "pronunciation"):
        dimension = report["dimensions"][name]
        assert 0 <= dimension["score"] <= 100 and 1 <= dimension["band"] <= 5
        assert dimension["evidence"]["features"]
    rule_ids = {e["rule_id"] for e in report["dimensions"]["grammar"]["evidence"]["errors"]}
    assert rule_ids, "the grammar mistakes were not reported"


def test_cli_score_reference_text_and_bad_file(tmp_path):
    text = "Please hold while I check the status of your order."
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "trainer.cli",
            "score",
            str(synthesize(text, "calm_female")),
            "--reference-text",
            text,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["dimensions"]["pronunciation"]["evidence"]["features"]["completeness"] > 80
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"\x00" * 2000)
    failed = subprocess.run(
        [sys.executable, "-m", "trainer.cli", "score", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert failed.returncode == 1 and "Not scorable" in failed.stdout


def test_rubric_feature_registry_names_what_the_stages_measure():
    """content.FEATURES lets rubric files be validated without the speech stack; it must
    list exactly the names the stages produce, or a rubric threshold would never be met."""
    from trainer.content import FEATURES
    from trainer.features import fluency, vocabulary
    from trainer.scoring import calibration, stages

    calibrated = {
        dimension: {calibration.RUBRIC_FEATURES[t] for t in targets} for dimension, targets in stages.CALIBRATED.items()
    }
    assert set(FEATURES["fluency"]) == set(fluency.FEATURE_NAMES) | calibrated["fluency"]
    assert set(FEATURES["vocabulary"]) == set(vocabulary.FEATURE_NAMES)
    assert calibrated["pronunciation"] <= set(FEATURES["pronunciation"])
