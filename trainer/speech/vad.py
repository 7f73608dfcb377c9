"""Voice activity detection with the Silero model that faster-whisper ships (no download).

Used to reject recordings with no speech and, by scoring, to measure pauses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class SpeechSegment:
    start: float  # seconds
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def speech_segments(
    samples: np.ndarray,
    *,
    threshold: float = 0.5,
    min_silence_ms: int = 250,
    min_speech_ms: int = 100,
    pad_ms: int = 30,
) -> list[SpeechSegment]:
    """Stretches of speech in 16 kHz mono float32 audio.

    Silences shorter than ``min_silence_ms`` are bridged, so with the default 250 ms
    every gap between two segments is a silent pause as fluency measures count them.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if samples.size == 0:
        return []
    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=min_silence_ms,
        min_speech_duration_ms=min_speech_ms,
        speech_pad_ms=pad_ms,
    )
    chunks = get_speech_timestamps(np.ascontiguousarray(samples, dtype=np.float32), options)
    return [SpeechSegment(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE) for c in chunks]


def speech_seconds(segments: list[SpeechSegment]) -> float:
    return sum(s.duration for s in segments)
