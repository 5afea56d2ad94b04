"""Job functions: small, idempotent, given ids, and they raise so the queue retries them.

The same functions run in RQ workers (``rq worker stockguard``) and in the in-process runner.
"""

from __future__ import annotations

import functools
import logging

from flask import has_app_context

from sync import inbox
from sync.queue import jobs

log = logging.getLogger(__name__)

_worker_app = None


def _app():
    """The app a bare ``rq worker`` process runs jobs in, built once from the environment."""
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def job(fn):
    """Run ``fn`` inside an app context, creating one in a plain RQ worker."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app().app_context():
            return fn(*args, **kwargs)

    return wrapper


@job
def process_delivery(delivery_id: int) -> str:
    """Apply one recorded webhook delivery."""
    return inbox.process(delivery_id)


@job
def sweep_inbox(older_than_seconds: float | None = None) -> int:
    """Re-enqueue deliveries left unprocessed (Redis lost between record and enqueue, worker killed)."""
    from flask import current_app

    age = (
        current_app.config["SWEEP_AFTER_SECONDS"]
        if older_than_seconds is None
        else older_than_seconds
    )
    ids = inbox.pending_older_than(age)
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    if ids:
        log.info("sweeper re-enqueued %d deliveries", len(ids))
    return len(ids)


def enqueue_delivery(delivery_id: int) -> None:
    # One job id per delivery: a re-enqueue while the first copy waits is coalesced.
    jobs.enqueue(process_delivery, delivery_id, job_id=f"delivery-{delivery_id}")
