"""The nightly forecast at scale: 100,000 SKUs × 365 days of sales history, timed end to end.

    .venv/bin/python bench/forecast.py [--skus 100000] [--days 365] [--db postgres|sqlite]

Builds a private database (PostgreSQL by default, dropped afterwards; or a SQLite file), fills
it with generated sales — one ledger movement per SKU and day with sales, Poisson around a
per-SKU rate (long tail: most SKUs sell rarely) with a weekday pattern — loaded in bulk
(PostgreSQL: binary COPY built with NumPy, indexes created after the load; SQLite:
executemany), then times ``sync.forecast.refresh`` for the whole pool: load (SQL + COPY out),
compute (NumPy), write (COPY of the Forecast rows) and commit. Prints the figures.
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
    """(sku index, day index, units) of every SKU-day with sales."""
    rng = np.random.default_rng(seed)
    rate = rng.lognormal(mean=-1.0, sigma=1.3, size=n_skus)
    weekday = np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.15, 1.0])
    skus, day_index, units = [], [], []
    for lo in range(0, n_skus, 10_000):  # in blocks: 10,000 × 365 at a time
        hi = min(n_skus, lo + 10_000)
        lam = rate[lo:hi, None] * weekday[np.arange(days) % 7][None, :]
        sold = rng.poisson(lam)
        row, col = np.nonzero(sold)
        skus.append(row + lo)
        day_index.append(col)
        units.append(sold[row, col])
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


def load_postgres(session, pool_id, inst_id, sku_ids, skus, day_index, units, first):
    from sqlalchemy import text

    raw = session.connection().connection.driver_connection
    indexes = session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'movement'"
            " AND indexname NOT LIKE 'pk_%'"
        )  # fmt: skip
    ).all()
    for name, _ in indexes:
        session.execute(text(f'ALTER TABLE movement DROP CONSTRAINT IF EXISTS "{name}"'))
        session.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    micros = (
        dt.datetime.combine(first, dt.time(12), tzinfo=dt.UTC) - PG_EPOCH
    ).total_seconds() * 1_000_000
    n = len(skus)
    refs = np.char.add(b"bench:", np.char.zfill(np.arange(n).astype("S10"), 10))
    stream = _binary_copy(
        [
            (">i4", np.full(n, pool_id)),
            (">i4", sku_ids[skus]),
            ("S4", np.full(n, b"sale")),
            (">i4", -units),
            (">i4", np.zeros(n)),
            (">i4", np.zeros(n)),
            ("S16", refs),
            (">i4", np.full(n, inst_id)),
            (">i8", micros + day_index.astype(np.int64) * 86_400_000_000),
        ]
    )
    sql = (
        "COPY movement (pool_id, sku_id, kind, on_hand_delta, committed_delta, on_hand_after,"
        " external_ref, installation_id, created_at) FROM STDIN (FORMAT binary)"
    )
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for at in range(0, len(stream), 1 << 24):
            copy.write(stream[at : at + (1 << 24)])
    session.commit()
    for _name, definition in indexes:
        session.execute(text(definition))
    session.commit()
    session.execute(text("ANALYZE movement"))
    session.commit()


def load_sqlite(session, pool_id, inst_id, sku_ids, skus, day_index, units, first):
    from sqlalchemy import insert

    from models import Movement

    base = dt.datetime.combine(first, dt.time(12), tzinfo=dt.UTC)
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
                    "created_at": base + dt.timedelta(days=int(d)),
                }
                for i, s, d, u in zip(
                    range(lo, hi), skus[lo:hi], day_index[lo:hi], units[lo:hi], strict=True
                )
            ],
        )
        session.commit()


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
    session.execute(
        insert(Sku),
        [
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
        ],
    )
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
    from sync.forecast import model, series

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
        t0 = time.perf_counter()
        pool_id, inst_id, sku_ids = make_skus(
            session, args.skus, dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        )
        skus, day_index, units = generate(args.skus, args.days)
        loader = load_postgres if args.db == "postgres" else load_sqlite
        loader(session, pool_id, inst_id, sku_ids, skus, day_index, units, first)
        built = time.perf_counter() - t0
        print(f"database    {args.db}, {args.skus:,} SKUs × {args.days} days")
        print(f"history     {len(skus):,} movements ({len(skus) / args.skus / args.days:.0%} of "
              f"SKU-days sell), {int(units.sum()):,} units; built in {built:.1f} s")  # fmt: skip

        session.remove()
        session = db.session
        for attempt in ("cold", "warm"):
            t = time.perf_counter()
            matrix = series.daily_sales(session, pool_id, sku_ids, first, args.days)
            t_load = time.perf_counter() - t
            t = time.perf_counter()
            model.demand(matrix, np.zeros(len(sku_ids), int), first.weekday())
            t_model = time.perf_counter() - t
            session.rollback()
            t = time.perf_counter()
            count = forecast.refresh(session, pool_id)
            session.commit()
            total = time.perf_counter() - t
            print(f"run ({attempt})  {total:6.1f} s total for {count:,} SKUs "
                  f"(sales load alone {t_load:.1f} s, demand maths {t_model:.1f} s)")  # fmt: skip
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
        print("aim         < 30 s for the full run on the 2-core machine")


if __name__ == "__main__":
    main()
