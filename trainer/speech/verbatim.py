"""A verbatim pass: put back the word forms the applicant said where the recogniser repaired them.

Whisper's decoder is a language model as much as a listener: "yesterday the customer call
me" comes back as "called me", "we was" as "we were", so a grammar check of the transcript
credits the applicant with grammar they did not produce (bench/asr.py, issue 14). The pass
tests the forms a learner's mistake would leave against the same audio, with the recogniser
itself, and keeps the form that was said.

How
---
1. **Words at risk** (``at_risk``): auxiliaries with an agreement partner (is/are, was/were,
   has/have, do/does, don't/doesn't, be/been); a verb after its subject, a modal, "to" or
   "did"; a noun before its verb; uncountable nouns. Their candidate forms are the
   inflections in lemminflect's lexicon that sound alike (the same stem: call/calls/called,
   customer/customers, receive/received, send/sent; not go/went, which no recogniser
   confuses).
2. **Scores.** Each candidate sentence (the words of the 3 s before the word, the form, the
   next two words) is scored by CTranslate2's Whisper ``align``: the log-probability of its
   tokens given that stretch of the encoder output the transcription already computed
   (captured by ``capture_windows``, not recomputed). The same sentences are scored given
   silence: what the decoder's language model alone prefers.
3. **Decision.** The audio's evidence for a form is its log-probability given the audio
   less ``PRIOR_WEIGHT`` times its log-probability given silence (the language model's
   share, which favours the grammatical form whatever was said). A form replaces the
   written one only when its evidence is higher by ``MARGIN`` nats or more.

Status: off by default (``verbatim_pass`` setting). On bench/grammar_speech.py the evidence
did not separate mistakes the recogniser repaired from correct forms it heard right (a
third-person -s or a past -ed is a few milliseconds of audio, and espeak-ng's voices blur
them): every choice of the two constants that restored a fair share of the repaired mistakes
also changed correct sentences. It also costs about 4-5 s per 30 s answer on 2 cores, five
times the budget. It stays as a measured tool (``bench/grammar_speech.py --with-pass``) and
for deployments with a stronger model; docs/validity.md has the figures.

Every change is kept in ``transcript.settings["verbatim"]`` (time, what was written, what
was restored, the evidence in nats), and a restored word carries ``restored_from``, so a
coach can see and check it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from trainer.speech.transcript import Transcript, Word

# The most mistakes restored on the even rows of bench/data/grammar_speech.tsv with at most
# 2 % of correct sentences changed (bench/grammar_speech.py --with-pass --tune).
PRIOR_WEIGHT = 0.0
MARGIN = 3.0
SUFFIX_WORDS = 2  # words after the form that join its sentence: they carry the agreement
MAX_BATCH = 48  # sentences per align call

AGREEMENT_PAIRS = {
    "is": ("are",), "are": ("is",), "was": ("were",), "were": ("was",),
    "has": ("have",), "have": ("has",), "do": ("does",), "does": ("do",),
    "don't": ("doesn't",), "doesn't": ("don't",), "isn't": ("aren't",), "aren't": ("isn't",),
    "wasn't": ("weren't",), "weren't": ("wasn't",), "been": ("be",), "be": ("been",),
}  # fmt: skip
# After these a word is a noun or an adjective, not a verb whose form could be wrong.
DETERMINERS = frozenset({"a", "an", "the", "my", "your", "his", "her", "our", "their", "this", "that"})
# Words after which a verb's form carries agreement or tense: subjects, modals, auxiliaries.
VERB_TRIGGERS = frozenset(
    {
        "i", "you", "we", "they", "he", "she", "it", "who", "will", "would", "can", "could",
        "should", "must", "may", "might", "shall", "to", "did", "didn't", "does", "doesn't", "do",
        "don't", "not", "never", "also", "always", "usually", "often", "just", "really", "still",
        "then", "is", "are", "was", "were", "am",
    }
)  # fmt: skip
UNCOUNTABLE = frozenset(
    {
        "information", "advice", "equipment", "feedback", "furniture", "software", "hardware",
        "luggage", "baggage", "homework", "knowledge", "evidence", "research", "traffic",
        "machinery", "news", "money", "stuff", "staff", "mail", "music", "weather", "work",
    }
)  # fmt: skip
CONTEXT_BEFORE = 3.0  # seconds of audio (and its words) before the word tested
CONTEXT_AFTER = 1.5
SILENCE_FRAMES = 50
# Words whose forms are never a learner's agreement or tense mistake in transcripts.
NEVER = frozenset({"i", "you", "we", "they", "he", "she", "it", "me", "us", "them", "him", "her", "am"})
VERB_TAGS = ("VB", "VBZ", "VBD", "VBN")
NOUN_TAGS = ("NN", "NNS")
STRIP = ".,?!;:\"'()"


@dataclass(frozen=True)
class Window:
    """One 30-second decoding window of a transcription, as the recogniser saw it."""

    encoder_output: Any  # ctranslate2.StorageView, [1, frames, d_model]
    num_frames: int  # mel frames with audio in them
    start: float  # seconds
    end: float
    tokenizer: Any  # faster_whisper.tokenizer.Tokenizer


@dataclass(frozen=True)
class Change:
    index: int  # word position in the transcript before the pass
    at: float  # seconds
    written: str
    restored: str
    evidence: float  # nats by which the audio favours the restored form

    def as_dict(self) -> dict:
        return {
            "at": self.at,
            "written": self.written,
            "restored": self.restored,
            "evidence": round(self.evidence, 2),
        }


# ------------------------------------------------------------------ capturing the encoder output

_capture = threading.local()
_hook_lock = threading.Lock()


def _install_hook(whisper) -> None:
    """faster-whisper computes each window's encoder output and hands it, with the window's
    segments, to ``add_word_timestamps``; the hook keeps it for the pass."""
    with _hook_lock:
        if getattr(whisper, "_verbatim_hooked", False):
            return
        original = whisper.add_word_timestamps

        def hooked(segments, tokenizer, encoder_output, num_frames, *args, **kwargs):
            captures = getattr(_capture, "stack", None)
            if captures and segments and segments[0]:
                start = segments[0][0]["seek"] * whisper.feature_extractor.time_per_frame
                end = start + num_frames * whisper.feature_extractor.time_per_frame
                for windows in captures:  # nested captures all see the window
                    windows.append(Window(encoder_output, int(num_frames), start, end, tokenizer))
            return original(segments, tokenizer, encoder_output, num_frames, *args, **kwargs)

        whisper.add_word_timestamps = hooked
        whisper._verbatim_hooked = True


@contextmanager
def capture_windows(whisper) -> Iterator[list[Window]]:
    """Collect the windows of the transcriptions run inside the block, in this thread."""
    _install_hook(whisper)
    windows: list[Window] = []
    if not hasattr(_capture, "stack"):
        _capture.stack = []
    _capture.stack.append(windows)
    try:
        yield windows
    finally:
        _capture.stack.remove(windows)


# ------------------------------------------------------------------ candidate forms


def _core(text: str) -> str:
    return text.strip().strip(STRIP).lower()


def _sounds_alike(a: str, b: str) -> bool:
    """Forms that differ in an ending (call/called, send/sent), not in the whole word (go/went)."""
    return len(os.path.commonprefix([a, b])) >= max(2, min(len(a), len(b)) - 2)


@lru_cache(maxsize=4096)
def variants(word: str) -> tuple[tuple[str, str], ...]:
    """Forms a learner might have said where the recogniser wrote ``word``, each with its
    kind: "agreement" (an auxiliary's partner), "verb" or "noun" (another inflection)."""
    core = _core(word)
    if not core or core in NEVER:
        return ()
    if core in AGREEMENT_PAIRS:
        return tuple((form, "agreement") for form in AGREEMENT_PAIRS[core])
    if not core.isalpha() or len(core) < 3:
        return ()
    import lemminflect  # a 1 MB lexicon, loaded on first use

    lemmas = lemminflect.getAllLemmas(core)
    forms: list[tuple[str, str]] = []
    for upos, kind, tags in (("VERB", "verb", VERB_TAGS), ("NOUN", "noun", NOUN_TAGS)):
        for lemma in lemmas.get(upos, ()):
            inflections = lemminflect.getAllInflections(lemma, upos=upos)
            for tag in tags:
                form = (inflections.get(tag) or (None,))[0]
                if form and form != core and (form, kind) not in forms and _sounds_alike(core, form):
                    forms.append((form, kind))
    return tuple(forms)


def _is_verb_only(word: str) -> bool:
    import lemminflect

    lemmas = lemminflect.getAllLemmas(_core(word))
    return "VERB" in lemmas and "NOUN" not in lemmas


def _is_noun(word: str) -> bool:
    import lemminflect

    return "NOUN" in lemminflect.getAllLemmas(_core(word))


def at_risk(previous: str, word: str, following: str, form: str, kind: str) -> bool:
    """Whether ``form`` in place of ``word`` is a mistake a recogniser would repair here:
    an auxiliary's agreement, a verb after its subject, a modal, "to" or "did", a noun
    before its verb, and uncountable nouns. Other words keep their form untested (each
    test costs time, and each is a chance of a false restoration)."""
    if kind == "agreement":
        return True
    before, after = _core(previous), _core(following)
    if kind == "verb":
        return before in VERB_TRIGGERS or (bool(before) and _is_noun(previous) and before not in DETERMINERS)
    return (
        _core(word) in UNCOUNTABLE
        or form in UNCOUNTABLE
        or after in AGREEMENT_PAIRS
        or (bool(after) and _is_verb_only(following))
    )


def _with_core(word: str, form: str) -> str:
    """``form`` written with ``word``'s capital and punctuation."""
    stripped = word.strip()
    lead = stripped[: len(stripped) - len(stripped.lstrip(STRIP))]
    tail = stripped[len(stripped.rstrip(STRIP)) :]
    core = stripped.strip(STRIP)
    if core[:1].isupper():
        form = form[:1].upper() + form[1:]
    return lead + form + tail


# ------------------------------------------------------------------ scoring


@dataclass(frozen=True)
class Candidate:
    index: int  # word position in the transcript
    form: str
    audio: float  # log-probability of the sentence given the audio, less the written form's
    prior: float  # the same given silence

    def evidence(self, prior_weight: float = PRIOR_WEIGHT) -> float:
        return self.audio - prior_weight * self.prior


@lru_cache(maxsize=4)
def _silence(whisper) -> Any:
    """Encoder output of silence: the decoder scored on it is a language model alone."""
    samples = np.zeros(16000 * 30, dtype=np.float32)
    features = whisper.feature_extractor(samples)[:, : whisper.feature_extractor.nb_max_frames]
    return np.array(whisper.encode(features))[:, :SILENCE_FRAMES]


def _log_probs(whisper, encoded: np.ndarray, num_frames: int, tokenizer, texts: list[str]) -> list[float]:
    """log P(text | encoded audio) of each text, from the decoder's own token probabilities."""
    import ctranslate2

    start = list(tokenizer.sot_sequence) + [tokenizer.no_timestamps]
    out: list[float] = []
    for first in range(0, len(texts), MAX_BATCH):
        chunk = texts[first : first + MAX_BATCH]
        tokens = [tokenizer.encode(" " + t.strip()) for t in chunk]
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(encoded, len(chunk), axis=0)))
        results = whisper.model.align(batch, start, tokens, [num_frames] * len(chunk))
        out += [float(np.log(np.maximum(np.asarray(r.text_token_probs), 1e-12)).sum()) for r in results]
    return out


