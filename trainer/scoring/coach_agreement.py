"""How well the machine's bands agree with the coaches', per dimension: the calibration page's
numbers, computed from ``records.calibration_pairs``.

    pairs = records.calibration_pairs(coach, since=start, until=end)
    for row in agreement(pairs):          # one Agreement per dimension, then "all"
        row.exact, row.adjacent, row.kappa

- exact agreement: share of pairs with the same band;
- adjacent agreement: share within one band (the usual tolerance for rubric scoring);
- quadratic weighted kappa (scikit-learn's ``cohen_kappa_score(weights="quadratic")``) over
  the rubric's bands 1-5: agreement beyond chance, with big disagreements weighing more.
  It is undefined (None) when chance agreement is total, e.g. when both sides gave every
  answer the same band.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trainer.content import DIMENSIONS

BANDS = (1, 2, 3, 4, 5)
ALL = "all"


@dataclass(frozen=True)
class Agreement:
    dimension: str  # a dimension, or "all" for every pair together
    pairs: int
    overridden: int  # pairs where the coach changed the band
    exact: float | None  # share 0-1; None without pairs
    adjacent: float | None
    kappa: float | None  # quadratic weighted; None when undefined
    mean_difference: float | None  # coach band minus machine band: > 0, the machine is too strict


def quadratic_kappa(machine: Sequence[int], coach: Sequence[int], labels: Sequence[int] = BANDS) -> float | None:
    """Cohen's kappa with quadratic weights, or None when it is undefined."""
    from sklearn.metrics import cohen_kappa_score

    if not machine:
        return None
    with warnings.catch_warnings():  # 0/0 when chance agreement is total: reported as None
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(list(machine), list(coach), labels=list(labels), weights="quadratic")
    return None if value is None or math.isnan(value) else float(value)


def _agreement(dimension: str, machine: list[int], coach: list[int]) -> Agreement:
    n = len(machine)
    if n == 0:
        return Agreement(dimension, 0, 0, None, None, None, None)
    differences = [c - m for m, c in zip(machine, coach)]
    return Agreement(
        dimension,
        n,
        sum(1 for d in differences if d != 0),
        sum(1 for d in differences if d == 0) / n,
        sum(1 for d in differences if abs(d) <= 1) / n,
        quadratic_kappa(machine, coach),
        sum(differences) / n,
    )


def agreement(pairs: Iterable) -> list[Agreement]:
    """One row per dimension that has pairs (in the rubric order), then the pooled "all"."""
    by_dimension: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for pair in pairs:
        machine, coach = by_dimension[pair.dimension]
        machine.append(int(pair.machine_band))
        coach.append(int(pair.coach_band))
    order = sorted(by_dimension, key=lambda d: (DIMENSIONS.index(d) if d in DIMENSIONS else len(DIMENSIONS), d))
    rows = [_agreement(d, *by_dimension[d]) for d in order]
    if rows:
        rows.append(
            _agreement(
                ALL, [b for d in order for b in by_dimension[d][0]], [b for d in order for b in by_dimension[d][1]]
            )
        )
    return rows
