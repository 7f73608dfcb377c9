"""The ``trainer`` command line. Each command lives in the module that owns its stage;
this file only collects them."""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that define ``register(subparsers)``; imported lazily so that
# ``trainer --help`` does not load a speech model.
COMMAND_MODULES = [
    "trainer.speech.asr",
    "trainer.speech.tts",
    "trainer.cli.content",
    "trainer.features.grammar",
    "trainer.features.pronunciation",
    "trainer.scoring.engine",
    "trainer.data.storage",
    "trainer.data.accounts",
    "trainer.data.records",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer",
        description="English training and assessment for call-centre applicants.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
