"""Which SKUs of a pool are in alert, per condition: one grouped query per condition over every
SKU of the pool (never a query per SKU).

- ``below_threshold``: available (on_hand − committed − safety buffer) at or under the pool's
  threshold (bundles are left out: their stock is their components');
- ``stockout_before_restock``: the forecast's stockout day comes before the next open restock
  expected (or no restock is on its way);
- ``restock_overdue``: an open restock's expected day has passed;
- ``sales_spike``: units sold over the last ``spike_window_hours`` at least ``spike_factor`` ×
  what the forecast's velocity expects over that window — and never fewer than
  ``spike_factor`` units, so a single sale of a slow seller is not "going viral".

Each returns ``{sku_id: details}``, details being the figures a message quotes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select

from models import Forecast, Movement, Restock, Sku
from models.alert import BELOW_THRESHOLD, RESTOCK_OVERDUE, SALES_SPIKE, STOCKOUT_BEFORE_RESTOCK
from sync.alerts.settings import Settings

# Movements that are demand (sync/forecast/series.py): sales, their cancellations and refunds,
# and components moved by a bundle's sale. Units sold = committed_delta − on_hand_delta.
SALES_KINDS = (Movement.SALE, Movement.RESTOCK, Movement.BUNDLE)


def below_threshold(session, pool_id: int, settings: Settings, now: dt.datetime) -> dict:
    available = Sku.on_hand - Sku.committed - Sku.safety_buffer
    rows = session.execute(
        select(Sku.id, available).where(
            Sku.pool_id == pool_id,
            Sku.is_bundle.is_(False),
            available <= settings.threshold_units,
        )
    ).all()
    return {
        sku_id: {"available": max(0, int(units)), "threshold": settings.threshold_units}
        for sku_id, units in rows
    }


def stockout_before_restock(session, pool_id: int, settings: Settings, now: dt.datetime) -> dict:
    today = now.date()
    upcoming = (
        select(Restock.sku_id, func.min(Restock.expected_on).label("next_on"))
        .where(
            Restock.pool_id == pool_id,
            Restock.status == Restock.OPEN,
            Restock.expected_on >= today,
        )
        .group_by(Restock.sku_id)
        .subquery()
    )
    rows = session.execute(
        select(Forecast.sku_id, Forecast.stockout_on, Forecast.days_of_cover, upcoming.c.next_on)
        .join(Sku, Sku.id == Forecast.sku_id)
        .outerjoin(upcoming, upcoming.c.sku_id == Forecast.sku_id)
        .where(
            Forecast.pool_id == pool_id,
            Sku.is_bundle.is_(False),
            Forecast.stockout_on.is_not(None),
            or_(upcoming.c.next_on.is_(None), Forecast.stockout_on < upcoming.c.next_on),
        )
    ).all()
    return {
        sku_id: {
            "stockout_on": stockout_on.isoformat(),
            "next_restock_on": next_on.isoformat() if next_on else None,
            "days_of_cover": round(cover, 1) if cover is not None else None,
        }
        for sku_id, stockout_on, cover, next_on in rows
    }


def restock_overdue(session, pool_id: int, settings: Settings, now: dt.datetime) -> dict:
    today = now.date()
    rows = session.execute(
        select(
            Restock.sku_id,
            func.min(Restock.expected_on),
            func.sum(Restock.quantity),
            func.count(Restock.id),
        )
        .where(
            Restock.pool_id == pool_id,
            Restock.status == Restock.OPEN,
            Restock.expected_on < today,
        )
        .group_by(Restock.sku_id)
    ).all()
    return {
        sku_id: {
            "expected_on": expected_on.isoformat(),
            "days_late": (today - expected_on).days,
            "quantity": int(quantity),
            "restocks": int(count),
        }
        for sku_id, expected_on, quantity, count in rows
    }


def sales_spike(session, pool_id: int, settings: Settings, now: dt.datetime) -> dict:
    hours = settings.spike_window_hours
    since = now - dt.timedelta(hours=hours)
    sold = func.sum(Movement.committed_delta - Movement.on_hand_delta)
    recent = (
        select(Movement.sku_id, sold.label("units"))
        .where(
            Movement.pool_id == pool_id,
            Movement.kind.in_(SALES_KINDS),
            Movement.created_at >= since,
        )
        .group_by(Movement.sku_id)
        .having(sold >= settings.spike_factor)  # the floor: never fewer than factor units
        .subquery()
    )
    rows = session.execute(
        select(recent.c.sku_id, recent.c.units, Forecast.velocity).outerjoin(
            Forecast, and_(Forecast.sku_id == recent.c.sku_id, Forecast.pool_id == pool_id)
        )
    ).all()
    found = {}
    for sku_id, units, velocity in rows:
        expected = max((velocity or 0.0) * hours / 24.0, 1.0)
        if units >= settings.spike_factor * expected:
            found[sku_id] = {
                "units": int(units),
                "hours": hours,
                "velocity_per_day": round(velocity or 0.0, 2),
                "ratio": round(units / expected, 1),
            }
    return found


# The dispatch table the sweep walks (only the enabled ones run).
CHECKS = {
    BELOW_THRESHOLD: below_threshold,
    STOCKOUT_BEFORE_RESTOCK: stockout_before_restock,
    RESTOCK_OVERDUE: restock_overdue,
    SALES_SPIKE: sales_spike,
}


def evaluate(session, pool_id: int, settings: Settings, now: dt.datetime) -> dict:
    """``{(sku_id, condition): details}`` for every enabled condition true now."""
    found = {}
    for condition, check in CHECKS.items():
        if settings.enabled(condition):
            for sku_id, details in check(session, pool_id, settings, now).items():
                found[(sku_id, condition)] = details
    return found
