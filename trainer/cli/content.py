"""``trainer content check|list``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trainer.content.bank import _load
from trainer.content.models import KINDS, default_root

# --------------------------------------------------------------------------- command line


def _cmd_check(args: argparse.Namespace) -> int:
    root = Path(args.root) if args.root else default_root()
    bank, problems = _load(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {root}", file=sys.stderr)
        return 1
    print(
        f"OK: {len(bank.lessons)} lessons, {len(bank.tasks)} tasks, {len(bank.scenarios)} "
        f"scenarios, {len(bank.rubrics)} rubrics in {root}"
    )
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    root = Path(args.root) if args.root else default_root()
    bank, problems = _load(root)
    rows = bank.items(args.kind)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for row in rows:
            extra = row.get("type") or row.get("topic") or row.get("dimension") or f"unit {row.get('unit')}"
            print(f"{row['id']:<42} {row['kind']:<9} {row['level']:<3} {extra:<24} {row['title']}")
    if problems:
        print(f"{len(problems)} content problem(s); run 'trainer content check'", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("content", help="check or list lessons, tasks, call scenarios and rubrics")
    actions = parser.add_subparsers(dest="content_command", required=True, metavar="ACTION")

    check_parser = actions.add_parser("check", help="validate every content file; exit 1 and list problems if any")
    check_parser.add_argument("--root", type=Path, help="content folder (default: the content_dir setting)")
    check_parser.set_defaults(handler=_cmd_check)

    list_parser = actions.add_parser("list", help="list lessons, tasks, scenarios and rubrics")
    list_parser.add_argument("--kind", choices=KINDS, help="only items of this kind")
    list_parser.add_argument("--json", action="store_true", help="print a JSON array")
    list_parser.add_argument("--root", type=Path, help="content folder (default: the content_dir setting)")
    list_parser.set_defaults(handler=_cmd_list)


def main(argv: list[str] | None = None) -> int:
    """``python -m trainer.cli.content check``: the content commands on their own."""
    parser = argparse.ArgumentParser(prog="trainer")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(["content", *(sys.argv[1:] if argv is None else argv)])
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
