"""The Shopify inventory connector against the sandbox: pages, throttling, 429, CAS writes."""

from __future__ import annotations

import pytest

from connectors.base import LevelWrite, ListingRef
from connectors.errors import Transient
from connectors.shopify import inventory
from models import Installation

SHOP = "inventory.myshopify.com"


@pytest.fixture
def shop(app, db_session, shopify_sandbox):
    shopify_sandbox.create_shop(SHOP, name="Inventory Store")
    token = shopify_sandbox.issue_token(
        SHOP, ["read_inventory", "write_inventory", "read_products"]
    )
    inst = Installation(platform="shopify", shop_domain=SHOP, status="active", settings={})
    inst.credentials = {"access_token": token}
    db_session.add(inst)
    db_session.commit()
    return inst


def _products(sandbox, n: int, available: int = 5) -> list[dict]:
    return [
        sandbox.create_product(
            SHOP, f"Item {i}", variants=[{"sku": f"SKU-{i}", "available": available}]
        )
        for i in range(n)
    ]


def test_catalog_pages_through_every_variant(app, shop, shopify_sandbox):
    _products(shopify_sandbox, 130)
    location = shopify_sandbox.default_location(SHOP)
    with app.app_context():
        pages = list(inventory.catalog(shop, location))
    assert [len(p) for p in pages] == [100, 30]
    item = pages[0][0]
    assert item.external_id.startswith("gid://shopify/ProductVariant/")
    assert item.level_ref.startswith("gid://shopify/InventoryItem/")
    assert (item.sku, item.quantity, item.tracked) == ("SKU-0", 5, True)


def test_an_empty_bucket_makes_the_client_wait_not_fail(app, shop, shopify_sandbox):
    _products(shopify_sandbox, 120)
    location = shopify_sandbox.default_location(SHOP)
    bucket = shopify_sandbox.bucket(shopify_sandbox.shops[SHOP])
    bucket.set_available(0)  # other apps (or our other jobs) used it all
    with app.app_context():
        pages = list(inventory.catalog(shop, location))
    assert sum(len(p) for p in pages) == 120
    calls = [
        r
        for r in shopify_sandbox.requests_log
        if "StockGuardCatalogPage" in (r.graphql_query or "")
    ]
    # Two pages; at most one throttled answer before the client learns the bucket and waits.
    assert 2 <= len(calls) <= 3


def test_429_with_retry_after_is_waited_out(app, shop, shopify_sandbox):
    _products(shopify_sandbox, 3)
    shopify_sandbox.fail_next(1, status=429, path_prefix="/admin/api", retry_after=0.5)
    with app.app_context():
        assert inventory.locations(shop)[0].primary


def test_5xx_is_a_transient_error_for_the_job_to_retry(app, shop, shopify_sandbox):
    shopify_sandbox.fail_next(1, status=502, path_prefix="/admin/api")
    with app.app_context(), pytest.raises(Transient):
        inventory.locations(shop)


def test_writes_use_compare_and_set_and_report_a_stale_level(app, shop, shopify_sandbox):
    [a, b] = [p["variants"][0] for p in _products(shopify_sandbox, 2, available=5)]
    location = shopify_sandbox.default_location(SHOP)
    # Someone sells one of B on the channel; we still believe 5.
    shopify_sandbox.set_available(SHOP, b["inventory_item_id"], location, 4)
    refs = [ListingRef(i, v["id"], None, v["inventory_item_id"]) for i, v in ((1, a), (2, b))]
    with app.app_context():
        results = inventory.write_levels(
            shop, [LevelWrite(refs[0], 3, 5), LevelWrite(refs[1], 3, 5)], location
        )
    by_id = {r.listing_id: r for r in results}
    assert by_id[1].written and not by_id[2].written and by_id[2].actual == 4
    assert shopify_sandbox.available(SHOP, a["inventory_item_id"]) == 3
    assert shopify_sandbox.available(SHOP, b["inventory_item_id"]) == 4  # not overwritten
    writes = [
        r for r in shopify_sandbox.requests_log if "StockGuardSetLevels" in (r.graphql_query or "")
    ]
    first = writes[0].graphql_variables["input"]
    assert first["referenceDocumentUri"].startswith("stockguard://push/")
    assert [q["changeFromQuantity"] for q in first["quantities"]] == [5, 5]
    assert "@idempotent" in writes[0].graphql_query


def test_product_items_pages_a_large_product_under_the_query_cost_ceiling(
    app, shop, shopify_sandbox
):
    variants = [{"sku": f"BIG-{i}", "title": f"#{i}", "available": 1} for i in range(130)]
    product = shopify_sandbox.create_product(SHOP, "Big", variants=variants)
    location = shopify_sandbox.default_location(SHOP)
    with app.app_context():
        items = inventory.product_items(shop, product["id"], location)
    assert [i.sku for i in items] == [f"BIG-{i}" for i in range(130)]
    # 250 variants a page would ask for ~1,250 points, over Shopify's 1,000 per query.
    calls = [
        r
        for r in shopify_sandbox.requests_log
        if "StockGuardProductVariants" in (r.graphql_query or "")
    ]
    assert [c.graphql_variables["first"] for c in calls] == [100, 100]
