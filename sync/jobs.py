"""Job functions: small, idempotent, given ids, and they raise so the queue retries them.

The same functions run in RQ workers (``rq worker stockguard``) and in the in-process runner.
"""

from __future__ import annotations

import logging

from sync import inbox
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)


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


def enqueue_delivery(delivery_id: int, *, fresh: bool = False) -> None:
    # One job id per delivery: a re-enqueue (sweeper) while the first copy waits is coalesced.
    jobs.enqueue(process_delivery, delivery_id, job_id=f"delivery-{delivery_id}", fresh=fresh)
