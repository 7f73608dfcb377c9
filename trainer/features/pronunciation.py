"""Pronunciation: how the sounds of a known text came through, and how intelligible a free
answer was.

    result = assess_read_aloud(audio, "Please hold while I check your order.", transcript)
    result.features()   # pronunciation_accuracy, completeness and the raw measurements
    result.evidence()   # per-word labels with times and GOP, per-phone scores, thresholds
    intelligibility(transcript) -> 0-100 for unscripted answers

Scripted answers (read aloud, repeat), with PocketSphinx 5 and its bundled US English
acoustic model and CMU dictionary:

1. *What was said.* The Whisper transcript is aligned to the reference words (``jiwer``):
   a reference word with nothing heard at its place is **omitted**, a word heard that the
   text does not have is **inserted** (a name Whisper split, "tag it" for "Tagaytay", is
   joined back when that sounds closer). The forced aligner alone cannot tell: it places
   every word of the text somewhere, said or not.
2. *Forced alignment* of the reference words something was heard for
   (``Decoder.set_align_text``, then a phone-level pass with ``set_alignment``): word,
   phone and HMM-state segments with their acoustic log-likelihoods.
3. *Free phone recognition* of the same audio (allphone search with
   ``en-us-phone.lm.bin``); the phone string found is aligned by the same aligner, so that
   both paths are scored by the same code in the same units.
4. *Goodness of pronunciation* (GOP, after Witt & Young 2000), per phone: the mean over its
   frames of (expected-path log-likelihood - free-path log-likelihood), in nats per frame,
   where the free path's score in a frame is the better of the phone loop's and the
   expected phone's (the phone loop's path is the best it found, not the best there is).
   So GOP <= 0: 0 means no other sound explains the frames better. Word GOP is the mean
   of its phones'.
5. *Labels* (``Thresholds``): ``ok`` (word GOP >= ok_gop), ``unclear`` (between),
   ``mispronounced`` (< mispronounced_gop, or Whisper heard a similar-sounding other word
   and GOP < ok_gop), ``omitted`` (nothing heard, or another word heard and GOP <
   replaced_gop: the reference word does not fit the sounds at all); ``inserted`` words.
6. *Scores.* ``completeness`` = share of reference words not omitted, 0-100;
   ``pronunciation_accuracy`` = linear map of the mean phone GOP of every word something
   was heard for, replaced words included (100 at full_marks_gop, 0 at zero_marks_gop). Issue 7 calibrates on expert ratings from the raw
   measurements ``features()`` also returns.

PocketSphinx scores are integers in log base 1.0001 shifted right by 10 bits
(``SCORE_UNIT_NATS``). CMN is per utterance (``cmn=batch``) and every decoding starts with
0.3 s of silence (``_reset``), so that a warm decoder gives the same result for
the same audio whatever it decoded before. The aligner runs with equal,
wide beams and no bestpath pass (the stock ones fail on long readings: "Final result does
not match the grammar", pocketsphinx issues 339 and 464), retried with a wider beam.

Words missing from the CMU dictionary (names, brands) get a pronunciation from espeak-ng's
English letter-to-sound rules, its IPA mapped to CMU phones, and are marked
``pronunciation_source: g2p`` with a note. Numbers written as digits are spelled out first
(``trainer.speech.textnorm``). A word no pronunciation can be made for is left out of the
alignment and the scores, with a note.

Unscripted answers: ``intelligibility`` (see :class:`Intelligibility`).
"""

from __future__ import annotations

import math
import re
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz.distance import Levenshtein

from trainer.speech import lexicon
from trainer.speech.alignment import HeardToken, align_words, heard_tokens
from trainer.speech.asr import POCKETSPHINX_LOCK, transcribe
from trainer.speech.audio import Audio
from trainer.speech.lexicon import model_dir
from trainer.speech.textnorm import normalize
from trainer.speech.transcript import Transcript

# PocketSphinx acoustic scores: log base 1.0001, shifted right by 10 bits (SENSCR_SHIFT).
SCORE_UNIT_NATS = 1024 * math.log(1.0001)
FRAMES_PER_SECOND = 100
# The 39 phones of the CMU dictionary (and of the acoustic model), without stress.
CMU_PHONES = lexicon.PHONES
# Dictionary words the free phone string is aligned as: one word per phone.
PHONE_WORD_PREFIX = "phone_"


@dataclass(frozen=True)
class Thresholds:
    """GOP thresholds in nats per frame, set on speechocean762 train rows (README)."""

    ok_gop: float = -1.0  # word GOP at or above: ok
    mispronounced_gop: float = -2.5  # word GOP below: mispronounced; between: unclear
    replaced_gop: float = -3.0  # Whisper heard another word and the GOP is below: not said
    low_phone_gop: float = -2.0  # a phone below this counts in share_phones_below_low
    very_low_phone_gop: float = -4.0  # ... and below this in share_phones_below_very_low
    full_marks_gop: float = -0.35  # pronunciation_accuracy 100 at this mean phone GOP or above
    zero_marks_gop: float = -3.0  # ... 0 at this or below, linear between

    def lowered_by(self, nats: float) -> Thresholds:
        """Every threshold ``nats`` lower (all are GOP values)."""
        return Thresholds(**{name: value - nats for name, value in asdict(self).items()})


