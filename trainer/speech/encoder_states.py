"""What the recogniser's encoder heard in an answer, pooled into one vector.

Whisper's encoder turns 30 s of audio into 1500 frames of 512 numbers (the bundled base
model) from which its decoder reads the words. Those numbers carry more of how the words
were said than the words themselves do: their mean and spread over a reading predict the
experts' pronunciation and fluency scores better than the hand-made measures alone
(bench/calibration_variants.py, docs/validity.md). The calibration model reads them
through a fixed projection (``trainer.scoring.calibration.EncoderReadout``).

The states are computed as the transcription computes them: the log-mel features of the
first 30 s, zero-padded to the encoder's window (faster-whisper's ``pad_or_trim``). They are
pooled over the frames the reading lasts (the padding is left out): each output's mean and
standard deviation. The spread keeps what a mean hides, how much the sound varies over the
reading, and adds 0.01-0.02 to the readout's CV r on every dimension over the earlier
pooling by words (docs/validity.md); it needs no transcript.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trainer.speech.audio import Audio
from trainer.speech.transcript import Transcript

log = logging.getLogger(__name__)

SECONDS_PER_FRAME = 0.02  # the encoder's frame: two 10 ms mel frames
POOLING = "mean and standard deviation of each encoder output over the reading's frames (first 30 s)"


def model_fingerprint(model: str | None = None) -> str:
    """Which weights compute the states: the model folder's name and the size of its
    model.bin (a label such as "whisper-base (bundled)" depends on how the path was given)."""
    from trainer.speech.asr import resolve_whisper_model

    path = Path(resolve_whisper_model(model))
    weights = path / "model.bin"
    return f"{path.name}/model.bin:{weights.stat().st_size}" if weights.is_file() else path.name


def encoder_frames(audio: Audio, model: str | None = None) -> np.ndarray:
    """The encoder output of the first 30 s of ``audio``: (1500, d) float32."""
    from faster_whisper.audio import pad_or_trim

    from trainer.speech.asr import get_whisper_model

    whisper = get_whisper_model(model)
    extractor = whisper.feature_extractor
    features = pad_or_trim(extractor(audio.samples[: extractor.sampling_rate * 30]), extractor.nb_max_frames)
    return np.asarray(whisper.encode(features), dtype=np.float32)[0]


def pooled_encoder_states(audio: Audio, model: str | None = None) -> np.ndarray:
    """One vector for a reading: :func:`pool_frames` of :func:`encoder_frames`."""
    return pool_frames(encoder_frames(audio, model), audio.duration)


def reading_frames(duration: float, available: int) -> int:
    """How many encoder frames ``duration`` seconds last: at least one, at most ``available``."""
    return min(available, max(1, int(np.ceil(duration / SECONDS_PER_FRAME))))


def pool_frames(frames: np.ndarray, duration: float) -> np.ndarray:
    """Each output's mean, then each output's standard deviation, over the frames of the
    first ``duration`` seconds (at least one frame): shape (2 d,)."""
    usable = reading_frames(duration, len(frames))
    speech = frames[:usable]
    return np.concatenate([speech.mean(axis=0), speech.std(axis=0)]).astype(np.float32)


def pool_window(windows: Sequence[Any], duration: float) -> np.ndarray | None:
    """:func:`pool_frames` of the encoder output a transcription computed for its window at
    0 s (``trainer.speech.verbatim.capture_windows``); None when no window starts at 0 s."""
    for window in windows:
        if window.start == 0:
            frames = np.asarray(window.encoder_output, dtype=np.float32)
            return pool_frames(frames.reshape(-1, frames.shape[-1]), duration)
    return None


def transcribe_keeping_states(audio: Audio, **kwargs) -> tuple[Transcript, np.ndarray | None]:
    """``trainer.speech.asr.transcribe(audio, **kwargs)`` and the pooled states of the
    encoder pass it ran over the first 30 s, so the calibration need not run the encoder a
    second time (about 1 s on 2 cores). The transcript is the same as without. The states
    are None when there was no such pass to keep (another engine, no word timings) or it
    could not be pooled; the caller then computes them with :func:`pooled_encoder_states`.

    The transcription's window leaves out the last of its 3000 mel frames, so its states
    differ slightly from :func:`pooled_encoder_states`'s: in the calibration's readout by
    0.02 points on the experts' 0-10 scale on average, 0.07 at most (83 readings,
    docs/validity.md)."""
    from trainer.config import get_settings
    from trainer.speech import asr, verbatim

    options = kwargs.get("options") or asr.WhisperOptions()
    if (kwargs.get("engine") or get_settings().asr_engine) != "whisper" or options.vad_filter:
        return asr.transcribe(audio, **kwargs), None  # VAD trimming: the encoder heard other audio
    with verbatim.capture_windows(asr.get_whisper_model(kwargs.get("model"))) as windows:
        transcript = asr.transcribe(audio, **kwargs)
    try:
        return transcript, pool_window(windows, audio.duration)
    except (RuntimeError, ValueError, TypeError) as error:
        log.warning("could not pool the transcription's encoder states: %s", error)
        return transcript, None
