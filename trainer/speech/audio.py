"""Audio intake: decode what applicants send, normalise it, and say clearly what is wrong.

Every format goes through PyAV (FFmpeg), which faster-whisper already depends on:
WAV at any rate/width/channels, FLAC, OGG/Opus, WebM, MP3, M4A. The result is
16 kHz mono float32 in [-1, 1], the input every later stage expects.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from trainer.config import get_settings
from trainer.speech.vad import SAMPLE_RATE, speech_seconds, speech_segments

AudioSource = str | Path | bytes | bytearray | BinaryIO

# Share of samples at full scale above which a recording counts as heavily clipped.
CLIPPING_LEVEL = 0.985
CLIPPING_SHARE = 0.005
# Less speech than this (seconds) after VAD means nobody really spoke.
MIN_SPEECH_SECONDS = 0.25


class AudioError(Exception):
    """A recording we cannot assess. ``str(error)`` is written for the applicant."""

    code = "audio_error"
    advice = "Please record your answer again."

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    @property
    def user_message(self) -> str:
        return f"{self.message} {self.advice}"


class EmptyAudioError(AudioError):
    code = "empty"
    advice = "Check that your microphone is connected and allowed in the browser, then record again."


class AudioTooShortError(AudioError):
    code = "too_short"
    advice = "Please record a longer answer."


class AudioTooLongError(AudioError):
    code = "too_long"
    advice = "Please keep your answer within the time limit and record again."


class AudioFileTooLargeError(AudioError):
    code = "file_too_large"
    advice = "Please upload a shorter recording or a compressed file (MP3, M4A, OGG)."


class UnreadableAudioError(AudioError):
    code = "unreadable"
    advice = "Please upload a WAV, FLAC, OGG, WebM, MP3 or M4A file, or record in the browser."


class NotAudioFileError(AudioError):
    """An upload whose name says it is not a recording (a .txt, a .pdf...)."""

    code = "not_audio"
    advice = UnreadableAudioError.advice


class NoSpeechError(AudioError):
    code = "no_speech"
    advice = "Speak clearly and close to the microphone, and check that it is not muted."


@dataclass
class AudioWarning:
    code: str
    message: str


@dataclass
class Audio:
    """16 kHz mono float32 samples plus what we learnt while reading them."""

    samples: np.ndarray
    source: str = ""
    original_format: str = ""
    original_sample_rate: int = SAMPLE_RATE
    original_channels: int = 1
    speech_seconds: float | None = None
    warnings: list[AudioWarning] = field(default_factory=list)
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    def to_wav_bytes(self) -> bytes:
        """16-bit PCM WAV, for storage and for engines that want a file."""
        import soundfile as sf

        buffer = io.BytesIO()
        sf.write(buffer, self.samples, self.sample_rate, format="WAV", subtype="PCM_16")
        return buffer.getvalue()

    def to_pcm16(self) -> bytes:
        return (np.clip(self.samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _read_bytes(source: AudioSource, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "upload"
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise UnreadableAudioError(f"The file {path.name} was not found.")
        if path.stat().st_size > max_bytes:
            raise AudioFileTooLargeError(
                f"The file is {path.stat().st_size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB."
            )
        data, name = path.read_bytes(), str(path)
    else:
        data = source.read(max_bytes + 1)
        name = getattr(source, "name", "upload")
    if len(data) > max_bytes:
        raise AudioFileTooLargeError(f"The file is larger than the {max_bytes / 1e6:.0f} MB limit.")
    if not data:
        raise EmptyAudioError("The recording is empty.")
    return data, str(name)


def decode(data: bytes, max_seconds: float | None = None) -> tuple[np.ndarray, str, int, int]:
    """Decode any FFmpeg-readable audio to 16 kHz mono float32.

    Returns samples, container format, original rate and channel count. Decoding stops
    a little past ``max_seconds`` so a huge file cannot fill memory.
    """
    import av

    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError, OSError) as error:
        raise UnreadableAudioError(
            "We could not read this file as audio: it may be damaged or in a format we do not support."
        ) from error
    with container:
        streams = container.streams.audio
        if not streams:
            raise UnreadableAudioError("This file has no sound track.")
        stream = streams[0]
        rate, channels = stream.rate or 0, stream.channels or 0
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        limit = None if max_seconds is None else int((max_seconds + 1.0) * SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        total = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if limit is not None and total > limit:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(-1))
        except (av.error.FFmpegError, ValueError) as error:
            if not chunks:
                raise UnreadableAudioError(
                    "We could not read this file as audio: it may be damaged or in a format we do not support."
                ) from error
            # A truncated file: keep what decoded cleanly.
        format_name = container.format.name if container.format else ""
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return samples, format_name, rate, channels


def load_audio(
    source: AudioSource,
    *,
    max_seconds: float | None = None,
    min_seconds: float | None = None,
    require_speech: bool = True,
) -> Audio:
    """Read, normalise and validate a recording.

    Raises an :class:`AudioError` subclass (each with a message for the applicant) for an
    empty, too short, too long, too large, unreadable or speechless recording; heavy
    clipping is only a warning on the returned :class:`Audio`.
    """
    settings = get_settings()
    max_seconds = settings.max_audio_seconds if max_seconds is None else max_seconds
    min_seconds = settings.min_audio_seconds if min_seconds is None else min_seconds
    data, name = _read_bytes(source, int(settings.max_upload_megabytes * 1e6))
    samples, format_name, rate, channels = decode(data, max_seconds=max_seconds)
    audio = Audio(samples, name, format_name, rate, channels)
    if samples.size == 0:
        raise EmptyAudioError("The recording has no sound in it.")
    if audio.duration > max_seconds:
        raise AudioTooLongError(f"The recording is longer than {_seconds_text(max_seconds)}.")
    if audio.duration < min_seconds:
        raise AudioTooShortError(
            f"The recording lasts only {audio.duration:.1f} s; we need at least {min_seconds:g} s."
        )
    if not np.isfinite(samples).all():
        raise UnreadableAudioError("The recording contains invalid samples.")
    clipped = float(np.mean(np.abs(samples) >= CLIPPING_LEVEL))
    if clipped > CLIPPING_SHARE:
        audio.warnings.append(
            AudioWarning(
                "clipping",
                f"Your recording is distorted ({clipped:.1%} of it is too loud). "
                "Move the microphone a little further away or speak a bit more softly.",
            )
        )
    if require_speech:
        audio.speech_seconds = speech_seconds(speech_segments(samples))
        if audio.speech_seconds < MIN_SPEECH_SECONDS:
            raise NoSpeechError("We could not hear any speech in the recording.")
    return audio


def from_array(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, source: str = "array") -> Audio:
    """Wrap samples already in memory (resampled to 16 kHz mono if needed), unvalidated."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    if sample_rate != SAMPLE_RATE:
        import av

        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = sample_rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return Audio(samples.astype(np.float32), source, "array", sample_rate, 1)


def _seconds_text(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"
