"""The stockout forecast: velocity, days of cover, stockout date, reorder point, ABC.

- ``forecast_all`` runs nightly (sync/scheduler.py, sync/cron.py) and forecasts every pool;
- ``refresh(session, pool_id, sku_ids=None)`` recomputes in the caller's transaction;
- after large changes: the inbound path calls ``refresh_if_large(session, sku_ids)`` for the
  SKUs an order moved; when ``is_large_change`` says a sale is large (≥ 20 % of the SKU's
  stock, or a day selling ≥ 3 × its velocity), ``request_refresh`` enqueues one coalesced job
  per pool after the commit. The job re-reads the ledger for every large sale its SKUs'
  forecasts have not seen (``changes.large_changes``), so requests folded into a job already
  waiting are not lost, and recomputes just those SKUs;
- the panel's chart reads ``history(session, sku_id, days)`` and ``projection(forecast,
  on_hand, days)``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from extensions import db
from models import Forecast, Sku, StockPool, utcnow
from sync import ledger
from sync.forecast import model
from sync.forecast.changes import LARGE_SHARE, SPIKE_RATIO, is_large_change, large_changes
from sync.forecast.run import ForecastError, compute, refresh, settings_of
from sync.forecast.series import history
from sync.queue import jobs
from sync.worker import job

__all__ = [
    "LARGE_SHARE",
    "SPIKE_RATIO",
    "ForecastError",
    "compute",
    "forecast_all",
    "forecast_changed",
    "forecast_pool",
    "history",
    "is_large_change",
    "large_changes",
    "projection",
    "refresh",
    "refresh_if_large",
    "request_refresh",
    "settings_of",
]


@job
def forecast_pool(pool_id: int, sku_ids: list[int] | None = None) -> int:
    """Recompute a pool's forecast (or some SKUs of it) and commit; the number of rows."""
    session = db.session
    count = refresh(session, pool_id, sku_ids)
    from sync.alerts import request_sweep  # alerts follow the fresh forecast

    request_sweep(pool_id)
    session.commit()
    return count


@job
def forecast_all() -> int:
    """The nightly run: one job per pool (a bad pool's settings fail only its own job)."""
    pools = db.session.scalars(select(StockPool.id).order_by(StockPool.id)).all()
    for pool_id in pools:
        jobs.enqueue(forecast_pool, pool_id, job_id=f"forecast-{pool_id}")
    return len(pools)


@job
def forecast_changed(pool_id: int) -> int:
    """Recompute the SKUs of the pool with large sales their forecast has not seen; the count."""
    session = db.session
    sku_ids = large_changes(session, pool_id)
    if not sku_ids:
        return 0
    count = refresh(session, pool_id, sku_ids)
    from sync.alerts import request_sweep  # alerts follow the fresh forecast

    request_sweep(pool_id)
    session.commit()
    return count


def request_refresh(session, pool_id: int, sku_ids) -> None:
    """After this transaction commits, recompute these SKUs' forecasts (``sku_ids``: SKUs with
    a large sale, see ``refresh_if_large``). One job per pool: it carries no SKU list but reads
    the ledger for every large sale not yet in a forecast, so a request coalesced into a job
    already waiting is not lost."""
    if any(True for _ in sku_ids):
        db.after_commit(
            lambda: jobs.enqueue(forecast_changed, pool_id, job_id=f"forecast-{pool_id}-some")
        )


def refresh_if_large(session, sku_ids) -> None:
    """The inbound path's hook: request a refresh for the SKUs among ``sku_ids`` whose sales
    (recorded in this transaction or earlier today) are large changes."""
    ids = {int(s) for s in sku_ids}
    if not ids:
        return
    ids = sorted(ledger.related_skus(session, ids))  # a bundle's sale moved its components
    pools = session.execute(select(Sku.pool_id, Sku.id).where(Sku.id.in_(ids))).all()
    by_pool: dict[int, list[int]] = {}
    for pool_id, sku_id in pools:
        by_pool.setdefault(pool_id, []).append(sku_id)
    for pool_id, skus in by_pool.items():
        large = large_changes(session, pool_id, skus)
        if large:
            request_refresh(session, pool_id, large)


def projection(forecast: Forecast, on_hand: float, days: int, today: dt.date | None = None):
    """[(date, expected on_hand)] for the next ``days`` days, today first, from a forecast row
    (trend and weekday pattern included); never below zero."""
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 730:
        raise ValueError("days must be a whole number from 1 to 730")
    today = today or utcnow().date()
    details = forecast.details or {}
    until = details.get("history_until")
    last = dt.date.fromisoformat(until) if until else forecast.computed_at.date()
    offset = max(1, (today - last).days)
    expected = model.expected_demand(
        details.get("level", forecast.velocity),
        details.get("slope", 0.0),
        details.get("weekday", [1.0] * 7),
        today.weekday(),
        days,
        offset,
    )
    left, out = float(on_hand), []
    for i in range(days):
        out.append((today + dt.timedelta(days=i), round(max(left, 0.0), 2)))
        left -= float(expected[i])
    return out
