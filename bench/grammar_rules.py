"""False flags of the grammar checker on correct English: the learner-error rules
(``TRAINER_*`` in languagetool/rules/org/languagetool/rules/en/grammar_custom.xml) and
LanguageTool's own counted rules.

    .venv/bin/python bench/grammar_rules.py [--data ../shared/data/speechocean762-large]
        [--show 20] [--dump FILE]

Corpora of correct English the rules were not written from:

* ``speechocean``: the ``text`` of the read-aloud sentences of speechocean762 (``split ==
  train`` rows only; each distinct text once);
* ``lessons``: the prose in ``lessons/`` (model and sample answers, scenario lines, listening
  passages, sentence-build answers, explanations; quiz options and customer chat messages
  are left out, as they may be wrong on purpose);
* ``audio``: the texts of ``audio_samples/`` except the weak answers (their mistakes are
  planted).

Each text is checked twice: as written, and in transcript style (lower case, no
punctuation: what the recogniser gives, where sentence ends are lost). Every flag on these
texts is a false flag, except the few flags on the words listed in ``KNOWN_MISTAKES`` (a
lesson that quotes mistakes to correct them, a corpus sentence that is itself wrong): they
are listed apart as true flags. Starts a private LanguageTool server on a free port with this
checkout's rules (so the shared one is not disturbed), then stops it.
"""

from __future__ import annotations

import argparse
import collections
import csv
import re
import socket
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.features import grammar  # noqa: E402

# Mistakes on purpose in these corpora (a text's substring, the mistaken words, why): a flag
# on those words in that text is a true flag.
KNOWN_MISTAKES = [
    ("correct the tenses", {"order", "arrive"}, "lessons: an exercise quoting 'Last week I order ... it arrive'"),
    ("yesterday i call the bank and they say", {"call"}, "lessons: the grammar lesson quotes the mistake"),
    ("she always make them mad", {"make"}, "speechocean762: the reading itself lacks the -s (makes)"),
]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speechocean762-large"
# YAML keys in lessons/ that hold correct English prose (see the module docstring).
LESSON_KEYS = {
    "text", "phrasings", "answers", "answer", "question", "point", "explanation", "prompt",
    "objectives", "meaning", "descriptor", "agent_brief", "summary", "instructions",
    "sample_reply", "sample_answer", "talking_points", "job_suitability", "label", "accepted",
    "phrases", "title", "note", "source", "description", "body", "content", "hint",
}  # fmt: skip


