"""``trainer rescore``: score saved attempts again (after a crash or an engine update)."""

from __future__ import annotations

import sys

from trainer.data.access import NotFound
from trainer.data.records import score_attempt, unfinished_attempt_ids
from trainer.data.storage import Attempt, AttemptStatus, transaction


def register(subparsers) -> None:
    parser = subparsers.add_parser("rescore", help="score saved attempts again (after a crash or an engine update)")
    parser.add_argument("attempt_ids", metavar="ATTEMPT_ID", type=int, nargs="*")
    parser.add_argument(
        "--unfinished", action="store_true", help="every attempt that is recorded, still 'scoring' or failed"
    )
    parser.add_argument(
        "--here", action="store_true", help="score in this process, not on the workers (the default without a queue)"
    )
    parser.set_defaults(handler=_cli_rescore)


def _cli_rescore(args) -> int:
    ids = list(args.attempt_ids) + (unfinished_attempt_ids() if args.unfinished else [])
    if not ids:
        print("nothing to rescore: give attempt ids or --unfinished", file=sys.stderr)
        return 2
    if not args.here and _queue_reachable():
        return _queue(ids)
    worst = 0
    for attempt_id in ids:
        try:
            outcome = score_attempt(attempt_id, progress=lambda s: print(f"... {s}", file=sys.stderr, flush=True))
        except NotFound as error:
            print(f"attempt {attempt_id}: {error}", file=sys.stderr)
            worst = max(worst, 2)
            continue
        line = f"attempt {attempt_id}: {outcome.status.value}"
        if outcome.status == AttemptStatus.SCORED:
            with transaction() as session:
                attempt = session.get(Attempt, attempt_id)
                line += f", overall {attempt.overall_score:.1f}, level {attempt.level}"
        elif outcome.reason:
            line += f" ({outcome.reason})"
        print(line)
        if outcome.status == AttemptStatus.FAILED:
            worst = max(worst, 1)
    return worst


def _queue_reachable() -> bool:
    from trainer.config import get_settings
    from trainer.jobs import broker_url

    return get_settings().scoring == "queue" and bool(broker_url())


def _queue(ids: list[int]) -> int:
    """Hand the attempts to the workers; a broker that does not answer: score them here."""
    from trainer.jobs import QueueUnavailable, submit

    worst = 0
    for attempt_id in ids:
        try:
            queued = submit(attempt_id)
        except NotFound as error:
            print(f"attempt {attempt_id}: {error}", file=sys.stderr)
            worst = max(worst, 2)
            continue
        except QueueUnavailable as error:
            print(f"attempt {attempt_id}: not queued ({error}); run with --here to score it in this process")
            worst = max(worst, 1)
            continue
        print(f"attempt {attempt_id}: {'queued for the workers' if queued else 'nothing to score'}")
    return worst
