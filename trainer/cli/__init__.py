"""The ``trainer`` command line: one module per command group in this package (arguments,
output and exit codes); the modules below it only compute. This file only collects them."""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that define ``register(subparsers)``; imported lazily so that
# ``trainer --help`` does not load a speech model.
COMMAND_MODULES = [
    "trainer.cli.speech",  # transcribe, say
    "trainer.cli.content",
    "trainer.cli.grammar",
    "trainer.cli.pronounce",
    "trainer.cli.score",
    "trainer.cli.db",
    "trainer.cli.users",
    "trainer.cli.rescore",
    "trainer.cli.worker",
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
