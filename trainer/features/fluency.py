"""Fluency features from word timings and voice activity detection.

``measure_fluency(transcript, audio=None) -> FluencyResult``. With audio, silent pauses are
the gaps between the Silero VAD's speech segments (``trainer.speech.vad.speech_segments``); without
it they are the gaps between recognised words. Word counts come from the transcript.

Definitions (the rubric's ``lessons/rubrics/fluency.yaml`` names the features):

- *words*: recognised words, spelled out as spoken (``$45`` is three words), **without**
  fillers ("um", "you know" used as a filler), so a hesitant answer is not made faster by
  its own hesitations.
- *speaking time*: from the start of the first word to the end of the last one (with audio,
  trimmed to the VAD's first and last speech so silence Whisper absorbs into the edge words
  does not count).
- *silent pause*: a silence of at least ``RUN_PAUSE_SECONDS`` (0.25 s) inside the speaking
  time; ``pauses_per_minute`` counts those of ``PAUSE_SECONDS`` (0.5 s) or more,
  ``long_pauses_per_minute`` those of ``LONG_PAUSE_SECONDS`` (1 s) or more.
- *phonation time*: speaking time minus silent pauses; ``articulation_rate_wpm`` is words
  per minute of phonation time and ``phonation_time_ratio`` phonation / speaking time.
- *run*: the words between two silent pauses of 0.25 s or more; ``mean_length_of_run`` is
  words per run (runs with no recognised word, such as a cough, are left out).
- *fillers*: hesitation sounds (um, uh, er, erm, ah, hmm and Whisper's spellings of them,
  plus Filipino "ano", "bale") always count; the phrase bank's other fillers ("you know",
  "like", "I mean", "kind of", "actually"...) count only where they are set off by a comma
  or end a sentence and the word before does not make them ordinary grammar ("I would like",
  "do you know", "what kind of").
- *repetitions*: a word or a phrase of up to four words said twice in a row, fillers in
  between ignored ("I I", "the, uh, the", "to the to the"). Number words and a few
  intensifiers ("very very", "bye bye") are not counted.
- *self-corrections* (evidence only, not a rubric feature): a cut-off word ("deli-
  delivery"), an editing term after a comma ("Monday, sorry, Tuesday", "..., I mean ...",
  "or rather") or a restart that changes a word ("I will, I would").

``pitch_variation_semitones`` (standard deviation of F0 in semitones, Praat via
parselmouth) is computed when audio is given and returned by ``features()`` as an extra key
for later prosody calibration; ``Rubric.band_for`` only reads the features its thresholds
name, so the extra key does not change any band. ``rubric_features()`` gives the rubric's
eight features alone.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from trainer.content import FEATURES, get_bank
from trainer.features.lexical import canonical_hesitation
from trainer.speech.textnorm import normalize
from trainer.speech.transcript import Transcript, Word
from trainer.speech.vad import speech_segments

if TYPE_CHECKING:  # pragma: no cover
    from trainer.content import PhraseBank
    from trainer.speech.audio import Audio

# --------------------------------------------------------------------------- thresholds

RUN_PAUSE_SECONDS = 0.25  # a silence this long ends a run; the shortest pause counted
PAUSE_SECONDS = 0.5  # pauses_per_minute counts silences at least this long
LONG_PAUSE_SECONDS = 1.0  # long_pauses_per_minute
PAUSE_LEVELS = (RUN_PAUSE_SECONDS, PAUSE_SECONDS, LONG_PAUSE_SECONDS)
# Whisper stretches the first and last word over silence; with VAD the speaking time is
# cut to the speech the VAD heard, but never by more than this at each end.
EDGE_TRIM_MAX_SECONDS = 2.0
# Shortest speaking time used as the denominator of per-minute rates, so two words said in
# 0.3 s do not make 400 words per minute.
MIN_SPEAKING_SECONDS = 1.0
# Longest repeated phrase looked for ("to the to the" is 2).
MAX_REPEAT_WORDS = 4
# Pitch: Praat's autocorrelation range for adult voices.
PITCH_FLOOR_HZ = 75.0
PITCH_CEILING_HZ = 500.0
MIN_VOICED_FRAMES = 10  # fewer voiced frames than this: no pitch measure

# The rubric's fluency features this stage measures itself (the calibrated ones come later,
# from the calibration stage).
FEATURE_NAMES = tuple(name for name in FEATURES["fluency"] if not name.startswith("calibrated_"))
EXTRA_FEATURE_NAMES = ("pitch_variation_semitones",)

# Hesitation sounds and the spellings recognisers give them -> canonical filler.
# Phrase-bank fillers that count wherever they occur (not English words in this use).
ALWAYS_FILLERS = frozenset({"um", "uh", "er", "erm", "ah", "hmm", "ano", "bale"})
# Used when no phrase bank is given and lessons/phrasebank.yaml cannot be read.
DEFAULT_FILLERS = (
    "um",
    "uh",
    "er",
    "erm",
    "ah",
    "hmm",
    "you know",
    "like",
    "i mean",
    "kind of",
    "sort of",
    "basically",
    "actually",
    "so yeah",
    "ano",
    "bale",
)
# A discourse filler preceded by one of these words is ordinary grammar, not a filler.
FILLER_BLOCKERS: dict[str, frozenset[str]] = {
    "like": frozenset(
        "i you we they he she it would i'd you'd we'd they'd to don't didn't doesn't do does "
        "did feel feels felt look looks looked sound sounds seem seems just something anything "
        "nothing more less much exactly things people really also not would've what".split()
    ),
    "you know": frozenset(
        "do did don't didn't let if will would as you'll i'll we'll to may might should could can now how".split()
    ),
    "i mean": frozenset("what do did don't that's which".split()),
    "kind of": frozenset("what this that a the any some which same every each other one all these those".split()),
    "sort of": frozenset("what this that a the any some which same every each other one all these those".split()),
}
# Editing terms that mark a self-correction after a comma: "Monday, sorry, Tuesday".
EDIT_TERMS = ("i mean", "sorry", "or rather", "rather", "no wait", "wait", "correction", "let me rephrase", "i meant")
# ...unless the word before shows an ordinary use ("yes, sorry", "hello, sorry").
EDIT_BLOCKERS = frozenset("yes yeah oh okay ok hello hi well i'm am so very really thank thanks you".split())
# "sorry for/to/about ..." is an apology, not a correction.
APOLOGY_FOLLOWERS = frozenset({"for", "to", "about", "that", "if"})
# Words whose immediate repetition is normal English (or digits read out: "five five five").
LEGITIMATE_REPEATS = frozenset(
    "very really bye no yes ha so many much again more oh zero one two three four five six "
    "seven eight nine ten double".split()
)
_COMMA_END = re.compile(r"[,;:…]$|--?$")  # a comma-like break after a word
_CLAUSE_END = re.compile(r"[,;:.!?…]$|--?$")  # any break after a word
_CLAUSE_START = re.compile(r"^[,;:…-]")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Pause:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Filler:
    text: str  # canonical form from the phrase bank ("um", "you know")
    heard: str  # as recognised ("Umm,")
    start: float
    end: float


@dataclass(frozen=True)
class Disfluency:
    kind: str  # "repetition" | "cut_off" | "editing_term" | "restart"
    text: str  # the words involved, as spoken
    start: float
    end: float


@dataclass
class FluencyResult:
    word_count: int  # words without fillers
    filler_count: int
    speaking_seconds: float  # first word to last word
    phonation_seconds: float
    speech_rate_wpm: float
    articulation_rate_wpm: float
    phonation_time_ratio: float
    pauses: list[Pause]  # every silent pause >= RUN_PAUSE_SECONDS
    pause_source: str  # "vad" or "word_gaps"
    mean_length_of_run: float
    runs: list[int]  # words per run
    fillers: list[Filler]
    repetitions: list[Disfluency]
    self_corrections: list[Disfluency]
    pitch_variation_semitones: float | None = None
    pitch_median_hz: float | None = None
    notes: list[str] = field(default_factory=list)

    def pauses_at_least(self, seconds: float) -> list[Pause]:
        return [p for p in self.pauses if p.duration >= seconds - 1e-9]

    @property
    def _minutes(self) -> float:
        return max(self.speaking_seconds, MIN_SPEAKING_SECONDS) / 60.0

    @property
    def pauses_per_minute(self) -> float:
        return len(self.pauses_at_least(PAUSE_SECONDS)) / self._minutes if self.word_count else 0.0

    @property
    def long_pauses_per_minute(self) -> float:
        if not self.word_count:
            return 0.0
        return len(self.pauses_at_least(LONG_PAUSE_SECONDS)) / self._minutes

    @property
    def fillers_per_100_words(self) -> float:
        return 100.0 * self.filler_count / self.word_count if self.word_count else 0.0

    @property
    def repetitions_per_100_words(self) -> float:
        return 100.0 * len(self.repetitions) / self.word_count if self.word_count else 0.0

    @property
    def self_corrections_per_100_words(self) -> float:
        return 100.0 * len(self.self_corrections) / self.word_count if self.word_count else 0.0

    def rubric_features(self) -> dict[str, float]:
        """The eight features rubrics/fluency.yaml names, nothing else."""
        return {name: round(float(getattr(self, name)), 4) for name in FEATURE_NAMES}

    def features(self) -> dict[str, float]:
        """Rubric features plus ``pitch_variation_semitones`` when audio gave a pitch track."""
        values = self.rubric_features()
        if self.pitch_variation_semitones is not None:
            values["pitch_variation_semitones"] = round(self.pitch_variation_semitones, 4)
        return values

    def evidence(self) -> dict:
        def pause_dict(p: Pause) -> dict:
            return {"start": round(p.start, 3), "end": round(p.end, 3), "seconds": round(p.duration, 3)}

        return {
            "word_count": self.word_count,
            "filler_count": self.filler_count,
            "speaking_seconds": round(self.speaking_seconds, 3),
            "phonation_seconds": round(self.phonation_seconds, 3),
            "pause_source": self.pause_source,
            "pause_counts": {f">={level:g}s": len(self.pauses_at_least(level)) for level in PAUSE_LEVELS},
            "mean_pause_seconds": {
                f">={level:g}s": round(_mean([p.duration for p in self.pauses_at_least(level)]), 3)
                for level in PAUSE_LEVELS
            },
            "pauses": [pause_dict(p) for p in self.pauses],
            "runs": list(self.runs),
            "fillers": [
                {"filler": f.text, "heard": f.heard, "start": round(f.start, 3), "end": round(f.end, 3)}
                for f in self.fillers
            ],
            "repetitions": [_disfluency_dict(d) for d in self.repetitions],
            "self_corrections": [_disfluency_dict(d) for d in self.self_corrections],
            "self_corrections_per_100_words": round(self.self_corrections_per_100_words, 4),
            "pitch_median_hz": None if self.pitch_median_hz is None else round(self.pitch_median_hz, 1),
            "pitch_variation_semitones": None
            if self.pitch_variation_semitones is None
            else round(self.pitch_variation_semitones, 3),
            "thresholds": {
                "run_pause_seconds": RUN_PAUSE_SECONDS,
                "pause_seconds": PAUSE_SECONDS,
                "long_pause_seconds": LONG_PAUSE_SECONDS,
            },
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict:
        return asdict(self)


def _disfluency_dict(d: Disfluency) -> dict:
    return {"kind": d.kind, "text": d.text, "start": round(d.start, 3), "end": round(d.end, 3)}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One spoken word, normalised ("$45" gives three tokens sharing its time)."""

    text: str
    start: float
    end: float
    raw: str  # the recogniser's word it came from, with punctuation
    pause_before: bool  # a comma or similar right before it (not a full stop)
    pause_after: bool  # a comma, full stop... right after it
    cut_off: bool = False  # the recogniser wrote it as broken off: "deli-"
    sentence_start: bool = False  # after a full stop, question or exclamation mark


