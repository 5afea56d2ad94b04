"""Daily net sales per SKU from the ledger, and each channel's confirmation rate.

What counts as a sale (see sync/inbound.py and sync/ledger.py for how orders are recorded):
- ``sale`` movements: an order took units (``on_hand_delta`` < 0, or ``committed_delta`` > 0
  when a channel only reserves);
- ``restock`` movements: a cancellation, refusal or refund gave units back — negative sales;
- ``bundle`` movements: a bundle's sale or restock moved its components — demand for them.
Adjustments, reconciles, receipts, initial and manual stock are not sales.
Units sold by one movement = ``committed_delta − on_hand_delta``.

Days are UTC days. PostgreSQL streams the window's movements as a binary COPY of a few hundred
rows of arrays (folded on the server by blocks of SKUs) that NumPy reads in place and sums into
day buckets; SQLite (one machine, small shops) sums the days in SQL and goes through rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import numpy as np
from sqlalchemy import Date, case, cast, func, select, text

from models import Movement, Sku

SALES_KINDS = (Movement.SALE, Movement.RESTOCK, Movement.BUNDLE)
_COPY_HEADER = 19  # binary COPY: signature (11) + flags (4) + header extension length (4)
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # timestamptz travels as µs since then
_DAY_MICROS = 86_400_000_000
# One binary array's header: dimensions, has-nulls flag, element type, then (size, lower bound).
_ARRAY_HEAD = np.dtype([("ndim", ">i4"), ("nulls", ">i4"), ("oid", ">i4"), ("size", ">i4"),
                        ("lbound", ">i4")])  # fmt: skip
_INT4 = np.dtype([("len", ">i4"), ("v", ">i4")])
_INT8 = np.dtype([("len", ">i4"), ("v", ">i8")])


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
    if not len(sku_ids) or days <= 0:
        return np.zeros((len(sku_ids), max(days, 0)), dtype=np.float64)
    to_row = _row_index(sku_ids)
    if session.get_bind().dialect.name == "postgresql":
        flat, units = _copy_buckets(session, pool_id, sku_ids, start, days, to_row)
    else:
        sku, day, units = _select_triples(session, pool_id, sku_ids, start, days)
        flat, units = _buckets(to_row(sku), day, units, days)
    # The day buckets: one bincount over the flat (SKU, day) index, many movements a bucket.
    size = len(sku_ids) * days
    return np.bincount(flat, weights=units, minlength=size).reshape(len(sku_ids), days)


def _row_index(sku_ids: np.ndarray):
    """A function from SKU ids to their rows in ``sku_ids`` (sorted), −1 for others: a look-up
    table when the ids are dense (a pool's usually are), else a binary search."""
    lo, hi = int(sku_ids[0]), int(sku_ids[-1])
    if hi - lo < 4 * len(sku_ids) + 4096:
        table = np.full(hi - lo + 1, -1, dtype=np.int64)
        table[sku_ids - lo] = np.arange(len(sku_ids))

        def to_row(sku):
            at = np.asarray(sku, dtype=np.int64) - lo
            inside = (at >= 0) & (at <= hi - lo)
            return np.where(inside, table[np.where(inside, at, 0)], -1)

        return to_row

    def search(sku):
        sku = np.asarray(sku, dtype=np.int64)
        row = np.minimum(np.searchsorted(sku_ids, sku), len(sku_ids) - 1)
        return np.where(sku_ids[row] == sku, row, -1)

    return search


def _buckets(row, day, units, days):
    """(flat SKU-day index, units) of the movements on a known SKU inside the window."""
    keep = (row >= 0) & (day >= 0) & (day < days)
    return row[keep] * days + day[keep], np.asarray(units, dtype=np.float64)[keep]


# PostgreSQL: one scan of the window's sales, folded on the server into a few rows of arrays
# (SKU ids, timestamps, units) per block of 256 SKU ids. A COPY row per movement would cost a
# client round of parsing per row (~2 µs each: 30 s for 14 million movements); a few hundred
# rows of arrays come out as a handful of large binary fields NumPy reads in place. Timestamps
# travel raw (µs since 2000) and NumPy buckets them into UTC days: cheaper than date maths on
# the server for every row. Day buckets are summed client-side by one bincount.
_COPY_SELECT = (
    "COPY (SELECT array_agg(sku_id), array_agg(created_at),"
    " array_agg(committed_delta - on_hand_delta) FROM movement"
    " WHERE pool_id = %(pool)s AND kind IN ('sale', 'restock', 'bundle')"
    " AND created_at >= %(since)s AND created_at < %(until)s"
)
_COPY_POOL = _COPY_SELECT + " GROUP BY sku_id >> 8) TO STDOUT (FORMAT binary)"
_COPY_SUBSET = (
    _COPY_SELECT + " AND sku_id = ANY(%(skus)s) GROUP BY sku_id >> 8) TO STDOUT (FORMAT binary)"
)
# The arrays of a whole pool (and the 90 days of orders behind the confirmation rates) are
# held in memory by the aggregate until it has seen every row; with the default 4 MB it would
# spill them to disk and read them back.
_WORK_MEM = "1GB"


@contextlib.contextmanager
def aggregate_memory(session):
    """Within the block, PostgreSQL may hash aggregates in ``_WORK_MEM`` (this transaction)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.execute(
        text("SELECT current_setting('work_mem'), set_config('work_mem', :mem, true)"),
        {"mem": _WORK_MEM},
    ).first()[0]
    yield
    session.execute(text("SELECT set_config('work_mem', :mem, true)"), {"mem": before})


def _copy_buckets(session, pool_id, sku_ids, start, days, to_row):
    """(flat SKU-day index, units) of every sales movement in the window, from a binary COPY
    parsed row by row as it arrives (each row: one block of SKUs)."""
    subset = len(sku_ids) < 5000
    since = midnight(start)
    params = {
        "pool": pool_id,
        "since": since,
        "until": midnight(start + dt.timedelta(days=days)),
        "skus": [int(s) for s in sku_ids] if subset else None,
    }
    origin = int((since - _PG_EPOCH).total_seconds()) * 1_000_000
    raw = session.connection().connection.driver_connection
    flats, weights = [], []
    sql = _COPY_SUBSET if subset else _COPY_POOL
    with aggregate_memory(session), raw.cursor() as cursor, cursor.copy(sql, params) as copy:
        for chunk in copy:
            for sku, micros, units in _array_rows(bytes(chunk)):
                day = (micros.astype(np.int64) - origin) // _DAY_MICROS
                flat, kept = _buckets(to_row(sku), day, units, days)
                flats.append(flat)
                weights.append(kept)
    if not flats:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(flats), np.concatenate(weights)


def _array_rows(data: bytes, elements=None):
    """Each row's arrays (by default int4[], timestamptz[], int4[]; an element type of
    ``_INT4``/``_INT8``, or ``">i4"`` for a plain int4 field) in a piece of binary COPY (the
    first piece carries the header, the last the trailer: a field count of −1)."""
    elements = elements or (_INT4, _INT8, _INT4)
    at = _COPY_HEADER if data.startswith(b"PGCOPY\n") else 0
    while at + 2 <= len(data) and data[at : at + 2] != b"\xff\xff":
        at += 2  # the row's field count
        row = []
        for element in elements:
            size = int.from_bytes(data[at : at + 4], "big")
            if isinstance(element, str):  # a plain value
                row.append(int.from_bytes(data[at + 4 : at + 4 + size], "big", signed=True))
            else:
                head = np.frombuffer(data, _ARRAY_HEAD, 1, at + 4)[0]
                start = at + 4 + _ARRAY_HEAD.itemsize
                row.append(np.frombuffer(data, element, int(head["size"]), start)["v"])
            at += 4 + size
        yield row


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
    if session.get_bind().dialect.name == "postgresql":
        per_channel = _order_counts(session, pool_id, since, until)
    else:
        per_channel = _select_order_counts(session, pool_id, since, until)
    total = sum(n for _, n, _ in per_channel)
    cancelled = sum(c for _, _, c in per_channel)
    pool_rate = 1.0 - cancelled / total if total >= min_orders else 1.0
    rates = {inst: (1.0 - c / n if n >= min_orders else pool_rate) for inst, n, c in per_channel}
    return rates, pool_rate


# Counting a pool's orders by hashing millions of (channel, order_ref) groups in SQL took
# PostgreSQL ~10× longer than one scan: each channel's movements come out instead as arrays of
# (64-bit hash of order_ref, units), in 64 slices by hash, and NumPy groups them by sorting.
# Two orders sharing a 64-bit hash would count as one (odds ~10⁻⁷ for 90 days of 3.5 million).
_COPY_ORDERS = (
    "COPY (SELECT installation_id, array_agg(hashtextextended(order_ref, 0)),"
    " array_agg(committed_delta - on_hand_delta) FROM movement"
    " WHERE pool_id = %(pool)s AND kind IN ('sale', 'restock', 'bundle')"
    " AND order_ref IS NOT NULL AND installation_id IS NOT NULL"
    " AND created_at >= %(since)s AND created_at < %(until)s"
    " GROUP BY installation_id, hashtextextended(order_ref, 0) & 63) TO STDOUT (FORMAT binary)"
)


def _order_counts(session, pool_id, since, until):
    """[(installation_id, orders that sold, orders fully given back)] from a binary COPY."""
    parts: dict[int, tuple[list, list]] = {}
    raw = session.connection().connection.driver_connection
    params = {"pool": pool_id, "since": since, "until": until}
    with (
        aggregate_memory(session),
        raw.cursor() as cursor,
        cursor.copy(_COPY_ORDERS, params) as copy,
    ):
        for chunk in copy:
            for inst, keys, units in _array_rows(bytes(chunk), (">i4", _INT8, _INT4)):
                keys_of, units_of = parts.setdefault(inst, ([], []))
                keys_of.append(keys)
                units_of.append(units)
    out = []
    for inst, (keys, units) in sorted(parts.items()):
        _, order = np.unique(np.concatenate(keys), return_inverse=True)
        units = np.concatenate(units).astype(np.float64)
        sold = np.bincount(order, weights=np.maximum(units, 0.0))
        back = np.bincount(order, weights=np.maximum(-units, 0.0))
        placed = sold > 0
        out.append((inst, int(placed.sum()), int((placed & (back >= sold)).sum())))
    return out


def _select_order_counts(session, pool_id, since, until):
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
    return session.execute(
        select(orders.c.inst, func.count(), func.count().filter(orders.c.back >= orders.c.sold))
        .where(orders.c.sold > 0)
        .group_by(orders.c.inst)
    ).all()


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
