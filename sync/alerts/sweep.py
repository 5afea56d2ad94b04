"""The sweep of one pool: open alerts for conditions that became true, clear those that are no
longer, then deliver. Opening is ``INSERT … ON CONFLICT DO NOTHING`` against the partial unique
index on open alerts, so two sweeps racing open one alert, and only the one that inserted it
creates its deliveries (one per channel configured then).
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import bindparam, case, select, text

from extensions import db
from models import Alert, AlertDelivery, Forecast, Sku
from sync.alerts import conditions
from sync.alerts.settings import Settings

OPEN_WHERE = text("cleared_at IS NULL")


@functools.cache
def _open_insert(dialect: str):
    table = Alert.__table__
    return (
        db.insert(table)
        .values(
            pool_id=bindparam("pool_id"),
            sku_id=bindparam("sku_id"),
            condition=bindparam("condition"),
            opened_at=bindparam("opened_at"),
            details=bindparam("details"),
        )
        .on_conflict_do_nothing(
            index_elements=["pool_id", "sku_id", "condition"], index_where=OPEN_WHERE
        )
        .returning(table.c.id)
    )


def open_and_clear(session, pool_id: int, settings: Settings, now: dt.datetime) -> dict:
    """Bring the pool's open alerts in line with the conditions true ``now`` (not committed)."""
    found = conditions.evaluate(session, pool_id, settings, now)
    # Store alerts (no SKU) are opened and cleared by sync/connection.py, not by conditions.
    open_rows = session.scalars(
        select(Alert).where(
            Alert.pool_id == pool_id, Alert.cleared_at.is_(None), Alert.sku_id.is_not(None)
        )
    ).all()
    already = set()
    cleared = 0
    for alert in open_rows:
        key = (alert.sku_id, alert.condition)
        if key in found:
            already.add(key)
        else:
            alert.cleared_at = now
            cleared += 1
    session.flush()
    channels = settings.channels() if settings.instant else []
    opened = 0
    statement = _open_insert(db.dialect)
    for (sku_id, condition), details in sorted(found.items()):
        if (sku_id, condition) in already:
            continue
        alert_id = session.execute(
            statement,
            {
                "pool_id": pool_id,
                "sku_id": sku_id,
                "condition": condition,
                "opened_at": now,
                "details": details,
            },
        ).scalar()
        if alert_id is None:  # another sweep opened it first: its deliveries, not ours
            continue
        opened += 1
        for channel in channels:
            session.add(
                AlertDelivery(alert_id=alert_id, channel=channel, status=AlertDelivery.PENDING)
            )
    session.flush()
    return {"opened": opened, "cleared": cleared, "open": len(found)}


def best_sellers_first():
    """ORDER BY terms: ranked SKUs by rank (1 = the best-seller), then unranked, then by code."""
    return (
        case((Forecast.rank > 0, 0), else_=1),
        Forecast.rank,
        Forecast.revenue_minor.desc().nulls_last(),
        Sku.key,
    )


def open_alerts(session, pool_id: int) -> list[Alert]:
    """The pool's open alerts, best-sellers first."""
    return list(
        session.scalars(
            select(Alert)
            .join(Sku, Sku.id == Alert.sku_id)
            .outerjoin(Forecast, Forecast.sku_id == Alert.sku_id)
            .where(Alert.pool_id == pool_id, Alert.cleared_at.is_(None))
            .order_by(*best_sellers_first(), Alert.condition)
        ).all()
    )
