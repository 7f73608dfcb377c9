"""Agreement with expert raters: our read-aloud estimates against speechocean762's scores.

Runs the scoring pipeline's stages (recognition, fluency, pronunciation) on every utterance
of a folder laid out like ``../shared/data/speechocean762-scored`` as a read-aloud task with
the utterance's reference text, turns them into the calibration features
(``trainer.scoring.calibration.reading_features``), predicts the experts' sentence scores with the
packaged calibration model and prints Pearson and Spearman r per expert dimension on the
test rows and on the train rows, next to the published GOPT figures, plus word-level
agreement (AUC of our per-word flag against expert word accuracy < 7).

Usage:
  .venv/bin/python bench/agreement.py                     # table for the packaged model
  .venv/bin/python bench/agreement.py --out preds.tsv     # also per-utterance predictions
  .venv/bin/python bench/agreement.py --fit               # refit on train rows, write the model file
                                                          # (the fitting: bench/calibration_fit.py)
  .venv/bin/python bench/agreement.py --data DIR --model FILE --cache DIR
  .venv/bin/python bench/agreement.py --data DIR --cached-only   # only the readings the cache holds

The table gives per dimension the test rows' r for all ages, adults and children apart and at
speaker level (each speaker's mean estimate against the experts' mean), with the train rows'
speaker-grouped CV r; which recipe to fit is decided by bench/calibration_variants.py.

Every slow intermediate result is cached on disk (default ``bench/results/cache``): the
transcript by audio hash + model + decoding settings + trainer/speech/asr.py, each stage's measures additionally by
a hash of the source files of that stage, so re-fitting takes seconds and a pipeline change
recomputes only what it touches. Run it under ``nice``: the first pass takes ~20 minutes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speechocean762-scored"
DEFAULT_CACHE = ROOT / "bench" / "results" / "cache"
# Published reference (GOPT, Gong et al. 2022, whole speechocean762 test set, Pearson r).
GOPT = {"accuracy": 0.718, "fluency": 0.756, "prosodic": 0.764, "total": 0.743}
ADULT_AGE = 16  # the corpus's speakers are 6-7 or 19-25 years old


# --------------------------------------------------------------------------- data


@dataclass
class Utterance:
    utt_id: str
    split: str
    speaker: str
    age: int
    path: Path
    text: str
    scores: dict[str, float]
    word_accuracy: list[tuple[str, float]] = field(default_factory=list)  # (word, 0-10)


def load_corpus(data_dir: Path) -> list[Utterance]:
    """``scores.tsv`` (and ``words.tsv`` when present) of a speechocean762-style folder."""
    from trainer.scoring.calibration import DIMENSIONS

    table = data_dir / "scores.tsv"
    if not table.is_file():
        raise SystemExit(f"error: {table} not found (a folder laid out like speechocean762-scored)")
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    words: dict[str, list[tuple[int, str, float]]] = {}
    if (data_dir / "words.tsv").is_file():
        with (data_dir / "words.tsv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                words.setdefault(row["utt_id"], []).append(
                    (int(row["word_index"]), row["word"], float(row["accuracy"]))
                )
    utterances = []
    for row in rows:
        utterances.append(
            Utterance(
                utt_id=row["utt_id"],
                split=row["split"],
                speaker=row["speaker"],
                age=int(row["age"]),
                path=data_dir / row["file"],
                text=row["text"],
                scores={d: float(row[d]) for d in DIMENSIONS if row.get(d) not in (None, "")},
                word_accuracy=[(w, a) for _, w, a in sorted(words.get(row["utt_id"], []))],
            )
        )
    return utterances


# --------------------------------------------------------------------------- cache


def _digest(*parts) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def source_digest(*modules: str) -> str:
    """Hash of the source files a stage runs: editing one recomputes that stage only."""
    blobs = []
    for name in modules:
        path = ROOT / name
        blobs.append(path.read_bytes() if path.is_file() else b"<absent>")
    return hashlib.sha256(b"\0".join(blobs)).hexdigest()[:12]


# What each cached stage depends on, besides the audio and the text.
STAGE_SOURCES = {
    "fluency": (
        "trainer/features/fluency.py",
        "trainer/speech/vad.py",
        "trainer/speech/textnorm.py",
        "trainer/speech/transcript.py",
        "lessons/phrasebank.yaml",
    ),
    "audio": (
        "trainer/features/fluency.py",
        "trainer/speech/vad.py",
        "trainer/speech/textnorm.py",
        "trainer/speech/lexicon.py",
    ),
    "pronunciation": (
        "trainer/features/pronunciation.py",
        "trainer/speech/textnorm.py",
        "trainer/speech/transcript.py",
        "trainer/speech/alignment.py",
        "trainer/speech/lexicon.py",
    ),
    "encoder": ("trainer/speech/encoder_states.py",),
    "encoder_layers": ("trainer/speech/encoder_layers.py", "trainer/speech/encoder_states.py"),
}


def function_digest(name: str) -> str:
    """Hash of one function of trainer.scoring.calibration (the rest of that file does not
    change what a cached stage measured)."""
    import inspect

    from trainer.scoring import calibration

    return hashlib.sha256(inspect.getsource(getattr(calibration, name)).encode()).hexdigest()[:12]


def feature_version() -> str:
    from trainer.scoring.calibration import FEATURE_VERSION

    return FEATURE_VERSION


class Cache:
    """JSON files under ``root/<kind>/<key>.json``; written atomically."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.json"

    def get(self, kind: str, key: str, compute):
        path = self.path(kind, key)
        if path.is_file():
            self.hits += 1
            return json.loads(path.read_text(encoding="utf-8"))
        self.misses += 1
        value = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_text(json.dumps(value), encoding="utf-8")
        partial.replace(path)
        return value


