"""Language-use benchmark: do the product's grammar, vocabulary and overall scores track
human raters? (issue 16)

    nice .venv/bin/python bench/language_use.py [--limit 400] [--seed 16] [--excerpt-words 120]
                                                [--rows rows.csv]

Data: ``../shared/data/ellipse-dev/essays.csv`` (ELLIPSE development half, CC BY-NC-SA 4.0:
**evaluation only**; nothing in this script fits anything that ships, it only prints
correlations). Each essay is scored as a typed free answer (the engine's grammar and
vocabulary stages and the rubrics of ``lessons/rubrics``, banded as an open question, the
overall score being the weighted average of the two) twice: the whole essay and its first
``--excerpt-words`` words (a long spoken answer).

Prints, for whole essays and for excerpts:
  scores    Pearson r of the grammar score with the raters' Grammar, of the vocabulary score
            with Vocabulary and of the overall score with Overall (each also with Overall)
  features  r of every single feature the two stages measure with the matching rating
  length    the length-only baseline: r of the number of words with each rating (on
            excerpts nearly every text has the same length, so this r is near 0 or undefined)
  ceiling   what the measured features could reach at most: a ridge regression fitted *on
            these ratings* (10-fold cross-validation, predictions out of fold), with the
            vocabulary measures alone and with every measure. A diagnostic that compares
            designs, as the licence allows: nothing of it ships, and it says whether a
            target is within reach of the measures at all
``--rows`` writes every essay's scores, features and ratings (whole and excerpt) to a CSV
for looking into a figure; keep it out of the repository (the ratings are ELLIPSE's).
And the sample answers of ``audio_samples/`` (their transcripts, typed): the band and score
of grammar and vocabulary of every good and weak answer.

LanguageTool is the project's local server (started if it is not running). It checks about
a hundred words in 0.2-0.5 s on this machine, so all 1278 essays plus excerpts take longer
than the ten minutes this benchmark may use on two shared cores: ``--limit`` draws that many
essays with a fixed seed (``--limit 0``: all of them).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.content.samples import load_manifest  # noqa: E402
from trainer.scoring import engine  # noqa: E402
from trainer.scoring.report import Report  # noqa: E402
from trainer.scoring.stages import ScoringContext  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ellipse-dev" / "essays.csv"
WEIGHTS = {"grammar": 0.5, "vocabulary": 0.5}  # open_question gives both 0.25: same ratio
# product score -> the rating it should track
SCORES = (("grammar", "Grammar"), ("vocabulary", "Vocabulary"), ("overall", "Overall"))
# the rating each dimension's features are compared with
RATING_OF = {"grammar": "Grammar", "vocabulary": "Vocabulary"}


def excerpt(text: str, words: int) -> str:
    """The text up to its ``words``-th whitespace-separated word."""
    return " ".join(text.split()[:words])


def score_typed(text: str, task_type: str = "open_question") -> Report:
    """Grammar and vocabulary of a typed text through the engine's stages and rubrics."""
    report = Report(task_id=None, task_type=task_type, scorable=True)
    context = ScoringContext(dict(WEIGHTS), typed_text=text)
    measured = engine._measure(context, report, None)
    engine._finish(report, measured, dict(WEIGHTS), task_type, None)
    return report


def row_of(report: Report, text: str) -> dict[str, float]:
    row: dict[str, float] = {"words": float(len(text.split()))}
    for name in ("grammar", "vocabulary"):
        dimension = report.dimensions.get(name)
        row[name] = dimension.score if dimension else float("nan")
        for feature, value in (dimension.features if dimension else {}).items():
            row[f"{name}:{feature}"] = float(value)
    row["overall"] = report.overall.score if report.overall else float("nan")
    return row