THRESHOLDS = Thresholds()
# A word Whisper wrote differently still counts as an attempt at the reference word when at
# most this share of its phones differ.
SIMILAR_PHONE_SHARE = 0.5
# Audio kept around the words heard (Whisper's word times are approximate).
SPAN_MARGIN_SECONDS = 0.5
# Long readings are aligned piece by piece, cut in the pauses Whisper heard: an alignment
# that goes astray then spoils one phrase, not the rest of the passage.
CHUNK_PAUSE_SECONDS = 0.2
MAX_CHUNK_WORDS = 12
MIN_CHUNK_WORDS = 3  # a piece cut for length keeps at least this many words
SAMPLES_PER_FRAME_BYTES = 2 * 16000 // FRAMES_PER_SECOND  # 16-bit samples in a 10 ms frame
# Telephone-band audio (a call, a phone-line upload) has next to nothing above 4 kHz
# (wideband recordings here: 0.2-5 % of the energy; telephone renderings: under 0.01 %).
# The acoustic model and Whisper were trained on wideband speech and score the same reading
# lower over a phone line. Measured on 100 speechocean762 train rows rendered through
# trainer.speech.tts.telephone_line, the mean phone GOP drops by NARROWBAND_GOP_DROP and Whisper's
# mean word probability by NARROWBAND_PROBABILITY_DROP; for such audio the GOP thresholds
# are lowered and word probabilities raised by these amounts, so the channel does not
# count against the speaker. The raw measurements are kept as measured.
NARROWBAND_HIGH_ENERGY_SHARE = 5e-4
NARROWBAND_GOP_DROP = 0.71
NARROWBAND_PROBABILITY_DROP = 0.10


def is_narrowband(audio: Audio) -> bool:
    """True for telephone-band audio: under NARROWBAND_HIGH_ENERGY_SHARE above 4 kHz."""
    samples = audio.samples.astype(np.float64)
    if samples.size < 160:
        return False
    power = np.abs(np.fft.rfft(samples)) ** 2
    high = power[np.fft.rfftfreq(samples.size, 1 / 16000) >= 4000].sum()
    total = power.sum()
    return bool(total > 0 and high / total < NARROWBAND_HIGH_ENERGY_SHARE)


class PronunciationError(RuntimeError):
    """The aligner could not run (missing model files, broken installation)."""


# --------------------------------------------------------------------------- results


@dataclass
class PhoneScore:
    phone: str
    start: float
    end: float
    gop: float | None  # nats per frame; None: the free phone path could not be scored
    forced_score_per_frame: float  # nats per frame, expected phone
    free_score_per_frame: float | None  # nats per frame, freely recognised phones

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> PhoneScore:
        return cls(
            data["phone"],
            data["start"],
            data["end"],
            data.get("gop"),
            data["forced_score_per_frame"],
            data.get("free_score_per_frame"),
        )


@dataclass
class WordScore:
    index: int  # position in the normalised reference
    word: str
    label: str  # ok / unclear / mispronounced / omitted
    start: float | None
    end: float | None
    gop: float | None
    min_phone_gop: float | None
    heard: str | None  # what Whisper wrote at this position (None: nothing)
    pronunciation: str | None  # CMU phones: those aligned (the dictionary may have variants)
    pronunciation_source: str  # cmudict / g2p / none
    phones: list[PhoneScore] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items() if k != "phones"}
        data["phones"] = [p.to_dict() for p in self.phones]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> WordScore:
        return cls(
            data["index"],
            data["word"],
            data["label"],
            data.get("start"),
            data.get("end"),
            data.get("gop"),
            data.get("min_phone_gop"),
            data.get("heard"),
            data.get("pronunciation"),
            data.get("pronunciation_source", "none"),
            [PhoneScore.from_dict(p) for p in data.get("phones", [])],
        )


@dataclass
class InsertedWord:
    word: str
    start: float
    end: float
    after_index: int  # reference word it follows (-1: before the first)

    def to_dict(self) -> dict:
        return {
            "word": self.word,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "after_index": self.after_index,
        }

    @classmethod
    def from_dict(cls, data: dict) -> InsertedWord:
        return cls(data["word"], data["start"], data["end"], data["after_index"])


LABELS = ("ok", "unclear", "mispronounced", "omitted")
READ_ALOUD_METHOD = (
    "PocketSphinx forced alignment vs free phone recognition (GOP, nats/frame); "
    "omissions and insertions from the Whisper transcript"
)


