"""Every layer of the recogniser's encoder, pooled over a reading.

CTranslate2, which runs Whisper in the product, returns only the encoder's last output.
The layers before it carry more of the sound and less of the words: on the 1620 train
readings of speechocean762-large, a readout of every layer's pooled output (speaker-grouped
CV r 0.807 / 0.884 / 0.880 / 0.816 for accuracy, fluency, prosodic, total) beats one of the
last output alone computed the same way (0.781 / 0.866 / 0.863 / 0.799); docs/validity.md
has the figures. This module computes them with numpy from the same model.bin, so the
weights are the ones the recogniser uses and nothing is downloaded. The calibration stage
runs it for a readout fitted on every layer (``EncoderReadout.source == "every_layer"``);
the packaged model reads the last output, because in the whole model the layers gained at
most 0.005 CV r for 1.3 s more on a 30 s reading (docs/validity.md, v8).

The encoder runs on the reading's frames only (the first 30 s), not on the 30 s window the
transcription pads to: self-attention over 1500 frames is what makes a pass cost 6-9 s in
numpy, and the reading's own frames cost about 0.4 s for a 10 s reading.

No library reads CTranslate2's model files (its Python API converts and runs models, it does
not expose their weights), so :func:`read_ctranslate2_variables` parses the format (binary
version 5 or 6, the ones CTranslate2 4.x writes) itself.
"""

from __future__ import annotations

import functools
import math
import re
import struct
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np
from scipy.special import erf

from trainer.speech.audio import Audio
from trainer.speech.encoder_states import pool_frames, reading_frames

MAX_FRAMES = 1500  # the encoder's 30 s window
# zeros after the audio, as the transcription's padding puts there: one second covers the
# spare columns and the STFT window of the last one (more gives the same features)
PADDING_SECONDS = 1
POOLING = "mean and standard deviation of each encoder layer's output (layers 1-6 and the final norm) over the reading's frames (first 30 s), computed on those frames alone"

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_BFLOAT16 = 5


class ModelFormatError(ValueError):
    """model.bin is not a CTranslate2 model this module can read."""


def _read_string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<H", handle.read(2))
    return handle.read(length)[:-1].decode()  # the length counts a closing NUL


