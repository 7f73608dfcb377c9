"""The committed demo audio (audio_samples/): size, format, manifest, and that the weak
sample answers really are weaker than the good ones. Regenerate with
scripts/make_audio_samples.py."""

from __future__ import annotations

import re
from functools import cache

import av
import pytest
import yaml

from trainer.content.samples import MANIFEST, SAMPLES_DIR, load_manifest, sample_path
from trainer.speech.audio import Audio, load_audio
from trainer.speech.vad import speech_seconds, speech_segments

LIMIT_BYTES = 15 * 1024 * 1024
SAMPLES = load_manifest()
ANSWERS = [s for s in SAMPLES if s.kind == "answer"]
PAUSE = re.compile(r"\[pause (\d+(?:\.\d+)?) s\]")


@cache
def decoded(path) -> Audio:
    return load_audio(path)


def silence_seconds(audio: Audio) -> float:
    return audio.duration - speech_seconds(speech_segments(audio.samples))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def has_phrase(text: str, phrase: str) -> bool:
    pattern = rf"(?<![a-z']){re.escape(phrase.lower())}(?![a-z'])"
    return re.search(pattern, " ".join(words(text))) is not None


def twin(sample):
    return next(s for s in ANSWERS if s.content_id == sample.content_id and s.quality == "good" and not s.telephone)


def test_folder_is_under_15_mb():
    total = sum(f.stat().st_size for f in SAMPLES_DIR.rglob("*") if f.is_file())
    assert total < LIMIT_BYTES, f"audio_samples/ is {total / 1e6:.1f} MB"


def test_manifest_is_plain_yaml_and_lists_every_file():
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    entries = data["files"]
    for entry in entries:
        assert {"path", "kind", "voice", "text", "duration"} <= set(entry), entry
        assert entry["kind"] in {"caller_turn", "example", "answer"}
        assert isinstance(entry["duration"], float) and entry["duration"] > 0
    listed = {e["path"] for e in entries}
    assert len(listed) == len(entries), "a path is listed twice"
    on_disk = {
        str(f.relative_to(SAMPLES_DIR))
        for folder in ("calls", "lessons", "answers")
        for f in (SAMPLES_DIR / folder).rglob("*")
        if f.is_file()
    }
    assert on_disk == listed


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: str(s.path.relative_to(SAMPLES_DIR)))
def test_file_is_ogg_opus_speech_of_the_stated_duration(sample):
    assert sample.path.is_file()
    head = sample.path.read_bytes()[:64]
    assert head.startswith(b"OggS") and b"OpusHead" in head
    with av.open(str(sample.path)) as container:
        assert container.format.name == "ogg"
        assert container.streams.audio[0].codec_context.name == "opus"
    audio = decoded(sample.path)  # raises AudioError (NoSpeechError...) if it is not speech
    assert audio.duration == pytest.approx(sample.duration, abs=0.2)


def test_referenced_content_exists_and_matches(bank):
    for sample in SAMPLES:
        if sample.kind == "caller_turn":
            scenario = bank.get_scenario(sample.content_id)
            assert sample.text == scenario.turns[sample.number - 1].text
            assert sample.voice == scenario.caller.voice
            assert sample.telephone
        elif sample.kind == "example":
            example = bank.get_lesson(sample.content_id).examples[sample.number - 1]
            assert (sample.text, sample.voice) == (example.text, example.voice)
        else:
            bank.get_task(sample.content_id)


def test_coverage(bank):
    scenarios = {s.content_id for s in SAMPLES if s.kind == "caller_turn"}
    moods = {bank.get_scenario(i).caller.mood for i in scenarios}
    assert 4 <= len(scenarios) <= 5 and {"irate", "confused", "calm"} <= moods
    assert any(bank.get_scenario(i).outcome == "escalate" for i in scenarios)
    for scenario_id in scenarios:  # every caller turn of each call
        turns = [s for s in SAMPLES if s.content_id == scenario_id]
        assert len(turns) == len(bank.get_scenario(scenario_id).turns)
    assert len({s.content_id for s in SAMPLES if s.kind == "example"}) >= 2
    tasks = {s.content_id for s in ANSWERS}
    types = {bank.get_task(t).type for t in tasks}
    assert {"read_aloud", "repeat", "open_question", "retell", "role_play"} <= types
    for task_id in tasks:
        assert sample_path(task_id, "good").is_file() and sample_path(task_id, "weak").is_file()
    assert any(s.telephone and s.quality == "good" for s in ANSWERS)


def test_sample_path_rejects_unknown():
    with pytest.raises(KeyError):
        sample_path("task.repeat.999", "good")
    with pytest.raises(KeyError):
        sample_path(ANSWERS[0].content_id, "excellent")


@pytest.mark.parametrize("sample", [s for s in ANSWERS if s.quality == "weak"], ids=lambda s: s.content_id)
def test_weak_answer_is_slower_with_more_silence_and_fillers(sample, bank):
    good = twin(sample)
    assert sample.voice == good.voice
    fillers = bank.phrasebank.fillers
    assert any(has_phrase(sample.text, f) for f in fillers), sample.text
    assert not any(has_phrase(good.text, f) for f in ("um", "uh", "er", "erm")), good.text
    # a repeated word or two ("I, I", "ask, uh, ask", "the driver, the driver")
    tokens = words(sample.text)
    bare = [t for t in tokens if t not in {"um", "uh", "er", "erm"}]
    assert any(bare[i : i + n] == bare[i + n : i + 2 * n] for n in (1, 2) for i in range(len(bare))), sample.text
    # the script's pauses are real: 0.6-2.0 s each, and the text is the script without them
    pauses = [float(p) for p in PAUSE.findall(sample.script or "")]
    assert pauses and all(0.6 <= p <= 2.0 for p in pauses)
    assert " ".join(PAUSE.sub(" ", sample.script).split()) == sample.text
    weak_audio, good_audio = decoded(sample.path), decoded(good.path)
    weak_silence, good_silence = silence_seconds(weak_audio), silence_seconds(good_audio)
    assert weak_silence > good_silence + 1.0, (weak_silence, good_silence)
    segments = speech_segments(weak_audio.samples)
    assert max(b.start - a.end for a, b in zip(segments, segments[1:])) >= 0.6
    assert len(tokens) / weak_audio.duration < len(words(good.text)) / good_audio.duration
