"""Which calibration recipe to ship: every variant's speaker-grouped cross-validated r on the
train rows of a speechocean762-style folder (never its test rows), from the agreement cache.

    nice .venv/bin/python bench/calibration_variants.py --data ../shared/data/speechocean762-large

Variants (per dimension, Pearson r of out-of-fold estimates against the experts):
- ``v3 features``: the packaged model's features and alpha, coefficients refitted in each fold;
- ``selection: today's candidates``: the fitting recipe (``calibration_fit.select_features``)
  on the candidates v3 chose from;
- ``+ GOP by phone class``, ``+ rhythm``, ``+ both``: the same recipe with the new measures
  of ``trainer.scoring.calibration`` (``phone_class_features``, ``rhythm_features``);
- ``gradient boosting``: scikit-learn's HistGradientBoostingRegressor on every candidate
  (not interpretable; shown to tell whether a non-linear model would pay);
- ``encoder readout alone`` and ``+ encoder estimates``: the recogniser's encoder states,
  each output's mean and spread over the reading's frames (``trainer.speech.encoder_states``),
  read out by ridge on their principal components (``calibration_fit.fit_encoder_readout``),
  alone and as one extra candidate per dimension beside the measures. Both are scored fold by fold: the readout,
  its components and its own out-of-fold estimates of the training rows are learnt on each
  outer fold's training rows only, so this figure is nested by construction.

Forward selection chooses its features on the same folds it is scored on, so its figure is
optimistic; ``--nested`` also scores each recipe with the selection redone inside each outer
fold (slower), the fair comparison with the fixed v3 features.
Readings the cache does not hold yet are left out (the count is printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agreement  # noqa: E402
import calibration_fit as fit  # noqa: E402

from trainer.scoring.calibration import CalibrationModel  # noqa: E402

TARGETS = ("accuracy", "fluency", "prosodic", "total")
NEW_PREFIXES = {"phone_class": ("gop_",), "rhythm": ("rhythm_",)}


def cached_train_table(data: Path, cache_dir: Path):
    """The train rows the cache holds (never a test row) as a table, how many it does not
    hold yet, and those rows' utterances and measures (for their encoder states)."""
    utterances = [u for u in agreement.load_corpus(data) if u.split == "train"]
    cache = agreement.ReadOnlyCache(agreement.Cache(cache_dir))
    recognition = agreement.recognition_settings()
    with_pronunciation = agreement.pronunciation_available() is None
    measured, missing = {}, 0
    for utt in utterances:
        try:
            measured[utt.utt_id] = agreement.measure(utt, cache, recognition, with_pronunciation)
        except agreement.NotCached:
            missing += 1
    held = [u for u in utterances if u.utt_id in measured]
    rows = agreement.feature_rows(held, measured)
    return agreement.training_table(held, rows), missing, held, measured


def _is_new(name: str, groups: tuple[str, ...]) -> bool:
    return any(name.startswith(p) for g in groups for p in NEW_PREFIXES[g])


def candidates_for(table: fit.FeatureTable, new: tuple[str, ...]) -> list[str]:
    every = fit.candidate_features(table)
    return [n for n in every if not _is_new(n, tuple(NEW_PREFIXES)) or _is_new(n, new)]


def selection_oof(table, dimension, candidates, folds, nested: bool) -> tuple[np.ndarray, list[str], float]:
    """Out-of-fold estimates of the fitting recipe; nested: selection redone per outer fold."""
    y = np.array(table.targets[dimension], dtype=float)
    features, alpha, _, _ = fit.select_features(table, dimension, candidates, folds)
    if not nested:
        return fit.cross_validated(table.matrix(features), y, folds, alpha), features, alpha
    oof = np.empty_like(y)
    for train, held_out in folds:
        inner = fit.FeatureTable(
            [table.ids[i] for i in train],
            [table.groups[i] for i in train],
            [table.rows[i] for i in train],
            {d: [v[i] for i in train] for d, v in table.targets.items()},
        )
        chosen, a, _, _ = fit.select_features(inner, dimension, candidates)
        prepared = fit._Prepared.of(inner.matrix(chosen))
        model = fit._ridge(prepared.standardise(inner.matrix(chosen)), y[train], a)
        held = table.matrix(chosen)[held_out]
        oof[held_out] = np.clip(model.predict(prepared.standardise(held)), *fit.SCALE)
    return oof, features, alpha


def boosting_oof(table, dimension, candidates, folds) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingRegressor

    y = np.array(table.targets[dimension], dtype=float)
    x = table.matrix(candidates)
    oof = np.empty_like(y)
    for train, held_out in folds:
        model = HistGradientBoostingRegressor(
            max_depth=3, learning_rate=0.05, max_iter=300, min_samples_leaf=20, l2_regularization=1.0, random_state=0
        )
        model.fit(x[train], y[train])
        oof[held_out] = np.clip(model.predict(x[held_out]), *fit.SCALE)
    return oof