def speechocean_texts(data: Path) -> list[str]:
    with open(data / "scores.tsv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        texts = {row["text"].strip() for row in rows if row["split"] == "train"}
    return sorted(t for t in texts if t)


def lesson_texts(root: Path) -> list[str]:
    found: list[str] = []

    def walk(node, key):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in LESSON_KEYS and len(node.split()) >= 3:
            found.append(" ".join(node.split()))

    for path in sorted(root.rglob("*.yaml")):
        walk(yaml.safe_load(path.read_text()), None)
    return sorted(set(found))


def audio_texts(root: Path) -> list[str]:
    manifest = yaml.safe_load((root / "manifest.yaml").read_text())
    return sorted({f["text"] for f in manifest["files"] if f.get("quality") != "weak"})


def transcript_style(text: str) -> str:
    """Lower case, no punctuation, as the recogniser writes it (apostrophes and the
    hyphens inside words kept: "e-mail", "ninety-nine")."""
    text = re.sub(r"[^\w\s'’-]", " ", text.lower())
    text = re.sub(r"(?<!\w)-|-(?!\w)", " ", text)
    return " ".join(text.split())


def known_mistake(text: str, words: str) -> str | None:
    """Why the flagged ``words`` in ``text`` are a real mistake, or None."""
    low = transcript_style(text)
    return next((why for part, bad, why in KNOWN_MISTAKES if part in low and words.lower() in bad), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="speechocean762-large folder")
    parser.add_argument("--show", type=int, default=50, help="list up to N false flags of the TRAINER_ rules")
    parser.add_argument("--top", type=int, default=12, help="LanguageTool's own rules: show the N most frequent")
    parser.add_argument("--dump", type=Path, help="write the corpus texts (corpus<TAB>text) to this file")
    args = parser.parse_args()

    corpora = {
        "speechocean": speechocean_texts(args.data),
        "lessons": lesson_texts(ROOT / "lessons"),
        "audio": audio_texts(ROOT / "audio_samples"),
    }
    if args.dump:
        with open(args.dump, "w") as out:
            for name, texts in corpora.items():
                for text in texts:
                    out.write(f"{name}\t{text}\n")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    words: collections.Counter[str] = collections.Counter()
    flags: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    examples: list[tuple[str, str, str]] = []
    true_flags: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as state:
        srv = grammar.LanguageToolServer(url="", port=port, state_dir=Path(state))
        srv.ensure_running()
        try:
            for name, texts in corpora.items():
                for style, convert in (("written", str), ("transcript", transcript_style)):
                    column = f"{name}/{style}"
                    for text in texts:
                        text = convert(text)
                        result = grammar.check_grammar(text, srv)
                        words[column] += result.word_count
                        for error in result.errors:
                            why = known_mistake(text, error.text)
                            if why:
                                true_flags.append((error.rule_id, error.text, text, why))
                                continue
                            flags[error.rule_id][column] += 1
                            if error.rule_id.startswith("TRAINER_"):
                                examples.append((error.rule_id, error.text, text))
        finally:
            srv.stop()

    columns = list(words)
    total_words = sum(words.values())
    width = max([len("rule"), *(len(r) for r in flags)])
    print(f"Correct-text corpora ({len(columns)} columns, {total_words} words): false flags per rule\n")
    print(f"{'rule':<{width}}  " + "  ".join(f"{c:>22}" for c in columns) + f"  {'total':>6}  {'/100 w':>7}")
    print(f"{'(words)':<{width}}  " + "  ".join(f"{words[c]:>22}" for c in columns))

    def row(label: str, counts: collections.Counter[str]) -> None:
        total = sum(counts.values())
        cells = "  ".join(f"{counts[c]:>22}" for c in columns)
        print(f"{label:<{width}}  {cells}  {total:>6}  {100 * total / total_words:>7.3f}")

    ours = sorted(r for r in flags if r.startswith("TRAINER_"))
    theirs = sorted((r for r in flags if not r.startswith("TRAINER_")), key=lambda r: -sum(flags[r].values()))
    for rule in ours:
        row(rule, flags[rule])
    row("all TRAINER_ rules", sum((flags[r] for r in ours), collections.Counter()))
    print()
    for rule in theirs[: args.top]:
        row(rule, flags[rule])
    if len(theirs) > args.top:
        row(
            f"({len(theirs) - args.top} more rules)", sum((flags[r] for r in theirs[args.top :]), collections.Counter())
        )
    row("all counted rules", sum(flags.values(), collections.Counter()))
    print("\nPer 100 words, all counted rules / TRAINER_ rules only:")
    for c in columns:
        all_flags = sum(flags[r][c] for r in flags)
        our_flags = sum(flags[r][c] for r in ours)
        print(f"  {c:<24} {100 * all_flags / words[c]:6.3f} / {100 * our_flags / words[c]:6.3f}")
    if examples and args.show:
        print(f"\nFalse flags of the TRAINER_ rules (up to {args.show}):")
        for rule, flagged, text in examples[: args.show]:
            print(f"  {rule}: [{flagged}] in {text[:140]!r}")
    if true_flags:
        print(f"\nFlags on texts with a known mistake (true flags, not counted above): {len(true_flags)}")
        for rule, flagged, text, why in true_flags:
            print(f"  {rule}: [{flagged}] in {text[:60]!r}... ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
