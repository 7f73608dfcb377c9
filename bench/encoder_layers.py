"""Does a readout of every encoder layer beat one of the last output alone?

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/encoder_layers.py --data ../shared/data/speechocean762-large

(one reading per core: numpy's own threads would only contend with the other worker)

For each reading of a speechocean762-style folder, ``trainer.speech.encoder_layers`` pools
each layer's output of the recogniser's encoder (Whisper base: six layers and the final
norm) over the reading's frames, the encoder run on those frames alone. Readouts (principal
components and ridge, ``calibration_fit.encoder_out_of_fold``) of the last output alone and
of several layer sets are scored by speaker-grouped CV r on the **train** rows (the best of
a small grid of components and alpha for each). The set is chosen on those figures; the
test rows are then scored once for the last output and the chosen set (fitted on every
train row, the same grid point), by age group and at speaker level, as the issue asks.
This is the readout alone, not the calibration model it would feed.

The pooled states are kept in ``--cache`` (one .npy per reading), so a second run only fits.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibration_fit as fit  # noqa: E402

DIMENSIONS = ("accuracy", "fluency", "prosodic", "total")
GRID = ((16, 100.0), (32, 100.0), (32, 1000.0), (64, 100.0), (64, 1000.0), (128, 1000.0))
LAST_OUTPUT = "final norm (last output)"
SETS = {
    LAST_OUTPUT: (6,),
    "layer 3": (2,),
    "layer 5": (4,),
    "layers 3, 5, final norm": (2, 4, 6),
    "every layer": tuple(range(7)),
}
WIDTH = 1024  # 512 means and 512 spreads per layer


def _pool(job: tuple[str, str, str]) -> str:
    utt_id, audio_path, cache = job
    target = Path(cache) / f"{utt_id}.npy"
    if not target.exists():
        from trainer.speech.audio import load_audio
        from trainer.speech.encoder_layers import pooled_layer_states

        # as bench/agreement.py reads them: a reading the VAD hears no speech in still counts
        np.save(target, pooled_layer_states(load_audio(Path(audio_path), require_speech=False)))
    return utt_id


def pooled_states(rows: list[dict], folder: Path, cache: Path, workers: int) -> np.ndarray:
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(r["utt_id"], str(folder / r["file"]), str(cache)) for r in rows]
    started, done = time.perf_counter(), 0
    with ProcessPoolExecutor(workers) as pool:
        for _ in pool.map(_pool, jobs, chunksize=8):
            done += 1
            if done % 200 == 0:
                print(f"  pooled {done}/{len(jobs)} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return np.stack([np.load(cache / f"{r['utt_id']}.npy") for r in rows]).astype(np.float64)


def columns(states: np.ndarray, layers: tuple[int, ...]) -> np.ndarray:
    return np.concatenate([states[:, layer * WIDTH : (layer + 1) * WIDTH] for layer in layers], axis=1)


def best_cv(x: np.ndarray, ys: dict[str, np.ndarray], folds, adult: np.ndarray) -> dict:
    best: dict | None = None
    for k, alpha in GRID:
        oof = fit.encoder_out_of_fold(x, ys, folds, k, alpha)
        rs = {d: fit._pearson(oof[d], ys[d]) for d in DIMENSIONS}
        if best is None or np.mean(list(rs.values())) > np.mean(list(best["all"].values())):
            adults = {d: fit._pearson(oof[d][adult], ys[d][adult]) for d in DIMENSIONS}
            best = {"components": k, "alpha": alpha, "all": rs, "adults": adults}
    assert best is not None
    return best


def _row(label: str, values: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{values[d]:.3f}" for d in DIMENSIONS) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "speechocean762-large")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "results" / "encoder_layers")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    with (args.data / "scores.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    started = time.perf_counter()
    states = pooled_states(rows, args.data, args.cache, args.workers)
    pooled_seconds = time.perf_counter() - started
    split = np.array([r["split"] for r in rows])
    adult = np.array([float(r["age"]) >= 16 for r in rows])
    speakers = np.array([r["speaker"] for r in rows])
    ys = {d: np.array([float(r[d]) for r in rows]) for d in DIMENSIONS}
    train, test = split == "train", split == "test"
    train_ys = {d: y[train] for d, y in ys.items()}
    folds = fit._folds(list(speakers[train]), fit.CV_FOLDS)

    print(
        f"{train.sum()} train rows ({adult[train].sum()} adult), speaker-grouped {fit.CV_FOLDS}-fold CV r, readout alone"
    )
    print("| layers (grid point) | " + " | ".join(DIMENSIONS) + " |\n|---|---|---|---|---|")
    results = {}
    for label, layers in SETS.items():
        result = best_cv(columns(states[train], layers), train_ys, folds, adult[train])
        results[label] = result
        point = f"{label} (k={result['components']}, alpha={result['alpha']:g})"
        print(_row(point + ", all", result["all"]))
        print(_row(point + ", adults", result["adults"]))
    chosen = max(results, key=lambda label: np.mean(list(results[label]["all"].values())))
    print(f"\nchosen on train CV: {chosen}\n")

    print(f"{test.sum()} test rows ({adult[test].sum()} adult), readouts fitted on every train row")
    print("| layers, test rows | " + " | ".join(DIMENSIONS) + " |\n|---|---|---|---|---|")
    for label in dict.fromkeys((LAST_OUTPUT, chosen)):
        result = results[label]
        x = columns(states, SETS[label])
        readout = fit._readout_fit(x[train], train_ys, result["components"], result["alpha"])
        estimates = {d: np.asarray(v) for d, v in readout.estimates(x[test]).items()}
        groups = {
            "all ages": np.ones(test.sum(), bool),
            "adults": adult[test],
            "children": ~adult[test],
        }
        for group, mask in groups.items():
            print(
                _row(f"{label}, {group}", {d: fit._pearson(estimates[d][mask], ys[d][test][mask]) for d in DIMENSIONS})
            )
        print(
            _row(
                f"{label}, speaker level",
                {d: fit.speaker_r(estimates[d], ys[d][test], list(speakers[test])) for d in DIMENSIONS},
            )
        )
    print(f"\npooling {len(rows)} readings: {pooled_seconds:.0f} s with {args.workers} workers (0 s when cached)")


if __name__ == "__main__":
    main()
