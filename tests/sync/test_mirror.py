"""One stock truth across a Shopify and a WooCommerce store, end to end through real HTTP,
PostgreSQL, Redis and RQ worker processes."""

from __future__ import annotations

import pytest

from models import Movement
from tests.sync.harness import SHOP, listing_status

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_import_links_by_sku_and_the_first_store_seeds_the_pool(stores):
    # Shopify came first: its numbers are the truth; WooCommerce was told them.
    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 3})
    assert set(listing_status(stores.app, stores.woo_id).values()) == {"linked"}
    initial = stores.movements(Movement.INITIAL)
    assert sorted(m.on_hand_delta for m in initial) == [3, 5, 10]


def test_order_on_shopify_lowers_woocommerce(stores):
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["TEE-M"]["id"], "quantity": 2}]
    )
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 3})
    [sale] = stores.movements(Movement.SALE)
    assert sale.on_hand_delta == -2 and sale.installation_id == stores.shopify_id


def test_order_on_woocommerce_lowers_shopify(stores):
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["MUG"]["id"], "quantity": 2}]
    )
    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 1})
    [sale] = stores.movements(Movement.SALE)
    assert sale.on_hand_delta == -2 and sale.installation_id == stores.woo_id


def test_cancellations_restore_on_both_channels(stores):
    order = stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["TEE-L"]["id"], "quantity": 3}]
    )
    woo_order = stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["TEE-L"]["id"], "quantity": 1}]
    )
    stores.converge({"TEE-L": 1, "TEE-M": 10, "MUG": 3})
    stores.shopify.cancel_order(SHOP, order["id"], restock=True)
    stores.woo.set_order_status(woo_order["id"], "cancelled")
    stores.converge({"TEE-L": 5, "TEE-M": 10, "MUG": 3})
    assert sum(m.on_hand_delta for m in stores.movements(Movement.RESTOCK)) == 4


def test_manual_edits_on_either_channel_propagate(stores):
    stores.shopify.set_available(
        SHOP, stores.shopify_variants["MUG"]["inventory_item_id"], None, 12
    )
    stores.converge({"MUG": 12, "TEE-M": 10, "TEE-L": 5})
    stores.woo.set_stock(stores.woo_products["TEE-M"]["id"], 4)
    stores.converge({"MUG": 12, "TEE-M": 4, "TEE-L": 5})
    adjustments = {
        (m.installation_id, m.on_hand_delta) for m in stores.movements(Movement.ADJUSTMENT)
    }
    assert adjustments == {(stores.shopify_id, 9), (stores.woo_id, -6)}


def test_our_own_writes_never_come_back_as_movements(stores):
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["TEE-M"]["id"], "quantity": 1}]
    )
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["TEE-M"]["id"], "quantity": 1}]
    )
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 3})
    stores.idle()
    kinds = [m.kind for m in stores.movements() if m.kind != Movement.INITIAL]
    # Our pushes produced inventory_levels/update and product.updated echoes: none of them moved stock.
    assert kinds == [Movement.SALE, Movement.SALE]


def test_duplicate_and_out_of_order_deliveries_change_nothing(stores):
    variant = stores.shopify_variants["TEE-M"]["id"]
    order = stores.shopify.place_order(
        SHOP, [{"variant_id": variant, "quantity": 2}], webhook_order="shuffle"
    )
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 3})
    for delivery in list(stores.shopify.deliveries):
        stores.shopify.redeliver(delivery)  # Shopify retries: same event ids
    # A WooCommerce order's snapshots delivered again, the older after the newer.
    woo_order = stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["TEE-M"]["id"], "quantity": 1}]
    )
    stores.converge({"TEE-M": 7, "TEE-L": 5, "MUG": 3})
    stores.woo.set_order_status(woo_order["id"], "cancelled")
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 3})
    # Now the creation snapshot (5 units... reduced 1) arrives again, after the cancellation.
    for delivery in [d for d in stores.woo.deliveries if d.topic == "order.created"]:
        assert stores.woo.redeliver(delivery) == 200
    stores.idle()
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 3})
    assert order["id"]


