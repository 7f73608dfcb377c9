"""ASR benchmark: WER and real-time factor per engine and decoding setting.

Datasets:
  generated  audio_samples/speech (espeak-ng; plain lines, lines with fillers, lines with
             grammar mistakes) -- also measures whether fillers and mistakes survive.
  dev        ../shared/data/speechocean762-dev (300 read sentences, non-native speakers).

Usage:
  .venv/bin/python bench/asr.py                       # every setting, both datasets
  .venv/bin/python bench/asr.py --settings base-verbatim tiny-plain --limit 100
  .venv/bin/python bench/asr.py --resources           # warm 30 s answer time and memory
Results are printed as a table and appended to bench/results/asr.tsv.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.config import resource_path  # noqa: E402
from trainer.speech import asr  # noqa: E402
from trainer.speech.audio import load_audio  # noqa: E402
from trainer.speech.textnorm import normalize, word_error_rate  # noqa: E402

DEV_DIR = ROOT.parent / "shared" / "data" / "speechocean762-dev"
GENERATED_DIR = resource_path("audio_samples") / "speech"
FILLERS = {"um", "uh", "er", "hmm", "umm", "uhm", "ah"}


@dataclass(frozen=True)
class Setting:
    name: str
    engine: str = "whisper"
    model: str = "bundled:base"
    options: asr.WhisperOptions = field(default_factory=asr.WhisperOptions)
    # "verbatim" (the options decide), "reference": the known text (scripted tasks only),
    # "reference+verbatim": both, "wrong-reference": another utterance's text, "planted-word":
    # the known text with one word swapped -- to see whether a reference prompt makes Whisper
    # write what it expected instead of what was said.
    prompt: str = "verbatim"
    threads: int | None = None  # CTranslate2 cpu_threads; None: the settings' value
    prompt_text: str | None = None  # a candidate disfluent prompt in place of asr.VERBATIM_PROMPT
    note: str = ""


def _opts(**kw) -> asr.WhisperOptions:
    return asr.WhisperOptions(**kw)


# A candidate prompt: fillers and repetitions as in asr.VERBATIM_PROMPT, plus the kind of
# grammar mistakes an assessment must see ("he go", "she don't").
GRAMMAR_PROMPT = "Umm, so, uh, he go to the office and, hmm, she don't like it, so we we should call him back."

SETTINGS = [
    Setting(
        "tiny-plain",
        model="bundled:tiny.en",
        options=_opts(verbatim_prompt=False),
        note="tiny.en, beam 5, no prompt (the issue's baseline)",
    ),
    Setting("tiny-verbatim", model="bundled:tiny.en", note="tiny.en + disfluent prompt"),
    Setting("tiny-beam1", model="bundled:tiny.en", options=_opts(beam_size=1, verbatim_prompt=False)),
    Setting(
        "tiny-reference",
        model="bundled:tiny.en",
        options=_opts(verbatim_prompt=False),
        prompt="reference",
        note="tiny.en prompted with the known text",
    ),
    Setting("base-plain", options=_opts(verbatim_prompt=False), note="base, beam 5, no prompt"),
    Setting("base-verbatim", note="base + disfluent prompt (the default)"),
    Setting(
        "base-verbatim-grammar", prompt_text=GRAMMAR_PROMPT, note="disfluent prompt that also shows grammar mistakes"
    ),
    Setting("base-beam1", options=_opts(beam_size=1, verbatim_prompt=False)),
    Setting("base-beam1-verbatim", options=_opts(beam_size=1)),
    Setting("base-beam3-verbatim", options=_opts(beam_size=3)),
    Setting("base-nosuppress", options=_opts(suppress_tokens=()), note="no token suppression"),
    Setting(
        "base-notimestamps",
        options=_opts(without_timestamps=True),
        note="no timestamp tokens (word times still aligned)",
    ),
    Setting("base-nowords", options=_opts(word_timestamps=False), note="no word alignment: cost of word times"),
    Setting("base-threads1", threads=1, note="cpu_threads=1"),
    Setting("base-threads2", threads=2, note="cpu_threads=2"),
    Setting("base-threads4", threads=4, note="cpu_threads=4"),
    Setting(
        "base-reference",
        options=_opts(verbatim_prompt=False),
        prompt="reference",
        note="prompted with the known text: scripted tasks only",
    ),
    Setting(
        "base-reference-verbatim",
        prompt="reference+verbatim",
        note="disfluent prompt + known text (what scoring uses for read-aloud/repeat)",
    ),
    Setting(
        "base-wrong-reference",
        prompt="wrong-reference",
        note="prompted with ANOTHER utterance's text: does it copy the prompt?",
    ),
    Setting(
        "base-planted-word",
        prompt="planted-word",
        note="known text with one word swapped for one NOT said: is that word transcribed?",
    ),
    Setting("sphinx", engine="sphinx", model="", note="PocketSphinx, warm decoder"),
]


def load_dataset(name: str, limit: int | None) -> list[tuple[str, Path, str, str]]:
    """(utt_id, path, reference text, kind)"""
    if name == "dev":
        table = DEV_DIR / "utterances.tsv"
        if not table.is_file():
            print(f"skipping dev: {DEV_DIR} is not here", file=sys.stderr)
            return []
        with table.open() as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        items = [(r["utt_id"], DEV_DIR / r["file"], r["text"], "read") for r in rows]
    else:
        with (GENERATED_DIR / "transcripts.tsv").open() as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        items = [(r["file"], GENERATED_DIR / r["file"], r["text"], r["kind"]) for r in rows]
    return items[:limit] if limit else items


def _prompt(setting: Setting, items, index: int) -> tuple[str | None, str | None]:
    """The initial prompt for item ``index`` (None lets the options decide) and the decoy
    it plants: a sentence or a word that was not said."""
    if setting.prompt_text:
        return setting.prompt_text, None
    if setting.prompt == "verbatim":
        return None, None
    reference, decoy = items[index][2], None
    if setting.prompt == "wrong-reference":
        other = items[(index + len(items) // 2 + 1) % len(items)][2]  # a different sentence
        reference = decoy = other if other != reference else ""
    elif setting.prompt == "planted-word":
        # the applicant misreads one word: the prompt holds a word they did not say
        said = normalize(reference).split()
        target = max(said, key=len)
        for step in range(1, len(items)):
            candidates = [
                w
                for w in normalize(items[(index + step) % len(items)][2]).split()
                if w.isalpha() and len(w) >= 4 and w not in said
            ]
            if candidates:
                decoy = max(candidates, key=len)
                break
        reference = " ".join(decoy if w == target else w for w in said) if decoy else reference
    reference = (
        reference[:1].upper() + reference[1:].lower() if reference.isupper() else reference[:1].upper() + reference[1:]
    )
    return asr.build_prompt(setting.options, reference), decoy


def run_setting(setting: Setting, items) -> dict:
    refs, hyps, audio_seconds, processing, cpu = [], [], 0.0, 0.0, 0.0
    fillers_said = fillers_kept = 0
    mistakes_said = mistakes_kept = 0
    copied = 0
    load_before = os.getloadavg()[0]
    if setting.engine == "whisper":  # loading is not transcribing: keep it out of the RTF
        asr.get_whisper_model(setting.model, cpu_threads=setting.threads)
    for index, (_utt_id, path, reference, kind) in enumerate(items):
        audio = load_audio(path, require_speech=False)
        prompt, decoy = _prompt(setting, items, index)
        started, cpu_started = time.perf_counter(), time.process_time()
        if setting.engine == "sphinx":
            transcript = asr.transcribe_sphinx(audio)
        else:
            transcript = asr.transcribe_whisper(
                audio, setting.options, model=setting.model, prompt=prompt, cpu_threads=setting.threads
            )
        processing += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        audio_seconds += audio.duration
        if setting.prompt == "wrong-reference" and decoy:
            # copied: the transcript is closer to the sentence it was told to expect
            copied += word_error_rate([decoy], [transcript.text]) < word_error_rate([reference], [transcript.text])
        if setting.prompt == "planted-word" and decoy:
            copied += decoy in normalize(transcript.text).split()
        refs.append(reference)
        hyps.append(transcript.text)
        said, heard = normalize(reference).split(), normalize(transcript.text).split()
        if kind == "fillers":
            fillers_said += sum(w in FILLERS for w in said)
            fillers_kept += min(sum(w in FILLERS for w in heard), sum(w in FILLERS for w in said))
        if kind == "grammar":
            # the sentence kept verbatim, mistakes and all
            mistakes_said += 1
            mistakes_kept += int(normalize(reference) == normalize(transcript.text))
    return {
        "wer": word_error_rate(refs, hyps),
        "rtf": processing / audio_seconds if audio_seconds else 0.0,
        # CPU seconds per audio second, all threads: what the load of other processes does not inflate
        "cpu_rtf": cpu / audio_seconds if audio_seconds else 0.0,
        "load": f"{load_before:.1f}-{os.getloadavg()[0]:.1f}",
        "prompt_copied": f"{copied}/{len(items)}" if setting.prompt in ("wrong-reference", "planted-word") else "",
        "utterances": len(items),
        "audio_s": audio_seconds,
        "fillers_kept": f"{fillers_kept}/{fillers_said}" if fillers_said else "",
        "mistakes_verbatim": f"{mistakes_kept}/{mistakes_said}" if mistakes_said else "",
    }


def resources(setting: Setting) -> dict:
    """Warm transcription time of a 30 s answer and the process's resident memory."""
    import numpy as np
    import psutil

    from trainer.speech.audio import from_array

    pieces, total = [], 0.0
    for _, path, _, _ in load_dataset("generated", None):
        audio = load_audio(path, require_speech=False)
        pieces += [audio.samples, np.zeros(8000, np.float32)]
        total += audio.duration + 0.5
        if total >= 30:
            break
    answer = from_array(np.concatenate(pieces)[: 30 * 16000])
    load_before = os.getloadavg()[0]
    asr.transcribe_whisper(answer, setting.options, model=setting.model, cpu_threads=setting.threads)  # warm-up
    times, cpu_times = [], []
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        asr.transcribe_whisper(answer, setting.options, model=setting.model, cpu_threads=setting.threads)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    import resource

    return {
        "answer_s": answer.duration,
        "warm_s": sorted(times)[1],
        "cpu_s": sorted(cpu_times)[1],
        "rss_mb": psutil.Process().memory_info().rss / 2**20,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": f"{load_before:.1f}-{os.getloadavg()[0]:.1f}",
    }


