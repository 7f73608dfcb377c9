"""Grammar benchmark: LanguageTool first start, warm check of 100 words, server memory.

    .venv/bin/python bench/grammar.py [--runs 9]

Starts a private server on a free port (so the shared one is not disturbed), measures,
then stops it. Targets (issue 3): warm 100-word check < 300 ms; server RSS < 700 MB.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.features import grammar  # noqa: E402

TEXT = (
    "good morning thank you for calling my name is anna how can i help you today "
    "i understand that your internet has been slow since yesterday and i am sorry for "
    "the inconvenience let me check your account first could you please give me your "
    "account number and the name on the account thank you mister lee i can see that "
    "there was an outage in your area last night the technicians fixed it this morning "
    "so please restart your modem and it should work again is there anything else i can "
    "help you with have a nice day goodbye"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    words = grammar.count_words(TEXT)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as state:
        srv = grammar.LanguageToolServer(url="", port=port, state_dir=Path(state))
        t0 = time.perf_counter()
        srv.ensure_running()
        first_start = time.perf_counter() - t0  # includes building the en-US pipeline
        try:
            t0 = time.perf_counter()
            grammar.check_grammar(TEXT, srv)
            first_check = time.perf_counter() - t0
            times = []
            for i in range(args.runs):
                # vary the text so the server's sentence cache does not answer
                text = TEXT.replace("anna", f"anna{i}").replace("lee", f"lee{i}")
                t0 = time.perf_counter()
                result = grammar.check_grammar(text, srv)
                times.append(time.perf_counter() - t0)
            cached = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                grammar.check_grammar(TEXT, srv)
                cached.append(time.perf_counter() - t0)
            rss = psutil.Process(srv.pid()).memory_info().rss / 2**20
        finally:
            srv.stop()
    rows = [
        ("LanguageTool", result.server_version, ""),
        ("server start until healthy", f"{srv.started_in:.1f} s", ""),
        ("first start incl. warm-up", f"{first_start:.1f} s", ""),
        ("first check (client set-up)", f"{first_check * 1000:.0f} ms", ""),
        (f"warm check, {words} words (median of {args.runs})", f"{statistics.median(times) * 1000:.0f} ms",
         "target < 300 ms"),
        ("warm check, same text (server cache)", f"{statistics.median(cached) * 1000:.0f} ms", ""),
        ("server resident memory", f"{rss:.0f} MB", "target < 700 MB"),
        ("errors found in the text", f"{len(result.errors)}", ""),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
