"""The broker: Dramatiq's Redis broker, its one actor (``score_attempt``) and sending jobs."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from trainer.config import get_settings
from trainer.data import records
from trainer.data.storage import storage_root
from trainer.jobs.job import score_job

log = logging.getLogger(__name__)

QUEUE_NAME = "scoring"
NAMESPACE = "trainer"
# Share of broker commands that also look for dead workers' jobs (out of a million): the
# workers poll about once a second, so a dead worker's job is back within seconds of its
# heartbeat timing out (Dramatiq's default, 0.1 %, could take many minutes).
MAINTENANCE_CHANCE = 100_000
RETRY_BACKOFF_MS = (2_000, 30_000)  # Dramatiq's exponential backoff between tries
JOB_TIME_LIMIT_MS = 15 * 60 * 1000  # a 3-minute answer scores in well under a minute


class QueueUnavailable(RuntimeError):
    """The broker cannot be reached; the answer is saved and can be scored later."""


def embedded_url_file() -> Path:
    return storage_root() / "queue" / "broker_url"


def broker_url() -> str:
    """The ``broker_url`` setting, else the URL of the Redis the web server started on this
    machine (``start_embedded`` writes it in storage_dir); '' when there is neither."""
    url = get_settings().broker_url
    if url:
        return url
    path = embedded_url_file()
    return path.read_text().strip() if path.is_file() else ""


_brokers: dict[str, tuple[RedisBroker, dramatiq.Actor]] = {}
_brokers_lock = threading.Lock()


def connect(url: str | None = None) -> tuple[RedisBroker, dramatiq.Actor]:
    """The broker at ``url`` (default: ``broker_url()``) with the scoring actor declared on it."""
    url = url or broker_url()
    if not url:
        raise QueueUnavailable("no scoring queue is configured or running (broker_url is empty)")
    with _brokers_lock:
        if url not in _brokers:
            settings = get_settings()
            broker = RedisBroker(
                url=url,
                namespace=NAMESPACE,
                heartbeat_timeout=int(settings.job_visibility_seconds * 1000),
                maintenance_chance=MAINTENANCE_CHANCE,
            )
            declare = dramatiq.actor(
                actor_name="score_attempt",
                queue_name=QUEUE_NAME,
                broker=broker,
                max_retries=settings.scoring_tries,
                min_backoff=RETRY_BACKOFF_MS[0],
                max_backoff=RETRY_BACKOFF_MS[1],
                time_limit=JOB_TIME_LIMIT_MS,
            )
            actor = declare(score_job)
            _brokers[url] = (broker, actor)
        return _brokers[url]


def send(attempt_id: int, token: str, url: str | None = None) -> None:
    _, actor = connect(url)
    try:
        actor.send(attempt_id, token)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        raise QueueUnavailable(f"the scoring queue does not answer ({error})") from error


def submit(attempt_id: int, url: str | None = None) -> bool:
    """Queue a saved attempt for scoring: a new job token in the database, then the job on
    the broker. Returns False when there is nothing to score (an unanswered interview item).
    Raises QueueUnavailable when the broker cannot be reached: the attempt stays saved and
    queued in the database, and the next worker that starts sends it again."""
    token = records.queue_attempt(attempt_id)
    if token is None:
        return False
    send(attempt_id, token, url)
    return True


def resend_waiting(url: str | None = None) -> int:
    """Send again the job of every attempt the database says is queued or being scored (the
    broker may have lost them); a job that is done or running elsewhere is skipped by its
    token. Returns how many were sent."""
    jobs = records.waiting_jobs()
    for attempt_id, token in jobs:
        send(attempt_id, token, url)
    return len(jobs)


def queue_depth(url: str | None = None) -> int:
    """Jobs waiting on the broker (not yet taken by a worker)."""
    broker, _ = connect(url)
    try:
        return int(broker.client.llen(f"{NAMESPACE}:{QUEUE_NAME}") or 0)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        raise QueueUnavailable(f"the scoring queue does not answer ({error})") from error