def tokens_from_transcript(transcript: Transcript) -> list[Token]:
    """Normalised tokens with times; from ``transcript.words`` or, if none, its text."""
    words = transcript.words
    if not words and transcript.text.strip():
        raw = transcript.text.split()
        words = [Word(w, float(i), float(i) + 0.5, 1.0) for i, w in enumerate(raw)]
    tokens: list[Token] = []
    previous_raw = ""
    for word in words:
        raw = word.text.strip()
        cut = raw.endswith("-") and len(raw.strip("-")) > 0
        parts = normalize(raw).split()
        if not parts:
            previous_raw = raw
            continue
        w_start, w_end = float(word.start), float(word.end)
        step = (w_end - w_start) / len(parts)
        before = bool(_COMMA_END.search(previous_raw)) or bool(_CLAUSE_START.search(raw))
        sentence = bool(re.search(r"[.!?]$", previous_raw))
        after = bool(_CLAUSE_END.search(raw)) and not cut
        for i, part in enumerate(parts):
            tokens.append(
                Token(
                    part,
                    w_start + i * step,
                    w_start + (i + 1) * step,
                    raw,
                    before if i == 0 else False,
                    after if i == len(parts) - 1 else False,
                    cut and i == len(parts) - 1,
                    sentence if i == 0 else False,
                )
            )
        previous_raw = raw
    return tokens