class NotCached(LookupError):
    """A read-only cache was asked for something it does not hold."""


class ReadOnlyCache(Cache):
    """The same files, but never computes: for checks that must not run the pipeline."""

    def __init__(self, cache: Cache):
        super().__init__(cache.root)

    def get(self, kind: str, key: str, compute):
        path = self.path(kind, key)
        if not path.is_file():
            raise NotCached(f"{kind}/{key}")
        return json.loads(path.read_text(encoding="utf-8"))


def recognition_settings() -> dict:
    """Everything that decides a transcript besides the audio."""
    import faster_whisper

    from trainer.config import get_settings
    from trainer.speech import asr

    settings = get_settings()
    if settings.asr_engine != "whisper":
        return {"engine": settings.asr_engine}
    model = asr.resolve_whisper_model()
    return {
        "engine": "whisper",
        "model": Path(model).name if Path(model).is_dir() else model,
        "model_bytes": (Path(model) / "model.bin").stat().st_size if Path(model).is_dir() else None,
        "compute_type": settings.whisper_compute_type,
        "options": asr.WhisperOptions(beam_size=settings.whisper_beam_size).as_dict(),
        "prompt": asr.VERBATIM_PROMPT,
        "faster_whisper": faster_whisper.__version__,
        # the loop retry and the fallback without the known text live there
        "asr_source": source_digest("trainer/speech/asr.py"),
    }


def pronunciation_available() -> str | None:
    """None when trainer.features.pronunciation can be used, else why not."""
    if not (ROOT / "trainer" / "features" / "pronunciation.py").is_file():
        return "trainer/features/pronunciation.py is not in this checkout yet"
    try:
        from trainer.features import pronunciation

        if not hasattr(pronunciation, "assess_read_aloud"):
            return "trainer.features.pronunciation has no assess_read_aloud()"
    except Exception as error:  # noqa: BLE001 - reported in the table
        return f"trainer.features.pronunciation does not import: {error}"
    return None


@dataclass
class Measured:
    """One utterance through the pipeline's stages (as the scoring engine runs them)."""

    transcript: dict
    stages: dict[str, list]  # stage -> [features, evidence]
    refused: str | None = None  # the intake's error code when the app would refuse the audio


def _transcript_key(audio_key: str, recognition: dict, text: str) -> str:
    return f"{audio_key}-{_digest(recognition, text)}"


