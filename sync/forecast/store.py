"""A run's results as Forecast rows, and replacing the pool's rows with them."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
from sqlalchemy import delete, insert

from models import Forecast, utcnow

HORIZON_DAYS = 365  # a stockout further away than this has no date


def rows_of(pool_id, today, ids, demand, plan, rate, available, on_order, leads, cfg, classes,
            rank, revenue) -> list[dict]:  # fmt: skip
    """The Forecast rows (dicts) of a computed run, one per SKU of ``ids``."""
    cover = plan.days_of_cover
    dated = ~np.isnan(cover) & (cover <= HORIZON_DAYS)
    days = np.nan_to_num(cover).astype(np.int64).tolist()
    # Whole columns are rounded and converted at once in NumPy; the loop only assembles dicts.
    columns = {
        "sku_id": ids.tolist(),
        "velocity": np.round(demand.velocity, 4).tolist(),
        "spread": np.round(demand.spread, 4).tolist(),
        "days_of_cover": [None if math.isnan(c) else c for c in np.round(cover, 2).tolist()],
        "stockout_on": [
            today + dt.timedelta(days=d) if ok else None
            for d, ok in zip(days, dated.tolist(), strict=True)
        ],
        "lead_time_days": leads[:, 0].tolist(),
        "safety_stock": plan.safety_stock.tolist(),
        "reorder_point": plan.reorder_point.tolist(),
        "order_quantity": plan.order_quantity.tolist(),
        "abc": classes.tolist(),
        "rank": rank.tolist(),
        "revenue_minor": revenue.astype(np.int64).tolist(),
        "units_30d": np.maximum(demand.units_30d, 0.0).astype(np.int64).tolist(),
        "confirmation_rate": np.round(rate, 4).tolist(),
        "history_days": demand.history_days.tolist(),
    }
    details = {
        "level": np.round(demand.level, 4).tolist(),
        "slope": np.round(demand.slope, 5).tolist(),
        "weekday": np.round(demand.weekday, 3).tolist(),
        "new": demand.new.tolist(),
        "available": available.tolist(),
        "on_order": on_order.astype(np.int64).tolist(),
        "lead_time_spread_days": leads[:, 1].tolist(),
    }
    same = {"pool_id": pool_id, "computed_at": utcnow()}
    same_details = {
        "service_level": cfg.service_level,
        "review_days": cfg.review_days,
        "history_until": (today - dt.timedelta(days=1)).isoformat(),
    }
    names, detail_names = list(columns), list(details)
    return [
        {
            **dict(zip(names, values, strict=True)),
            **same,
            "details": {**dict(zip(detail_names, extra, strict=True)), **same_details},
        }
        for values, extra in zip(
            zip(*columns.values(), strict=True), zip(*details.values(), strict=True), strict=True
        )
    ]


_COLUMNS = [c.name for c in Forecast.__table__.columns]


def write(session, pool_id: int, rows: list[dict], sku_ids=None) -> None:
    """Replace the pool's rows (or those of ``sku_ids``) with ``rows``."""
    gone = delete(Forecast).where(Forecast.pool_id == pool_id)
    if sku_ids is not None:
        gone = gone.where(Forecast.sku_id.in_([int(s) for s in sku_ids]))
    session.execute(gone)
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql" and len(rows) > 200:
        raw = session.connection().connection.driver_connection
        sql = f"COPY forecast ({', '.join(_COLUMNS)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c == "details" else row[c] for c in _COLUMNS])
        return
    session.execute(insert(Forecast), rows)