def pearson(x: list[float], y: list[float]) -> tuple[float, int]:
    a, b = np.asarray(x, float), np.asarray(y, float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan"), int(len(a))
    return float(np.corrcoef(a, b)[0, 1]), int(len(a))


def fmt(r: float) -> str:
    return "  n/a" if np.isnan(r) else f"{r:+.2f}"


def table(title: str, rows: list[dict[str, float]], ratings: list[dict[str, float]]) -> None:
    print(f"\n## {title} (n = {len(rows)})")
    print(f"{'measure':44} {'rating':11} {'r':>6}   r with Overall")

    def line(label: str, key: str, rating: str) -> None:
        values = [r.get(key, float("nan")) for r in rows]
        r, _ = pearson(values, [g[rating] for g in ratings])
        r_overall, _ = pearson(values, [g["Overall"] for g in ratings])
        print(f"{label:44} {rating:11} {fmt(r):>6}   {fmt(r_overall)}")

    for key, rating in SCORES:
        line(f"{key} score", key, rating)
    keys = sorted({k for r in rows for k in r if ":" in k})
    for key in keys:
        line(f"  {key}", key, RATING_OF[key.split(":")[0]])
    for rating in ("Grammar", "Vocabulary", "Overall"):
        line("  length baseline: words", "words", rating)
    for label, prefixes in (("vocabulary measures", ("vocabulary:",)), ("every measure", ("vocabulary:", "grammar:"))):
        for rating in ("Vocabulary", "Overall"):
            r = ceiling(rows, ratings, prefixes, rating)
            print(f"{'  ceiling, fitted on the ratings: ' + label:44} {rating:11} {fmt(r):>6}")


def ceiling(
    rows: list[dict[str, float]], ratings: list[dict[str, float]], prefixes: tuple[str, ...], rating: str
) -> float:
    """Out-of-fold r of a ridge regression of ``rating`` on every feature named with one of
    ``prefixes`` (standardised; missing values at the feature's mean). Evaluation only."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict

    keys = sorted({k for r in rows for k in r if k.startswith(prefixes)})
    x = np.array([[r.get(k, float("nan")) for k in keys] for r in rows], float)
    x = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
    spread = x.std(axis=0)
    x = (x[:, spread > 0] - x[:, spread > 0].mean(axis=0)) / spread[spread > 0]
    y = np.array([g[rating] for g in ratings], float)
    folds = KFold(10, shuffle=True, random_state=0)
    predicted = cross_val_predict(RidgeCV(alphas=np.logspace(-2, 3, 20)), x, y, cv=folds)
    return pearson(list(predicted), list(y))[0]


def write_rows(path: Path, whole: list[dict], short: list[dict], ratings: list[dict]) -> None:
    keys = sorted({k for r in whole + short for k in r})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cut", *keys, *ratings[0]])
        for cut, rows in (("whole", whole), ("excerpt", short)):
            for row, rating in zip(rows, ratings, strict=True):
                writer.writerow([cut, *(row.get(k, "") for k in keys), *rating.values()])


def read_essays(limit: int, seed: int) -> list[dict]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        essays = list(csv.DictReader(handle))
    if limit and limit < len(essays):
        essays = random.Random(seed).sample(essays, limit)
    return essays


def samples() -> None:
    print("\n## sample answers (audio_samples transcripts, typed)")
    print(f"{'answer':34} {'words':>5}  {'grammar':18} {'vocabulary':18}")
    for sample in load_manifest():
        if sample.kind != "answer" or sample.telephone:
            continue
        task_type = sample.content_id.split(".")[1]
        report = score_typed(sample.text, task_type)
        cells = []
        for name in ("grammar", "vocabulary"):
            d = report.dimensions.get(name)
            cells.append(f"band {d.band} ({d.score:5.1f})" if d else report.unavailable.get(name, "-")[:18])
        print(f"{sample.path.stem:34} {len(sample.text.split()):5}  {cells[0]:18} {cells[1]:18}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=400, help="essays drawn (0: all 1278)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--excerpt-words", type=int, default=120)
    parser.add_argument("--rows", type=Path, help="write every essay's scores, features and ratings to this CSV")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    essays = read_essays(args.limit, args.seed)
    ratings = [{k: float(e[k]) for k in ("Overall", "Grammar", "Vocabulary")} for e in essays]
    whole: list[dict[str, float]] = []
    short: list[dict[str, float]] = []
    started = time.perf_counter()
    for i, essay in enumerate(essays, 1):
        text = essay["full_text"]
        whole.append(row_of(score_typed(text), text))
        cut = excerpt(text, args.excerpt_words)
        short.append(row_of(score_typed(cut), cut))
        if i % 50 == 0:
            print(f"  {i}/{len(essays)} essays, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"{len(essays)} essays (seed {args.seed}) scored whole and cut to {args.excerpt_words} words "
          f"in {elapsed:.0f} s")  # fmt: skip
    if args.rows:
        write_rows(args.rows, whole, short, ratings)
    table("whole essays", whole, ratings)
    table(f"first {args.excerpt_words} words", short, ratings)
    samples()
    return 0


if __name__ == "__main__":
    sys.exit(main())
