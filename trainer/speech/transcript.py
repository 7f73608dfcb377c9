"""What recognition produces: the words heard, with times and confidences."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the audio
    end: float
    probability: float  # recogniser confidence, 0-1
    # what the recogniser wrote, when the verbatim pass (trainer.speech.verbatim) heard another form
    restored_from: str | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Transcript:
    text: str
    words: list[Word]
    engine: str  # "whisper" or "sphinx"
    model: str  # model name or folder
    audio_seconds: float
    processing_seconds: float = 0.0
    language: str = "en"
    language_probability: float = 1.0
    settings: dict = field(default_factory=dict)

    @property
    def mean_confidence(self) -> float:
        if not self.words:
            return 0.0
        return sum(w.probability for w in self.words) / len(self.words)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Transcript:
        data = dict(data)
        data["words"] = [Word(**w) for w in data.get("words", [])]
        return cls(**data)
