"""Audio intake: every supported format decodes to 16 kHz mono; every bad input has its own error."""

from __future__ import annotations

import io
import os

import av
import numpy as np
import pytest
import soundfile as sf

from tests.helpers.audio import wav_bytes
from trainer.config import get_settings
from trainer.speech import audio as audio_mod
from trainer.speech.audio import (
    AudioFileTooLargeError,
    AudioTooLongError,
    AudioTooShortError,
    EmptyAudioError,
    NoSpeechError,
    UnreadableAudioError,
    load_audio,
)

SENTENCE = "Thank you for calling, my name is Anna. How may I help you today?"


@pytest.fixture(scope="module")
def speech(spoken):
    path, audio = spoken(SENTENCE)
    samples, rate = sf.read(path, dtype="float32")
    return samples, rate, audio.duration


def encode(
    samples: np.ndarray, rate: int, container: str, codec: str, channels: int = 1, out_rate: int | None = None
) -> bytes:
    """Encode with FFmpeg (PyAV) the way a browser or phone would send it."""
    out_rate = out_rate or rate
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=out_rate)
        stream.layout = "stereo" if channels == 2 else "mono"
        data = np.tile(samples, (channels, 1)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=stream.layout.name)
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.format.name, layout=stream.layout.name, rate=out_rate)
        for chunk in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "container,codec,channels,out_rate",
    [
        ("ogg", "libopus", 1, 48000),
        ("webm", "libopus", 2, 48000),
        ("mp3", "libmp3lame", 2, 44100),
        ("mp4", "aac", 1, 44100),  # what .m4a files hold
        ("flac", "flac", 2, 22050),
    ],
)
def test_compressed_formats_decode_to_16k_mono(speech, container, codec, channels, out_rate):
    samples, rate, duration = speech
    data = encode(samples, rate, container, codec, channels, out_rate)
    result = load_audio(data)
    assert result.sample_rate == 16000
    assert result.samples.ndim == 1 and result.samples.dtype == np.float32
    assert result.original_channels == channels
    assert result.original_sample_rate == out_rate
    # codecs add a few ms of priming; the speech itself must be all there
    assert abs(result.duration - duration) < 0.15
    assert result.speech_seconds > 0.6 * duration


@pytest.mark.parametrize(
    "container,codec,extension",
    [
        ("ogg", "libopus", "ogg"),
        ("webm", "libopus", "webm"),
        ("matroska", "libopus", "webm"),
        ("mp3", "libmp3lame", "mp3"),
        ("mp4", "aac", "m4a"),
        ("mov", "aac", "m4a"),
        ("adts", "aac", "mp3"),
        ("flac", "flac", "flac"),
    ],
)
def test_a_recording_is_stored_under_the_extension_of_its_content(speech, container, codec, extension):
    from trainer.data.recordings import _sniff_extension

    samples, rate, _ = speech
    data = encode(samples, rate, container, codec, 1, 48000 if codec == "libopus" else 44100)
    assert _sniff_extension(data, "answer.wav") == extension  # the content wins over the name


def test_stored_extension_of_wav_headerless_mp3_and_unknown_files(speech):
    from trainer.data.recordings import _sniff_extension

    samples, rate, _ = speech
    assert _sniff_extension(wav_bytes(samples, rate), None) == "wav"
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="MP3")  # no ID3 tag: MPEG frames from the start
    assert _sniff_extension(buffer.getvalue(), None) == "mp3"
    for unknown in (b"", np.random.default_rng(0).bytes(2000), b"\x89PNG\r\n\x1a\n" + bytes(200)):
        assert _sniff_extension(unknown, None) == "bin"
        assert _sniff_extension(unknown, "Answer.M4A") == "m4a"  # an audio name is kept
        assert _sniff_extension(unknown, "answer.exe") == "bin"


