"""Daily net sales per SKU from the ledger, and each channel's confirmation rate.

What counts as a sale (see sync/inbound.py and sync/ledger.py for how orders are recorded):
- ``sale`` movements: an order took units (``on_hand_delta`` < 0, or ``committed_delta`` > 0
  when a channel only reserves);
- ``restock`` movements: a cancellation, refusal or refund gave units back — negative sales;
- ``bundle`` movements: a bundle's sale or restock moved its components — demand for them.
Adjustments, reconciles, receipts, initial and manual stock are not sales.
Units sold by one movement = ``committed_delta − on_hand_delta``.

Days are UTC days. PostgreSQL sums them in SQL and streams the (SKU, day, units) triples as a
binary COPY read straight into NumPy; SQLite (one machine, small shops) goes through rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import Date, case, cast, func, select

from models import Movement, Sku

SALES_KINDS = (Movement.SALE, Movement.RESTOCK, Movement.BUNDLE)
# Binary COPY tuple of three int4 columns: field count, then (length, value) per field.
_TRIPLE = np.dtype(
    [
        ("n", ">i2"),
        ("l1", ">i4"),
        ("a", ">i4"),
        ("l2", ">i4"),
        ("b", ">i4"),
        ("l3", ">i4"),
        ("c", ">i4"),
    ]
)
_COPY_HEADER = 19  # signature (11) + flags (4) + header extension length (4)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def units_sold():
    """Units one movement sold (negative: given back)."""
    return Movement.committed_delta - Movement.on_hand_delta


def day_of(session, column):
    """The UTC day of a timestamp column, in this database's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def daily_sales(session, pool_id: int, sku_ids: np.ndarray, start: dt.date, days: int):
    """(len(sku_ids) × days) net units sold per SKU per day from ``start`` (``sku_ids`` sorted)."""
    sku_ids = np.asarray(sku_ids, dtype=np.int64)
    matrix = np.zeros((len(sku_ids), days), dtype=np.float64)
    if not len(sku_ids) or days <= 0:
        return matrix
    if session.get_bind().dialect.name == "postgresql":
        sku, day, units = _copy_triples(session, pool_id, sku_ids, start, days)
    else:
        sku, day, units = _select_triples(session, pool_id, sku_ids, start, days)
    row = np.searchsorted(sku_ids, sku)
    keep = (row < len(sku_ids)) & (day >= 0) & (day < days)
    keep[keep] &= sku_ids[row[keep]] == sku[keep]
    np.add.at(matrix, (row[keep], day[keep]), units[keep])
    return matrix


_COPY_SELECT = (
    "COPY (SELECT sku_id, ((created_at AT TIME ZONE 'UTC')::date - %(start)s::date)::int4,"
    " sum(committed_delta - on_hand_delta)::int4 FROM movement"
    " WHERE pool_id = %(pool)s AND kind IN ('sale', 'restock', 'bundle')"
    " AND created_at >= %(since)s AND created_at < %(until)s"
)
_COPY_POOL = _COPY_SELECT + " GROUP BY 1, 2) TO STDOUT (FORMAT binary)"
_COPY_SUBSET = _COPY_SELECT + " AND sku_id = ANY(%(skus)s) GROUP BY 1, 2) TO STDOUT (FORMAT binary)"


def _copy_triples(session, pool_id, sku_ids, start, days):
    subset = len(sku_ids) < 5000
    sql = _COPY_SUBSET if subset else _COPY_POOL
    params = {
        "start": start.isoformat(),
        "pool": pool_id,
        "since": midnight(start),
        "until": midnight(start + dt.timedelta(days=days)),
        "skus": [int(s) for s in sku_ids] if subset else None,
    }
    raw = session.connection().connection.driver_connection
    chunks = []
    with raw.cursor() as cursor, cursor.copy(sql, params) as copy:
        for chunk in copy:
            chunks.append(chunk)
    data = b"".join(bytes(c) for c in chunks)
    body = data[_COPY_HEADER:-2]  # the trailer is a field count of −1
    rows = np.frombuffer(body, dtype=_TRIPLE)
    return rows["a"].astype(np.int64), rows["b"].astype(np.int64), rows["c"].astype(np.float64)


