"""What the recogniser's encoder heard in each word of an answer, pooled into one vector.

Whisper's encoder turns 30 s of audio into 1500 frames of 512 numbers (the bundled base
model) from which its decoder reads the words. Those numbers carry more of how a word was
said than the words themselves do: pooled over a reading's words they predict the experts'
pronunciation and fluency scores better than the hand-made measures alone
(bench/calibration_variants.py, docs/validity.md). The calibration model reads them
through a fixed projection (``trainer.scoring.calibration.EncoderReadout``).

The states are computed as the transcription computes them: the log-mel features of the
first 30 s, zero-padded to the encoder's window (faster-whisper's ``pad_or_trim``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer.speech.audio import Audio
from trainer.speech.transcript import Transcript

SECONDS_PER_FRAME = 0.02  # the encoder's frame: two 10 ms mel frames
POOLING = "mean over the transcript's words of each word's mean encoder frame (first 30 s)"


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


def pool_words(frames: np.ndarray, transcript: Transcript, duration: float) -> np.ndarray:
    """The mean over the transcript's words of each word's mean frame; the mean of the
    speech-length frames when no word has a frame of its own."""
    usable = min(len(frames), int(np.ceil(duration / SECONDS_PER_FRAME)))
    words = []
    for word in transcript.words:
        first = int(word.start / SECONDS_PER_FRAME)
        last = min(usable, max(first + 1, int(np.ceil(word.end / SECONDS_PER_FRAME))))
        if first < last:
            words.append(frames[first:last].mean(axis=0))
    if not words:
        return frames[: max(1, usable)].mean(axis=0)
    return np.mean(words, axis=0).astype(np.float32)


def pooled_encoder_states(audio: Audio, transcript: Transcript, model: str | None = None) -> np.ndarray:
    """One vector for a reading: :func:`pool_words` of :func:`encoder_frames`."""
    return pool_words(encoder_frames(audio, model), transcript, audio.duration)
