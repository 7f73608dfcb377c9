"""Grammar on speech: are a learner's mistakes kept by the recogniser and flagged by the checker?

bench/data/grammar_speech.tsv holds sentences with one planted learner mistake each, beside
the same sentence said correctly, over nine error types. Each is spoken by espeak-ng in three
voices and once more through the telephone line, transcribed as a free answer is, and checked
by the grammar checker (a real LanguageTool), without and with the verbatim pass
(trainer.speech.verbatim). Printed per error type:

  kept     the mistake's words are in the transcript as said
  flagged  a grammar error covers them
  and, on the correct sentences, grammar false flags per 100 words and words the pass changed.

The pass's two constants are chosen here on the even rows (``--tune``) and reported on the odd
rows apart, so the figures on rows never tuned on stay visible.

Usage:
  .venv/bin/python bench/grammar_speech.py                 # recognise (cached), then report
  .venv/bin/python bench/grammar_speech.py --tune          # also print the grid on even rows
  .venv/bin/python bench/grammar_speech.py --timing        # added time of the pass per 30 s answer
  .venv/bin/python bench/grammar_speech.py --limit 10 --conditions calm_female
Recognition results are cached in bench/results/grammar_speech/ (delete it after changing the
recogniser); the table is appended to bench/results/grammar_speech.tsv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.config import get_settings  # noqa: E402
from trainer.features.grammar import GrammarResult, check_grammar  # noqa: E402
from trainer.speech import asr, tts, verbatim  # noqa: E402
from trainer.speech.audio import load_audio  # noqa: E402
from trainer.speech.textnorm import normalize  # noqa: E402
from trainer.speech.transcript import Transcript  # noqa: E402
from trainer.webapp.transcript import transcript_tokens  # noqa: E402

DATA = ROOT / "bench" / "data" / "grammar_speech.tsv"
RESULTS = ROOT / "bench" / "results"
CACHE = RESULTS / "grammar_speech"
# (name, espeak voice preset, telephone line)
CONDITIONS = {
    "calm_female": ("calm_female", False),
    "brisk_male": ("brisk_male", False),
    "elderly_male": ("elderly_male", False),
    "phone_calm_male": ("calm_male", True),
}
# how free answers are decoded: "default" (asr.VERBATIM_PROMPT), "learner-prompt" (asr.LEARNER_PROMPT)
SETTINGS = ("default", "learner-prompt")
GRID_PRIOR_WEIGHTS = (0.0, 0.5, 0.75, 1.0, 1.25)
GRID_MARGINS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


@dataclass(frozen=True)
class Row:
    number: int
    type: str
    span: str
    wrong: str
    right: str


def load_rows() -> list[Row]:
    lines = [line for line in DATA.read_text().splitlines() if line and not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    return [Row(n, r["type"], r["span"], r["wrong"], r["right"]) for n, r in enumerate(reader)]


# ------------------------------------------------------------------ recognition (cached)


def recognise(text: str, voice: str, telephone: bool, setting: str, with_pass: bool) -> dict:
    whisper = asr.get_whisper_model()
    # Silero's VAD hears no speech in espeak-ng's voice band-limited to 300-3400 Hz (bench/score.py
    # feeds the phone line the same way)
    audio = load_audio(tts.synthesize(text, voice, telephone=telephone), require_speech=not telephone)
    options = asr.WhisperOptions(beam_size=get_settings().whisper_beam_size, learner_prompt=setting == "learner-prompt")
    with verbatim.capture_windows(whisper) as windows:
        transcript = asr.transcribe_whisper(audio, options)
    entry: dict = {"transcript": transcript.to_dict(), "audio_seconds": audio.duration}
    if with_pass:
        started = time.perf_counter()
        entry["candidates"] = [asdict(c) for c in verbatim.score_candidates(whisper, transcript, windows)]
        entry["pass_seconds"] = time.perf_counter() - started
    return entry


def as_written(rows: list[Row]) -> dict[str, dict]:
    """The sentences as a perfect recogniser would write them: what the checker alone finds."""
    entries = {}
    for row in rows:
        for kind in ("wrong", "right"):
            text = getattr(row, kind)
            transcript = Transcript(text=text, words=[], engine="none", model="", audio_seconds=0.0)
            entries[f"{row.number}:{kind}"] = {"transcript": transcript.to_dict()}
    return entries


def recognised(rows: list[Row], condition: str, setting: str, with_pass: bool) -> dict[str, dict]:
    voice, telephone = CONDITIONS[condition]
    path = CACHE / f"{condition}-{setting}.json"
    cache = json.loads(path.read_text()) if path.exists() else {}
    changed = 0
    for row in rows:
        for kind in ("wrong", "right"):
            key = f"{row.number}:{kind}"
            if key not in cache or (with_pass and "candidates" not in cache[key]):
                cache[key] = recognise(getattr(row, kind), voice, telephone, setting, with_pass)
                changed += 1
                print(f"  {condition} {setting} {key}: {cache[key]['transcript']['text']}", file=sys.stderr)
                if changed % 10 == 0:  # a long run can be stopped and resumed
                    _save(path, cache)
    if changed:
        _save(path, cache)
    return cache


def _save(path: Path, cache: dict) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps(cache))
    path.with_suffix(".tmp").replace(path)


# ------------------------------------------------------------------ analysis


def final_text(entry: dict, prior_weight: float | None, margin: float | None) -> tuple[str, int]:
    """The transcript after the pass (None: without it), and how many words it changed."""
    transcript = Transcript.from_dict(entry["transcript"])
    if prior_weight is None or margin is None or "candidates" not in entry:
        return transcript.text, 0
    candidates = [verbatim.Candidate(**c) for c in entry["candidates"]]
    changes = verbatim.decide(transcript, candidates, prior_weight, margin)
    return verbatim.apply(transcript, changes, 0.0).text, len(changes)


def _find(words: list[str], span: list[str]) -> int:
    for i in range(len(words) - len(span) + 1):
        if words[i : i + len(span)] == span:
            return i
    return -1


_grammar_cache: dict[str, GrammarResult] = {}


def checked(text: str) -> GrammarResult:
    if text not in _grammar_cache:
        _grammar_cache[text] = check_grammar(text)
    return _grammar_cache[text]


def flagged_words(text: str) -> set[int]:
    """Positions of the words of ``text`` a counted grammar error covers, as Feedback marks them."""
    tokens = transcript_tokens(text, checked(text).errors)
    return {i for i, token in enumerate(tokens) if token.error is not None}


@dataclass
class Tally:
    sentences: int = 0
    kept: int = 0
    flagged: int = 0
    words: int = 0
    false_flags: int = 0
    changed_correct: int = 0


def judge(text: str, span: str) -> tuple[bool, bool]:
    words = normalize(text).split()
    span_words = normalize(span).split()
    at = _find(words, span_words)
    if at < 0:
        return False, False
    last = at + len(span_words) - 1
    # errors are located on the raw words, which normalize keeps one for one in these texts
    flagged = not flagged_words(text).isdisjoint(range(at - 1, last + 2))
    return True, flagged


def analyse(
    rows: list[Row],
    results: dict[str, dict[str, dict]],
    prior_weight: float | None,
    margin: float | None,
    grammar: bool = True,
) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for cache in results.values():
        for row in rows:
            tally = tallies.setdefault(row.type, Tally())
            text, _ = final_text(cache[f"{row.number}:wrong"], prior_weight, margin)
            kept, flagged = judge(text, row.span) if grammar else (row.span in normalize(text), False)
            tally.sentences += 1
            tally.kept += kept
            tally.flagged += flagged
            right_text, changed = final_text(cache[f"{row.number}:right"], prior_weight, margin)
            tally.changed_correct += changed
            tally.words += len(row.right.split())
            if grammar:
                tally.false_flags += len(checked(right_text).errors)
    return tallies


def _total(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    for t in tallies.values():
        for name in total.__dict__:
            setattr(total, name, getattr(total, name) + getattr(t, name))
    return total


def print_table(title: str, plain: dict[str, Tally], passed: dict[str, Tally] | None) -> list[list[str]]:
    """Per error type: kept, flagged and false flags, and the same after the pass if it ran."""
    print(f"\n{title}")
    header = ["error type", "n", "kept", "flagged", "false/100w"]
    if passed is not None:
        header += ["kept+pass", "flagged+pass", "false/100w+pass"]
    print("  ".join(f"{h:>15}" for h in header))
    table = []
    for name in [*sorted(plain), "ALL"]:
        a = _total(plain) if name == "ALL" else plain[name]
        cells = [name, str(a.sentences)] + _rates(a)
        if passed is not None:
            cells += _rates(_total(passed) if name == "ALL" else passed[name])
        table.append(cells)
        print("  ".join(f"{c:>15}" for c in cells))
    if passed is not None:
        total = _total(passed)
        print(f"correct sentences the pass changed: {total.changed_correct} of {total.sentences}")
    return table


def _rates(t: Tally) -> list[str]:
    return [
        f"{100 * t.kept / t.sentences:.0f}%",
        f"{100 * t.flagged / t.sentences:.0f}%",
        f"{100 * t.false_flags / t.words:.2f}",
    ]


def tune(rows: list[Row], results: dict[str, dict[str, dict]]) -> tuple[float, float]:
    """The pass's constants on the even rows: most mistakes kept, with correct sentences
    changed in at most 2 % of cases (a changed correct sentence is a false mistake)."""
    even = [r for r in rows if r.number % 2 == 0]
    print("\nTuning on the even rows: kept % / correct sentences changed %")
    best = (verbatim.PRIOR_WEIGHT, verbatim.MARGIN)
    best_kept = -1.0
    for prior_weight in GRID_PRIOR_WEIGHTS:
        line = [f"prior weight {prior_weight:>4}:"]
        for margin in GRID_MARGINS:
            total = _total(analyse(even, results, prior_weight, margin, grammar=False))
            kept = total.kept / total.sentences
            changed = total.changed_correct / total.sentences
            line.append(f"m{margin}: {100 * kept:.0f}/{100 * changed:.1f}")
            if changed <= 0.02 and kept > best_kept:
                best, best_kept = (prior_weight, margin), kept
        print("  ".join(line))
    print(
        f"chosen: prior weight {best[0]}, margin {best[1]} (in trainer/speech/verbatim.py: "
        f"{verbatim.PRIOR_WEIGHT}, {verbatim.MARGIN})"
    )
    return best


def timing(repeats: int = 3) -> None:
    """Added seconds of the pass on answers of about 30 s (the pass alone, warm model)."""
    rows = load_rows()
    whisper = asr.get_whisper_model()
    added, recognition = [], []
    for n, voice in enumerate(["calm_female", "brisk_male", "elderly_male"][:repeats]):
        chosen = rows[n::9][:9]
        text = ". ".join(r.wrong for r in chosen) + "."
        audio = load_audio(tts.synthesize(text, voice))
        with verbatim.capture_windows(whisper) as windows:
            started = time.perf_counter()
            transcript = asr.transcribe_whisper(audio)
            recognition.append(time.perf_counter() - started)
        started = time.perf_counter()
        verbatim.restore(whisper, transcript, windows)
        added.append((time.perf_counter() - started) * 30 / audio.duration)
        print(
            f"  {voice}: {audio.duration:.1f} s answer, recognition {recognition[-1]:.2f} s, "
            f"pass {added[-1] * audio.duration / 30:.2f} s",
            file=sys.stderr,
        )
    print(
        f"\nverbatim pass: {statistics.median(added):.2f} s added per 30 s of answer (median of {len(added)}; "
        f"recognition {statistics.median(recognition):.2f} s), {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conditions", nargs="*", default=list(CONDITIONS))
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=SETTINGS)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--with-pass", action="store_true", help="also score the verbatim pass (slow)")
    parser.add_argument("--tune", action="store_true", help="choose the pass's constants on the even rows")
    parser.add_argument("--timing", action="store_true")
    args = parser.parse_args()
    if args.timing:
        timing()
        return 0
    rows = load_rows()[: args.limit]
    RESULTS.mkdir(exist_ok=True)
    written = analyse(rows, {"text": as_written(rows)}, None, None)
    table = print_table("as written (no recogniser: the checker alone)", written, None)
    with (RESULTS / "grammar_speech.tsv").open("a") as out:
        for cells in table:
            out.write("\t".join([time.strftime("%Y-%m-%d %H:%M"), "as written", "all rows", "", *cells]) + "\n")
    # every setting on a condition before the next condition: a run stopped early still compares them
    every = {
        (c, setting): recognised(rows, c, setting, args.with_pass) for c in args.conditions for setting in args.settings
    }
    for setting in args.settings:
        results = {c: every[(c, setting)] for c in args.conditions}
        prior_weight, margin = (verbatim.PRIOR_WEIGHT, verbatim.MARGIN)
        if args.with_pass and args.tune:
            prior_weight, margin = tune(rows, results)
        print(
            f"\n== decoding: {setting}; {len(rows)} sentence pairs x {len(results)} conditions "
            f"({', '.join(results)}); pass: prior weight {prior_weight}, margin {margin}; "
            f"{time.strftime('%Y-%m-%d')}, load {os.getloadavg()[0]:.1f}"
        )
        odd = [r for r in rows if r.number % 2]
        for name, chosen in (("all rows", rows), ("odd rows (never tuned on)", odd)):
            table = print_table(
                f"{setting}, {name}",
                analyse(chosen, results, None, None),
                analyse(chosen, results, prior_weight, margin) if args.with_pass else None,
            )
            with (RESULTS / "grammar_speech.tsv").open("a") as out:
                for cells in table:
                    stamp = time.strftime("%Y-%m-%d %H:%M")
                    out.write("\t".join([stamp, setting, name, f"{prior_weight}/{margin}", *cells]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
