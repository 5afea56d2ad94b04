"""The stockout forecast: velocity, days of cover, stockout date, reorder point, ABC.

- ``forecast_all`` runs nightly (sync/scheduler.py, sync/cron.py) and forecasts every pool;
- ``refresh(session, pool_id, sku_ids=None)`` recomputes in the caller's transaction;
- after large changes: code that records sales calls ``request_refresh(session, pool_id,
  sku_ids)`` when ``is_large_change`` says so (a sale taking ≥ 20 % of a SKU's stock, or a day
  selling ≥ 3 × its velocity). The hook is cheap: it only enqueues one coalesced job per pool
  after the commit, and that job recomputes just those SKUs;
- the panel's chart reads ``history(session, sku_id, days)`` and ``projection(forecast,
  on_hand, days)``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from extensions import db
from models import Forecast, StockPool, utcnow
from sync.forecast import model
from sync.forecast.run import ForecastError, compute, refresh, settings_of
from sync.forecast.series import history
from sync.queue import jobs
from sync.worker import job

__all__ = [
    "ForecastError",
    "compute",
    "forecast_all",
    "forecast_pool",
    "history",
    "is_large_change",
    "projection",
    "refresh",
    "request_refresh",
    "settings_of",
]

LARGE_SHARE = 0.20  # a sale taking this share of the stock there was
SPIKE_RATIO = 3.0  # units in a day against the velocity


@job
def forecast_pool(pool_id: int, sku_ids: list[int] | None = None) -> int:
    """Recompute a pool's forecast (or some SKUs of it) and commit; the number of rows."""
    session = db.session
    count = refresh(session, pool_id, sku_ids)
    session.commit()
    return count


@job
def forecast_all() -> int:
    """The nightly run: one job per pool (a bad pool's settings fail only its own job)."""
    pools = db.session.scalars(select(StockPool.id).order_by(StockPool.id)).all()
    for pool_id in pools:
        jobs.enqueue(forecast_pool, pool_id, job_id=f"forecast-{pool_id}")
    return len(pools)


def is_large_change(on_hand_before: int, units: int, velocity: float, sold_today: int) -> bool:
    """Whether a sale of ``units`` deserves a fresh forecast before tonight's."""
    if units <= 0:
        return False
    if on_hand_before > 0 and units >= LARGE_SHARE * on_hand_before:
        return True
    return sold_today >= SPIKE_RATIO * max(velocity, 1.0)


def request_refresh(session, pool_id: int, sku_ids) -> None:
    """After this transaction commits, recompute these SKUs' forecasts (a job per pool)."""
    ids = sorted({int(s) for s in sku_ids})
    if ids:
        db.after_commit(
            lambda: jobs.enqueue(forecast_pool, pool_id, ids, job_id=f"forecast-{pool_id}-some")
        )


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
