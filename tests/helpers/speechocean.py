"""The speechocean762 corpus (non-native speech scored by experts), which sits beside the
project on the developers' machines only: tests that need it are skipped elsewhere."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from trainer.config import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def speechocean_rows(name: str, table: str) -> tuple[Path, list[dict]]:
    """(folder, rows of the tab-separated ``table``) of the data set ``name``; skips the test
    when it is not here."""
    folder = SHARED_DATA / name
    if not (folder / table).is_file():
        pytest.skip(f"{folder} is not here (it sits beside the project on the developers' machines only)")
    with (folder / table).open() as handle:
        return folder, list(csv.DictReader(handle, delimiter="\t"))
