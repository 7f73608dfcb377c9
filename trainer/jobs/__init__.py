"""Scoring on workers: a saved answer becomes a job on a message broker (Dramatiq on Redis),
and worker processes, on this machine or on others, score it.

    from trainer import jobs
    jobs.submit(attempt_id)          # queued: returns at once (QueueUnavailable: no broker)
    records.queue_state(attempt_id)  # its place in the queue, then its stage, then the result
    jobs.run_worker()                # `trainer worker`: score jobs until SIGTERM

``start_embedded()`` is the one-machine default: the web server starts its own Redis (in
storage_dir, loopback only, every job written to disk) and its worker processes.

Delivery is at least once: a job whose worker dies goes back to the queue when the worker's
heartbeats stop (``job_visibility_seconds``), and the attempt's job token lets only one run
store a report. See docs/deployment.md.
"""

from trainer.jobs.broker import QueueUnavailable, broker_url, queue_depth, submit
from trainer.jobs.embedded import EmbeddedQueue, start_embedded
from trainer.jobs.job import score_job
from trainer.jobs.worker import run_worker

__all__ = [
    "QueueUnavailable",
    "broker_url",
    "queue_depth",
    "submit",
    "EmbeddedQueue",
    "start_embedded",
    "run_worker",
    "score_job",
]
