"""The nightly forecast at scale: 100,000 SKUs × 365 days of sales history, timed end to end.

    .venv/bin/python bench/forecast.py [--skus 100000] [--days 365] [--db postgres|sqlite]

Builds a private database (PostgreSQL by default, dropped afterwards; or a SQLite file), fills
it with generated sales — one ledger movement (its own order) per SKU and day with sales,
Poisson around a per-SKU rate (long tail: most SKUs sell rarely) with a weekday pattern, in
time order — loaded in bulk (PostgreSQL: binary COPY built with NumPy into the emptied table,
foreign keys and indexes added after the load; SQLite: executemany). That set-up is printed on
its own line. Then it times ``sync.forecast.refresh`` for the whole pool, twice (cold, warm):
load (SKUs, the sales window as a binary COPY of arrays, the 90 days of orders behind the
confirmation rates), compute (NumPy), write (delete + COPY of the Forecast rows) and commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def generate(n_skus: int, days: int, seed: int = 6):
    """(sku index, day index, units) of every SKU-day with sales, sorted by day (as a ledger
    is written: in time order, the SKUs interleaved)."""
    rng = np.random.default_rng(seed)
    rate = rng.lognormal(mean=-1.0, sigma=1.3, size=n_skus)
    weekday = np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.15, 1.0])
    skus, day_index, units = [], [], []
    for lo in range(0, days, 28):  # four weeks of every SKU at a time
        hi = min(days, lo + 28)
        lam = rate[:, None] * weekday[np.arange(lo, hi) % 7][None, :]
        sold = rng.poisson(lam).T  # days × SKUs: nonzero() walks day by day
        day, sku = np.nonzero(sold)
        skus.append(sku.astype(np.int32))
        day_index.append((day + lo).astype(np.int32))
        units.append(sold[day, sku].astype(np.int32))
    return np.concatenate(skus), np.concatenate(day_index), np.concatenate(units)


def _binary_copy(fields: list[tuple[str, np.ndarray]]) -> bytes:
    """A PostgreSQL binary COPY stream of fixed-width columns (all non-null)."""
    n = len(fields[0][1])
    dtype = [("count", ">i2")]
    for i, (kind, _values) in enumerate(fields):
        dtype += [(f"len{i}", ">i4"), (f"v{i}", kind)]
    rows = np.empty(n, dtype=dtype)
    rows["count"] = len(fields)
    for i, (kind, values) in enumerate(fields):
        rows[f"len{i}"] = np.dtype(kind).itemsize
        rows[f"v{i}"] = values
    return b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8 + rows.tobytes() + b"\xff\xff"


_DIGITS = np.array([list(f"{i:04d}".encode()) for i in range(10_000)], dtype=np.uint8)


def _fixed_refs(prefix: bytes, numbers: np.ndarray, width: int = 12) -> np.ndarray:
    """``prefix`` + zero-padded ``numbers`` (``width`` digits, a multiple of 4) as fixed-width
    bytes, four digits per table look-up (np.char runs Python per element: minutes here)."""
    rest = numbers.astype(np.int64)
    groups = []
    for _ in range(width // 4):
        groups.append(_DIGITS[rest % 10_000])
        rest //= 10_000
    head = np.broadcast_to(np.frombuffer(prefix, dtype=np.uint8), (len(numbers), len(prefix)))
    out = np.concatenate([head, *groups[::-1]], axis=1)
    return out.view(f"S{len(prefix) + width}")[:, 0]


def _copy_in(raw, sql: str, stream: bytes) -> None:
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for at in range(0, len(stream), 1 << 24):
            copy.write(stream[at : at + (1 << 24)])


def _drop_movement_extras(session):
    """Drop the movement table's foreign keys and secondary indexes; their definitions."""
    from sqlalchemy import text

    keys = session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'movement'::regclass AND contype IN ('f', 'u')"
        )
    ).all()
    for name, _ in keys:
        session.execute(text(f'ALTER TABLE movement DROP CONSTRAINT "{name}"'))
    indexes = session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'movement'"
            " AND indexname NOT LIKE 'pk_%'"
        )
    ).all()
    for name, _ in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    session.commit()
    return keys, indexes


