"""Recognition with the bundled models (no network): espeak-ng speech and real non-native speech."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from trainer import asr
from trainer.audio import load_audio
from trainer.textnorm import normalize, word_error_rate
from tests.conftest import speechocean_rows

pytestmark = pytest.mark.slow

SENTENCE = "Your refund of forty five dollars will be credited within five business days."


def check_word_times(transcript, duration):
    assert transcript.words, "no words recognised"
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    for word in transcript.words:
        assert 0.0 <= word.start <= word.end <= duration + 0.05
        assert 0.0 <= word.probability <= 1.0


def test_whisper_recognises_generated_speech(spoken):
    _, audio = spoken(SENTENCE, "calm_male")
    transcript = asr.transcribe(audio, "whisper")
    heard = set(normalize(transcript.text).split())
    assert {"refund", "forty", "five", "dollars", "credited", "business", "days"} <= heard
    check_word_times(transcript, audio.duration)
    assert transcript.engine == "whisper" and "bundled" in transcript.model
    assert word_error_rate([SENTENCE], [transcript.text]) < 0.2


def test_whisper_keeps_fillers(spoken):
    _, audio = spoken("Um, I think the, uh, the package was delivered to the wrong address.", "calm_female")
    words = normalize(asr.transcribe(audio).text).split()
    assert sum(w in {"um", "umm", "uh", "uhm"} for w in words) >= 2


def test_whisper_model_is_loaded_once(spoken):
    _, audio = spoken("Please hold for a moment.")
    first = asr.get_whisper_model()
    asr.transcribe(audio)
    assert asr.get_whisper_model() is first


def test_same_audio_gives_the_same_transcript(spoken):
    _, audio = spoken("May I have your account number, please?", "young_female")
    one, two = asr.transcribe(audio), asr.transcribe(audio)
    assert one.text == two.text and one.words == two.words


def test_sphinx_gives_timed_words(spoken):
    _, audio = spoken("Please hold the line while I check your account.", "elderly_male")
    transcript = asr.transcribe(audio, "sphinx")
    assert transcript.engine == "sphinx"
    check_word_times(transcript, audio.duration)
    assert asr.get_sphinx_decoder() is asr.get_sphinx_decoder()


def test_both_tiny_and_base_models_are_bundled():
    for name in asr.BUNDLED_MODELS:
        folder = asr.bundled_model_path(name)
        assert (folder / "model.bin").stat().st_size > 50_000_000
        assert (folder / "config.json").is_file()


def test_unknown_engine_is_refused(spoken):
    _, audio = spoken("Hello.")
    with pytest.raises(ValueError, match="Unknown recognition engine"):
        asr.transcribe(audio, "cloud")


def test_real_non_native_speech():
    folder, rows = speechocean_rows("speechocean762-dev", "utterances.tsv")
    adults = [r for r in rows if int(r["age"]) >= 18][:4]
    references, hypotheses = [], []
    for row in adults:
        audio = load_audio(folder / row["file"])
        transcript = asr.transcribe(audio)
        check_word_times(transcript, audio.duration)
        references.append(row["text"])
        hypotheses.append(transcript.text)
    assert word_error_rate(references, hypotheses) < 0.5, list(zip(references, hypotheses))


def test_cli_transcribes_several_files_as_json_lines(spoken, tmp_path):
    good, _ = spoken("Thank you for waiting.")
    other, _ = spoken("Is there anything else I can help you with?", "brisk_male")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio at all" * 100)
    result = subprocess.run(
        [sys.executable, "-m", "trainer.cli", "transcribe", str(good), str(other), str(broken), "--json"],
        capture_output=True, text=True, timeout=300,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1  # one file could not be read
    assert [line["file"] for line in lines] == [str(good), str(other), str(broken)]
    for line in lines[:2]:
        assert {"text", "words", "engine", "model", "processing_seconds"} <= set(line)
        assert line["words"] and {"text", "start", "end", "probability"} <= set(line["words"][0])
    assert "waiting" in lines[0]["text"].lower()
    assert lines[2]["error"] == "unreadable"
