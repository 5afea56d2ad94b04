"""Reports and exports on a big pool: 10,000 SKUs, a year of ledger (≈ 400,000 movements).

Prints how long each report of the Reports view takes through the JSON API, and how fast the
ledger streams as CSV, on PostgreSQL (a private database, dropped afterwards).

    .venv/bin/python bench/reports.py [--skus 10000] [--movements 400000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import time

from common import PG_ADMIN


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--movements", type=int, default=400_000)
    args = parser.parse_args()

    import psycopg
    from cryptography.fernet import Fernet

    name = f"sg_bench_reports_{os.getpid()}_{secrets.token_hex(2)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    try:
        from app import create_app
        from migrations import upgrade

        upgrade(url)

        app = create_app({
            "ENV": "bench", "SECRET_KEY": secrets.token_urlsafe(32),
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SHOPIFY_API_KEY": "k", "SHOPIFY_API_SECRET": "s" * 32,
            "APP_URL": "https://stockguard.example", "DATABASE_URL": url, "REDIS_URL": None,
            "LOG_LEVEL": "WARNING",
        })  # fmt: skip
        with app.app_context():
            token = _seed(args.skus, args.movements)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        print(f"pool: {args.skus:,} SKUs, {args.movements:,} movements over 365 days")
        for path in ("reports/stock-value", "reports/turnover?period=365",
                     "reports/slow-movers?period=90", "reports/cash-tied-up?period=90",
                     "reports/best-sellers?period=30", "reports?period=365"):  # fmt: skip
            times = []
            for _ in range(3):
                start = time.perf_counter()
                resp = client.get(f"/admin/api/{path}", headers=headers)
                assert resp.status_code == 200, resp.get_data(as_text=True)
                times.append(time.perf_counter() - start)
            print(f"  GET /admin/api/{path:<32} best of 3: {min(times) * 1000:7.1f} ms")
        for table in ("skus", "movements"):
            start = time.perf_counter()
            resp = client.get(f"/admin/api/export/{table}.csv", headers=headers)
            size = sum(len(chunk) for chunk in resp.response)
            took = time.perf_counter() - start
            print(f"  export {table:<10} {size / 1e6:6.1f} MB in {took:5.2f} s "
                  f"({size / 1e6 / took:5.1f} MB/s)")  # fmt: skip
    finally:
        from extensions import db

        with app.app_context():
            db.engine.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(skus: int, movements: int) -> str:
    from sqlalchemy import select, text

    from extensions import db
    from models import Installation, Movement, Sku, StockPool, utcnow
    from views.admin_api import panel_token

    rng = random.Random(6)
    session = db.session
    pool = StockPool(name="bench", settings={"currency": "EUR"})
    session.add(pool)
    session.flush()
    inst = Installation(platform="shopify", shop_domain="bench.myshopify.com", status="active",
                        pool_id=pool.id, settings={})  # fmt: skip
    inst.credentials = {"access_token": "x"}
    session.add(inst)
    session.flush()
    now = utcnow()
    session.execute(
        db.insert(Sku.__table__),
        [
            {"pool_id": pool.id, "key": f"sku-{n}", "sku": f"SKU-{n}", "name": f"Product {n}",
             "on_hand": rng.randint(0, 400), "committed": 0, "safety_buffer": 0,
             "is_bundle": False, "reorder_planned": False,
             "price_minor": rng.randint(500, 9000) if n % 10 else None,
             "unit_cost_minor": rng.randint(200, 4000) if n % 7 else None,
             "created_at": now, "updated_at": now}
            for n in range(skus)
        ],
    )  # fmt: skip
    ids = list(session.scalars(select(Sku.id).where(Sku.pool_id == pool.id)))
    kinds = [Movement.SALE] * 8 + [Movement.RESTOCK, Movement.ADJUSTMENT]
    batch = []
    for n in range(movements):
        kind = rng.choice(kinds)
        delta = -rng.randint(1, 3) if kind == Movement.SALE else rng.randint(1, 2)
        batch.append({
            "pool_id": pool.id, "sku_id": rng.choice(ids), "kind": kind,
            "on_hand_delta": delta, "committed_delta": 0, "on_hand_after": 0,
            "external_ref": f"bench:{n}", "installation_id": inst.id,
            "order_ref": f"o{n}" if kind != Movement.ADJUSTMENT else None,
            "created_at": now - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
        })  # fmt: skip
        if len(batch) == 20_000:
            session.execute(db.insert(Movement.__table__), batch)
            batch = []
    if batch:
        session.execute(db.insert(Movement.__table__), batch)
    session.commit()
    if not os.environ.get("BENCH_NO_ANALYZE"):  # what autovacuum does on a live database
        session.execute(text("ANALYZE"))
        session.commit()
    return panel_token(inst.id)


if __name__ == "__main__":
    main()
