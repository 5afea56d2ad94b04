"""The same mirror with no other service: in-process jobs (and SQLite when the run uses it)."""

from __future__ import annotations

from tests.sync.harness import PUBLIC, SHOP, connect


def test_orders_mirror_both_ways_with_the_in_process_runner(live_app, shopify_sandbox, woo_sandbox):
    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC
    stores = connect(live_app, shopify_sandbox, woo_sandbox, {"CUP": (6, 2)}, loopback=loopback)
    stores.converge({"CUP": 6})
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["CUP"]["id"], "quantity": 2}]
    )
    stores.converge({"CUP": 4})
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["CUP"]["id"], "quantity": 3}]
    )
    stores.converge({"CUP": 1})
