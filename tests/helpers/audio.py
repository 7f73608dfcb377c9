"""Audio for the tests, encoded in memory."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    """``samples`` (floats in -1..1) as a 16-bit PCM WAV file, the bytes an upload carries."""
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
