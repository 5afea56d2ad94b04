"""Computing a pool's forecast and replacing its Forecast rows.

A run reads the pool's SKUs, suppliers, open restocks and a window of daily sales (``series``),
computes every SKU at once (``model``) and replaces the rows in one transaction, under the
pool's row lock so two runs never interleave. Settings are checked before anything is read or
written: a bad setting is an error naming it, and the old rows stay.

Pool settings (``StockPool.settings``), with their defaults:
    service_level 0.95        share of lead times without a stockout (0.5 ≤ x < 1)
    lead_time_days 14         for SKUs without a supplier (0–365)
    lead_time_spread_days 0   their lead-time standard deviation (0–365)
    review_days 7             days between two orders: the order covers them too (0–365)
    forecast_window_days 365  history the forecast reads (28–730)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from models import Forecast, Restock, Sku, StockPool, Supplier, utcnow
from sync.forecast import model, series
from sync.forecast.store import HORIZON_DAYS, rows_of, write

__all__ = ["HORIZON_DAYS", "ForecastError", "compute", "refresh", "settings_of", "write"]
CONFIRMATION_DAYS = 90  # orders this recent give the confirmation rates


class ForecastError(ValueError):
    """A setting the forecast cannot work with; the message names it and the allowed range."""


@dataclass(frozen=True)
class Settings:
    service_level: float = 0.95
    lead_time_days: float = 14.0
    lead_time_spread_days: float = 0.0
    review_days: float = 7.0
    window_days: int = 365


_RANGES = {
    "service_level": ("service_level", 0.95, 0.5, 0.999),
    "lead_time_days": ("lead_time_days", 14, 0, 365),
    "lead_time_spread_days": ("lead_time_spread_days", 0, 0, 365),
    "review_days": ("review_days", 7, 0, 365),
    "window_days": ("forecast_window_days", 365, 28, 730),
}


def settings_of(pool: StockPool) -> Settings:
    """The pool's forecast settings, checked; ForecastError names the first bad one."""
    values = {}
    for field, (name, default, low, high) in _RANGES.items():
        value = pool.setting(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise ForecastError(f"{name}: a number from {low} to {high}, not {value!r}")
        if not low <= value <= high:
            raise ForecastError(f"{name}: must be from {low} to {high}, got {value}")
        values[field] = value
    values["window_days"] = int(values["window_days"])
    return Settings(**values)


def _lead_times(session, pool_id: int, cfg: Settings) -> dict[int, tuple[float, float]]:
    out = {}
    for supplier in session.scalars(select(Supplier).where(Supplier.pool_id == pool_id)):
        lead, spread = supplier.lead_time_days, supplier.lead_time_spread_days or 0.0
        if lead is None or not 0 <= lead <= 365:
            raise ForecastError(
                f"supplier {supplier.name!r}: lead_time_days must be from 0 to 365, got {lead}"
            )
        if not 0 <= spread <= 365:
            raise ForecastError(
                f"supplier {supplier.name!r}: lead_time_spread_days must be from 0 to 365,"
                f" got {spread}"
            )
        out[supplier.id] = (float(lead), float(spread))
    return out


@contextlib.contextmanager
def _phase(timings: dict | None, name: str):
    """Add the seconds the block takes to ``timings[name]`` (when the caller wants them)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


def compute(
    session, pool_id: int, sku_ids=None, today: dt.date | None = None, timings=None
) -> list[dict]:
    """The Forecast rows (as dicts) of the pool's SKUs, or of ``sku_ids`` among them.

    ``timings`` (a dict) receives the seconds spent reading (``load``) and computing."""
    with _phase(timings, "load"):
        inputs = _read(session, pool_id, sku_ids, today)
    if inputs is None:
        return []
    with _phase(timings, "compute"):
        return _compute(pool_id, inputs)


@dataclass
class _Inputs:
    """What a run reads: per-SKU arrays in id order, the sales matrix and the settings."""

    cfg: Settings
    today: dt.date
    first: dt.date  # the window's first day (column 0 of ``sales``)
    ids: np.ndarray
    on_hand: np.ndarray
    committed: np.ndarray
    buffer: np.ndarray
    price: np.ndarray  # NaN: no price
    leads: np.ndarray  # (lead time, its spread) per SKU
    created: np.ndarray  # day index the SKU appeared
    sales: np.ndarray
    rate: np.ndarray  # confirmation rate
    on_order: np.ndarray


def _read(session, pool_id, sku_ids, today) -> _Inputs | None:
    """Everything the forecast of the pool needs from the database (None: no SKUs)."""
    pool = session.get(StockPool, pool_id)
    if pool is None:
        raise LookupError(f"no stock pool {pool_id}")
    cfg = settings_of(pool)
    lead_times = _lead_times(session, pool_id, cfg)
    today = today or utcnow().date()
    query = (
        select(
            Sku.id,
            Sku.on_hand,
            Sku.committed,
            Sku.safety_buffer,
            Sku.price_minor,
            Sku.supplier_id,
            Sku.created_at,
        )
        .where(Sku.pool_id == pool_id, Sku.is_bundle.is_(False))
        .order_by(Sku.id)
    )
    if sku_ids is not None:
        query = query.where(Sku.id.in_([int(s) for s in sku_ids]))
    rows = session.execute(query).all()
    if not rows:
        return None
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    on_hand = np.array([r[1] for r in rows], dtype=np.float64)
    committed = np.array([r[2] for r in rows], dtype=np.float64)
    buffer = np.array([r[3] for r in rows], dtype=np.float64)
    price = np.array([np.nan if r[4] is None else r[4] for r in rows], dtype=np.float64)
    default = (cfg.lead_time_days, cfg.lead_time_spread_days)
    leads = np.array([lead_times.get(r[5], default) for r in rows], dtype=np.float64)
    first = today - dt.timedelta(days=cfg.window_days)
    created = np.array([(r[6].date() - first).days for r in rows], dtype=np.int64)

    sales = series.daily_sales(session, pool_id, ids, first, cfg.window_days)
    # A partial refresh (after a large sale) keeps the SKUs' confirmation rates from the last
    # full run: 90 days of orders, pool-wide, are the nightly run's to read.
    rate = _kept_rates(session, ids) if sku_ids is not None else None
    if rate is None:
        rate = _confirmation(session, pool_id, ids, today)
    on_order = _on_order(session, ids)
    return _Inputs(cfg, today, first, ids, on_hand, committed, buffer, price, leads, created,
                   sales, rate, on_order)  # fmt: skip


def _compute(pool_id, data: _Inputs) -> list[dict]:
    cfg, today, first, ids, price, leads, rate = (
        data.cfg, data.today, data.first, data.ids, data.price, data.leads, data.rate
    )  # fmt: skip
    sales, created, on_order = data.sales, data.created, data.on_order
    sold_any = sales != 0
    first_sale = np.where(sold_any.any(axis=1), sold_any.argmax(axis=1), cfg.window_days)
    start = np.clip(np.minimum(created, first_sale), 0, cfg.window_days)
    demand = model.demand(sales, start, first.weekday())

    available = np.maximum(data.on_hand - data.buffer - rate * data.committed, 0.0)
    plan = model.plan(
        demand.velocity,
        demand.spread,
        available,
        leads[:, 0],
        leads[:, 1],
        on_order,
        model.z_score(cfg.service_level),
        cfg.review_days,
    )
    units = np.maximum(demand.units_window, 0.0)
    known = price[~np.isnan(price)]
    # No price: rank by what the pool's typical price would give (units alone when none known).
    stand_in = float(np.median(known)) if len(known) else 1.0
    value = units * np.where(np.isnan(price), stand_in, price)
    revenue = np.where(np.isnan(price), 0.0, units * np.nan_to_num(price))
    classes, rank = model.abc(value)
    return rows_of(pool_id, today, ids, demand, plan, rate, available, on_order, leads, cfg,
                 classes, rank, revenue)  # fmt: skip


def _confirmation(session, pool_id, ids, today) -> np.ndarray:
    """Each SKU's confirmation rate: its channels' rates, weighted by what it sold on each."""
    since = series.midnight(today - dt.timedelta(days=CONFIRMATION_DAYS))
    rates, pool_rate = series.confirmation_rates(session, pool_id, since, series.midnight(today))
    rate = np.full(len(ids), pool_rate)
    if len(set(rates.values()) | {pool_rate}) <= 1:
        return rate  # one rate for every channel: no need to know who sold where
    mix = np.array(
        [
            (sku, rates.get(inst, pool_rate), units)
            for sku, inst, units in series.channel_units(session, pool_id, since)
        ],
        dtype=np.float64,
    ).reshape(-1, 3)
    row = np.searchsorted(ids, mix[:, 0].astype(np.int64))
    ok = (row < len(ids)) & (ids[np.minimum(row, len(ids) - 1)] == mix[:, 0])
    weighted, weight = np.zeros(len(ids)), np.zeros(len(ids))
    np.add.at(weighted, row[ok], mix[ok, 1] * mix[ok, 2])
    np.add.at(weight, row[ok], mix[ok, 2])
    mixed = np.divide(weighted, weight, out=np.full(len(ids), pool_rate), where=weight > 0)
    return mixed


def _kept_rates(session, ids) -> np.ndarray | None:
    """The confirmation rates the SKUs' Forecast rows hold (None: some SKU has no row)."""
    kept = dict(
        session.execute(
            select(Forecast.sku_id, Forecast.confirmation_rate).where(
                Forecast.sku_id.in_(ids.tolist())
            )
        ).all()
    )
    if len(kept) < len(ids):
        return None
    return np.array([kept[i] for i in ids.tolist()], dtype=np.float64)


def _on_order(session, ids) -> np.ndarray:
    """Units on open restocks per SKU."""
    query = select(Restock.sku_id, func.sum(Restock.quantity)).where(Restock.status == Restock.OPEN)
    if len(ids) < 5000:
        query = query.where(Restock.sku_id.in_(ids.tolist()))
    out = np.zeros(len(ids))
    for sku_id, quantity in session.execute(query.group_by(Restock.sku_id)):
        row = np.searchsorted(ids, sku_id)
        if row < len(ids) and ids[row] == sku_id:
            out[row] = quantity or 0
    return out


def refresh(session, pool_id: int, sku_ids=None, today: dt.date | None = None, timings=None) -> int:
    """Recompute and replace the forecast of the pool (or of ``sku_ids``); the caller commits.

    A partial refresh keeps each SKU's ABC class, rank and revenue from the last full run
    (they rank the SKU against the whole pool), and its confirmation rate (a pool-wide
    reading of 90 days of orders); the nightly run recomputes everything.
    ``timings`` (a dict) receives the seconds of each phase: load, compute, write.
    """
    with _phase(timings, "load"):
        session.scalar(
            select(StockPool.id).where(StockPool.id == pool_id).with_for_update(key_share=True)
        )
    rows = compute(session, pool_id, sku_ids, today, timings)
    with _phase(timings, "write"):
        _replace(session, pool_id, rows, sku_ids)
    return len(rows)


def _replace(session, pool_id, rows, sku_ids) -> None:
    if sku_ids is not None and rows:
        kept = {
            sku: (abc, rank, revenue)
            for sku, abc, rank, revenue in session.execute(
                select(Forecast.sku_id, Forecast.abc, Forecast.rank, Forecast.revenue_minor).where(
                    Forecast.pool_id == pool_id, Forecast.sku_id.in_([r["sku_id"] for r in rows])
                )
            )
        }
        for row in rows:
            if row["sku_id"] in kept:
                row["abc"], row["rank"], row["revenue_minor"] = kept[row["sku_id"]]
    write(session, pool_id, rows, sku_ids)