@dataclass
class ReadAloudEvidence:
    """The evidence of a scored reading as a report stores it: ``to_dict()`` is the JSON
    (``ReadAloudAssessment.evidence()``), ``from_dict()`` reads a stored one back, so other
    modules read words, phones, times and GOP through these types rather than by key.
    Values read back are those stored (times and GOP rounded to 3 decimals)."""

    words: list[WordScore]
    inserted: list[InsertedWord]
    thresholds: Thresholds
    notes: list[str]
    aligned_seconds: float
    method: str = READ_ALOUD_METHOD

    @property
    def label_counts(self) -> dict[str, int]:
        return {label: sum(w.label == label for w in self.words) for label in LABELS}

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "words": [w.to_dict() for w in self.words],
            "inserted": [w.to_dict() for w in self.inserted],
            "label_counts": self.label_counts,
            "thresholds": asdict(self.thresholds),
            "notes": list(self.notes),
            "aligned_seconds": round(self.aligned_seconds, 3),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ReadAloudEvidence:
        return cls(
            words=[WordScore.from_dict(w) for w in data.get("words", [])],
            inserted=[InsertedWord.from_dict(w) for w in data.get("inserted", [])],
            thresholds=Thresholds(**data.get("thresholds", {})),
            notes=list(data.get("notes", [])),
            aligned_seconds=data.get("aligned_seconds", 0.0),
            method=data.get("method", READ_ALOUD_METHOD),
        )


@dataclass
class ReadAloudAssessment:
    reference_text: str
    words: list[WordScore]
    inserted: list[InsertedWord]
    thresholds: Thresholds
    notes: list[str]
    audio_seconds: float
    aligned_seconds: float  # the span around the words heard that was decoded
    narrowband: bool  # telephone-band audio (thresholds lowered, see NARROWBAND_GOP_DROP)
    forced_score_per_frame: float | None  # the whole aligned utterance, speech frames only
    free_score_per_frame: float | None
    processing_seconds: dict[str, float] = field(default_factory=dict)

    # ---- derived measurements

    @property
    def spoken(self) -> list[WordScore]:
        return [w for w in self.words if w.label != "omitted"]

    def _scored_phones(self) -> list[PhoneScore]:
        """Phones of every word something was heard for, including words judged replaced by
        another word: their sounds are part of how the reading sounded."""
        return [p for w in self.words for p in w.phones if p.gop is not None]

    @property
    def completeness(self) -> float:
        if not self.words:
            return 0.0
        return 100.0 * len(self.spoken) / len(self.words)

    @property
    def mean_phone_gop(self) -> float | None:
        phones = self._scored_phones()
        return float(np.mean([p.gop for p in phones])) if phones else None

    @property
    def pronunciation_accuracy(self) -> float | None:
        """0-100 from the mean phone GOP (see :func:`accuracy_from_gop`).
        0 when no reference word was said; None when words were said but none could be
        scored (alignment failed), so that the rubric skips it rather than fail it."""
        if not self.spoken:
            return 0.0
        mean = self.mean_phone_gop
        return None if mean is None else accuracy_from_gop(mean, self.thresholds)

    def features(self) -> dict[str, float]:
        """Rubric features (``pronunciation_accuracy``, ``completeness``) plus the raw
        measurements they come from, for calibration on expert ratings."""
        phones = self._scored_phones()
        gops = np.array([p.gop for p in phones]) if phones else np.array([])
        word_gops = [w.gop for w in self.words if w.gop is not None]
        total = max(1, len(self.words))
        counts = {label: sum(w.label == label for w in self.words) for label in LABELS}
        values = {
            "pronunciation_accuracy": _round(self.pronunciation_accuracy, 2),
            "completeness": round(self.completeness, 2),
            "mean_phone_gop": _round(self.mean_phone_gop),
            "median_phone_gop": _round(float(np.median(gops)) if gops.size else None),
            "mean_word_gop": _round(float(np.mean(word_gops)) if word_gops else None),
            "min_word_gop": _round(float(np.min(word_gops)) if word_gops else None),
            "share_phones_below_low": _round(
                float((gops < self.thresholds.low_phone_gop).mean()) if gops.size else None
            ),
            "share_phones_below_very_low": _round(
                float((gops < self.thresholds.very_low_phone_gop).mean()) if gops.size else None
            ),
            "forced_score_per_frame": _round(self.forced_score_per_frame),
            "free_score_per_frame": _round(self.free_score_per_frame),
            "share_words_ok": round(counts["ok"] / total, 4),
            "share_words_unclear": round(counts["unclear"] / total, 4),
            "share_words_mispronounced": round(counts["mispronounced"] / total, 4),
            "share_words_omitted": round(counts["omitted"] / total, 4),
            "inserted_words": float(len(self.inserted)),
            "narrowband": float(self.narrowband),
            "heard_as_written_share": round(sum(w.heard == w.word for w in self.words) / total, 4),
        }
        return {k: v for k, v in values.items() if v is not None}

    def evidence_record(self) -> ReadAloudEvidence:
        return ReadAloudEvidence(self.words, self.inserted, self.thresholds, self.notes, self.aligned_seconds)

    def evidence(self) -> dict:
        """The stored evidence (JSON-ready): :class:`ReadAloudEvidence` as a dict."""
        return self.evidence_record().to_dict()


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def accuracy_from_gop(mean_gop: float, thresholds: Thresholds = THRESHOLDS) -> float:
    """0-100, linear in the mean phone GOP between ``zero_marks_gop`` and ``full_marks_gop``.
    On speechocean762 train rows this puts readings the experts gave 9-10 for accuracy at
    about 90, 8 at about 78, 6-7 at about 70 and under 6 at about 57 (README)."""
    span = thresholds.full_marks_gop - thresholds.zero_marks_gop
    return 100.0 * min(1.0, max(0.0, (mean_gop - thresholds.zero_marks_gop) / span))


