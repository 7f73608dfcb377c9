"""The microphone check before an interview: a few seconds recorded, and whether speech was
heard in them (voice activity detection) at a usable level. Nothing is saved.

    check = check_microphone(st_audio_input_value)
    check.ok, check.message, check.speech_seconds, check.level_dbfs
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.speech.audio import AudioError, load_audio

MIN_SPEECH_SECONDS = 1.0  # a short sentence, not a cough
QUIET_DBFS = -40.0  # speech RMS below this is hard to recognise: ask to come closer


@dataclass(frozen=True)
class MicCheck:
    ok: bool
    message: str
    seconds: float = 0.0
    speech_seconds: float = 0.0
    level_dbfs: float | None = None  # RMS of the recording
    peak_dbfs: float | None = None


def _dbfs(value: float) -> float:
    return 20 * float(np.log10(max(value, 1e-9)))


def check_microphone(source) -> MicCheck:
    try:
        audio = load_audio(source, min_seconds=0.3)
    except AudioError as error:
        return MicCheck(False, f"{error.user_message}")
    samples = audio.samples
    level = _dbfs(float(np.sqrt(np.mean(samples**2)))) if samples.size else None
    peak = _dbfs(float(np.max(np.abs(samples)))) if samples.size else None
    speech = audio.speech_seconds or 0.0
    if speech < MIN_SPEECH_SECONDS:
        return MicCheck(
            False,
            f"We heard only {speech:.1f} s of speech. Please say a full sentence.",
            audio.duration,
            speech,
            level,
            peak,
        )
    if level is not None and level < QUIET_DBFS:
        return MicCheck(
            True,
            "We can hear you, but quietly: move closer to the microphone if you can.",
            audio.duration,
            speech,
            level,
            peak,
        )
    warnings = " ".join(w.message for w in audio.warnings)
    return MicCheck(
        True,
        f"We heard {speech:.1f} s of speech. Your microphone works. {warnings}".strip(),
        audio.duration,
        speech,
        level,
        peak,
    )
