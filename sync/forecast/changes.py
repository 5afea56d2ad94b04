"""Which of today's sales deserve a fresh forecast before tonight's run.

A sale is large when ``is_large_change`` says so: it took ≥ 20 % of the stock the SKU had, or
the SKU's units sold today reached 3 × its forecast velocity. Only sales recorded after the
SKU's forecast was computed count (a refresh settles everything before it), so the check can
be repeated at will: the coalesced job re-reads the ledger and finds every SKU still waiting,
including those whose requests were folded into a job already queued.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Forecast, Movement, utcnow
from sync.forecast.series import SALES_KINDS, midnight, units_sold

LARGE_SHARE = 0.20  # a sale taking this share of the stock there was
SPIKE_RATIO = 3.0  # units in a day against the velocity


def is_large_change(on_hand_before: int, units: int, velocity: float, sold_today: int) -> bool:
    """Whether a sale of ``units`` deserves a fresh forecast before tonight's."""
    if units <= 0:
        return False
    if on_hand_before > 0 and units >= LARGE_SHARE * on_hand_before:
        return True
    return sold_today >= SPIKE_RATIO * max(velocity, 1.0)


def large_changes(session, pool_id: int, sku_ids=None, now: dt.datetime | None = None):
    """The SKUs (of the pool, or of ``sku_ids``) with a large sale today that their forecast
    has not seen yet; sorted ids."""
    now = now or utcnow()
    query = (
        select(
            Movement.sku_id,
            Movement.on_hand_after - Movement.on_hand_delta,
            units_sold(),
            Movement.created_at,
            Forecast.velocity,
            Forecast.computed_at,
        )
        .outerjoin(Forecast, Forecast.sku_id == Movement.sku_id)
        .where(
            Movement.pool_id == pool_id,
            Movement.kind.in_(SALES_KINDS),
            Movement.created_at >= midnight(now.date()),
        )
        .order_by(Movement.id)
    )
    if sku_ids is not None:
        query = query.where(Movement.sku_id.in_(sorted({int(s) for s in sku_ids})))
    sold_today: dict[int, int] = {}
    large = set()
    for sku_id, before, units, at, velocity, computed_at in session.execute(query):
        sold_today[sku_id] = sold_today.get(sku_id, 0) + int(units)
        if computed_at is not None and at <= computed_at:
            continue  # the forecast already stands on this sale
        if is_large_change(int(before), int(units), velocity or 0.0, sold_today[sku_id]):
            large.add(sku_id)
    return sorted(large)
