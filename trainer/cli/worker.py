"""``trainer worker``: score queued answers on this machine until stopped (SIGTERM/SIGINT)."""

from __future__ import annotations

import logging
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker", help="score queued answers on this machine (needs broker_url and the shared database)"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="jobs at a time (default: worker_threads, else one per core)"
    )
    parser.add_argument("--broker-url", default=None, help="the broker (default: the broker_url setting)")
    parser.set_defaults(handler=_cli_worker)


def _cli_worker(args) -> int:
    from trainer.jobs import QueueUnavailable, run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        run_worker(threads=args.threads, url=args.broker_url)
    except QueueUnavailable as error:
        print(f"worker: {error}", file=sys.stderr)
        return 2
    return 0