def test_a_lost_webhook_is_repaired_by_reconcile(stores):
    from sync.reconcile import reconcile_installation

    # Shopify's notifications of this edit never reach us.
    stores.shopify.drop_webhooks()
    stores.shopify.set_available(
        SHOP, stores.shopify_variants["TEE-L"]["inventory_item_id"], None, 2
    )
    stores.shopify.keep_webhooks()
    stores.idle()
    assert stores.woo_level("TEE-L") == 5  # nobody told WooCommerce
    with stores.app.app_context():
        report = reconcile_installation(stores.shopify_id)
    assert report["drifted"] == 1 and report["units"] == 3
    stores.converge({"TEE-L": 2, "TEE-M": 10, "MUG": 3})
    [fix] = stores.movements(Movement.RECONCILE)
    assert fix.on_hand_delta == -3 and fix.installation_id == stores.shopify_id


def test_reconcile_re_enables_webhooks_woocommerce_disabled(stores):
    from sync.reconcile import reconcile_installation

    for hook in stores.woo.webhooks:
        hook.status = "disabled"
    with stores.app.app_context():
        report = reconcile_installation(stores.woo_id)
    assert len(report["webhooks"]["updated"]) == 4
    assert {h.status for h in stores.woo.webhooks} == {"active"}


def test_a_bundle_sale_lowers_its_components_everywhere(stores):
    from extensions import db
    from sync.bundles import define_bundle

    # A two-pack of TEE-M is sold on both stores under its own SKU.
    pack = stores.shopify.create_product(
        SHOP, "Tee two-pack", variants=[{"sku": "PACK-2M", "available": 0}]
    )
    stores.shopify_variants["PACK-2M"] = pack["variants"][0]
    stores.woo_products["PACK-2M"] = stores.woo.create_product(
        "Tee two-pack", sku="PACK-2M", stock_quantity=0
    )
    from sync.catalog import import_catalog

    with stores.app.app_context():
        import_catalog(stores.shopify_id)
        import_catalog(stores.woo_id)
        define_bundle(db.session, stores.pool_id, "pack-2m", [("TEE-M", 2)])
        db.session.commit()
    stores.converge({"PACK-2M": 5, "TEE-M": 10})
    stores.shopify.place_order(SHOP, [{"variant_id": pack["variants"][0]["id"], "quantity": 2}])
    stores.converge({"PACK-2M": 3, "TEE-M": 6, "TEE-L": 5})
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["TEE-M"]["id"], "quantity": 1}]
    )
    stores.converge({"PACK-2M": 2, "TEE-M": 5})
    [moved] = [m for m in stores.movements(Movement.BUNDLE)]
    assert moved.on_hand_delta == -4 and "PACK-2M" in moved.note


def test_an_order_arriving_after_its_change_was_folded_is_not_counted_twice(stores):
    """The order's webhook is held back (a lagging queue, a retry hours later): the settle folds
    the level change as an adjustment; when the order arrives, its sale is recorded and the
    fold's share is taken back — the truth moves by the order's units once."""
    stores.shopify.drop_webhooks("orders/create", 1)
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["TEE-M"]["id"], "quantity": 2}]
    )
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 3})  # folded from inventory_levels/update
    [fold] = stores.movements(Movement.ADJUSTMENT)
    assert fold.on_hand_delta == -2 and stores.movements(Movement.SALE) == []

    [late] = [e for e in stores.shopify.webhook_log if e.topic == "orders/create" and e.dropped]
    stores.shopify.deliver_webhook(SHOP, "orders/create", late.payload, event_id=late.event_id)
    stores.idle()
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 3})
    [sale] = stores.movements(Movement.SALE)
    adjustments = sorted(m.on_hand_delta for m in stores.movements(Movement.ADJUSTMENT))
    assert sale.on_hand_delta == -2 and adjustments == [-2, 2]


WOO_BATCH = "/products/batch"


def test_a_woocommerce_restock_our_write_overwrote_is_written_back(stores):
    """WooCommerce has no compare-and-set: a cancellation landing between our read of the level
    and our write is overwritten by the write. Its webhook's restock must not then be taken for
    a change the channel made (the next read shows the level without it): the ledger keeps it,
    and the channel is written the ledger's figure."""
    order = stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["TEE-L"]["id"], "quantity": 3}]
    )
    woo_order = stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["TEE-L"]["id"], "quantity": 1}]
    )
    stores.converge({"TEE-L": 1, "TEE-M": 10, "MUG": 3})
    # The Shopify restock is pushed to WooCommerce (read 1, write 4); the WooCommerce order is
    # cancelled in between (1 → 2 on the store), and the write makes it 4.
    stores.woo.before_next(
        WOO_BATCH, lambda: stores.woo.set_order_status(woo_order["id"], "cancelled")
    )
    stores.shopify.cancel_order(SHOP, order["id"], restock=True)
    stores.converge({"TEE-L": 5, "TEE-M": 10, "MUG": 3})
    stores.idle()
    stores.converge({"TEE-L": 5, "TEE-M": 10, "MUG": 3})
    assert sorted(m.on_hand_delta for m in stores.movements(Movement.RESTOCK)) == [1, 3]
    assert stores.movements(Movement.ADJUSTMENT) == []


