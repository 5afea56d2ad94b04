"""WooCommerce storefront side through the connector interface, against the sandbox store:
origin, catalog visibility, pre-order by backorders, theme-facing catalog fields."""

from __future__ import annotations

import json

import pytest

from connectors.errors import NotFound
from connectors.registry import storefront
from models import Installation


@pytest.fixture
def woo():
    return storefront("woocommerce")


@pytest.fixture
def store(app, db_session, woo_sandbox):
    key = woo_sandbox.create_api_key()
    inst = Installation(
        platform="woocommerce", shop_domain=woo_sandbox.base_url, status="active", settings={}
    )
    inst.credentials = {"consumer_key": key.consumer_key, "consumer_secret": key.consumer_secret}
    db_session.add(inst)
    db_session.commit()
    return inst


@pytest.fixture
def mug(woo_sandbox):
    return woo_sandbox.create_product("Mug", sku="MUG", stock_quantity=0)


@pytest.fixture
def hoodie(woo_sandbox):
    """A variable product: S and L say no to backorders, M already allows them."""
    parent = woo_sandbox.create_product("Hoodie", sku="HOOD", stock_quantity=None, type="variable")
    sizes = {}
    for size, backorders in (("S", "no"), ("M", "yes"), ("L", "no")):
        v = woo_sandbox.create_variation(
            parent["id"], f"HOOD-{size}", 0, {"Size": size}, backorders=backorders
        )
        sizes[size] = v["id"]
    return parent, sizes


def writes(sandbox) -> list[dict]:
    """Every write the connector sent: method, path and JSON body."""
    return [
        {"method": r["method"], "path": r["path"], "body": json.loads(r["body"] or b"null")}
        for r in sandbox.requests_log
        if r["method"] in ("POST", "PUT", "PATCH", "DELETE")
    ]


# --------------------------------------------------------------------------- origins


def test_origin_is_the_store_address_origin(woo, store, woo_sandbox, woo_installation):
    assert woo.storefront_origins(store) == [woo_sandbox.base_url.rstrip("/")]
    assert woo.storefront_origins(woo_installation) == ["https://shop.example.com"]
    woo_installation.shop_domain = "https://Example.com:8443/shop"  # WordPress in a subfolder
    assert woo.storefront_origins(woo_installation) == ["https://example.com:8443"]


# --------------------------------------------------------------------------- visibility


def test_hide_then_show_restores_the_previous_visibility(woo, store, mug, woo_sandbox):
    assert woo.product_hidden(store, str(mug["id"])) is False

    restore = woo.hide_product(store, str(mug["id"]))
    assert restore == {"catalog_visibility": "visible"}
    assert woo_sandbox.product(mug["id"])["catalog_visibility"] == "hidden"
    assert woo.product_hidden(store, str(mug["id"])) is True

    assert woo.show_product(store, str(mug["id"]), restore) is True
    assert woo_sandbox.product(mug["id"])["catalog_visibility"] == "visible"
    assert writes(woo_sandbox) == [
        {
            "method": "POST",
            "path": f"/wp-json/wc/v3/products/{mug['id']}",
            "body": {"catalog_visibility": "hidden"},
        },
        {
            "method": "POST",
            "path": f"/wp-json/wc/v3/products/{mug['id']}",
            "body": {"catalog_visibility": "visible"},
        },
    ]


def test_search_only_visibility_is_restored_exactly(woo, store, mug, woo_sandbox):
    woo_sandbox.set_catalog_visibility(mug["id"], "search")

    restore = woo.hide_product(store, str(mug["id"]))
    assert restore == {"catalog_visibility": "search"}
    assert woo.show_product(store, str(mug["id"]), restore) is True
    assert woo_sandbox.product(mug["id"])["catalog_visibility"] == "search"


def test_show_after_the_merchant_changed_it_writes_nothing(woo, store, mug, woo_sandbox):
    restore = woo.hide_product(store, str(mug["id"]))
    woo_sandbox.set_catalog_visibility(mug["id"], "catalog")  # the merchant's own choice
    before = len(writes(woo_sandbox))

    assert woo.show_product(store, str(mug["id"]), restore) is False
    assert len(writes(woo_sandbox)) == before
    assert woo_sandbox.product(mug["id"])["catalog_visibility"] == "catalog"


def test_a_product_the_merchant_hid_is_not_ours_to_show(woo, store, mug, woo_sandbox):
    woo_sandbox.set_catalog_visibility(mug["id"], "hidden")

    restore = woo.hide_product(store, str(mug["id"]))
    assert restore == {"catalog_visibility": "hidden"}
    assert woo.show_product(store, str(mug["id"]), restore) is False
    assert woo.show_product(store, str(mug["id"]), {}) is False
    assert writes(woo_sandbox) == []
    assert woo_sandbox.product(mug["id"])["catalog_visibility"] == "hidden"