def print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(_fmt(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        print("  ".join(_fmt(row.get(c, "")).ljust(widths[c]) for c in columns))


def _fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown_summary(path: Path) -> str:
    """One Markdown row per setting from the saved results (latest run of each kind):
    WER on the full dev sample and on its first utterances, the speed of the largest dev
    run with the machine load it ran under, and the generated-speech checks."""
    with path.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    latest: dict[tuple, dict] = {}
    for row in rows:
        latest[(row["setting"], row["dataset"], int(row["utterances"]))] = row
    names = list(dict.fromkeys(r["setting"] for r in rows))
    names.sort(key=lambda n: next((i for i, s in enumerate(SETTINGS) if s.name == n), len(SETTINGS)))
    sizes = sorted({k[2] for k in latest if k[1] == "dev"}, reverse=True)
    header = (
        ["setting"]
        + [f"dev WER ({n})" for n in sizes]
        + [
            "RTF (dev)",
            "CPU s per audio s",
            "load (1 min)",
            "WER generated",
            "fillers kept",
            "mistakes verbatim",
            "unsaid text written",
            "note",
        ]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        dev = [latest.get((name, "dev", n)) for n in sizes]
        speed = next((r for r in dev if r), None) or latest.get((name, "generated", 20)) or {}
        gen = next(
            (r for (n, d, _), r in latest.items() if n == name and d == "generated" and int(r["utterances"]) > 5), {}
        )
        copied = next((r["prompt_copied"] for r in [*dev, gen] if r and r.get("prompt_copied")), "")
        note = next((s.note for s in SETTINGS if s.name == name), "")
        cells = (
            [name]
            + [f"{float(r['wer']):.3f}" if r else "" for r in dev]
            + [
                f"{float(speed['rtf']):.2f}" if speed else "",
                f"{float(speed['cpu_rtf']):.2f}" if speed else "",
                speed.get("load", ""),
                f"{float(gen['wer']):.3f}" if gen else "",
                gen.get("fillers_kept", ""),
                gen.get("mistakes_verbatim", ""),
                copied,
                note,
            ]
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--settings",
        nargs="*",
        default=[s.name for s in SETTINGS],
        help="names: " + ", ".join(s.name for s in SETTINGS),
    )
    parser.add_argument("--datasets", nargs="*", default=["generated", "dev"])
    parser.add_argument("--limit", type=int, default=None, help="first N utterances per dataset")
    parser.add_argument("--resources", action="store_true", help="only the 30 s answer time and memory")
    parser.add_argument("--no-save", action="store_true", help="print only (e.g. a timing run on a quiet machine)")
    parser.add_argument(
        "--markdown", action="store_true", help="print the saved results (bench/results/asr.tsv) as a Markdown table"
    )
    parser.add_argument(
        "--model-dir",
        action="append",
        default=[],
        metavar="NAME=FOLDER",
        help="also measure a CTranslate2 Whisper model folder (default decoding)",
    )
    args = parser.parse_args()
    for spec in args.model_dir:
        name, _, folder = spec.partition("=")
        SETTINGS.append(Setting(name, model=folder, note=f"model folder {Path(folder).name}"))
        args.settings.append(name)
    by_name = {s.name: s for s in SETTINGS}
    unknown = [name for name in args.settings if name not in by_name]
    if unknown:
        parser.error(f"unknown settings: {', '.join(unknown)}")
    chosen = [by_name[name] for name in args.settings]  # in the order given

    if args.markdown:
        print(markdown_summary(ROOT / "bench" / "results" / "asr.tsv"))
        return

    if args.resources:
        setting = chosen[0] if len(chosen) == 1 else next(s for s in SETTINGS if s.name == "base-verbatim")
        row = {"setting": setting.name, **resources(setting), "cores": os.cpu_count()}
        print_table([row], ["setting", "answer_s", "warm_s", "cpu_s", "rss_mb", "peak_rss_mb", "cores", "load"])
        return

    columns = [
        "setting",
        "dataset",
        "utterances",
        "wer",
        "rtf",
        "cpu_rtf",
        "load",
        "fillers_kept",
        "mistakes_verbatim",
        "prompt_copied",
        "note",
    ]
    out = ROOT / "bench" / "results" / "asr.tsv"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for dataset in args.datasets:
        items = load_dataset(dataset, args.limit)
        if not items:
            continue
        for setting in chosen:
            result = run_setting(setting, items)
            row = {"setting": setting.name, "dataset": dataset, **result, "note": setting.note}
            rows.append(row)
            print(
                f"# {setting.name} on {dataset}: WER {result['wer']:.3f} RTF {result['rtf']:.3f} load {result['load']}",
                file=sys.stderr,
                flush=True,
            )
            if args.no_save:
                continue
            new = not out.exists()
            with out.open("a", newline="") as handle:  # row by row: a long run stopped keeps its results
                writer = csv.DictWriter(handle, fieldnames=["time", *columns], delimiter="\t", extrasaction="ignore")
                if new:
                    writer.writeheader()
                writer.writerow({"time": time.strftime("%Y-%m-%d %H:%M"), **row})
    print_table(rows, columns)


if __name__ == "__main__":
    main()