def score_candidates(whisper, transcript: Transcript, windows: list[Window]) -> list[Candidate]:
    """Every candidate form of every word at risk, scored against the audio and the prior.

    Each word is scored on the stretch of audio around it (``CONTEXT_BEFORE`` seconds before,
    ``CONTEXT_AFTER`` after) with the words said in it: five times cheaper than the whole
    window, and the audio's preference is clearer (bench/grammar_speech.py)."""
    prior_texts: list[str] = []
    # word index, form, its audio difference, and its and the written sentence's rows in prior_texts
    pending: list[tuple[int, str, float, int, int]] = []
    frames_per_second = 1.0 / whisper.feature_extractor.time_per_frame
    words = transcript.words
    for window in windows:
        encoded = np.array(window.encoder_output)
        positions = [i for i, w in enumerate(words) if window.start <= w.start < window.end]
        for k, i in enumerate(positions):
            following = words[positions[k + 1]].text if k + 1 < len(positions) else ""
            previous = words[positions[k - 1]].text if k else ""
            forms = list(
                dict.fromkeys(
                    f for f, kind in variants(words[i].text) if at_risk(previous, words[i].text, following, f, kind)
                )
            )
            if not forms:
                continue
            low = max(window.start, words[i].start - CONTEXT_BEFORE)
            high = min(window.end, words[i].end + CONTEXT_AFTER)
            before = [words[j].text for j in positions[:k] if words[j].start >= low]
            after = [words[j].text for j in positions[k + 1 : k + 1 + SUFFIX_WORDS]]
            texts = [" ".join(before + [words[i].text] + after)]
            texts += [" ".join(before + [_with_core(words[i].text, f)] + after) for f in forms]
            # encoder frames are two mel frames each
            first = int((low - window.start) * frames_per_second / 2)
            last = int((high - window.start) * frames_per_second / 2) + 1
            crop = encoded[:, first:last]
            scores = _log_probs(whisper, crop, 2 * crop.shape[1], window.tokenizer, texts)
            written_row = len(prior_texts)
            prior_texts += texts
            for n, form in enumerate(forms, start=1):
                pending.append((i, form, scores[n] - scores[0], written_row, written_row + n))
    if not pending:
        return []
    tokenizer = windows[0].tokenizer
    silence = _silence(whisper)
    prior = _log_probs(whisper, silence, 2 * silence.shape[1], tokenizer, prior_texts)
    return [Candidate(i, form, audio, prior[row] - prior[written]) for i, form, audio, written, row in pending]