def measure(utt: Utterance, cache: Cache, recognition: dict, with_pronunciation: bool) -> Measured:
    from trainer.speech.audio import load_audio
    from trainer.speech.transcript import Transcript

    audio_key = file_digest(utt.path)
    audio = None

    def intake():
        # The app refuses audio its VAD hears no speech in; the experts still scored it,
        # so the stages run on it anyway and the refusal is counted in the table.
        from trainer.speech.audio import AudioError

        try:
            load_audio(utt.path)
        except AudioError as error:
            return {"refused": error.code}
        return {"refused": None}

    refused = cache.get(
        "intake", f"{audio_key}-{source_digest('trainer/speech/audio.py', 'trainer/speech/vad.py')}", intake
    )["refused"]

    def loaded():
        nonlocal audio
        if audio is None:
            audio = load_audio(utt.path, require_speech=False)
        return audio

    def run_transcription():
        from trainer.speech.asr import transcribe

        # as the scoring engine does for a read-aloud task: the recogniser is told the text
        return transcribe(loaded(), expected_text=utt.text).to_dict()

    transcript_key = _transcript_key(audio_key, recognition, utt.text)
    transcript_data = cache.get("transcripts", transcript_key, run_transcription)
    transcript = Transcript.from_dict(transcript_data)
    stages: dict[str, list] = {}

    def run_fluency():
        from trainer.features.fluency import measure_fluency

        result = measure_fluency(transcript, loaded())
        return [result.features(), result.evidence()]

    key = f"{transcript_key}-{source_digest(*STAGE_SOURCES['fluency'])}"
    stages["fluency"] = cache.get("fluency", key, run_fluency)

    def run_audio():
        from trainer.scoring.calibration import audio_features

        return [audio_features(loaded(), utt.text), {}]

    key = f"{audio_key}-{_digest(utt.text)}-{source_digest(*STAGE_SOURCES['audio'])}-{function_digest('audio_features')}-{feature_version()}"
    stages["audio"] = cache.get("audio", key, run_audio)

    if with_pronunciation:

        def run_pronunciation():
            from trainer.features import pronunciation

            # with the cached transcript, as the scoring engine passes its own
            result = pronunciation.assess_read_aloud(loaded(), utt.text, transcript=transcript)
            return [result.features(), result.evidence()]

        key = f"{transcript_key}-{_digest(utt.text)}-{source_digest(*STAGE_SOURCES['pronunciation'])}"
        stages["pronunciation"] = cache.get("pronunciation", key, run_pronunciation)
    return Measured(transcript_data, stages, refused)


def measure_all(
    utterances: list[Utterance], cache: Cache, *, quiet: bool = False, skip_missing: bool = False
) -> dict[str, Measured]:
    """Every utterance through the stages; ``skip_missing`` (with a ReadOnlyCache): leave out
    those the cache does not hold yet instead of failing."""
    recognition = recognition_settings()
    with_pronunciation = pronunciation_available() is None
    results: dict[str, Measured] = {}
    started = time.perf_counter()
    for i, utt in enumerate(utterances, 1):
        try:
            results[utt.utt_id] = measure(utt, cache, recognition, with_pronunciation)
        except NotCached:
            if not skip_missing:
                raise
        if not quiet and (i % 25 == 0 or i == len(utterances)):
            print(
                f"  measured {i}/{len(utterances)} ({cache.misses} computed, {cache.hits} cached, "
                f"{time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    return results


# the cache folder of each kind of pooled states (trainer.scoring.calibration.ENCODER_SOURCES)
STATE_KINDS = {"last_output": "encoder", "every_layer": "encoder_layers"}


def _limit_threads() -> None:
    """One reading per core: numpy's own threads would only contend with the other workers."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _pooled(job: tuple[str, str]) -> list[float]:
    source, path = job
    from trainer.scoring.stages import readout_states
    from trainer.speech.audio import load_audio

    # as the calibration stage reads them (a pass of their own); a reading the VAD hears no
    # speech in still counts
    return readout_states(source, load_audio(Path(path), require_speech=False)).tolist()


def encoder_states(
    utterances: list[Utterance],
    measured: dict[str, Measured],
    cache: Cache,
    *,
    source: str = "last_output",
    skip_missing: bool = False,
    workers: int = 1,
) -> dict[str, np.ndarray]:
    """Each measured reading's pooled encoder states of ``source`` (``last_output``:
    ``trainer.speech.encoder_states``; ``every_layer``: ``trainer.speech.encoder_layers``), as
    the calibration stage computes them from the audio; the missing ones in ``workers``
    processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    kind = STATE_KINDS[source]
    settings = _digest(recognition_settings())  # the recogniser's model among them
    sources = source_digest(*STAGE_SOURCES[kind])
    keys = {u.utt_id: f"{file_digest(u.path)}-{settings}-{sources}" for u in utterances if u.utt_id in measured}
    missing = [u for u in utterances if u.utt_id in keys and not cache.path(kind, keys[u.utt_id]).is_file()]
    if missing and not isinstance(cache, ReadOnlyCache):
        jobs = [(source, str(u.path)) for u in missing]
        if workers > 1:
            # spawned, not forked: this process may already run the recogniser's threads
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_limit_threads) as pool:
                computed = list(pool.map(_pooled, jobs, chunksize=8))
        else:
            computed = [_pooled(job) for job in jobs]
        for utt, vector in zip(missing, computed, strict=True):
            cache.get(kind, keys[utt.utt_id], lambda vector=vector: vector)
    states: dict[str, np.ndarray] = {}
    for uid, key in keys.items():
        try:
            found = cache.get(kind, key, lambda: None)
        except NotCached:
            if not skip_missing:
                raise
            continue
        states[uid] = np.asarray(found, dtype=float)
    return states