def label_for(gop: float | None, heard_as: str | None, thresholds: Thresholds = THRESHOLDS) -> str:
    """A reference word's label from its GOP and what Whisper wrote at its place:
    ``same`` word, a ``similar``-sounding one, an ``other`` word, or None (nothing)."""
    if heard_as is None:
        return "omitted"
    if heard_as == "other":
        # Another word in its place: an accent the recogniser's language model "corrected",
        # or really another word. The sounds decide: a reference word that fits this badly
        # was not said.
        if gop is None or gop < thresholds.replaced_gop:
            return "omitted"
        return "mispronounced" if gop < thresholds.ok_gop else "unclear"
    if gop is None:
        return "unclear"
    if gop < thresholds.mispronounced_gop:
        return "mispronounced"
    if gop < thresholds.ok_gop:
        return "mispronounced" if heard_as == "similar" else "unclear"
    return "unclear" if heard_as == "similar" else "ok"


# --------------------------------------------------------------------------- decoders


_decoders: dict[str, object] = {}
_registry_lock = threading.Lock()


# Forced alignment (word pass and phone/state pass). The stock beams prune the one path an
# alignment has on long or accented readings ("Final result does not match the grammar",
# pocketsphinx issues 339 and 464): equal, wide word and frame beams, and no bestpath pass.
ALIGN_BEAM = 1e-64
# Retried with this when the stock width fails (slower, seldom needed).
WIDE_ALIGN_BEAM = 1e-200
COMPUTE_ALL_SENONES = False
FREE_PHONE_LEVEL = False
# Phone loop: a light phone-bigram weight so the acoustics decide.
PHONE_LOOP_LANGUAGE_WEIGHT = 2.0


def _decoder_config(kind: str) -> dict:
    root = model_dir()
    common = dict(hmm=str(root / "en-us"), dict=str(lexicon.dictionary_path()), logfn="/dev/null", cmn="batch")
    if kind in ("align", "align_wide"):
        beam = ALIGN_BEAM if kind == "align" else WIDE_ALIGN_BEAM
        return dict(common, lm=None, compallsen=COMPUTE_ALL_SENONES, bestpath=False, beam=beam, pbeam=beam, wbeam=beam)
    if kind == "phones":
        return dict(common, allphone=str(root / "en-us-phone.lm.bin"), lw=PHONE_LOOP_LANGUAGE_WEIGHT)
    raise ValueError(kind)


def get_decoder(kind: str):
    """``(decoder, lock)``: one warm PocketSphinx decoder per configuration per process.
    Decoders are not thread-safe: hold the lock (one for every PocketSphinx decoder) while using one."""
    with _registry_lock:
        if kind not in _decoders:
            from pocketsphinx import Decoder

            try:
                decoder = Decoder(**_decoder_config(kind))
            except Exception as error:  # a RuntimeError without details from the C library
                raise PronunciationError(f"Could not load the PocketSphinx {kind} decoder: {error}") from error
            if kind.startswith("align"):
                for phone in CMU_PHONES:
                    decoder.add_word(PHONE_WORD_PREFIX + phone.lower(), phone, phone == CMU_PHONES[-1])
            _decoders[kind] = decoder
        return _decoders[kind], POCKETSPHINX_LOCK


def _decode(decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, no_search=False, full_utt=True)
    decoder.end_utt()


# PocketSphinx carries acoustic state from the last frames of one utterance into the next:
# after a piece cut off mid-speech, the same reading aligned 0.6 % worse (-7052 for -7008),
# so scores depended on what another thread had decoded last. Decoding 0.3 s of silence
# first makes every decoding start from the same state (0.1 s was not enough, 0.12 s was).
RESET_PCM = bytes(2 * 4800)


def _reset(decoder) -> None:
    try:
        _decode(decoder, RESET_PCM)
    except RuntimeError:  # the search may find nothing in silence: only the frames matter
        pass


@dataclass
class _Segment:
    name: str
    start: int  # frame
    frames: int
    score: int  # PocketSphinx units
    children: list[_Segment] = field(default_factory=list)


def _force_align(decoder, pcm: bytes, words: list[str], phone_level: bool = True) -> list[_Segment] | None:
    """Word segments of ``words`` over the audio, or None when the words cannot be fitted
    to it. ``phone_level``: a second pass adds phone and HMM-state children; without it
    each word segment carries the word pass's own acoustic score (enough when every
    "word" is a single phone)."""
    try:
        decoder.set_align_text(" ".join(words))
        _reset(decoder)
        _decode(decoder, pcm)
        if decoder.hyp() is None:
            return None
        if not phone_level:
            return [
                _Segment(seg.word, seg.start_frame, seg.end_frame - seg.start_frame + 1, _log_score(seg.ascore))
                for seg in decoder.seg()
            ]
        decoder.set_alignment()
        _decode(decoder, pcm)
        alignment = decoder.get_alignment()
    except RuntimeError:
        return None
    if alignment is None:
        return None
    result = []
    for word in alignment:
        phones = []
        for phone in word:
            states = [_Segment(str(s.name), s.start, s.duration, s.score) for s in phone]
            phones.append(_Segment(phone.name, phone.start, phone.duration, phone.score, states))
        result.append(_Segment(word.name, word.start, word.duration, word.score, phones))
    return result


