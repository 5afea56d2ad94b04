"""Stock alerts: below threshold, projected stockout before the next restock, restock overdue,
sales spike; one open alert per SKU and condition until it clears; sent by e-mail and a
Slack-format webhook, and optionally as a daily digest.

- ``sweep_all`` runs every 5 minutes (sync/scheduler.py, sync/cron.py): one ``sweep_pool`` job
  per pool;
- ``sweep_pool(pool_id)`` opens and clears the pool's alerts, delivers what is unsent (retrying
  failures) and sends the digest when due;
- ``request_sweep(pool_id)`` is the cheap hook after a forecast refresh or a large sale: one
  coalesced sweep of that pool after the current transaction commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from extensions import db
from models import StockPool, utcnow
from sync.alerts import deliver, digest
from sync.alerts.settings import AlertSettingsError, Settings, load, save, validate
from sync.alerts.sweep import open_alerts, open_and_clear
from sync.queue import jobs
from sync.worker import job

__all__ = [
    "AlertSettingsError",
    "Settings",
    "load",
    "open_alerts",
    "request_sweep",
    "save",
    "sweep",
    "sweep_all",
    "sweep_pool",
    "validate",
]


def sweep(session, pool_id: int, now: dt.datetime | None = None) -> dict:
    """One pool's sweep in the caller's session (commits as it goes); what it did."""
    now = now or utcnow()
    settings = load(session, pool_id)
    result = open_and_clear(session, pool_id, settings, now)
    session.commit()
    result.update(deliver.deliver_pending(session, pool_id, settings))
    result["digest"] = digest.send_if_due(session, pool_id, settings, now)
    return result


@job
def sweep_pool(pool_id: int) -> dict:
    """Open, clear and deliver one pool's alerts (and its digest when due)."""
    return sweep(db.session, pool_id)


@job
def sweep_all() -> int:
    """Every pool's sweep, one job each (a failing pool fails only its own job)."""
    pools = db.session.scalars(select(StockPool.id).order_by(StockPool.id)).all()
    for pool_id in pools:
        jobs.enqueue(sweep_pool, pool_id, job_id=f"alerts-{pool_id}")
    return len(pools)


def request_sweep(pool_id: int) -> None:
    """Sweep this pool once the current transaction commits (coalesced per pool)."""
    db.after_commit(lambda: jobs.enqueue(sweep_pool, pool_id, job_id=f"alerts-{pool_id}"))
