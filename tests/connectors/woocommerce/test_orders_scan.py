"""The reconcile's scan of WooCommerce orders changed since a time, through the connector."""

from __future__ import annotations

import datetime as dt

from connectors.registry import storefront
from models import Installation

SECOND = 1_800_000_000  # 2027-01-15 08:00:00 UTC


def _store(db_session, woo_sandbox) -> Installation:
    key = woo_sandbox.create_api_key()
    inst = Installation(
        platform="woocommerce", shop_domain=woo_sandbox.base_url, status="active", settings={}
    )
    inst.credentials = {"consumer_key": key.consumer_key, "consumer_secret": key.consumer_secret}
    db_session.add(inst)
    db_session.commit()
    return inst


def test_every_order_changed_since_comes_once_even_past_a_page_within_one_second(
    app, db_session, woo_sandbox
):
    """250 orders changed in the same second (more than a page), then 3 later ones, then one
    changed before ``since``: the scan yields the 253 once each, as stock snapshots."""
    store = _store(db_session, woo_sandbox)
    product = woo_sandbox.create_product("Scan", sku="SCAN", stock_quantity=1000)
    orders = [
        woo_sandbox.place_order(line_items=[{"product_id": product["id"], "quantity": 1}])
        for _ in range(254)
    ]
    for i, order in enumerate(orders):
        stamp = SECOND - 600 if i == 253 else SECOND + (0 if i < 250 else 5 + i)
        woo_sandbox.store.orders[order["id"]].date_modified = stamp
    since = dt.datetime.fromtimestamp(SECOND - 1, dt.UTC)
    pages = list(storefront("woocommerce").orders_since(store, since))
    snapshots = [s for page in pages for s in page]
    assert len(snapshots) == 253
    assert {s.order_ref for s in snapshots} == {str(o["id"]) for o in orders[:253]}
    assert all(s.lines[0].quantity == 1 and s.created_at for s in snapshots)
