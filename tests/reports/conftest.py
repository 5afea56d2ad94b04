"""Stores, SKUs and a ledger built through the project's own functions (sync.ledger), dated as
the reports need them; panel tokens to call the API as each store's panel does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import update

from models import Installation, Movement, Sku, StockPool, sku_key, utcnow
from sync import ledger


@dataclass
class Store:
    installation_id: int
    pool_id: int
    token: str
    skus: dict = field(default_factory=dict)  # code -> sku id

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


def make_store(session, domain: str, currency: str | None = "EUR", pool_id=None) -> Store:
    from views.admin_api import panel_token

    if pool_id is None:
        pool = StockPool(name=domain, settings={"currency": currency} if currency else {})
        session.add(pool)
        session.flush()
        pool_id = pool.id
    inst = Installation(
        platform="shopify",
        shop_domain=domain,
        status="active",
        pool_id=pool_id,
        settings={"location_ref": "gid://shopify/Location/1"},
    )
    inst.credentials = {"access_token": "shpat_" + "s" * 32}
    session.add(inst)
    session.flush()
    return Store(inst.id, pool_id, panel_token(inst.id))


def add_sku(session, store: Store, code: str, *, cost=None, price=None, name=None) -> int:
    row = Sku(
        pool_id=store.pool_id,
        key=sku_key(code),
        sku=code,
        name=name or f"Product {code}",
        on_hand=0,
        committed=0,
        safety_buffer=0,
        unit_cost_minor=cost,
        price_minor=price,
    )
    session.add(row)
    session.flush()
    store.skus[code] = row.id
    return row.id


def move(session, store: Store, code: str, kind: str, delta: int, days_ago: float, ref: str,
         order_ref: str | None = None) -> None:  # fmt: skip
    """One ledger movement through sync.ledger, then dated ``days_ago`` (the report's clock)."""
    skus = ledger.lock_skus(session, [store.skus[code]])
    movement_id = ledger.record(
        session,
        skus[store.skus[code]],
        kind,
        delta,
        ref,
        installation_id=store.installation_id,
        order_ref=order_ref,
    )
    assert movement_id is not None
    session.execute(
        update(Movement)
        .where(Movement.id == movement_id)
        .values(created_at=utcnow() - dt.timedelta(days=days_ago))
    )


@pytest.fixture
def shop(app, db_session):
    """The known-answer pool (EUR) and a second pool with the same SKU codes and big numbers."""
    s = db_session
    main = make_store(s, "main.myshopify.com")
    add_sku(s, main, "A", cost=1000, price=2500)  # 10.00 / 25.00
    add_sku(s, main, "B", cost=200, price=500)  # never sells
    add_sku(s, main, "C", price=800)  # no cost
    add_sku(s, main, "D", cost=100)  # no price; sold out 40 days ago
    for code, units in (("A", 100), ("B", 50), ("C", 40), ("D", 10)):
        move(s, main, code, Movement.INITIAL, units, 60, f"initial:{main.installation_id}:{code}")
    move(s, main, "A", Movement.SALE, -20, 10, "main:o1:l1", "o1")
    move(s, main, "A", Movement.SALE, -10, 5, "main:o2:l1", "o2")
    move(s, main, "A", Movement.RESTOCK, 5, 3, "main:o2:r1", "o2")  # part of o2 cancelled
    move(s, main, "C", Movement.SALE, -4, 2, "main:o3:l1", "o3")
    move(s, main, "D", Movement.SALE, -10, 40, "main:o4:l1", "o4")
    # Not sales: a count made on the channel, and a supplier delivery.
    move(s, main, "B", Movement.ADJUSTMENT, -3, 4, "main:adj:1")
    move(s, main, "B", Movement.RECEIPT, 3, 1, "main:receipt:1")

    other = make_store(s, "other.myshopify.com", currency="USD")
    add_sku(s, other, "A", cost=99_900, price=150_000)
    move(s, other, "A", Movement.INITIAL, 1000, 60, "initial:other:A")
    move(s, other, "A", Movement.SALE, -700, 1, "other:o1:l1", "o1")
    s.commit()
    return main, other
