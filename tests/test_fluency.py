"""Fluency features on real espeak-ng speech with silences of known length, and on
hand-built Whisper-style transcripts for the text rules."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trainer.features import fluency
from trainer.features.fluency import FEATURE_NAMES, measure_fluency
from trainer.speech.audio import from_array
from trainer.speech.transcript import Transcript, Word
from trainer.speech.vad import SAMPLE_RATE

# Phrases said with silences of known length between them: a slow, hesitant answer.
PAUSY_PHRASES = ["Um, I would like to", "to check the status", "of my, uh, my order", "because it has not arrived"]
SILENCES = [0.6, 1.4, 0.35]
FLUENT_SENTENCE = "I would like to check the status of my order, because it has not arrived yet."
# Higher is better for these; lower is better for the others.
HIGHER_IS_BETTER = {"speech_rate_wpm", "articulation_rate_wpm", "phonation_time_ratio", "mean_length_of_run"}


def trim(samples: np.ndarray, level: float = 0.01) -> np.ndarray:
    """Cut the clip to its first and last loud sample (independent of the VAD under test)."""
    loud = np.flatnonzero(np.abs(samples) > level)
    return samples[loud[0] : loud[-1] + 1]


@pytest.fixture(scope="module")
def pausy(spoken):
    """(Audio, inserted silences, spans of phrases with commas) as (start, end) seconds.
    espeak-ng pauses at a comma by itself, so those spans may hold short pauses of their own."""
    parts = [np.zeros(SAMPLE_RATE // 2, np.float32)]
    silences, comma_spans = [], []
    t = 0.5
    for i, phrase in enumerate(PAUSY_PHRASES):
        clip = trim(spoken(phrase, "elderly_male")[1].samples)
        parts.append(clip)
        if "," in phrase.rstrip(","):
            comma_spans.append((t, t + len(clip) / SAMPLE_RATE))
        t += len(clip) / SAMPLE_RATE
        if i < len(SILENCES):
            silences.append((t, t + SILENCES[i]))
            parts.append(np.zeros(int(round(SILENCES[i] * SAMPLE_RATE)), np.float32))
            t += SILENCES[i]
    parts.append(np.zeros(SAMPLE_RATE // 2, np.float32))
    return from_array(np.concatenate(parts), source="pausy"), silences, comma_spans


@pytest.fixture(scope="module")
def recognised(pausy, spoken):
    """Both answers through real recognition (the bundled Whisper model, no network)."""
    from trainer.speech.asr import transcribe

    pausy_audio = pausy[0]
    fluent_audio = spoken(FLUENT_SENTENCE, "calm_male")[1]
    return {
        "pausy": (transcribe(pausy_audio), pausy_audio),
        "fluent": (transcribe(fluent_audio), fluent_audio),
    }


def whisper_like(
    text: str, start: float = 0.2, word_seconds: float = 0.3, gaps: dict[int, float] | None = None
) -> Transcript:
    """A transcript as Whisper writes it: words with punctuation attached, given times."""
    words, t = [], start
    for i, token in enumerate(text.split()):
        words.append(Word(token, round(t, 3), round(t + word_seconds, 3), 0.9))
        t += word_seconds + (gaps or {}).get(i, 0.0)
    return Transcript(text, words, "whisper", "hand-made", t + 0.2)


# --------------------------------------------------------------------------- audio


@pytest.mark.slow
def test_pauses_are_found_where_the_silences_were(recognised, pausy):
    transcript, audio = recognised["pausy"]
    _, silences, comma_spans = pausy
    result = measure_fluency(transcript, audio)
    assert result.pause_source == "vad"
    found = []
    for start, end in silences:
        near = [p for p in result.pauses if p.start < end and p.end > start]
        assert len(near) == 1, f"silence {start:.2f}-{end:.2f}: {result.pauses}"
        assert abs(near[0].start - start) < 0.15 and abs(near[0].end - end) < 0.15
        assert abs(near[0].duration - (end - start)) < 0.2
        found += near
    # any other pause is espeak-ng's own short one at a comma, inside that phrase
    others = [p for p in result.pauses if p not in found]
    for pause in others:
        assert pause.duration < 0.5, pause
        assert any(s <= pause.start and pause.end <= e for s, e in comma_spans), (pause, comma_spans)
    counts = result.evidence()["pause_counts"]
    assert counts == {">=0.25s": 3 + len(others), ">=0.5s": 2, ">=1s": 1}
    means = result.evidence()["mean_pause_seconds"]
    assert means[">=1s"] == pytest.approx(1.4, abs=0.2)
    assert means[">=0.5s"] == pytest.approx((0.6 + 1.4) / 2, abs=0.2)
    # one run more than pauses, about four words each
    assert len(result.runs) == len(result.pauses) + 1
    assert 3.0 <= result.mean_length_of_run <= 5.5


@pytest.mark.slow
def test_fluent_answer_beats_the_pausy_one_on_every_feature(recognised, bank):
    pausy = measure_fluency(*recognised["pausy"]).features()
    fluent = measure_fluency(*recognised["fluent"]).features()
    for name in FEATURE_NAMES:
        if name in HIGHER_IS_BETTER:
            assert fluent[name] > pausy[name], (name, fluent[name], pausy[name])
        else:
            assert fluent[name] < pausy[name], (name, fluent[name], pausy[name])
    rubric = bank.get_rubric("fluency")
    assert rubric.band_for(fluent, "retell").band > rubric.band_for(pausy, "retell").band


@pytest.mark.slow
def test_fillers_and_repetitions_survive_real_recognition(recognised):
    result = measure_fluency(*recognised["pausy"])
    assert {f.text for f in result.fillers} >= {"uh"}
    assert any(f.text == "um" for f in result.fillers) or result.filler_count >= 1
    assert any("my my" in r.text for r in result.repetitions)


@pytest.mark.slow
def test_features_and_evidence_shapes(recognised):
    result = measure_fluency(*recognised["fluent"])
    features = result.features()
    assert set(features) == set(FEATURE_NAMES) | {"pitch_variation_semitones"}
    assert set(result.rubric_features()) == set(FEATURE_NAMES)
    assert all(isinstance(v, float) for v in features.values())
    assert 0 < features["pitch_variation_semitones"] < 12
    evidence = json.loads(json.dumps(result.evidence()))
    assert evidence["word_count"] >= 14 and evidence["pitch_median_hz"] > 50


# --------------------------------------------------------------------------- text rules


def test_fillers_in_whisper_style_transcript():
    result = measure_fluency(whisper_like("Um, I think the, uh, the package was delivered to the wrong address."))
    assert [f.text for f in result.fillers] == ["um", "uh"]
    assert [f.heard for f in result.fillers] == ["Um,", "uh,"]
    assert [r.text for r in result.repetitions] == ["the the"]
    assert result.word_count == 11  # fillers are not words
    assert result.fillers_per_100_words == pytest.approx(100 * 2 / 11)
    assert result.repetitions_per_100_words == pytest.approx(100 / 11)


def test_discourse_fillers_only_when_used_as_fillers():
    filler = measure_fluency(whisper_like("It was, like, twenty minutes, you know, and I mean, it was late."))
    assert sorted(f.text for f in filler.fillers) == ["i mean", "like", "you know"]
    grammar = measure_fluency(
        whisper_like("I would like to know if you know what kind of plan I mean to buy. I like it.")
    )
    assert grammar.fillers == []
    spellings = measure_fluency(whisper_like("Umm, uhh, hmm, erm okay."))
    assert [f.text for f in spellings.fillers] == ["um", "uh", "hmm", "erm"]


def test_uses_the_phrase_bank_filler_list(bank):
    phrases = bank.phrasebank
    result = measure_fluency(whisper_like("Ano, the bill is, basically, too high."), phrasebank=phrases)
    assert [f.text for f in result.fillers] == ["ano", "basically"]
    trimmed = phrases.model_copy(update={"fillers": ["um", "uh", "er", "erm", "hmm"]})
    result = measure_fluency(whisper_like("Ano, the bill is, basically, too high."), phrasebank=trimmed)
    assert result.fillers == []


def test_phrase_repetitions_and_legitimate_repeats():
    result = measure_fluency(whisper_like("I I want to go to the to the store, it is very very far."))
    assert [r.text for r in result.repetitions] == ["i i", "to the to the"]
    digits = measure_fluency(whisper_like("My number is five five five, oh one two."))
    assert digits.repetitions == []


def test_self_corrections():
    result = measure_fluency(
        whisper_like("It arrived on Monday, sorry, Tuesday. I will, I would send the deli- delivery today.")
    )
    kinds = [d.kind for d in result.self_corrections]
    assert kinds == ["editing_term", "restart", "cut_off"]
    assert "tuesday" in result.self_corrections[0].text
    plain = measure_fluency(whisper_like("I'm sorry for the delay. Yes, sorry, I think I can help."))
    assert plain.self_corrections == []
    assert "self_corrections" in result.evidence()


def test_pauses_from_word_gaps_without_audio():
    # gaps after word 3 (0.3 s), word 6 (0.7 s) and word 9 (1.2 s)
    transcript = whisper_like(
        "one good answer here with some pauses in it and then more words",
        word_seconds=0.25,
        gaps={3: 0.3, 6: 0.7, 9: 1.2},
    )
    result = measure_fluency(transcript)
    assert result.pause_source == "word_gaps"
    assert [round(p.duration, 2) for p in result.pauses] == [0.3, 0.7, 1.2]
    assert result.runs == [4, 3, 3, 3]
    speaking = 13 * 0.25 + 2.2
    assert result.speaking_seconds == pytest.approx(speaking)
    assert result.speech_rate_wpm == pytest.approx(13 / speaking * 60)
    assert result.articulation_rate_wpm == pytest.approx(13 / (13 * 0.25) * 60)
    assert result.phonation_time_ratio == pytest.approx(13 * 0.25 / speaking)
    assert result.pauses_per_minute == pytest.approx(2 / speaking * 60)
    assert result.long_pauses_per_minute == pytest.approx(1 / speaking * 60)
    assert "pitch_variation_semitones" not in result.features()


def test_empty_transcript_is_all_zero():
    result = measure_fluency(Transcript("", [], "whisper", "x", 3.0))
    assert set(result.features()) == set(FEATURE_NAMES)
    assert all(v == 0.0 for v in result.features().values())
    assert result.evidence()["notes"] == ["no words were recognised"]


def test_thresholds_are_module_constants():
    assert (fluency.RUN_PAUSE_SECONDS, fluency.PAUSE_SECONDS, fluency.LONG_PAUSE_SECONDS) == (0.25, 0.5, 1.0)