def read_ctranslate2_variables(path: Path, prefix: str = "") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 model.bin whose names start with ``prefix``, as float32
    (integer variables keep their type)."""
    variables: dict[str, np.ndarray] = {}
    with Path(path).open("rb") as handle:
        (version,) = struct.unpack("<I", handle.read(4))
        if version not in (5, 6):
            raise ModelFormatError(f"{path}: CTranslate2 binary version {version}, expected 5 or 6")
        _read_string(handle)  # the model spec's name
        handle.read(4)  # its revision
        (count,) = struct.unpack("<I", handle.read(4))
        for _ in range(count):
            name = _read_string(handle)
            (rank,) = struct.unpack("<B", handle.read(1))
            shape = struct.unpack("<" + "I" * rank, handle.read(4 * rank))
            (dtype,) = struct.unpack("<B", handle.read(1))
            (size,) = struct.unpack("<I", handle.read(4))
            if not name.startswith(prefix):
                handle.seek(size, 1)
                continue
            data = handle.read(size)
            if dtype == _BFLOAT16:
                values = (np.frombuffer(data, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
            elif dtype in _DTYPES:
                values = np.frombuffer(data, dtype=_DTYPES[dtype])
            else:
                raise ModelFormatError(f"{path}: variable {name} has unknown type {dtype}")
            if values.dtype.kind == "f":
                values = values.astype(np.float32)
            variables[name] = values.reshape(shape) if rank else values
    return variables


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * gamma + beta


def _conv1d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """x (frames, in), weight (out, in, 3), padding 1."""
    padded = np.pad(x, ((1, 1), (0, 0)))
    frames = (len(x) - 1) // stride + 1
    taps = np.stack([padded[k : k + stride * (frames - 1) + 1 : stride] for k in range(3)], axis=2)
    return taps.reshape(frames, -1) @ weight.reshape(len(weight), -1).T + bias


class WhisperEncoder:
    """Whisper's encoder (two convolutions, pre-norm transformer layers, a final norm) in
    numpy, returning every layer's output."""

    def __init__(self, model_bin: Path):
        self.weights = read_ctranslate2_variables(model_bin, prefix="encoder/")
        layers = {m.group(1) for name in self.weights if (m := re.match(r"encoder/layer_(\d+)/", name))}
        if not layers or "encoder/conv1/weight" not in self.weights:
            raise ModelFormatError(f"{model_bin}: no Whisper encoder in this model")
        self.n_layers = len(layers)
        heads = self.weights.get("encoder/num_heads")
        self.n_heads = int(heads[0]) if heads is not None else 8

    def _w(self, name: str) -> np.ndarray:
        return self.weights["encoder/" + name]

    def _attention(self, x: np.ndarray, prefix: str) -> np.ndarray:
        w = self._w
        h = _layer_norm(x, w(prefix + "layer_norm/gamma"), w(prefix + "layer_norm/beta"))
        qkv = h @ w(prefix + "linear_0/weight").T + w(prefix + "linear_0/bias")
        width = x.shape[1]
        head = width // self.n_heads

        def split(part: np.ndarray) -> np.ndarray:
            return part.reshape(len(x), self.n_heads, head).transpose(1, 0, 2)

        q, k, v = (split(qkv[:, i * width : (i + 1) * width]) for i in range(3))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        heard = (scores @ v).transpose(1, 0, 2).reshape(len(x), width)
        return heard @ w(prefix + "linear_1/weight").T + w(prefix + "linear_1/bias")

    def _feed_forward(self, x: np.ndarray, prefix: str) -> np.ndarray:
        w = self._w
        h = _layer_norm(x, w(prefix + "layer_norm/gamma"), w(prefix + "layer_norm/beta"))
        h = _gelu(h @ w(prefix + "linear_0/weight").T + w(prefix + "linear_0/bias"))
        return h @ w(prefix + "linear_1/weight").T + w(prefix + "linear_1/bias")

    def layer_outputs(self, mel: np.ndarray, frames: int | None = None) -> list[np.ndarray]:
        """mel (80, 2 x frames or more) -> [output of layer 1, ..., layer n, final norm],
        each (frames, width); ``frames`` cuts the sequence before the first layer."""
        w = self._w
        x = _gelu(_conv1d(mel.T.astype(np.float32), w("conv1/weight"), w("conv1/bias"), 1))
        x = _gelu(_conv1d(x, w("conv2/weight"), w("conv2/bias"), 2))
        x = x[:frames] if frames is not None else x
        x = x + w("position_encodings/encodings")[: len(x)]
        outputs = []
        for layer in range(self.n_layers):
            x = x + self._attention(x, f"layer_{layer}/self_attention/")
            x = x + self._feed_forward(x, f"layer_{layer}/ffn/")
            outputs.append(x)
        outputs.append(_layer_norm(x, w("layer_norm/gamma"), w("layer_norm/beta")))
        return outputs


_encoders: dict[str, WhisperEncoder] = {}
_encoders_lock = threading.Lock()


def get_encoder(model: str | None = None) -> WhisperEncoder:
    """The process-wide numpy encoder of the recogniser's model (about 80 MB of float32)."""
    from trainer.speech.asr import resolve_whisper_model

    path = str(Path(resolve_whisper_model(model)) / "model.bin")
    with _encoders_lock:
        if path not in _encoders:
            _encoders[path] = WhisperEncoder(Path(path))
        return _encoders[path]


@functools.cache
def _feature_extractor():
    from faster_whisper.feature_extractor import FeatureExtractor

    return FeatureExtractor(feature_size=80)  # builds its mel filter bank once


def reading_mel(audio: Audio) -> tuple[np.ndarray, int]:
    """The log-mel features of the first 30 s as the transcription computes them (zero
    padding after the audio), cut to the reading's frames; and the number of encoder frames."""
    extractor = _feature_extractor()
    rate = extractor.sampling_rate
    samples = np.asarray(audio.samples[: rate * 30], dtype=np.float32)
    frames = reading_frames(len(samples) / rate, MAX_FRAMES)
    mel = extractor(np.concatenate([samples, np.zeros(rate * PADDING_SECONDS, np.float32)]), padding=0)
    return mel[:, : 2 * frames + 4], frames  # two spare columns keep the last frame's convolution whole


def pooled_layer_states(audio: Audio, model: str | None = None) -> np.ndarray:
    """One vector for a reading: each layer output's mean over the reading's frames, then its
    standard deviation, layer after layer: shape (2 x width x (layers + 1),)."""
    mel, frames = reading_mel(audio)
    outputs = get_encoder(model).layer_outputs(mel, frames)
    return np.concatenate([pool_frames(output, audio.duration) for output in outputs])