@lru_cache(maxsize=1)
def _default_fillers() -> tuple[str, ...]:
    try:
        return tuple(get_bank().phrasebank.fillers)
    except Exception:  # noqa: BLE001 - content problems must not stop scoring
        return DEFAULT_FILLERS


def filler_phrases(phrasebank: PhraseBank | None = None) -> list[tuple[str, ...]]:
    """The phrase bank's fillers as word tuples, longest first."""
    source = phrasebank.fillers if phrasebank is not None else _default_fillers()
    phrases = {tuple(normalize(f).split()) for f in source}
    phrases.discard(())
    return sorted(phrases, key=lambda p: (-len(p), p))


def find_fillers(tokens: list[Token], phrasebank: PhraseBank | None = None) -> tuple[list[Filler], set[int]]:
    """Fillers and the indexes of the tokens they cover."""
    phrases = filler_phrases(phrasebank)
    corrections = {i for d_idx in _editing_term_spans(tokens) for i in d_idx}
    found: list[Filler] = []
    covered: set[int] = set()
    i = 0
    while i < len(tokens):
        hesitation = canonical_hesitation(tokens[i].text)
        if hesitation is not None:
            found.append(Filler(hesitation, tokens[i].raw, tokens[i].start, tokens[i].end))
            covered.add(i)
            i += 1
            continue
        matched = None
        for phrase in phrases:
            n = len(phrase)
            if tuple(t.text for t in tokens[i : i + n]) != phrase:
                continue
            if " ".join(phrase) in ALWAYS_FILLERS or _is_discourse_filler(tokens, i, n, phrase):
                if not any(j in corrections for j in range(i, i + n)):
                    matched = phrase
                    break
        if matched:
            n = len(matched)
            found.append(
                Filler(
                    " ".join(matched),
                    " ".join(dict.fromkeys(t.raw for t in tokens[i : i + n])),
                    tokens[i].start,
                    tokens[i + n - 1].end,
                )
            )
            covered.update(range(i, i + n))
            i += n
        else:
            i += 1
    return found, covered


