"""Caller voices through pyttsx3 on espeak-ng."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from trainer.speech import tts


def duration(path: Path) -> float:
    info = sf.info(str(path))
    return info.frames / info.samplerate


def test_one_file_per_synthesis_none_lost(tmp_path):
    """pyttsx3 2.99 overwrites the first file when two saves share a runAndWait;
    each synthesis here runs alone, so both files exist with their own length."""
    preset = tts.VOICE_PRESETS["calm_female"]
    short, long = tmp_path / "short.wav", tmp_path / "long.wav"
    tts._synthesise_to(short, "Hello there.", preset)
    tts._synthesise_to(long, "Thank you for calling, your order will arrive on Friday afternoon.", preset)
    assert short.is_file() and long.is_file()
    assert duration(long) > 2 * duration(short)
    again = tmp_path / "again.wav"
    tts._synthesise_to(again, "Hello there.", preset)
    assert abs(duration(again) - duration(short)) < 0.05  # complete, not cut short


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    from trainer.config import get_settings

    monkeypatch.setenv("TRAINER_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_concurrent_syntheses_each_get_their_own_complete_file(empty_cache):
    """Pages and scripts may ask for several lines at once (threads); each one is
    synthesised alone, so no request receives another's audio or a truncated file."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        "Yes.",
        "I would like to cancel my subscription, effective from the end of this month.",
        "Hello, is anyone there?",
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        paths = list(pool.map(lambda t: tts.synthesize(t, "brisk_female"), texts))
    assert len(set(paths)) == 3
    lengths = [duration(p) for p in paths]
    assert lengths[0] < lengths[2] < lengths[1]
    for text, path in zip(texts, paths):
        fresh = empty_cache / "fresh.wav"
        tts._synthesise_to(fresh, text, tts.VOICE_PRESETS["brisk_female"])
        # another text's audio or a cut file would be off by a second or more; under a
        # loaded full run one "Yes." came out 0.08 s longer than alone
        assert abs(duration(fresh) - duration(path)) < 0.15
        fresh.unlink()


def test_presets_sound_different():
    text = "I have been waiting for my package for two weeks now."
    fast = duration(tts.synthesize(text, "brisk_male"))
    slow = duration(tts.synthesize(text, "elderly_male"))
    assert slow > 1.25 * fast
    a, _ = sf.read(tts.synthesize(text, "calm_female"))
    b, _ = sf.read(tts.synthesize(text, "calm_male"))
    assert a.shape != b.shape or not np.allclose(a, b)


def test_cache_returns_the_same_file_without_synthesising(monkeypatch):
    first = tts.synthesize("Your ticket number is four five two.", "young_female")
    monkeypatch.setattr(tts, "_synthesise_to", lambda *a: pytest.fail("synthesised again"))
    assert tts.synthesize("Your ticket number is four five two.", "young_female") == first


def test_telephone_line_is_8k_and_band_limited():
    path = tts.synthesize("Hello, can you hear me? I am calling about my bill.", "irate_female", telephone=True)
    samples, rate = sf.read(path, dtype="float32")
    assert rate == 8000
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    in_band = spectrum[(freqs > 400) & (freqs < 3300)].sum()
    low = spectrum[freqs < 150].sum()
    assert low < 0.01 * in_band
    # not silent: the line carries the voice, well above the added noise
    assert np.sqrt(np.mean(samples**2)) > 0.02


def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="Unknown voice"):
        tts.synthesize("Hello", "robot")
    with pytest.raises(ValueError, match="empty"):
        tts.synthesize("   ")
