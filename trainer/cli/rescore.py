"""``trainer rescore``: score saved attempts again (after a crash or an engine update): queued
for the workers when a scoring queue runs, else (or with ``--here``) in this process."""

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
    use_queue = not args.here and _queue_configured()
    worst = 0
    for attempt_id in ids:
        try:
            if use_queue and _queued(attempt_id):
                print(f"attempt {attempt_id}: queued for the workers")
                continue
            outcome = score_attempt(attempt_id, progress=lambda s: print(f"... {s}", file=sys.stderr, flush=True))
        except NotFound as error:
            print(f"attempt {attempt_id}: {error}", file=sys.stderr)
            worst = max(worst, 2)
            continue
        line = f"attempt {attempt_id}: {outcome.status.value}"
        if outcome.status == AttemptStatus.SCORED:
            with transaction() as session:
                attempt = session.get_one(Attempt, attempt_id)
                line += f", overall {attempt.overall_score:.1f}, level {attempt.level}"
        elif outcome.reason:
            line += f" ({outcome.reason})"
        print(line)
        if outcome.status == AttemptStatus.FAILED:
            worst = max(worst, 1)
    return worst


def _queue_configured() -> bool:
    from trainer.config import get_settings
    from trainer.jobs import broker_url

    return get_settings().scoring == "queue" and bool(broker_url())


def _queued(attempt_id: int) -> bool:
    """Hand the attempt to the workers; False when the queue does not answer (it is then
    scored here) or there is nothing to score."""
    from trainer.jobs import QueueUnavailable, submit

    try:
        return submit(attempt_id)
    except QueueUnavailable as error:
        print(f"attempt {attempt_id}: the queue does not answer ({error}); scoring it here", file=sys.stderr)
        return False