def _is_discourse_filler(tokens: list[Token], i: int, n: int, phrase: tuple[str, ...]) -> bool:
    """A filler that is also ordinary English counts only when set off by punctuation."""
    set_off = tokens[i].pause_before or tokens[i + n - 1].pause_after
    if not set_off:
        return False
    previous = tokens[i - 1].text if i > 0 else ""
    if previous and not tokens[i].pause_before and previous in FILLER_BLOCKERS.get(" ".join(phrase), ()):
        return False
    return True


def _editing_term_spans(tokens: list[Token]) -> list[range]:
    spans: list[range] = []
    terms = sorted((tuple(t.split()) for t in EDIT_TERMS), key=len, reverse=True)
    for i in range(1, len(tokens)):
        if not tokens[i].pause_before:
            continue
        for term in terms:
            n = len(term)
            if tuple(t.text for t in tokens[i : i + n]) != term or i + n >= len(tokens):
                continue
            if tokens[i - 1].text in EDIT_BLOCKERS:
                continue
            if term[-1] == "sorry" and tokens[i + n].text in APOLOGY_FOLLOWERS:
                continue
            spans.append(range(i, i + n))
            break
    return spans


def find_disfluencies(tokens: list[Token], filler_indexes: set[int]) -> tuple[list[Disfluency], list[Disfluency]]:
    """Repetitions and self-corrections over the words that are not fillers."""
    kept = [i for i in range(len(tokens)) if i not in filler_indexes]
    words = [tokens[i].text for i in kept]
    # a boundary before kept word k: punctuation, a filler or a cut-off word in between
    boundary = [False] * len(kept)
    for k in range(1, len(kept)):
        a, b = kept[k - 1], kept[k]
        boundary[k] = (
            tokens[b].pause_before
            or tokens[b].sentence_start
            or tokens[a].pause_after
            or b - a > 1
            or tokens[a].cut_off
        )

    repetitions: list[Disfluency] = []
    repeated_starts: set[int] = set()
    k = 0
    while k < len(words):
        step = 1
        for n in range(MAX_REPEAT_WORDS, 0, -1):
            if k + 2 * n > len(words) or words[k : k + n] != words[k + n : k + 2 * n]:
                continue
            if n == 1 and words[k] in LEGITIMATE_REPEATS:
                continue
            if n > 1 and all(w in LEGITIMATE_REPEATS for w in words[k : k + n]):
                continue
            first, last = tokens[kept[k]], tokens[kept[k + 2 * n - 1]]
            repetitions.append(Disfluency("repetition", " ".join(words[k : k + 2 * n]), first.start, last.end))
            repeated_starts.add(k + n)
            step = n
            break
        k += step

    corrections: list[Disfluency] = []
    for k, index in enumerate(kept):
        token = tokens[index]
        if token.cut_off and k + 1 < len(kept):
            nxt = tokens[kept[k + 1]]
            corrections.append(Disfluency("cut_off", f"{token.raw} {nxt.raw}", token.start, nxt.end))
    for span in _editing_term_spans(tokens):
        start, end = span[0], span[-1]
        before = tokens[start - 1]
        after = tokens[end + 1] if end + 1 < len(tokens) else tokens[end]
        text = " ".join(t.text for t in tokens[start - 1 : end + 2])
        corrections.append(Disfluency("editing_term", text, before.start, after.end))
    for k in range(2, len(kept)):
        if not boundary[k] or k in repeated_starts:
            continue
        for back in (2, 3):
            j = k - back
            if j < 0 or words[j] != words[k]:
                continue
            if words[j:k] == words[k : k + back]:
                continue  # a plain repetition
            if any(boundary[m] for m in range(j + 1, k)):
                continue  # the restart must go back within one stretch of speech
            if k + 1 >= len(words) or words[k + 1] == words[j + 1]:
                continue  # must change something after the repeated word
            start, end = tokens[kept[j]], tokens[kept[min(k + 1, len(kept) - 1)]]
            corrections.append(Disfluency("restart", " ".join(words[j : k + 2]), start.start, end.end))
            break
    corrections.sort(key=lambda d: d.start)
    return repetitions, corrections