def test_a_gone_product_is_none_or_not_found(woo, store, mug, hoodie, woo_sandbox):
    parent, _ = hoodie
    woo_sandbox.trash_product(mug["id"])
    woo_sandbox.delete_product(parent["id"], force=True)

    for product_id in (mug["id"], parent["id"]):
        assert woo.product_hidden(store, str(product_id)) is None
        with pytest.raises(NotFound):
            woo.hide_product(store, str(product_id))
        with pytest.raises(NotFound):
            woo.show_product(store, str(product_id), {"catalog_visibility": "visible"})
        with pytest.raises(NotFound):
            woo.set_backorders(store, str(product_id), True, None)


# --------------------------------------------------------------------------- pre-order


def test_preorder_on_a_simple_product(woo, store, mug, woo_sandbox):
    assert woo_sandbox.product(mug["id"])["stock_status"] == "outofstock"

    restore = woo.set_backorders(store, str(mug["id"]), True, None)
    assert restore == {"backorders": {str(mug["id"]): "no"}}
    now = woo_sandbox.product(mug["id"])
    assert (now["backorders"], now["stock_status"]) == ("notify", "onbackorder")

    woo.set_backorders(store, str(mug["id"]), False, restore)
    now = woo_sandbox.product(mug["id"])
    assert (now["backorders"], now["stock_status"]) == ("no", "outofstock")


def test_preorder_on_variations_keeps_each_previous_value(woo, store, hoodie, woo_sandbox):
    parent, sizes = hoodie
    ids = {size: str(vid) for size, vid in sizes.items()}

    restore = woo.set_backorders(store, str(parent["id"]), True, None)
    assert restore == {"backorders": {ids["S"]: "no", ids["M"]: "yes", ids["L"]: "no"}}
    (batch,) = writes(woo_sandbox)
    assert batch["path"] == f"/wp-json/wc/v3/products/{parent['id']}/variations/batch"
    assert sorted(batch["body"]["update"], key=lambda u: u["id"]) == [
        {"id": sizes["S"], "backorders": "notify"},
        {"id": sizes["L"], "backorders": "notify"},
    ]
    for size in "SML":
        assert woo_sandbox.product(sizes[size])["stock_status"] == "onbackorder"
    assert woo_sandbox.product(parent["id"])["stock_status"] == "onbackorder"

    # A retried job allows again: what came before is still what it was.
    assert woo.set_backorders(store, str(parent["id"]), True, restore) == restore
    assert len(writes(woo_sandbox)) == 1

    woo.set_backorders(store, str(parent["id"]), False, restore)
    assert [woo_sandbox.product(sizes[s])["backorders"] for s in "SML"] == ["no", "yes", "no"]
    assert woo_sandbox.product(sizes["S"])["stock_status"] == "outofstock"
    assert woo_sandbox.product(sizes["M"])["stock_status"] == "onbackorder"


def test_preorder_on_more_than_a_batch_of_variations(woo, store, woo_sandbox):
    parent = woo_sandbox.create_product(
        "Poster", sku="POSTER", stock_quantity=None, type="variable"
    )
    for n in range(101):
        woo_sandbox.create_variation(parent["id"], f"POSTER-{n}", 0, {"Print": f"#{n}"})

    restore = woo.set_backorders(store, str(parent["id"]), True, None)
    assert len(restore["backorders"]) == 101
    assert [len(w["body"]["update"]) for w in writes(woo_sandbox)] == [100, 1]
    assert {v["backorders"] for v in map(woo_sandbox.product, map(int, restore["backorders"]))} == {
        "notify"
    }


# --------------------------------------------------------------------------- catalog


def test_catalog_items_carry_what_themes_know(woo, store, hoodie, woo_sandbox):
    parent, sizes = hoodie
    kitchen = woo_sandbox.create_category("Kitchen")
    bath = woo_sandbox.create_category("Bath & Body")
    mug = woo_sandbox.create_product(
        "Mug", sku="MUG", stock_quantity=3, categories=[{"id": kitchen["id"]}, {"id": bath["id"]}]
    )

    items = {i.sku: i for page in woo.catalog(store, "store") for i in page}
    simple = items["MUG"]
    assert (simple.public_id, simple.product_public_id) == (str(mug["id"]), str(mug["id"]))
    assert simple.product_title == "Mug"
    assert simple.url == mug["permalink"]
    assert simple.product_type == "category:bath-body"  # the first as WooCommerce lists them

    medium = items["HOOD-M"]
    assert (medium.public_id, medium.product_public_id) == (str(sizes["M"]), str(parent["id"]))
    assert medium.product_title == "Hoodie"
    assert medium.url == parent["permalink"]
    assert medium.product_type is None  # the default "Uncategorized" is no grouping

    fresh = woo.product_items(store, str(parent["id"]), "store")
    assert sorted(i.public_id for i in fresh) == sorted(str(v) for v in sizes.values())