def _log_score(exponentiated: float) -> int:
    """``Segment.ascore`` is ``logmath.exp`` of the integer score: undo it."""
    if exponentiated <= 0.0:
        return 0
    return round(math.log(exponentiated) / math.log(1.0001))


def _fill_frame_scores(scores: np.ndarray, segments: list[_Segment]) -> None:
    """Write each state's acoustic score (nats), spread evenly over its frames."""
    for word in segments:
        for phone in word.children or [word]:
            for state in phone.children or [phone]:
                end = min(len(scores), state.start + state.frames)
                if state.frames > 0 and end > state.start:
                    scores[state.start : end] = state.score * SCORE_UNIT_NATS / state.frames


def _free_phones(pcm: bytes) -> list[str]:
    decoder, lock = get_decoder("phones")
    with lock:
        _reset(decoder)
        _decode(decoder, pcm)
        return [seg.word for seg in decoder.seg() if seg.word in CMU_PHONES]


def _is_filler(name: str) -> bool:
    return name.startswith(("<", "[", "+")) or name in {"SIL", "sil"}


# --------------------------------------------------------------------------- dictionary


# espeak-ng IPA -> CMU phones, longest symbols first.
_IPA_TO_CMU = {
    "aɪ": "AY",
    "aʊ": "AW",
    "ɔɪ": "OY",
    "eɪ": "EY",
    "oʊ": "OW",
    "əʊ": "OW",
    "tʃ": "CH",
    "dʒ": "JH",
    "ɑ": "AA",
    "ɒ": "AA",
    "a": "AE",
    "æ": "AE",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ɚ": "ER",
    "ɜ": "ER",
    "ɛ": "EH",
    "e": "EH",
    "ɪ": "IH",
    "ᵻ": "IH",
    "i": "IY",
    "ɔ": "AO",
    "o": "OW",
    "ʊ": "UH",
    "u": "UW",
    "p": "P",
    "b": "B",
    "t": "T",
    "d": "D",
    "k": "K",
    "ɡ": "G",
    "g": "G",
    "f": "F",
    "v": "V",
    "θ": "TH",
    "ð": "DH",
    "s": "S",
    "z": "Z",
    "ʃ": "SH",
    "ʒ": "ZH",
    "h": "HH",
    "x": "HH",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "l": "L",
    "ɫ": "L",
    "ɬ": "L",
    "ɹ": "R",
    "r": "R",
    "ɾ": "T",
    "j": "Y",
    "w": "W",
    "ʍ": "W",
}
_IPA_IGNORED = set("ˈˌːˑ.‿ʔ̩̯̃- ")


def ipa_to_cmu(ipa: str) -> list[str]:
    phones: list[str] = []
    i = 0
    while i < len(ipa):
        if ipa[i] in _IPA_IGNORED or not ipa[i].strip():
            i += 1
            continue
        pair = ipa[i : i + 2]
        if pair in _IPA_TO_CMU:
            phones.append(_IPA_TO_CMU[pair])
            i += 2
        elif ipa[i] in _IPA_TO_CMU:
            phones.append(_IPA_TO_CMU[ipa[i]])
            i += 1
        else:
            i += 1  # a symbol English does not use
    return phones