# --------------------------------------------------------------------------- pauses


def vad_speech(samples) -> list:
    """Silero speech segments for pause measurement. No padding: the VAD's default 30 ms
    on each side would shorten every pause by 60 ms (a 0.35 s silence read as 0.23 s)."""

    return speech_segments(samples, min_silence_ms=int(RUN_PAUSE_SECONDS * 1000), pad_ms=0)


def pauses_from_words(tokens: list[Token]) -> list[Pause]:
    return _gaps(
        [(t.start, t.end) for t in tokens], tokens[0].start if tokens else 0.0, tokens[-1].end if tokens else 0.0
    )


def _gaps(spans: list[tuple[float, float]], start: float, end: float) -> list[Pause]:
    """Silences of at least RUN_PAUSE_SECONDS between sound spans, inside [start, end]."""
    pauses: list[Pause] = []
    reach = None
    for s, e in sorted(spans):
        if reach is not None and s - reach >= RUN_PAUSE_SECONDS:
            gap_start, gap_end = max(reach, start), min(s, end)
            if gap_end - gap_start >= RUN_PAUSE_SECONDS:
                pauses.append(Pause(gap_start, gap_end))
        reach = e if reach is None else max(reach, e)
    return pauses


def _word_inside(pause: Pause, tokens: list[Token]) -> bool:
    """A whole recognised word inside the silence. (Whisper stretches words over real
    pauses, so a word merely overlapping one proves nothing.)"""
    return any(pause.start <= t.start and t.end <= pause.end for t in tokens)