def test_a_woocommerce_sale_our_write_overwrote_counts_once(stores):
    """A shopper buys on WooCommerce between our read and our write: the write puts the unit
    back on the store, the order's webhook records the sale, and the next push writes the level
    with the sale in it. Nothing is counted twice, nothing invented."""
    stores.woo.before_next(
        WOO_BATCH,
        lambda: stores.woo.place_order(
            line_items=[{"product_id": stores.woo_products["MUG"]["id"], "quantity": 1}]
        ),
    )
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["MUG"]["id"], "quantity": 1}]
    )
    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 1})
    stores.idle()
    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 1})
    assert sorted(m.on_hand_delta for m in stores.movements(Movement.SALE)) == [-1, -1]
    assert [m.kind for m in stores.movements() if m.kind != Movement.INITIAL] == [
        Movement.SALE,
        Movement.SALE,
    ]


def test_woocommerce_orders_placed_before_the_install_are_not_sold_again(
    served_rq_app, shopify_sandbox, woo_sandbox
):
    """Orders a WooCommerce store took before StockGuard linked its products are in the levels
    it read then. Completing one later moves nothing; cancelling one puts its units back on
    the store, a change made there, which the mirror takes in like any other."""
    from tests.sync.conftest import STOCK
    from tests.sync.harness import connect

    app, loopback = served_rq_app
    earlier = {}

    def shop_before(stores):
        for sku in ("TEE-M", "MUG"):
            earlier[sku] = stores.woo.place_order(
                line_items=[{"product_id": stores.woo_products[sku]["id"], "quantity": 2}]
            )
            stores.woo.store.orders[earlier[sku]["id"]].date_created -= 3600  # an hour ago

    stores = connect(
        app, shopify_sandbox, woo_sandbox, STOCK, loopback=loopback, before_install=shop_before
    )
    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 3})  # Shopify's figures seed the pool
    stores.woo.set_order_status(earlier["TEE-M"]["id"], "completed")
    stores.woo.set_order_status(earlier["MUG"]["id"], "cancelled")  # 2 back on the shelf
    stores.idle()
    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 5})
    assert stores.movements(Movement.SALE) == []
    [back] = [m for m in stores.movements() if m.kind != Movement.INITIAL]
    assert back.on_hand_delta == 2 and back.installation_id == stores.woo_id


def test_woocommerce_orders_whose_webhooks_were_lost_are_applied_by_reconcile(stores):
    """WooCommerce disables a webhook after failures and never retries: orders taken then reach
    StockGuard only through the reconcile, which reads the orders changed since its last scan.
    They count as the sales they were — also the one our write overwrote on the store, whose
    drop no level shows any more."""
    from sync.reconcile import reconcile_installation

    for hook in stores.woo.webhooks:
        hook.status = "disabled"
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["TEE-L"]["id"], "quantity": 2}]
    )
    # A Shopify sale is pushed to WooCommerce (read 3, write 2); a WooCommerce sale of the last
    # units lands between the read and the write, which puts them back on the store.
    stores.woo.before_next(
        WOO_BATCH,
        lambda: stores.woo.place_order(
            line_items=[{"product_id": stores.woo_products["MUG"]["id"], "quantity": 2}]
        ),
    )
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["MUG"]["id"], "quantity": 1}]
    )
    stores.idle()
    with stores.app.app_context():
        report = reconcile_installation(stores.woo_id)
    assert report["orders"] == 2
    assert {h.status for h in stores.woo.webhooks} == {"active"}
    stores.converge({"TEE-M": 10, "TEE-L": 3, "MUG": 0})
    sales = {(m.installation_id, m.on_hand_delta) for m in stores.movements(Movement.SALE)}
    assert (
        sales == {(stores.woo_id, -2), (stores.shopify_id, -1)}
        and len(stores.movements(Movement.SALE)) == 3
    )
    assert [m for m in stores.movements() if m.kind not in (Movement.INITIAL, Movement.SALE)] == []