def add_encoder_features(rows: dict[str, dict[str, float]], states: dict[str, np.ndarray], readout) -> None:
    """Each row with a reading's states gains the readout's ``encoder_estimate_*`` features."""
    for uid, vector in states.items():
        if uid in rows:
            rows[uid].update(readout.features(vector))


# --------------------------------------------------------------------------- features, predictions


def feature_rows(utterances: list[Utterance], measured: dict[str, Measured]) -> dict[str, dict[str, float]]:
    from trainer.scoring.calibration import reading_features
    from trainer.speech.transcript import Transcript

    return {
        u.utt_id: reading_features(
            Transcript.from_dict(measured[u.utt_id].transcript), u.text, measured[u.utt_id].stages
        )
        for u in utterances
    }


def training_table(utterances: list[Utterance], rows: dict[str, dict[str, float]]):
    """The calibration table of the TRAIN rows only."""
    from calibration_fit import FeatureTable

    from trainer.scoring.calibration import DIMENSIONS

    train = [u for u in utterances if u.split == "train"]
    return FeatureTable(
        ids=[u.utt_id for u in train],
        groups=[u.speaker for u in train],
        rows=[rows[u.utt_id] for u in train],
        targets={d: [u.scores[d] for u in train] for d in DIMENSIONS},
    )


def gate(utt: Utterance, measured: Measured) -> str | None:
    """Why the app would not score this reading (the scoring engine's own gates), or None."""
    from trainer.scoring import engine as scoring
    from trainer.speech.textnorm import words as norm_words

    if measured.refused:
        return measured.refused
    heard = norm_words(measured.transcript["text"])
    if len(heard) < scoring.MIN_WORDS:
        return "too_short"
    expected = set(norm_words(utt.text))
    if len(expected & set(heard)) / max(1, len(expected)) < scoring.MIN_REFERENCE_OVERLAP:
        return "off_topic"
    return None


# --------------------------------------------------------------------------- agreement


def correlations(ours: list[float], experts: list[float]) -> tuple[float, float]:
    import numpy as np
    from calibration_fit import _pearson, _spearman

    a, b = np.array(ours, dtype=float), np.array(experts, dtype=float)
    return _pearson(a, b), _spearman(a, b)


def reading_words(utt: Utterance, m: Measured) -> tuple[list[dict], list[float]] | None:
    """The pronunciation evidence's words of a reading and the recogniser's confidence in
    each, when both line up with the experts' words (None otherwise)."""
    from trainer.scoring.calibration import reference_word_confidence
    from trainer.speech.textnorm import words as norm_words
    from trainer.speech.transcript import Transcript

    reference = norm_words(utt.text)
    if not utt.word_accuracy or len(reference) != len(utt.word_accuracy):
        return None
    words = m.stages["pronunciation"][1].get("words") if "pronunciation" in m.stages else None
    if not words or len(words) != len(reference):
        return None
    return words, reference_word_confidence(Transcript.from_dict(m.transcript), utt.text)