def _select_triples(session, pool_id, sku_ids, start, days):
    day = day_of(session, Movement.created_at)
    query = (
        select(Movement.sku_id, day, func.sum(units_sold()))
        .where(
            Movement.pool_id == pool_id,
            Movement.kind.in_(SALES_KINDS),
            Movement.created_at >= midnight(start),
            Movement.created_at < midnight(start + dt.timedelta(days=days)),
        )
        .group_by(Movement.sku_id, day)
    )
    if len(sku_ids) < 5000:
        query = query.where(Movement.sku_id.in_([int(s) for s in sku_ids]))
    rows = session.execute(query).all()
    sku = np.array([r[0] for r in rows], dtype=np.int64)
    index = np.array([(_as_date(r[1]) - start).days for r in rows] if rows else [], dtype=np.int64)
    units = np.array([r[2] or 0 for r in rows], dtype=np.float64)
    return sku, index, units


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def confirmation_rates(
    session, pool_id: int, since: dt.datetime, until: dt.datetime, min_orders: int = 5
):
    """Share of orders confirmed (not fully given back) per installation, and pool-wide.

    Orders placed from ``until`` on (today's) are still open and left out.

    An order is every movement sharing its channel (installation) and ``order_ref``; it is
    cancelled or refused when its units all came back. Fewer than ``min_orders`` orders on a
    channel say nothing: that channel gets the pool's rate (1.0 when the pool has too few).
    """
    units = units_sold()
    sold = func.sum(case((units > 0, units), else_=0))
    back = func.sum(case((units < 0, -units), else_=0))
    orders = (
        select(Movement.installation_id.label("inst"), sold.label("sold"), back.label("back"))
        .where(
            Movement.pool_id == pool_id,
            Movement.kind.in_(SALES_KINDS),
            Movement.order_ref.is_not(None),
            Movement.installation_id.is_not(None),
            Movement.created_at >= since,
            Movement.created_at < until,
        )
        .group_by(Movement.installation_id, Movement.order_ref)
        .subquery()
    )
    per_channel = session.execute(
        select(
            orders.c.inst,
            func.count(),
            func.count().filter(orders.c.back >= orders.c.sold),
        )
        .where(orders.c.sold > 0)
        .group_by(orders.c.inst)
    ).all()
    total = sum(n for _, n, _ in per_channel)
    cancelled = sum(c for _, _, c in per_channel)
    pool_rate = 1.0 - cancelled / total if total >= min_orders else 1.0
    rates = {inst: (1.0 - c / n if n >= min_orders else pool_rate) for inst, n, c in per_channel}
    return rates, pool_rate


def channel_units(session, pool_id: int, since: dt.datetime):
    """(sku_id, installation_id, units sold) over the period: each SKU's mix of channels."""
    return session.execute(
        select(Movement.sku_id, Movement.installation_id, func.sum(units_sold()))
        .where(
            Movement.pool_id == pool_id,
            Movement.kind.in_(SALES_KINDS),
            Movement.installation_id.is_not(None),
            Movement.created_at >= since,
            units_sold() > 0,
        )
        .group_by(Movement.sku_id, Movement.installation_id)
    ).all()


def history(session, sku_id: int, days: int, today: dt.date | None = None):
    """[(date, on_hand at the end of the day, units sold that day)] for the last ``days`` days
    up to today: on_hand walks back from the SKU's current stock through the ledger."""
    from models import utcnow

    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3660:
        raise ValueError("days must be a whole number from 1 to 3660")
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise LookupError(f"no SKU {sku_id}")
    today = today or utcnow().date()
    first = today - dt.timedelta(days=days - 1)
    day = day_of(session, Movement.created_at)
    sold = func.sum(units_sold()).filter(Movement.kind.in_(SALES_KINDS))
    rows = session.execute(
        select(day, func.sum(Movement.on_hand_delta), sold)
        .where(Movement.sku_id == sku_id, Movement.created_at >= midnight(first))
        .group_by(day)
    ).all()
    moved = {_as_date(d): (int(delta or 0), int(units or 0)) for d, delta, units in rows}
    out, on_hand = [], sku.on_hand
    for offset in range(days):  # newest first: the stock at the end of each day, walking back
        date = today - dt.timedelta(days=offset)
        delta, units = moved.get(date, (0, 0))
        out.append((date, on_hand, units))
        on_hand -= delta
    return out[::-1]
