"""What the WooCommerce sandbox models for the storefront side: categories on products, catalog
visibility and backorders written like the real store does, as the REST schema in
``schema-products-options`` / ``schema-variations-options`` declares them."""

from __future__ import annotations

import pytest
from woocommerce import API


@pytest.fixture
def api(woo_sandbox):
    key = woo_sandbox.create_api_key()
    return API(
        url=woo_sandbox.base_url,
        consumer_key=key.consumer_key,
        consumer_secret=key.consumer_secret,
        version="wc/v3",
        timeout=10,
    )


def test_categories_are_listed_by_name_and_default_to_uncategorized(woo_sandbox, api):
    tea = woo_sandbox.create_category("Tea")
    cups = woo_sandbox.create_category("Cups & Mugs")
    assert cups == {"id": tea["id"] + 1, "name": "Cups & Mugs", "slug": "cups-mugs"}

    made = api.post(
        "products",
        {"name": "Teacup", "categories": [{"id": tea["id"]}, {"id": cups["id"]}, {"id": 9999}]},
    ).json()
    # wp_get_post_terms orders by name; an id that names no term is skipped.
    assert [c["slug"] for c in made["categories"]] == ["cups-mugs", "tea"]
    plain = api.post("products", {"name": "Saucer"}).json()
    assert plain["categories"] == [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}]

    moved = api.put(f"products/{plain['id']}", {"categories": [{"id": tea["id"]}]}).json()
    assert [c["name"] for c in moved["categories"]] == ["Tea"]


def test_catalog_visibility_is_writable_and_checked_against_the_enum(woo_sandbox, api):
    mug = woo_sandbox.create_product("Mug", sku="MUG", stock_quantity=2)
    hidden = api.post(f"products/{mug['id']}", {"catalog_visibility": "hidden"})
    assert hidden.status_code == 200 and hidden.json()["catalog_visibility"] == "hidden"

    bad = api.put(f"products/{mug['id']}", {"catalog_visibility": "Hidden"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "rest_invalid_param"
    assert bad.json()["data"]["params"] == {
        "catalog_visibility": "catalog_visibility is not one of visible, catalog, search, and hidden."
    }

    woo_sandbox.set_catalog_visibility(mug["id"], "search")
    assert woo_sandbox.product(mug["id"])["catalog_visibility"] == "search"


def test_backorders_on_variations_by_batch_make_zero_stock_onbackorder(woo_sandbox, api):
    parent = woo_sandbox.create_product("Hoodie", sku="H", stock_quantity=None, type="variable")
    small = woo_sandbox.create_variation(parent["id"], "H-S", 0, {"Size": "S"})
    large = woo_sandbox.create_variation(parent["id"], "H-L", 4, {"Size": "L"})
    assert small["stock_status"] == "outofstock"

    body = api.post(
        f"products/{parent['id']}/variations/batch",
        {"update": [{"id": v["id"], "backorders": "notify"} for v in (small, large)]},
    ).json()
    assert [(v["backorders"], v["backorders_allowed"]) for v in body["update"]] == [
        ("notify", True),
        ("notify", True),
    ]
    # At or below zero with backorders allowed: on backorder; with stock: in stock.
    assert [v["stock_status"] for v in body["update"]] == ["onbackorder", "instock"]

    bad = api.put(f"products/{parent['id']}/variations/{small['id']}", {"backorders": "maybe"})
    assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_param"

    woo_sandbox.set_backorders(small["id"], "no")
    assert woo_sandbox.product(small["id"])["stock_status"] == "outofstock"


def test_backorders_need_a_managed_stock(woo_sandbox, api):
    loose = woo_sandbox.create_product(
        "Loose tea", sku="LT", stock_quantity=None, manage_stock=False
    )
    # WC_Product::validate_props: without stock management backorders go back to "no".
    body = api.put(f"products/{loose['id']}", {"backorders": "notify"}).json()
    assert (body["backorders"], body["stock_status"]) == ("no", "instock")