def _flagged(word: dict) -> int:
    """1 for a word its label flags (mispronounced or left out)."""
    return int(word["label"] in ("mispronounced", "omitted"))


def word_table(utterances: list[Utterance], measured: dict[str, Measured]):
    """The word model's table of the TRAIN readings only."""
    from calibration_fit import WordTable

    from trainer.scoring.calibration import WORD_MARK_BELOW, word_mark_features

    table = WordTable([], [], [], [])
    for utt in utterances:
        if utt.split != "train" or utt.utt_id not in measured:
            continue
        found = reading_words(utt, measured[utt.utt_id])
        if found is None:
            continue
        rows = word_mark_features(*found) or []
        table.rows.extend(rows)
        table.marked.extend(int(accuracy < WORD_MARK_BELOW) for _, accuracy in utt.word_accuracy)
        table.groups.extend(utt.speaker for _ in rows)
        table.stage_flagged.extend(_flagged(w) for w in found[0])
    return table


def word_agreement(utterances: list[Utterance], measured: dict[str, Measured], model=None) -> list[dict]:
    """AUC of per-word scores against expert word accuracy < 7, one row per split: the
    recogniser's confidence, the word GOP, the pronunciation stage's flag (mispronounced or
    omitted), and with a word model (``model.words``) its likelihood and the flag it decides."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from trainer.scoring.calibration import WORD_MARK_BELOW

    results = []
    for split in ("test", "train"):
        wrong: list[int] = []
        scores: dict[str, list[float]] = {"confidence": [], "gop": [], "flag": [], "likelihood": [], "marked": []}
        skipped = 0
        for utt in utterances:
            if utt.split != split or not utt.word_accuracy or utt.utt_id not in measured:
                continue
            found = reading_words(utt, measured[utt.utt_id])
            if found is None:
                skipped += 1
                continue
            words, confidence = found
            wrong.extend(int(accuracy < WORD_MARK_BELOW) for _, accuracy in utt.word_accuracy)
            scores["confidence"].extend(confidence)
            # omitted words have no GOP: below any measured one
            scores["gop"].extend(w["gop"] if w.get("gop") is not None else -99.0 for w in words)
            scores["flag"].extend(_flagged(w) for w in words)
            marked = model.words.mark(words, confidence) if model is not None and model.words else None
            if marked is not None:
                scores["likelihood"].extend(w["expert_mark"] for w in marked)
                scores["marked"].extend(_flagged(w) for w in marked)
        y = np.array(wrong)
        row = {"split": split, "words": len(y), "wrong": int(y.sum()), "skipped_utterances": skipped}
        if 0 < y.sum() < len(y):
            row["whisper_confidence_auc"] = float(roc_auc_score(y, -np.array(scores["confidence"])))
            row["word_gop_auc"] = float(roc_auc_score(y, -np.array(scores["gop"])))
            for name, key in (("flag", "flag"), ("marked", "model_flag")):
                if len(scores[name]) != len(y):
                    continue
                flags = np.array(scores[name])
                row[f"{key}_auc"] = float(roc_auc_score(y, flags))
                row[f"{key}_precision"] = float(y[flags == 1].mean()) if flags.sum() else float("nan")
                row[f"{key}_recall"] = float(flags[y == 1].mean())
            if len(scores["likelihood"]) == len(y):
                row["model_likelihood_auc"] = float(roc_auc_score(y, np.array(scores["likelihood"])))
        results.append(row)
    return results


def speaker_agreement(utterances: list[Utterance], predictions, dimension: str) -> dict:
    """Pearson r of each speaker's mean estimate against the experts' mean for that speaker."""
    by: dict[str, list[Utterance]] = {}
    for u in utterances:
        by.setdefault(u.speaker, []).append(u)
    ours = [sum(predictions[u.utt_id][dimension] for u in us) / len(us) for us in by.values()]
    theirs = [sum(u.scores[dimension] for u in us) / len(us) for us in by.values()]
    r = correlations(ours, theirs)[0] if len(by) >= 3 else float("nan")
    return {"pearson": r, "speakers": len(by), "readings_per_speaker": len(utterances) / max(1, len(by))}


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None or value != value else f"{value:5.3f}"


def print_report(model, utterances, predictions, measured, words, out=sys.stdout) -> dict:
    """The agreement table; returns the figures for docs/tests."""
    from trainer.scoring.calibration import DIMENSIONS

    figures: dict = {"dimensions": {}}
    print(f"\nAgreement with speechocean762 experts (model {model.label}; Pearson r / Spearman rho)", file=out)
    print(
        f"{'dimension':<13} {'test r':>6} {'test ρ':>6} {'adults':>6} {'child':>6} {'speakr':>6} "
        f"{'train r':>7} {'train ρ':>7} {'CV r':>6} {'GOPT r':>6}  note",
        file=out,
    )
    for d in DIMENSIONS:
        row = {}
        for split in ("test", "train"):
            chosen = [u for u in utterances if u.split == split and d in u.scores]
            r, rho = correlations([predictions[u.utt_id][d] for u in chosen], [u.scores[d] for u in chosen])
            row[split] = {"pearson": r, "spearman": rho, "rows": len(chosen)}
        test_rows = [u for u in utterances if u.split == "test" and d in u.scores]
        for label, member in (("adults", lambda u: u.age >= ADULT_AGE), ("children", lambda u: u.age < ADULT_AGE)):
            chosen = [u for u in test_rows if member(u)]
            r = correlations([predictions[u.utt_id][d] for u in chosen], [u.scores[d] for u in chosen])[0]
            row[f"test_{label}"] = {"pearson": r, "rows": len(chosen)}
        row["test_speakers"] = speaker_agreement(test_rows, predictions, d)
        dm = model.dimensions.get(d)
        cv = dm.cv.get("pearson") if dm else None
        note = ""
        if d == "completeness":
            note = (
                "experts: no variance (test rows all 10): r undefined"
                if row["test"]["pearson"] != row["test"]["pearson"]
                else "a measurement (share of the words read), not fitted"
            )
        elif d in GOPT and row["test"]["pearson"] == row["test"]["pearson"]:
            note = (
                "beats GOPT" if row["test"]["pearson"] > GOPT[d] else f"{row['test']['pearson'] - GOPT[d]:+.3f} vs GOPT"
            )
        print(
            f"{d:<13} {_fmt(row['test']['pearson']):>6} {_fmt(row['test']['spearman']):>6} "
            f"{_fmt(row['test_adults']['pearson']):>6} {_fmt(row['test_children']['pearson']):>6} "
            f"{_fmt(row['test_speakers']['pearson']):>6} "
            f"{_fmt(row['train']['pearson']):>7} {_fmt(row['train']['spearman']):>7} "
            f"{_fmt(cv):>6} {_fmt(GOPT.get(d)):>6}  {note}",
            file=out,
        )
        row["cv_pearson"] = cv
        figures["dimensions"][d] = row
    scorable = {u.utt_id for u in utterances if gate(u, measured[u.utt_id]) is None}
    groups = {
        "children (6-7)": lambda u: u.age < ADULT_AGE,
        f"adults ({ADULT_AGE}+)": lambda u: u.age >= ADULT_AGE,
        "the app would score": lambda u: u.utt_id in scorable,
    }
    figures["test_by_age"] = {}
    for label, member in groups.items():
        chosen = [u for u in utterances if u.split == "test" and member(u)]
        if len(chosen) < 3:
            continue
        cells = []
        for d in ("accuracy", "fluency", "prosodic", "total"):
            r, _ = correlations([predictions[u.utt_id][d] for u in chosen], [u.scores[d] for u in chosen])
            cells.append(f"{d} {_fmt(r)}")
            figures["test_by_age"].setdefault(label, {})[d] = r
        figures["test_by_age"][label]["rows"] = len(chosen)
        print(f"test rows, {label}, n={len(chosen)}: " + ", ".join(cells), file=out)
    print(
        f"rows: {sum(u.split == 'test' for u in utterances)} test "
        f"({len({u.speaker for u in utterances if u.split == 'test'})} speakers; 'speakr': r of each "
        f"speaker's mean), {sum(u.split == 'train' for u in utterances)} train; CV = speaker-grouped, "
        "train rows only",
        file=out,
    )
    gates = {}
    for u in utterances:
        reason = gate(u, measured[u.utt_id])
        if reason:
            gates.setdefault(reason, []).append(u.utt_id)
    if gates:
        counts = ", ".join(f"{k} {len(v)}" for k, v in sorted(gates.items()))
        print(
            f"the app would not score {sum(len(v) for v in gates.values())} of these readings "
            f"({counts}); they are still estimated here so every expert row is compared",
            file=out,
        )
    figures["not_scorable"] = {k: len(v) for k, v in gates.items()}

    print("\nWord level: AUC against expert word accuracy < 7", file=out)
    unavailable = pronunciation_available()
    for row in words:
        parts = [
            f"{row['split']:<5} {row['words']} words, {row['wrong']} below 7",
            f"Whisper confidence AUC {_fmt(row.get('whisper_confidence_auc'))}",
        ]
        if "word_gop_auc" in row:
            parts.append(f"word GOP AUC {_fmt(row['word_gop_auc'])}")
        if "flag_auc" in row:
            parts.append(
                f"stage's flag (mispronounced/omitted) AUC {_fmt(row['flag_auc'])}, precision "
                f"{_fmt(row['flag_precision'])}, recall {_fmt(row['flag_recall'])}"
            )
        if "model_likelihood_auc" in row:
            parts.append(
                f"word model: likelihood AUC {_fmt(row['model_likelihood_auc'])}, its flag AUC "
                f"{_fmt(row['model_flag_auc'])}, precision {_fmt(row['model_flag_precision'])}, "
                f"recall {_fmt(row['model_flag_recall'])}"
            )
        print("  " + "; ".join(parts), file=out)
    if unavailable:
        print(f"  pronunciation flag: not available ({unavailable})", file=out)
    figures["words"] = words
    return figures


def interval_coverage(utterances: list[Utterance], estimates: dict, out=sys.stdout) -> dict:
    """Per dimension and split: the share of readings whose expert score lies inside the
    estimate's interval (the model file says what share it was made for)."""
    figures: dict = {}
    lines = []
    for d in ("accuracy", "fluency", "prosodic", "total"):
        for split in ("test", "train"):
            inside = [
                found[d].low <= u.scores[d] <= found[d].high
                for u in utterances
                if u.split == split
                and d in u.scores
                and (found := estimates.get(u.utt_id))
                and found[d].low is not None
                and found[d].high is not None
            ]
            if inside:
                figures.setdefault(d, {})[split] = {"share_inside": sum(inside) / len(inside), "rows": len(inside)}
        shares = ", ".join(f"{split} {v['share_inside']:.2f} ({v['rows']})" for split, v in figures.get(d, {}).items())
        made_for = next((e[d].coverage for e in estimates.values() if d in e and e[d].coverage), None)
        if shares:
            lines.append(f"  {d}: {shares}; made for {made_for}")
    if lines:
        print("\nIntervals: share of expert scores inside the estimate's interval", file=out)
        print("\n".join(lines), file=out)
    return figures


