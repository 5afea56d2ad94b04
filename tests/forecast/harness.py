"""A pool whose sales history is written through the real ledger, dated in the past.

Movements go through ``sync.ledger`` exactly as channel orders do (sale −units with the order's
reference, restock +units when it is cancelled, bundles through their components); only their
``created_at`` is moved back to the day the history says, as a ledger that ran for months has.
"""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select, update

from models import Forecast, Installation, Movement, Sku, StockPool, utcnow
from sync import ledger

_refs = itertools.count(1)


def today() -> dt.date:
    return utcnow().date()


def noon(days_ago: int) -> dt.datetime:
    day = today() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def make_pool(session, skus: dict[str, int], settings: dict | None = None, created_days_ago=400):
    """A pool with one store and ``{sku: on_hand}``; SKUs exist since ``created_days_ago``."""
    pool = StockPool(name="forecast", settings=settings or {})
    session.add(pool)
    session.flush()
    inst = Installation(
        platform="shopify", shop_domain=f"fc-{pool.id}.myshopify.com", status="active",
        pool_id=pool.id, settings={},
    )  # fmt: skip
    inst.credentials = {"access_token": "shpat_" + "x" * 32}
    session.add(inst)
    ids = {}
    for name, on_hand in skus.items():
        row = Sku(pool_id=pool.id, key=name.casefold(), sku=name, name=f"Product {name}")
        row.on_hand = on_hand
        row.created_at = noon(created_days_ago)
        session.add(row)
        session.flush()
        ids[name] = row.id
    session.commit()
    return pool.id, inst.id, ids


def add_channel(session, pool_id: int, domain: str) -> int:
    inst = Installation(
        platform="woocommerce", shop_domain=domain, status="active", pool_id=pool_id, settings={}
    )
    inst.credentials = {"consumer_key": "ck_" + "x" * 20, "consumer_secret": "cs_" + "y" * 20}
    session.add(inst)
    session.commit()
    return inst.id


def _backdate(session, ids, days_ago: int) -> None:
    ids = [i for i in ids if i is not None]
    if ids:
        session.execute(
            update(Movement).where(Movement.id.in_(ids)).values(created_at=noon(days_ago))
        )


def sell(session, sku_id, units, days_ago, *, inst=None, order=None, committed=False):
    """An order taking ``units`` of the SKU ``days_ago`` days ago (kept on_hand, only
    committed, when ``committed``: an open order the channel reserves). Returns its ref."""
    order = order or f"o{next(_refs)}"
    skus = ledger.lock_skus(session, [sku_id])
    sku = skus[sku_id]
    ref = f"test:{inst}:order:{order}:line:1:sold"
    moved = (
        ledger.record(
            session,
            sku,
            Movement.SALE,
            0,
            ref,
            committed_delta=units,
            installation_id=inst,
            order_ref=order,
        )  # fmt: skip
        if committed
        else ledger.record(
            session, sku, Movement.SALE, -units, ref, installation_id=inst, order_ref=order
        )  # fmt: skip
    )
    _backdate(session, [moved], days_ago)
    session.commit()
    return order


def cancel(session, sku_id, units, days_ago, *, inst, order):
    """The order's units come back (cancelled, refused on delivery, refunded)."""
    skus = ledger.lock_skus(session, [sku_id])
    moved = ledger.record(
        session, skus[sku_id], Movement.RESTOCK, units, f"test:{inst}:order:{order}:restock",
        installation_id=inst, order_ref=order,
    )  # fmt: skip
    _backdate(session, [moved], days_ago)
    session.commit()


def other(session, sku_id, kind, units, days_ago):
    """A stock change that is not a sale (adjustment, reconcile, receipt, manual...)."""
    skus = ledger.lock_skus(session, [sku_id])
    moved = ledger.record(session, skus[sku_id], kind, units, f"test:{kind}:{next(_refs)}")
    _backdate(session, [moved], days_ago)
    session.commit()


def sell_bundle(session, bundle_id, units, days_ago, *, inst=None):
    skus = ledger.lock_skus(session, [bundle_id])
    before = session.scalar(select(Movement.id).order_by(Movement.id.desc()).limit(1)) or 0
    order = f"b{next(_refs)}"
    ledger.apply(session, skus, skus[bundle_id], Movement.SALE, -units,
                 f"test:bundle:{order}", installation_id=inst, order_ref=order)  # fmt: skip
    ids = session.scalars(select(Movement.id).where(Movement.id > before)).all()
    _backdate(session, ids, days_ago)
    session.commit()


def history(session, sku_id, daily: list[int], inst=None) -> None:
    """``daily[i]`` units sold ``len(daily) − i`` days ago (the last entry: yesterday)."""
    for i, units in enumerate(daily):
        if units:
            sell(session, sku_id, units, len(daily) - i, inst=inst)


def forecasts(session, pool_id) -> dict[int, Forecast]:
    session.expire_all()
    return {
        row.sku_id: row
        for row in session.scalars(select(Forecast).where(Forecast.pool_id == pool_id))
    }


def set_on_hand(session, sku_id, value) -> None:
    """The merchant counts the shelf: a manual movement to ``value`` (not a sale)."""
    skus = ledger.lock_skus(session, [sku_id])
    delta = value - skus[sku_id].on_hand
    if delta:
        ledger.record(session, skus[sku_id], Movement.MANUAL, delta, f"test:count:{next(_refs)}")
    session.commit()