@pytest.mark.parametrize(
    "subtype,rate,channels", [("PCM_16", 16000, 1), ("PCM_24", 44100, 2), ("PCM_U8", 8000, 1), ("FLOAT", 48000, 2)]
)
def test_wav_of_any_rate_width_and_channels(speech, tmp_path, subtype, rate, channels):
    samples, source_rate, duration = speech
    resampled = audio_mod.from_array(samples, source_rate).samples
    # 16 kHz -> target rate by PyAV, then written in the requested width
    target = resampled if rate == 16000 else _resample(resampled, 16000, rate)
    data = np.stack([target] * channels, axis=1) if channels == 2 else target
    path = tmp_path / "answer.wav"
    sf.write(path, data, rate, subtype=subtype)
    result = load_audio(path)
    assert result.original_sample_rate == rate and result.original_channels == channels
    assert abs(result.duration - duration) < 0.1
    # same signal after the round trip: strongly correlated with the 16 kHz original
    n = min(result.samples.size, resampled.size)
    corr = np.corrcoef(result.samples[:n], resampled[:n])[0, 1]
    assert corr > (0.8 if subtype == "PCM_U8" else 0.95)


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame) + resampler.resample(None)]
    return np.concatenate(parts)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioError) as error:
        load_audio(path)
    assert "microphone" in error.value.user_message


def test_wav_with_no_samples(tmp_path):
    path = tmp_path / "nothing.wav"
    sf.write(path, np.zeros(0, np.float32), 16000)
    with pytest.raises(EmptyAudioError):
        load_audio(path)


def test_too_short(speech):
    samples, rate, _ = speech
    clip = samples[: int(0.3 * rate)]
    with pytest.raises(AudioTooShortError) as error:
        load_audio(wav_bytes(clip, rate))
    assert "0.3 s" in str(error.value)


def test_too_long_against_the_configured_limit(speech, monkeypatch):
    samples, rate, duration = speech
    monkeypatch.setenv("TRAINER_MAX_AUDIO_SECONDS", str(int(duration) - 1))
    get_settings.cache_clear()
    try:
        with pytest.raises(AudioTooLongError) as error:
            load_audio(wav_bytes(samples, rate))
        assert "longer than" in str(error.value)
    finally:
        monkeypatch.delenv("TRAINER_MAX_AUDIO_SECONDS")
        get_settings.cache_clear()


def test_default_limit_is_three_minutes():
    assert get_settings().max_audio_seconds == 180


def test_huge_file_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINER_MAX_UPLOAD_MEGABYTES", "1")
    get_settings.cache_clear()
    try:
        path = tmp_path / "huge.wav"
        sf.write(path, np.zeros(16000 * 40, np.float32), 16000, subtype="PCM_16")  # 1.28 MB
        with pytest.raises(AudioFileTooLargeError):
            load_audio(path)
        with pytest.raises(AudioFileTooLargeError):
            load_audio(path.read_bytes())
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "payload", [os.urandom(5000), b"This is a text file, not audio.\n" * 50, b"RIFF\x10\x00\x00\x00WAVEfmt "]
)
def test_corrupt_or_unsupported(payload):
    with pytest.raises(UnreadableAudioError) as error:
        load_audio(payload)
    assert "WAV, FLAC" in error.value.user_message


def test_image_file_is_not_audio(tmp_path):
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="image2pipe") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 8, 8, "rgb24"
        frame = av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            out.mux(packet)
    with pytest.raises(UnreadableAudioError):
        load_audio(buffer.getvalue())


def test_silence_has_no_speech():
    with pytest.raises(NoSpeechError) as error:
        load_audio(wav_bytes(np.zeros(16000 * 3, np.float32)))
    assert "speech" in str(error.value)


def test_noise_has_no_speech():
    rng = np.random.default_rng(7)
    with pytest.raises(NoSpeechError):
        load_audio(wav_bytes(rng.normal(0, 0.1, 16000 * 3).astype(np.float32)))


def test_clipping_is_a_warning_not_an_error(speech):
    samples, rate, _ = speech
    loud = np.clip(samples * 12, -1, 1)
    result = load_audio(wav_bytes(loud, rate))
    assert [w.code for w in result.warnings] == ["clipping"]
    assert load_audio(wav_bytes(samples, rate)).warnings == []


def test_each_error_has_its_own_type_and_code():
    classes = [
        EmptyAudioError,
        AudioTooShortError,
        AudioTooLongError,
        AudioFileTooLargeError,
        UnreadableAudioError,
        NoSpeechError,
    ]
    assert len({c.code for c in classes}) == len(classes)
    assert all(issubclass(c, audio_mod.AudioError) for c in classes)