def write_predictions(path: Path, utterances, predictions) -> None:
    from trainer.scoring.calibration import DIMENSIONS

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["utt_id", *DIMENSIONS])
        for u in utterances:
            writer.writerow([u.utt_id, *(f"{predictions[u.utt_id][d]:.2f}" for d in DIMENSIONS)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="a folder laid out like speechocean762-scored (scores.tsv, audio/)",
    )
    parser.add_argument("--out", type=Path, help="write per-utterance predictions (TSV, 0-10)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="cache folder")
    parser.add_argument("--model", type=Path, help="calibration model file (default: the packaged one)")
    parser.add_argument(
        "--fit",
        action="store_true",
        help="refit on the train rows and write the model file (--model or the packaged one)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--limit", type=int, help="first N utterances only (smoke runs)")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="never run the pipeline: use the readings the cache holds, leave out the others (counted)",
    )
    parser.add_argument(
        "--encoder-source",
        choices=tuple(STATE_KINDS),
        default="last_output",
        help="with --fit: which pooled encoder states the readout reads (default last_output, the "
        "packaged model's; every_layer: docs/validity.md, v8); otherwise the model file says",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes computing missing encoder states"
    )
    args = parser.parse_args(argv)

    from calibration_fit import encoder_row_features, fit_encoder_readout, fit_model, fit_word_model

    from trainer.scoring.calibration import DEFAULT_MODEL_FILE, CalibrationModel
    from trainer.speech.encoder_layers import POOLING as LAYER_POOLING
    from trainer.speech.encoder_states import POOLING, model_fingerprint

    utterances = load_corpus(args.data)
    if args.limit:
        utterances = utterances[: args.limit]
    cache = Cache(args.cache)
    print(f"measuring {len(utterances)} utterances from {args.data} (cache {args.cache})", file=sys.stderr)
    started = time.perf_counter()
    measured = measure_all(
        utterances, ReadOnlyCache(cache) if args.cached_only else cache, skip_missing=args.cached_only
    )
    seconds = time.perf_counter() - started
    stages_computed = cache.misses  # the encoder states below are timed apart
    left_out = len(utterances) - len(measured)
    utterances = [u for u in utterances if u.utt_id in measured]
    rows = feature_rows(utterances, measured)
    model_path = args.model or DEFAULT_MODEL_FILE
    if args.fit:
        source = args.encoder_source
    else:
        packaged = CalibrationModel.load(model_path).encoder
        source = packaged.source if packaged else "last_output"
    started = time.perf_counter()
    states = encoder_states(
        utterances,
        measured,
        ReadOnlyCache(cache) if args.cached_only else cache,
        source=source,
        skip_missing=args.cached_only,
        workers=args.workers,
    )
    print(f"{source} encoder states of {len(states)} readings ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    fitted_on: set[str] = set()  # rows fitted on in this run keep their out-of-fold readouts
    if args.fit:
        table = training_table(utterances, rows)
        if not table.ids:
            raise SystemExit("error: no train rows to fit on")
        started = time.perf_counter()
        missing_states = [uid for uid in table.ids if uid not in states]
        if missing_states:
            raise SystemExit(f"error: {len(missing_states)} train rows have no encoder states in the cache")
        readout, out_of_fold = fit_encoder_readout(
            np.array([states[uid] for uid in table.ids]),
            table.groups,
            table.targets,
            whisper_model=model_fingerprint(),
            pooling=LAYER_POOLING if source == "every_layer" else POOLING,
            source=source,
        )
        print(f"  encoder readout: {readout.cv['pearson']} ({readout.cv['components']} components)", file=sys.stderr)
        # the train rows get out-of-fold readouts: the full readout has seen their scores
        for i, uid in enumerate(table.ids):
            rows[uid].update(encoder_row_features(out_of_fold, i))
        model = fit_model(
            table,
            training={
                "data": args.data.name,
                "split": "train",
                "recognition": recognition_settings(),
                "pronunciation": pronunciation_available() or "trainer.pronunciation.assess_read_aloud",
                "command": "bench/agreement.py --fit",
                "utt_ids": table.ids,  # the rows fitted on (tests refit them)
            },
            progress=lambda line: print("  " + line, file=sys.stderr, flush=True),
        )
        model.words = fit_word_model(word_table(utterances, measured))
        model.encoder = readout
        fitted_on = set(table.ids)
        print(f"  words: {model.words.cv}", file=sys.stderr)
        model.save(model_path)
        print(f"fitted in {time.perf_counter() - started:.1f} s -> {model_path}", file=sys.stderr)
    model = CalibrationModel.load(model_path)
    if model.encoder is not None:
        add_encoder_features(rows, {uid: v for uid, v in states.items() if uid not in fitted_on}, model.encoder)
    estimates = {uid: model.predict(features) for uid, features in rows.items()}
    predictions = {uid: {d: e.value for d, e in found.items()} for uid, found in estimates.items()}
    words = word_agreement(utterances, measured, model)
    figures = print_report(model, utterances, predictions, measured, words)
    figures["interval_coverage"] = interval_coverage(utterances, estimates)
    if left_out:
        print(f"left out: {left_out} readings the cache does not hold yet (--cached-only)")
    figures["left_out_not_cached"] = left_out
    if stages_computed:
        # every stage of a reading computed in this run (the cache answers the rest)
        per_reading = seconds / max(1, stages_computed / 5)
        print(f"cost: {per_reading:.1f} s per reading computed in this run (all stages, wall time)")
        figures["seconds_per_reading"] = per_reading
    if args.out:
        write_predictions(args.out, utterances, predictions)
        print(f"predictions: {args.out}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
