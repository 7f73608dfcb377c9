"""The committed demo audio in audio_samples/ (see audio_samples/manifest.yaml).

Caller turns of a few calls, lesson examples, and sample applicant answers (a good and a
weak one per task), written by scripts/make_audio_samples.py::

    from trainer.content.samples import load_manifest, sample_path
    sample_path("task.open_question.001", "weak")   # Path to an Ogg/Opus file
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from trainer.config import resource_path

SAMPLES_DIR = resource_path("audio_samples")
MANIFEST = SAMPLES_DIR / "manifest.yaml"


@dataclass(frozen=True)
class SampleAudio:
    path: Path  # absolute
    kind: str  # caller_turn | example | answer
    content_id: str  # scenario id (caller_turn), lesson id (example) or task id (answer)
    voice: str
    text: str  # exactly what is spoken
    duration: float  # seconds
    telephone: bool = False
    number: int | None = None  # turn or example number, from 1
    quality: str | None = None  # good | weak, answers only
    script: str | None = None  # weak answers: text with "[pause 1.2 s]" marks


@lru_cache(maxsize=1)
def load_manifest() -> list[SampleAudio]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return [
        SampleAudio(
            path=SAMPLES_DIR / entry["path"],
            kind=entry["kind"],
            content_id=entry.get("task") or entry.get("scenario") or entry.get("lesson"),
            voice=entry["voice"],
            text=entry["text"],
            duration=float(entry["duration"]),
            telephone=bool(entry.get("telephone", False)),
            number=entry.get("turn") or entry.get("example"),
            quality=entry.get("quality"),
            script=entry.get("script"),
        )
        for entry in data["files"]
    ]


def sample_path(task_id: str, quality: str, telephone: bool = False) -> Path:
    """The demo answer to ``task_id`` of ``quality`` ("good" or "weak"); KeyError if none."""
    for sample in load_manifest():
        if (sample.kind, sample.content_id, sample.quality, sample.telephone) == (
            "answer",
            task_id,
            quality,
            telephone,
        ):
            return sample.path
    raise KeyError(f"No {quality} sample answer for {task_id}.")