def pitch_variation(samples, sample_rate: int = 16000) -> tuple[float | None, float | None]:
    """(standard deviation of F0 in semitones, median F0 in Hz), or (None, None)."""
    import numpy as np
    import parselmouth

    if samples is None or len(samples) < sample_rate * 0.1:
        return None, None
    sound = parselmouth.Sound(np.asarray(samples, dtype=np.float64), sampling_frequency=sample_rate)
    pitch = sound.to_pitch(pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ)
    f0 = pitch.selected_array["frequency"]
    f0 = f0[f0 > 0]
    if f0.size < MIN_VOICED_FRAMES:
        return None, None
    median = float(np.median(f0))
    semitones = 12.0 * np.log2(f0 / median)
    return float(np.std(semitones)), median


# --------------------------------------------------------------------------- measure


def measure_fluency(
    transcript: Transcript,
    audio: Audio | None = None,
    phrasebank: PhraseBank | None = None,
) -> FluencyResult:
    """Fluency features of one spoken answer (see the module docstring for definitions)."""
    tokens = tokens_from_transcript(transcript)
    fillers, filler_indexes = find_fillers(tokens, phrasebank)
    repetitions, corrections = find_disfluencies(tokens, filler_indexes)
    spoken = [t for i, t in enumerate(tokens) if i not in filler_indexes]
    notes: list[str] = []

    pitch_sd = pitch_median = None
    if audio is not None:
        pitch_sd, pitch_median = pitch_variation(audio.samples, audio.sample_rate)

    if not tokens:
        notes.append("no words were recognised")
        return FluencyResult(
            0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, [], "none", 0.0, [], [], [], [], pitch_sd, pitch_median, notes
        )

    start, end = tokens[0].start, tokens[-1].end
    if audio is not None:
        segments = vad_speech(audio.samples)
        if segments:
            # trim silence Whisper stretched the edge words over
            start = min(max(start, segments[0].start), start + EDGE_TRIM_MAX_SECONDS, tokens[0].end)
            end = max(min(end, segments[-1].end), end - EDGE_TRIM_MAX_SECONDS, tokens[-1].start)
            pauses = _gaps([(s.start, s.end) for s in segments], start, end)
            heard = [p for p in pauses if _word_inside(p, tokens)]
            if heard:
                # Silero misses some narrow-band (telephone) voices; a recognised word
                # in the middle of a "silence" shows the speaker was talking.
                pauses = [p for p in pauses if p not in heard]
                notes.append(f"{len(heard)} VAD silence(s) held recognised words and were not counted")
            source = "vad"
        else:
            notes.append("the VAD found no speech; pauses come from word gaps")
            pauses, source = pauses_from_words(tokens), "word_gaps"
    else:
        pauses, source = pauses_from_words(tokens), "word_gaps"

    speaking = max(end - start, 0.0)
    phonation = max(speaking - sum(p.duration for p in pauses), 0.0)
    n = len(spoken)
    minutes = max(speaking, MIN_SPEAKING_SECONDS) / 60.0
    speech_rate = n / minutes if n else 0.0
    articulation = n / (max(phonation, MIN_SPEAKING_SECONDS) / 60.0) if n else 0.0
    ratio = min(phonation / speaking, 1.0) if speaking > 0 else 0.0

    runs = _runs(spoken, pauses)
    mlr = _mean([float(r) for r in runs])
    if speaking < MIN_SPEAKING_SECONDS:
        notes.append(f"less than {MIN_SPEAKING_SECONDS:g} s of speech: rates are unreliable")
    return FluencyResult(
        word_count=n,
        filler_count=len(fillers),
        speaking_seconds=speaking,
        phonation_seconds=phonation,
        speech_rate_wpm=speech_rate,
        articulation_rate_wpm=articulation,
        phonation_time_ratio=ratio,
        pauses=pauses,
        pause_source=source,
        mean_length_of_run=mlr,
        runs=runs,
        fillers=fillers,
        repetitions=repetitions,
        self_corrections=corrections,
        pitch_variation_semitones=pitch_sd,
        pitch_median_hz=pitch_median,
        notes=notes,
    )


def _runs(words: list[Token], pauses: list[Pause]) -> list[int]:
    """Words between pauses; a word is placed by its midpoint against each pause's middle."""
    counts = [0] * (len(pauses) + 1)
    middles = [(p.start + p.end) / 2 for p in pauses]
    for word in words:
        mid = (word.start + word.end) / 2
        counts[sum(1 for m in middles if m < mid)] += 1
    return [c for c in counts if c > 0]
