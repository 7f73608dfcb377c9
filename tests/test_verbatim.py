"""The verbatim pass (trainer.speech.verbatim) and the learner prompt for free answers."""

from __future__ import annotations

import pytest

from trainer.speech import asr, verbatim
from trainer.speech.transcript import Transcript, Word


def test_variants_are_forms_that_sound_alike():
    assert dict(verbatim.variants("called")) == {"call": "verb", "calls": "verb"}
    assert dict(verbatim.variants("were")) == {"was": "agreement"}
    assert dict(verbatim.variants("doesn't")) == {"don't": "agreement"}
    assert ("informations", "noun") in verbatim.variants("information")
    assert ("customers", "noun") in verbatim.variants("Customer,")
    assert verbatim.variants("went") == ()  # go/went: no recogniser confuses them
    assert verbatim.variants("he") == () and verbatim.variants("the") == ()


@pytest.mark.parametrize(
    "previous, word, following, form, kind, expected",
    [
        ("customer", "called", "me", "call", "verb", True),  # a verb after its subject
        ("will", "check", "your", "checked", "verb", True),  # after a modal
        ("didn't", "receive", "the", "received", "verb", True),  # after did
        ("the", "account", "number", "accounts", "noun", False),  # a noun not before a verb
        ("the", "customer", "is", "customers", "noun", True),  # a subject before its verb
        ("more", "information", "about", "informations", "noun", True),  # uncountable
        ("the", "checked", "box", "check", "verb", False),  # after an article: not a verb
        ("we", "were", "waiting", "was", "agreement", True),
    ],
)
def test_words_at_risk(previous, word, following, form, kind, expected):
    assert verbatim.at_risk(previous, word, following, form, kind) is expected


def _transcript(text: str) -> Transcript:
    words = [Word(w, i * 0.5, i * 0.5 + 0.4, 0.9) for i, w in enumerate(text.split())]
    return Transcript(text=text, words=words, engine="whisper", model="m", audio_seconds=len(words) * 0.5)


def test_a_change_is_recorded_with_its_evidence():
    transcript = _transcript("Yesterday the customer called me.")
    candidates = [
        verbatim.Candidate(3, "call", audio=-0.5, prior=-6.0),  # the audio barely prefers "called"
        verbatim.Candidate(3, "calls", audio=-5.0, prior=-2.0),
        verbatim.Candidate(2, "customers", audio=-4.0, prior=-1.0),
    ]
    changes = verbatim.decide(transcript, candidates, prior_weight=1.0, margin=2.0)
    assert [(c.written, c.restored) for c in changes] == [("called", "call")]
    assert changes[0].evidence == pytest.approx(5.5)
    restored = verbatim.apply(transcript, changes, 0.25)
    assert restored.text == "Yesterday the customer call me."
    assert restored.words[3].text == "call" and restored.words[3].restored_from == "called"
    assert [w.restored_from for w in restored.words if w.restored_from] == ["called"]
    assert restored.settings["verbatim"] == {
        "changes": [{"at": 1.5, "written": "called", "restored": "call", "evidence": 5.5}],
        "seconds": 0.25,
    }
    # a higher margin keeps what the recogniser wrote, and says the pass ran
    kept = verbatim.apply(transcript, verbatim.decide(transcript, candidates, 1.0, 6.0), 0.1)
    assert kept.text == transcript.text and kept.settings["verbatim"]["changes"] == []
    # stored reports from before the pass still load
    old = {k: v for k, v in transcript.to_dict().items()}
    old["words"] = [{k: v for k, v in w.items() if k != "restored_from"} for w in old["words"]]
    assert Transcript.from_dict(old).words[0].restored_from is None


def test_the_restored_word_is_marked_on_the_transcript():
    from trainer.webapp.transcript import transcript_html

    transcript = _transcript("We were waiting")
    restored = verbatim.apply(transcript, [verbatim.Change(1, 0.5, "were", "was", 4.2)], 0.1)
    page = transcript_html(restored.text, words=restored.words)
    assert 'title="as said: the recogniser wrote \u201cwere\u201d">was</span>' in page
    assert transcript_html(transcript.text, words=transcript.words).count("recogniser wrote") == 0


@pytest.mark.slow
def test_the_pass_runs_on_the_encoder_output_of_the_transcription(spoken):
    """Real speech: the windows are captured (nested captures included), every word at risk
    is scored against the audio and the prior, and the record of the pass is kept."""
    _, audio = spoken("Yesterday the customer call me about his bill, and we was waiting.", "calm_male")
    whisper = asr.get_whisper_model()
    with verbatim.capture_windows(whisper) as outer:
        transcript = asr.transcribe_whisper(audio, verbatim=True)
    assert len(outer) == 1 and outer[0].start == 0.0 and outer[0].num_frames > 0
    assert transcript.settings["verbatim"]["seconds"] > 0
    plain = asr.transcribe_whisper(audio)
    assert "verbatim" not in plain.settings
    candidates = verbatim.score_candidates(whisper, plain, outer)
    scored = {plain.words[c.index].text.strip(".,").lower() for c in candidates}
    assert scored & {"call", "called", "was", "were", "customer"}, scored
    for change in transcript.settings["verbatim"]["changes"]:
        assert change["evidence"] >= verbatim.MARGIN
    restored_words = [w for w in transcript.words if w.restored_from]
    assert len(restored_words) == sum(1 for c in transcript.settings["verbatim"]["changes"] if c["restored"])


@pytest.mark.slow
def test_the_learner_prompt_is_used_for_free_answers_only(spoken):
    options = asr.WhisperOptions(learner_prompt=True)
    assert asr.build_prompt(options) == asr.LEARNER_PROMPT
    assert asr.build_prompt(options, "Please hold the line.").startswith(asr.VERBATIM_PROMPT)
    assert asr.build_prompt(asr.WhisperOptions(learner_prompt=False)) == asr.VERBATIM_PROMPT
    _, audio = spoken("Um, my manager have approved your refund.", "calm_female")
    transcript = asr.transcribe_whisper(audio, options)
    assert transcript.settings["prompt"] == asr.LEARNER_PROMPT
    assert "refund" in transcript.text.lower()