def load_postgres(session, pool_id, inst_id, sku_ids, skus, day_index, units, first):
    """Binary COPY of the movements into the emptied table (FREEZE: written as settled rows,
    no hint-bit rewrite on the first read), with the foreign keys and secondary indexes
    dropped; then the indexes rebuilt and the keys added back NOT VALID (the rows are built
    consistent: a validating scan per key would only add minutes to the set-up)."""
    from sqlalchemy import text

    timings = {}
    t = time.perf_counter()
    keys, indexes = _drop_movement_extras(session)
    raw = session.connection().connection.driver_connection
    micros = (
        dt.datetime.combine(first, dt.time(12), tzinfo=dt.UTC) - PG_EPOCH
    ).total_seconds() * 1_000_000
    n = len(skus)
    ids = np.arange(1, n + 1, dtype=np.int64)
    stream = _binary_copy(
        [
            (">i4", ids),
            (">i4", np.full(n, pool_id)),
            (">i4", sku_ids[skus]),
            ("S4", np.full(n, b"sale")),
            (">i4", -units),
            (">i4", np.zeros(n, np.int32)),
            (">i4", np.zeros(n, np.int32)),
            ("S18", _fixed_refs(b"bench:", ids)),
            (">i4", np.full(n, inst_id)),
            ("S13", _fixed_refs(b"o", ids)),
            (">i8", micros + day_index.astype(np.int64) * 86_400_000_000),
        ]
    )
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    sql = (
        "COPY movement (id, pool_id, sku_id, kind, on_hand_delta, committed_delta,"
        " on_hand_after, external_ref, installation_id, order_ref, created_at)"
        " FROM STDIN (FORMAT binary, FREEZE)"
    )
    session.execute(text("TRUNCATE movement"))  # FREEZE needs the table emptied in this transaction
    _copy_in(raw, sql, stream)
    del stream
    session.execute(text("SELECT setval('movement_id_seq', :last)"), {"last": int(ids[-1])})
    session.commit()
    timings["copy"] = time.perf_counter() - t
    t = time.perf_counter()
    session.execute(text("SET maintenance_work_mem = '512MB'"))
    for _name, definition in indexes:
        session.execute(text(definition))
    session.commit()
    timings["indexes"] = time.perf_counter() - t
    t = time.perf_counter()
    for name, definition in keys:
        valid = "" if definition.startswith("UNIQUE") else " NOT VALID"
        session.execute(text(f'ALTER TABLE movement ADD CONSTRAINT "{name}" {definition}{valid}'))
    session.commit()
    timings["keys"] = time.perf_counter() - t
    t = time.perf_counter()
    conn = session.connection().connection.driver_connection
    session.commit()
    conn.autocommit = True
    try:
        conn.execute("VACUUM ANALYZE movement")
        conn.execute("VACUUM ANALYZE sku")
    finally:
        conn.autocommit = False
    timings["vacuum"] = time.perf_counter() - t
    return timings


def load_sqlite(session, pool_id, inst_id, sku_ids, skus, day_index, units, first):
    from sqlalchemy import insert

    from models import Movement

    base = dt.datetime.combine(first, dt.time(12), tzinfo=dt.UTC)
    t = time.perf_counter()
    for lo in range(0, len(skus), 200_000):
        hi = min(len(skus), lo + 200_000)
        session.execute(
            insert(Movement),
            [
                {
                    "pool_id": pool_id,
                    "sku_id": int(sku_ids[s]),
                    "kind": "sale",
                    "on_hand_delta": -int(u),
                    "committed_delta": 0,
                    "on_hand_after": 0,
                    "external_ref": f"bench:{i}",
                    "installation_id": inst_id,
                    "order_ref": f"o{i}",
                    "created_at": base + dt.timedelta(days=int(d)),
                }
                for i, s, d, u in zip(
                    range(lo, hi), skus[lo:hi], day_index[lo:hi], units[lo:hi], strict=True
                )
            ],
        )
        session.commit()
    return {"insert": time.perf_counter() - t}