def decide(
    transcript: Transcript,
    candidates: list[Candidate],
    prior_weight: float = PRIOR_WEIGHT,
    margin: float = MARGIN,
) -> list[Change]:
    """The best-supported form of each word, where the audio favours it by ``margin`` nats."""
    best: dict[int, Candidate] = {}
    for c in sorted(candidates, key=lambda c: c.evidence(prior_weight), reverse=True):
        if c.evidence(prior_weight) >= margin:
            best.setdefault(c.index, c)  # the strongest form of each word comes first
    return [
        Change(i, transcript.words[i].start, _core(transcript.words[i].text), c.form, c.evidence(prior_weight))
        for i, c in sorted(best.items())
    ]


def apply(transcript: Transcript, changes: list[Change], seconds: float) -> Transcript:
    """The transcript with ``changes`` made, each one recorded."""
    by_index = {c.index: c for c in changes}
    words: list[Word] = []
    for i, word in enumerate(transcript.words):
        change = by_index.get(i)
        if change is None:
            words.append(word)
        else:
            words.append(replace(word, text=_with_core(word.text, change.restored), restored_from=word.text))
    settings = dict(transcript.settings)
    settings["verbatim"] = {"changes": [c.as_dict() for c in changes], "seconds": round(seconds, 3)}
    text = " ".join(w.text for w in words) if changes else transcript.text
    return replace(transcript, text=text, words=words, settings=settings)


def restore(whisper, transcript: Transcript, windows: list[Window]) -> Transcript:
    """Run the pass on a transcription's captured windows."""
    started = time.perf_counter()
    changes = decide(transcript, score_candidates(whisper, transcript, windows))
    return apply(transcript, changes, time.perf_counter() - started)
