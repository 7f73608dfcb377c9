"""The numpy Whisper encoder that gives every layer's output (trainer.speech.encoder_layers),
checked against the recogniser's own encoder on real recorded answers."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from trainer.config import PROJECT_ROOT
from trainer.speech.encoder_layers import ModelFormatError, read_ctranslate2_variables

ANSWERS = PROJECT_ROOT / "audio_samples" / "answers"
GOOD, WEAK = ANSWERS / "task.repeat.013_good.ogg", ANSWERS / "task.repeat.013_weak.ogg"


@pytest.mark.slow
def test_the_numpy_encoder_computes_what_the_recogniser_computes():
    """On the same 30 s of features, the last output of the numpy encoder is CTranslate2's
    encoder output (float32) to rounding."""
    from faster_whisper.audio import pad_or_trim

    from trainer.speech.asr import get_whisper_model
    from trainer.speech.audio import load_audio
    from trainer.speech.encoder_layers import get_encoder

    audio = load_audio(GOOD)
    whisper = get_whisper_model(compute_type="float32")
    extractor = whisper.feature_extractor
    mel = pad_or_trim(extractor(audio.samples[: extractor.sampling_rate * 30]), extractor.nb_max_frames)
    theirs = np.asarray(whisper.encode(mel), dtype=np.float32)[0]
    outputs = get_encoder().layer_outputs(mel)
    assert len(outputs) == 7  # six layers of Whisper base, then the final norm
    ours = outputs[-1]
    assert ours.shape == theirs.shape == (1500, 512)
    assert np.abs(ours - theirs).max() < 0.01
    # the layers before it are not the output again
    assert np.corrcoef(outputs[2].ravel(), theirs.ravel())[0, 1] < 0.9


@pytest.mark.slow
def test_every_layer_of_a_reading_is_pooled_over_its_own_frames():
    """Each layer's mean and spread over the reading's frames, the encoder run on those
    frames alone: the last block still agrees with the windowed pass the product pools, and
    a good and a weak answer to one task give different vectors."""
    from trainer.speech.audio import load_audio
    from trainer.speech.encoder_layers import pooled_layer_states
    from trainer.speech.encoder_states import pooled_encoder_states

    vectors = []
    for path in (GOOD, WEAK):
        audio = load_audio(path)
        pooled = pooled_layer_states(audio)
        assert pooled.shape == (7 * 1024,) and np.isfinite(pooled).all()
        blocks = pooled.reshape(7, 1024)
        assert (blocks[:, 512:] > 0).all()  # every output varies over a reading
        windowed = pooled_encoder_states(audio)
        assert np.corrcoef(blocks[-1], windowed)[0, 1] > 0.9
        vectors.append(pooled)
    assert not np.allclose(vectors[0], vectors[1])


def _model_file(path, version: int, variables: list[tuple[str, np.ndarray]]) -> None:
    def string(text: str) -> bytes:
        raw = text.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    out = struct.pack("<I", version) + string("WhisperSpec") + struct.pack("<II", 3, len(variables))
    for name, values in variables:
        dtype = {np.dtype(np.float32): 0, np.dtype(np.float16): 4, np.dtype(np.int16): 2}[values.dtype]
        out += string(name) + struct.pack("<B", values.ndim) + struct.pack("<" + "I" * values.ndim, *values.shape)
        out += struct.pack("<BI", dtype, values.nbytes) + values.tobytes()
    path.write_bytes(out)


def test_model_variables_are_read_by_name_and_type(tmp_path):
    weight = np.arange(6, dtype=np.float16).reshape(2, 3)
    heads = np.array([8], dtype=np.int16)
    _model_file(
        tmp_path / "model.bin",
        6,
        [("encoder/conv1/weight", weight), ("encoder/num_heads", heads), ("decoder/x", np.ones(2, np.float32))],
    )
    variables = read_ctranslate2_variables(tmp_path / "model.bin", prefix="encoder/")
    assert set(variables) == {"encoder/conv1/weight", "encoder/num_heads"}
    assert variables["encoder/conv1/weight"].dtype == np.float32
    assert np.array_equal(variables["encoder/conv1/weight"], weight.astype(np.float32))
    assert variables["encoder/num_heads"].tolist() == [8]


def test_a_file_that_is_not_a_model_this_reader_knows_is_refused(tmp_path):
    from trainer.speech.encoder_layers import WhisperEncoder

    _model_file(tmp_path / "old.bin", 3, [])
    with pytest.raises(ModelFormatError, match="version 3"):
        read_ctranslate2_variables(tmp_path / "old.bin")
    _model_file(tmp_path / "text_only.bin", 6, [("decoder/x", np.ones(2, np.float32))])
    with pytest.raises(ModelFormatError, match="no Whisper encoder"):
        WhisperEncoder(tmp_path / "text_only.bin")