@lru_cache(maxsize=4096)
def g2p(word: str) -> str | None:
    """CMU phones for a word not in the dictionary, from espeak-ng's English rules."""
    try:
        result = subprocess.run(
            ["espeak-ng", "-q", "-v", "en-us", "--ipa", word], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    phones = ipa_to_cmu(result.stdout.strip())
    return " ".join(phones) or None


def pronunciation_of(word: str) -> tuple[str | None, str]:
    """(CMU phones, source) for a normalised word: cmudict, g2p or none."""
    known = lexicon.pronunciation(word)
    if known:
        return known, "cmudict"
    made = g2p(word)
    return (made, "g2p") if made else (None, "none")


# --------------------------------------------------------------------------- what was said


def _phones(text: str) -> list[str] | None:
    """CMU phones without stress of one or more words (None if any has no pronunciation)."""
    phones: list[str] = []
    for word in text.split():
        found = pronunciation_of(word)[0]
        if not found:
            return None
        phones += re.sub(r"\d", "", found).split()
    return phones


def phone_similarity(expected: str, heard: str) -> float:
    """1 - phone edit distance / length of the longer: 1 for homophones (there/their)."""
    if expected == heard:
        return 1.0
    a, b = _phones(expected), _phones(heard)
    if not a or not b:
        return 0.0
    return 1.0 - Levenshtein.distance(a, b) / max(len(a), len(b))


def heard_as(expected: str, heard: str) -> str:
    """``same`` (or sounds the same: colour/color, there/their), ``similar`` (at least
    ``SIMILAR_PHONE_SHARE`` of the phones in common: ship/sheep, thirty/thirteen) or ``other``."""
    similarity = phone_similarity(expected, heard)
    if similarity >= 1.0:
        return "same"
    return "similar" if similarity >= SIMILAR_PHONE_SHARE else "other"


@dataclass
class _Heard:
    """What Whisper wrote at a reference word's place (one or more tokens)."""

    text: str
    start: float
    end: float
    kind: str  # same / similar / other


def match_reference(reference: list[str], heard: list[HeardToken]) -> tuple[list[_Heard | None], list[tuple[int, int]]]:
    """For each reference word what was heard at its place (None: nothing, omitted), and the
    inserted heard tokens as (token index, reference index they follow). A word Whisper
    split in two ("tag it" for "Tagaytay") is joined back when the joined tokens sound
    closer to the reference word."""
    alignment = align_words(reference, [t.text for t in heard])
    matched = alignment.matched()
    inserted = alignment.inserted()

    result: list[_Heard | None] = []
    for i, word in enumerate(reference):
        if matched[i] is None:
            result.append(None)
            continue
        first = last = matched[i]
        best = phone_similarity(word, heard[first].text)
        if best < 1.0:
            for a, b in ((first - 1, last), (first, last + 1), (first - 1, last + 1)):
                if a < 0 or b >= len(heard) or any(k != matched[i] and k not in inserted for k in (a, b)):
                    continue
                joined = phone_similarity(word, " ".join(t.text for t in heard[a : b + 1]))
                if joined > best:
                    best, first, last = joined, a, b
        for k in range(first, last + 1):
            inserted.pop(k, None)
        text = " ".join(t.text for t in heard[first : last + 1])
        kind = "same" if best >= 1.0 else "similar" if best >= SIMILAR_PHONE_SHARE else "other"
        result.append(_Heard(text, heard[first].start, heard[last].end, kind))
    return result, sorted(inserted.items())


# --------------------------------------------------------------------------- assessment


def assess_read_aloud(
    audio: Audio, reference_text: str, transcript: Transcript | None = None, thresholds: Thresholds = THRESHOLDS
) -> ReadAloudAssessment:
    """Score a reading of ``reference_text``. ``transcript`` is the Whisper transcript of
    the same audio (recognised here when not given)."""
    reference = normalize(reference_text).split()
    if not reference:
        raise ValueError("The reference text has no words to read.")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if transcript is None:
        transcript = transcribe(audio)
        timings["transcribing"] = time.perf_counter() - started
    notes: list[str] = []
    narrowband = is_narrowband(audio)
    if narrowband:
        thresholds = thresholds.lowered_by(NARROWBAND_GOP_DROP)
        notes.append(
            f"telephone-band audio: GOP thresholds lowered by {NARROWBAND_GOP_DROP} nats/frame, "
            "the drop a phone line causes on the same readings"
        )
    # Each of Whisper's digit pieces ("2", "-8") keeps its own times here; the calibrated
    # model's features were measured so (calibration joins them back: its features only).
    heard = heard_tokens(transcript, join_digits=False)
    said, inserted_at = match_reference(reference, heard)
    if not heard:
        notes.append("the recogniser heard no words")

    pronunciations = [pronunciation_of(word) for word in reference]
    g2p_words = sorted({w for w, (_, source) in zip(reference, pronunciations) if source == "g2p"})
    if g2p_words:
        notes.append("not in the CMU dictionary, pronounced with espeak-ng's English rules: " + ", ".join(g2p_words))
    unknown = sorted({w for w, (_, source) in zip(reference, pronunciations) if source == "none"})
    if unknown:
        notes.append("no pronunciation could be made, left out of the scores: " + ", ".join(unknown))

    # Align only the words something was said for: the aligner would squeeze an unsaid word
    # in somewhere and spoil its neighbours. Leading and trailing silence is cut off first.
    to_align = [i for i in range(len(reference)) if said[i] is not None and pronunciations[i][0]]
    offset, pcm = _speech_span(audio, heard)
    frames = len(pcm) // SAMPLES_PER_FRAME_BYTES
    aligned: dict[int, _Segment] = {}
    forced_scores = np.full(frames, np.nan)
    free_scores = np.full(frames, np.nan)
    speech_frames = np.zeros(frames, dtype=bool)
    added = {reference[i]: pronunciations[i][0] for i in to_align if pronunciations[i][1] == "g2p"}
    unaligned: list[int] = []
    timings["alignment"] = timings["phone_recognition"] = 0.0
    for chunk, (first_frame, end_frame) in _chunks(to_align, said, offset, frames):
        piece = pcm[first_frame * SAMPLES_PER_FRAME_BYTES : end_frame * SAMPLES_PER_FRAME_BYTES]
        # one piece's forced and free paths in one go, whatever other threads decode
        with POCKETSPHINX_LOCK:
            step = time.perf_counter()
            segments, kind = _align(piece, [reference[i] for i in chunk], added)
            timings["alignment"] += time.perf_counter() - step
            if segments is not None:
                step = time.perf_counter()
                free = _free_path(piece)
                timings["phone_recognition"] += time.perf_counter() - step
        if segments is None:
            unaligned += chunk
            continue
        if kind == "align_wide":
            notes.append(f"aligned with the wide beam ({WIDE_ALIGN_BEAM:g}): " + " ".join(reference[i] for i in chunk))
        _shift(segments, first_frame)
        _fill_frame_scores(forced_scores, segments)
        for position, segment in zip(chunk, [s for s in segments if not _is_filler(s.name)], strict=True):
            aligned[position] = segment
            speech_frames[segment.start : segment.start + segment.frames] = True
        if free is None:
            notes.append("free phone recognition failed; no GOP for: " + " ".join(reference[i] for i in chunk))
            continue
        _shift(free, first_frame)
        _fill_frame_scores(free_scores, free)
    if unaligned:
        notes.append(
            "could not be aligned to the audio, no sound-level scores for: " + " ".join(reference[i] for i in unaligned)
        )

    words: list[WordScore] = []
    for i, word in enumerate(reference):
        phones_text, source = pronunciations[i]
        if said[i] is None:
            start, end = _gap_times(i, said)
            words.append(WordScore(i, word, "omitted", start, end, None, None, None, phones_text, source))
            continue
        segment = aligned.get(i)
        phone_scores = _phone_scores(segment, forced_scores, free_scores, offset) if segment else []
        gops = [p.gop for p in phone_scores if p.gop is not None]
        gop = float(np.mean(gops)) if gops else None
        token = said[i]
        words.append(
            WordScore(
                i,
                word,
                label_for(gop, token.kind, thresholds),
                offset + segment.start / FRAMES_PER_SECOND if segment else token.start,
                offset + (segment.start + segment.frames) / FRAMES_PER_SECOND if segment else token.end,
                gop,
                min(gops) if gops else None,
                token.text,
                " ".join(p.phone for p in phone_scores) if phone_scores else phones_text,
                source,
                phone_scores,
            )
        )
    replaced = [w for w in words if w.label == "omitted" and w.heard]
    if replaced:
        notes.append(
            "said another word instead (counted as omitted): " + ", ".join(f"{w.word} -> {w.heard}" for w in replaced)
        )
    inserted = [InsertedWord(heard[t].text, heard[t].start, heard[t].end, after) for t, after in inserted_at]

    utterance_forced = utterance_free = None
    if speech_frames.any():
        utterance_forced = float(np.nanmean(forced_scores[speech_frames]))
        if not np.isnan(free_scores[speech_frames]).all():
            utterance_free = float(np.nanmean(free_scores[speech_frames]))
    timings["total"] = time.perf_counter() - started
    return ReadAloudAssessment(
        reference_text=reference_text,
        words=words,
        inserted=inserted,
        thresholds=thresholds,
        notes=notes,
        audio_seconds=audio.duration,
        aligned_seconds=len(pcm) / 32000,
        narrowband=narrowband,
        forced_score_per_frame=utterance_forced,
        free_score_per_frame=utterance_free,
        processing_seconds={k: round(v, 3) for k, v in timings.items()},
    )


def _speech_span(audio: Audio, heard: list[HeardToken]) -> tuple[float, bytes]:
    """(start in seconds, 16-bit PCM) of the audio from just before the first word heard to
    just after the last one: silence costs decoding time and gives the aligner room to err."""
    pcm = audio.to_pcm16()
    if not heard:
        return 0.0, pcm
    start = max(0.0, min(t.start for t in heard) - SPAN_MARGIN_SECONDS)
    end = min(audio.duration, max(t.end for t in heard) + SPAN_MARGIN_SECONDS)
    first, last = int(start * 16000), int(end * 16000)
    return first / 16000, pcm[2 * first : 2 * last]


def _chunks(
    positions: list[int], said: list[_Heard | None], offset: float, frames: int
) -> list[tuple[list[int], tuple[int, int]]]:
    """The words to align in pieces, each with its frame range of the span: cut where
    Whisper heard a pause of CHUNK_PAUSE_SECONDS or more, and pieces of more than
    MAX_CHUNK_WORDS words cut again at their widest gap. The cuts fall halfway through the
    gaps; the first piece starts and the last ends with the span."""
    if not positions:
        return []

    def gap(a: int, b: int) -> float:
        return said[b].start - said[a].end

    groups = [[positions[0]]]
    for before, position in zip(positions, positions[1:]):
        if gap(before, position) >= CHUNK_PAUSE_SECONDS:
            groups.append([position])
        else:
            groups[-1].append(position)

    def split(group: list[int]) -> list[list[int]]:
        if len(group) <= MAX_CHUNK_WORDS:
            return [group]
        middle = len(group) / 2
        cut = max(
            range(MIN_CHUNK_WORDS, len(group) - MIN_CHUNK_WORDS + 1),
            key=lambda k: (round(gap(group[k - 1], group[k]), 2), -abs(k - middle)),
        )
        return split(group[:cut]) + split(group[cut:])

    pieces = [piece for group in groups for piece in split(group)]
    bounds = [0]
    for before, after in zip(pieces, pieces[1:]):
        cut = (said[before[-1]].end + said[after[0]].start) / 2 - offset
        bounds.append(min(frames, max(bounds[-1] + 1, round(cut * FRAMES_PER_SECOND))))
    bounds.append(frames)
    return [(piece, (bounds[n], bounds[n + 1])) for n, piece in enumerate(pieces)]


def _shift(segments: list[_Segment], frames: int) -> None:
    for segment in segments:
        segment.start += frames
        _shift(segment.children, frames)


def _align(
    pcm: bytes, words: list[str], added: dict[str, str] | None = None, phone_level: bool = True
) -> tuple[list[_Segment] | None, str | None]:
    """Forced alignment with the stock beam, retried with the wide one; (segments, decoder kind)."""
    for kind in ("align", "align_wide"):
        decoder, lock = get_decoder(kind)
        with lock:
            new = {w: p for w, p in (added or {}).items() if decoder.lookup_word(w) is None}
            for n, (word, phones) in enumerate(new.items()):  # g2p words, once per process
                decoder.add_word(word, phones, n == len(new) - 1)
            segments = _force_align(decoder, pcm, words, phone_level)
        if segments is not None:
            return segments, kind
    return None, None


def _free_path(pcm: bytes) -> list[_Segment] | None:
    """The phone loop's best phone string, aligned as one-phone words to score it."""
    phones = _free_phones(pcm)
    if not phones:
        return None
    segments, _ = _align(pcm, [PHONE_WORD_PREFIX + p.lower() for p in phones], phone_level=FREE_PHONE_LEVEL)
    return segments


def _phone_scores(word: _Segment, forced: np.ndarray, free: np.ndarray, offset: float) -> list[PhoneScore]:
    scores = []
    for phone in word.children:
        span = slice(phone.start, min(len(forced), phone.start + phone.frames))
        expected, other = forced[span], free[span]
        if expected.size == 0 or np.isnan(expected).any():
            continue
        scored = not np.isnan(other).any()
        # The phone loop's path is the best it found, not the best there is: in a frame where
        # the expected phone scores higher, that is the better explanation of the sound, so
        # the denominator is the better of the two per frame and GOP is never above 0.
        gop = float((expected - np.maximum(expected, other)).mean()) if scored else None
        scores.append(
            PhoneScore(
                phone.name,
                offset + phone.start / FRAMES_PER_SECOND,
                offset + (phone.start + phone.frames) / FRAMES_PER_SECOND,
                gop,
                float(expected.mean()),
                float(other.mean()) if scored else None,
            )
        )
    return scores


def _gap_times(index: int, said: list[_Heard | None]) -> tuple[float | None, float | None]:
    """Where an omitted word would have been: between the heard neighbours."""
    before = next((said[j].end for j in range(index - 1, -1, -1) if said[j] is not None), None)
    after = next((said[j].start for j in range(index + 1, len(said)) if said[j] is not None), None)
    return before, after


# --------------------------------------------------------------------------- unscripted


# A word Whisper gives a lower probability than this is listed as hard to make out.
LOW_CONFIDENCE = 0.5


@dataclass
class Intelligibility:
    """How much of an unscripted answer the recogniser followed with confidence.

    ``intelligibility`` = 100 x the mean of Whisper's word probabilities, each word weighted
    by its duration (a long word misheard matters more than a clipped "a"). Whisper's word
    probability is the product of its tokens' probabilities given the audio and the words
    before, so it drops where the sounds are unclear (or the words unusual). Clear speech
    gives 90+, clear accented speech 80-90, mumbled or noisy speech under 70 (README)."""

    score: float  # 0-100
    mean_word_probability: float
    share_low_confidence_words: float
    word_count: int
    low_confidence_words: list[dict]
    narrowband: bool = False

    def features(self) -> dict[str, float]:
        return {
            "intelligibility": round(self.score, 2),
            "mean_word_probability": round(self.mean_word_probability, 4),
            "share_low_confidence_words": round(self.share_low_confidence_words, 4),
            "narrowband": float(self.narrowband),
        }

    def evidence(self) -> dict:
        return {
            "method": "intelligibility = 100 x duration-weighted mean Whisper word probability"
            + (f" + {NARROWBAND_PROBABILITY_DROP} for telephone-band audio" if self.narrowband else ""),
            "word_count": self.word_count,
            "mean_word_confidence": round(self.mean_word_probability, 3),
            "low_confidence_threshold": LOW_CONFIDENCE,
            "low_confidence_words": self.low_confidence_words,
        }


def assess_intelligibility(transcript: Transcript, audio: Audio | None = None) -> Intelligibility:
    """With ``audio``, telephone-band audio gets NARROWBAND_PROBABILITY_DROP back."""
    words = transcript.words
    if not words:
        return Intelligibility(0.0, 0.0, 0.0, 0, [])
    weights = np.array([max(w.duration, 0.05) for w in words])
    probabilities = np.array([w.probability for w in words])
    mean = float((weights * probabilities).sum() / weights.sum())
    narrowband = audio is not None and is_narrowband(audio)
    score = 100.0 * min(1.0, mean + (NARROWBAND_PROBABILITY_DROP if narrowband else 0.0))
    low = [w for w in words if w.probability < LOW_CONFIDENCE]
    return Intelligibility(
        score,
        float(probabilities.mean()),
        len(low) / len(words),
        len(words),
        [{"word": w.text, "start": w.start, "end": w.end, "probability": w.probability} for w in low],
        narrowband,
    )


def intelligibility(transcript: Transcript, audio: Audio | None = None) -> float:
    """0-100 for an unscripted answer; see :class:`Intelligibility`."""
    return round(assess_intelligibility(transcript, audio).score, 2)
