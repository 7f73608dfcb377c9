"""Shared fixtures: real speech made with espeak-ng and the real non-native speech sample."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from trainer.audio import Audio, load_audio
from trainer.config import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def spoken():
    """``spoken(text, voice="calm_female") -> (path, Audio)``: espeak-ng speech, cached on disk."""
    from trainer.tts import synthesize

    def make(text: str, voice: str = "calm_female") -> tuple[Path, Audio]:
        path = synthesize(text, voice)
        return path, load_audio(path)

    return make


def speechocean_rows(name: str, table: str) -> tuple[Path, list[dict]]:
    folder = SHARED_DATA / name
    if not (folder / table).is_file():
        pytest.skip(f"{folder} is not here (it sits beside the project on the developers' machines only)")
    with (folder / table).open() as handle:
        return folder, list(csv.DictReader(handle, delimiter="\t"))
