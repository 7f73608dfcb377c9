"""``trainer grammar``: the speech-aware grammar check, and the LanguageTool server."""

from __future__ import annotations

import argparse
import json
import sys

from trainer.features.grammar import GrammarResult, GrammarUnavailable, check_grammar, server


def _print_result(result: GrammarResult) -> None:
    print(f"{result.word_count} words, {len(result.errors)} grammar error(s) "
          f"({result.errors_per_100_words:.1f} per 100 words) - {result.server_version}")  # fmt: skip
    for e in result.errors:
        fix = f" -> {', '.join(e.suggestions[:3])}" if e.suggestions else ""
        print(f'  "{e.text}"{fix}  [{e.category} {e.rule_id}] {e.message}')


def _handle(args: argparse.Namespace) -> int:
    try:
        if args.server:
            srv = server()
            if args.server == "start":
                srv.ensure_running()
            elif args.server == "stop":
                print("stopped" if srv.stop() else "no local server was running")
                return 0
            print(json.dumps(srv.status(), indent=2))
            return 0
        text = " ".join(args.text) if args.text else ""
        if not text or text == "-":
            text = sys.stdin.read()
        result = check_grammar(text)
    except GrammarUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_result(result)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "grammar",
        help="check the grammar of a (spoken) English text with LanguageTool",
        description="Speech-aware grammar check on the local LanguageTool server. "
        "TEXT '-' or none reads standard input.",
    )
    parser.add_argument("text", nargs="*", metavar="TEXT")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--server", choices=["status", "start", "stop"], help="manage the LanguageTool server")
    parser.set_defaults(handler=_handle)