def encoder_oof(table, states: np.ndarray, dimension: str, candidates, folds) -> tuple[np.ndarray, np.ndarray]:
    """(readout alone, recipe with the encoder estimates as candidates): out-of-fold estimates
    with everything about the encoder learnt inside each outer fold."""
    from trainer.scoring.calibration import ENCODER_FEATURE_PREFIX

    y = np.array(table.targets[dimension], dtype=float)
    alone, stacked = np.empty_like(y), np.empty_like(y)
    names = [ENCODER_FEATURE_PREFIX + d for d in fit.ENCODER_DIMENSIONS]
    for train, held_out in folds:
        groups = [table.groups[i] for i in train]
        targets = {d: [v[i] for i in train] for d, v in table.targets.items()}
        readout, inner = fit.fit_encoder_readout(states[train], groups, targets, whisper_model="", pooling="")
        rows = [dict(table.rows[i]) for i in train]
        for n, row in enumerate(rows):
            row.update(fit.encoder_row_features(inner, n))
        held_rows = [{**table.rows[i], **readout.features(states[i])} for i in held_out]
        alone[held_out] = [row[ENCODER_FEATURE_PREFIX + dimension] for row in held_rows]
        fold_table = fit.FeatureTable([table.ids[i] for i in train], groups, rows, targets)
        chosen, alpha, _, _ = fit.select_features(fold_table, dimension, list(candidates) + names)
        prepared = fit._Prepared.of(fold_table.matrix(chosen))
        model = fit._ridge(prepared.standardise(fold_table.matrix(chosen)), y[train], alpha)
        held = np.array([[row.get(n, np.nan) for n in chosen] for row in held_rows], dtype=float)
        stacked[held_out] = np.clip(model.predict(prepared.standardise(held)), *fit.SCALE)
    return alone, stacked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=agreement.ROOT.parent / "shared/data/speechocean762-large")
    parser.add_argument("--cache", type=Path, default=agreement.DEFAULT_CACHE)
    parser.add_argument("--model", type=Path, help="the current model (default: the packaged one)")
    parser.add_argument("--nested", action="store_true", help="also score the recipes with nested CV")
    parser.add_argument("--json", type=Path, help="write the table as JSON")
    parser.add_argument("--no-encoder", action="store_true", help="leave out the encoder-state variants")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    table, missing, held, measured = cached_train_table(args.data, args.cache)
    folds = fit._folds(table.groups, fit.CV_FOLDS)
    states = None
    if not args.no_encoder:
        cache = agreement.ReadOnlyCache(agreement.Cache(args.cache))
        found = agreement.encoder_states(held, measured, cache, skip_missing=True)
        if len(found) == len(table.ids):
            states = np.array([found[uid] for uid in table.ids])
        else:
            print(f"encoder variants left out: {len(table.ids) - len(found)} rows have no encoder states cached")
    current = CalibrationModel.load(args.model) if args.model else CalibrationModel.load()
    with_encoder = table  # the current model's own features, its encoder estimates out of fold
    if current.encoder is not None:
        if states is None:
            raise SystemExit("error: the current model reads encoder states, and the cache holds too few")
        _, inner = fit.fit_encoder_readout(states, table.groups, table.targets, whisper_model="", pooling="")
        rows = [{**row, **fit.encoder_row_features(inner, n)} for n, row in enumerate(table.rows)]
        with_encoder = fit.FeatureTable(table.ids, table.groups, rows, table.targets)
    print(
        f"{len(table.ids)} train rows of {len(set(table.groups))} speakers from {args.data.name} "
        f"({missing} not in the cache yet); {len(folds)} speaker-grouped folds; current model {current.label}"
    )
    results: dict = {"rows": len(table.ids), "speakers": len(set(table.groups)), "missing": missing, "variants": {}}
    variants = {
        "selection: today's candidates": (),
        "+ GOP by phone class": ("phone_class",),
        "+ rhythm": ("rhythm",),
        "+ both": ("phone_class", "rhythm"),
    }
    for dimension in TARGETS:
        y = np.array(table.targets[dimension], dtype=float)
        cells = {}
        dm = current.dimensions[dimension]
        oof = fit.cross_validated(with_encoder.matrix(dm.features), y, folds, dm.alpha)
        cells[f"{current.label} features"] = {
            "cv_r": fit._pearson(oof, y),
            "speaker_r": fit.speaker_r(oof, y, table.groups),
        }
        for label, new in variants.items():
            candidates = candidates_for(table, new)
            oof, features, alpha = selection_oof(table, dimension, candidates, folds, nested=False)
            cell = {
                "cv_r": fit._pearson(oof, y),
                "speaker_r": fit.speaker_r(oof, y, table.groups),
                "features": features,
                "alpha": alpha,
            }
            if args.nested:
                nested, _, _ = selection_oof(table, dimension, candidates, folds, nested=True)
                cell["nested_cv_r"] = fit._pearson(nested, y)
            cells[label] = cell
        if states is not None:
            alone, stacked = encoder_oof(table, states, dimension, candidates_for(table, ()), folds)
            for label, oof in (("encoder readout alone", alone), ("+ encoder estimates (nested)", stacked)):
                cells[label] = {"cv_r": fit._pearson(oof, y), "speaker_r": fit.speaker_r(oof, y, table.groups)}
        oof = boosting_oof(table, dimension, candidates_for(table, ("phone_class", "rhythm")), folds)
        cells["gradient boosting, all candidates"] = {
            "cv_r": fit._pearson(oof, y),
            "speaker_r": fit.speaker_r(oof, y, table.groups),
        }
        results["variants"][dimension] = cells
        print(f"\n{dimension}")
        for label, cell in cells.items():
            nested = f"  nested {cell['nested_cv_r']:.3f}" if "nested_cv_r" in cell else ""
            chosen = f"  [{', '.join(cell['features'])}]" if "features" in cell else ""
            print(f"  {label:<36} CV r {cell['cv_r']:.3f}  speaker r {cell['speaker_r']:.3f}{nested}{chosen}")
        sys.stdout.flush()
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