def make_skus(session, n_skus: int, created: dt.datetime):
    from sqlalchemy import insert, select

    from models import Installation, Sku, StockPool

    pool = StockPool(name="bench", settings={})
    session.add(pool)
    session.flush()
    inst = Installation(
        platform="shopify", shop_domain="bench.myshopify.com", status="active",
        pool_id=pool.id, settings={},
    )  # fmt: skip
    inst.credentials = {"access_token": "shpat_" + "b" * 32}
    session.add(inst)
    session.flush()
    rng = np.random.default_rng(7)
    prices = rng.integers(500, 20_000, n_skus)
    stock = rng.integers(0, 200, n_skus)
    rows = (
        {
            "pool_id": pool.id,
            "key": f"sku-{i:06d}",
            "sku": f"SKU-{i:06d}",
            "on_hand": int(stock[i]),
            "committed": 0,
            "safety_buffer": 0,
            "is_bundle": False,
            "reorder_planned": False,
            "price_minor": int(prices[i]) if i % 10 else None,
            "created_at": created,
            "updated_at": created,
        }  # fmt: skip
        for i in range(n_skus)
    )
    if session.get_bind().dialect.name == "postgresql":
        columns = list(Sku.__table__.columns.keys())
        columns = [c for c in columns if c not in ("id", "barcode", "name", "supplier_id",
                                                   "unit_cost_minor")]  # fmt: skip
        raw = session.connection().connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY sku ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[c] for c in columns])
    else:
        session.execute(insert(Sku), list(rows))
    session.commit()
    ids = np.array(
        session.scalars(select(Sku.id).where(Sku.pool_id == pool.id).order_by(Sku.id)).all()
    )
    return pool.id, inst.id, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()

    import psycopg
    from cryptography.fernet import Fernet

    name = None
    if args.db == "postgres":
        name = f"sg_bench_forecast_{os.getpid()}_{secrets.token_hex(2)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        url += "/" + name
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='sg-bench-fc-')}/bench.db"
    try:
        run(args, url, Fernet.generate_key().decode())
    finally:
        if name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args, url: str, key: str) -> None:
    from sqlalchemy import func, select

    from app import create_app
    from extensions import db
    from migrations import upgrade
    from models import Forecast, utcnow
    from sync import forecast

    upgrade(url)
    app = create_app(
        {"ENV": "bench", "SECRET_KEY": secrets.token_urlsafe(32), "TOKEN_ENCRYPTION_KEY": key,
         "SHOPIFY_API_KEY": "k", "SHOPIFY_API_SECRET": "s" * 32, "DATABASE_URL": url,
         "REDIS_URL": None, "APP_URL": "https://stockguard.example", "LOG_LEVEL": "WARNING"}
    )  # fmt: skip
    today = utcnow().date()
    first = today - dt.timedelta(days=args.days)
    with app.app_context():
        session = db.session
        t = time.perf_counter()
        pool_id, inst_id, sku_ids = make_skus(
            session, args.skus, dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        )
        t_skus = time.perf_counter() - t
        t = time.perf_counter()
        skus, day_index, units = generate(args.skus, args.days)
        t_gen = time.perf_counter() - t
        loader = load_postgres if args.db == "postgres" else load_sqlite
        steps = loader(session, pool_id, inst_id, sku_ids, skus, day_index, units, first)
        print(f"database    {args.db}, {args.skus:,} SKUs × {args.days} days")
        print(f"history     {len(skus):,} movements ({len(skus) / args.skus / args.days:.0%} of "
              f"SKU-days sell), {int(units.sum()):,} units")  # fmt: skip
        print(f"set-up      SKUs {t_skus:.1f} s, generate (NumPy) {t_gen:.1f} s, load "
              + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
              + f"; {t_skus + t_gen + sum(steps.values()):.1f} s in all")  # fmt: skip
        del skus, day_index, units

        session.remove()
        session = db.session
        for attempt in ("cold", "warm"):
            timings = {}
            t = time.perf_counter()
            count = forecast.refresh(session, pool_id, timings=timings)
            t_commit = time.perf_counter()
            session.commit()
            done = time.perf_counter()
            timings["commit"] = done - t_commit
            total = done - t
            print(f"run ({attempt})  {count:,} SKUs: load {timings['load']:.1f} s, compute "
                  f"{timings['compute']:.1f} s, write {timings['write']:.1f} s, commit "
                  f"{timings['commit']:.1f} s; total {total:.1f} s")  # fmt: skip
            session.remove()
            session = db.session
        rows = session.scalar(select(func.count()).select_from(Forecast))
        classes = dict(
            session.execute(select(Forecast.abc, func.count()).group_by(Forecast.abc)).all()
        )
        at_risk = session.scalar(
            select(func.count()).where(Forecast.stockout_on <= today + dt.timedelta(days=14))
        )
        print(f"forecast    {rows:,} rows; ABC {classes}; {at_risk:,} run out within 14 days")
        print("aim         < 30 s for the refresh (total) on the 2-core machine")


if __name__ == "__main__":
    main()
