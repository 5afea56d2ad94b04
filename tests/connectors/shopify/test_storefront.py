"""Shopify storefront side through the connector interface, against the sandbox over HTTPS:
origins, Online Store visibility, pre-order by inventory policy, theme-facing catalog fields."""

from __future__ import annotations

import pytest

from connectors.errors import InvalidRequest, NotFound
from connectors.registry import storefront
from models import Installation

SHOP = "storefront.myshopify.com"
SCOPES = ["read_products", "write_products", "read_publications", "write_publications"]


@pytest.fixture
def shopify():
    return storefront("shopify")


@pytest.fixture
def shop(app, db_session, shopify_sandbox):
    shopify_sandbox.create_shop(SHOP, name="Storefront Store")
    inst = Installation(platform="shopify", shop_domain=SHOP, status="active", settings={})
    inst.credentials = {"access_token": shopify_sandbox.issue_token(SHOP, SCOPES)}
    db_session.add(inst)
    db_session.commit()
    return inst


@pytest.fixture
def tee(shopify_sandbox, shop):
    return shopify_sandbox.create_product(
        SHOP,
        "Linen Tee",
        variants=[
            {"sku": "TEE-S", "title": "S", "inventory_policy": "DENY"},
            {"sku": "TEE-M", "title": "M", "inventory_policy": "CONTINUE"},
            {"sku": "TEE-L", "title": "L", "inventory_policy": "DENY"},
        ],
        product_type="Shirts",
    )


def sent(sandbox, operation: str) -> list:
    """The GraphQL requests the connector sent under ``operation`` (its operation name)."""
    return [r for r in sandbox.requests_log if f" {operation}" in (r.graphql_query or "")]


# --------------------------------------------------------------------------- origins


def test_origins_are_the_myshopify_domain_and_the_primary_domain(shopify, shop, shopify_sandbox):
    assert shopify.storefront_origins(shop) == [f"https://{SHOP}"]

    shopify_sandbox.set_primary_domain(SHOP, "Shop.Example.com")
    assert shopify.storefront_origins(shop) == [f"https://{SHOP}", "https://shop.example.com"]


# --------------------------------------------------------------------------- visibility


def test_hide_unpublishes_from_the_online_store_and_show_restores(
    shopify, shop, tee, shopify_sandbox, db_session
):
    # Another sales channel listed first: the connector must pick the Online Store by its app.
    other = shopify_sandbox.add_sales_channel(SHOP, "Wholesale", app_handle="wholesale-channel")
    assert shopify.product_hidden(shop, tee["id"]) is False

    restore = shopify.hide_product(shop, tee["id"])
    online_store = shop.settings["online_store_publication_id"]
    assert online_store != other
    assert restore == {"publication_id": online_store, "published": True}
    assert shopify_sandbox.is_published(SHOP, tee["id"]) is False
    assert shopify.product_hidden(shop, tee["id"]) is True
    (unpublish,) = sent(shopify_sandbox, "StockGuardUnpublish")
    assert unpublish.graphql_variables == {
        "id": tee["id"],
        "input": [{"publicationId": online_store}],
    }

    assert shopify.show_product(shop, tee["id"], restore) is True
    assert shopify_sandbox.is_published(SHOP, tee["id"]) is True
    # The publication was looked up once, then kept with the installation.
    db_session.commit()
    assert len(sent(shopify_sandbox, "StockGuardPublications")) == 1
    assert db_session.get(Installation, shop.id).settings["online_store_publication_id"] == (
        online_store
    )


def test_show_after_the_merchant_showed_it_again_writes_nothing(
    shopify, shop, tee, shopify_sandbox
):
    restore = shopify.hide_product(shop, tee["id"])
    shopify_sandbox.set_published(SHOP, tee["id"], True)  # the merchant ticks Online Store

    assert shopify.show_product(shop, tee["id"], restore) is False
    assert sent(shopify_sandbox, "StockGuardPublish") == []
    assert shopify_sandbox.is_published(SHOP, tee["id"]) is True


def test_a_product_the_merchant_hid_is_not_ours_to_show(shopify, shop, tee, shopify_sandbox):
    shopify_sandbox.set_published(SHOP, tee["id"], False)

    restore = shopify.hide_product(shop, tee["id"])
    assert restore["published"] is False
    assert sent(shopify_sandbox, "StockGuardUnpublish") == []

    assert shopify.show_product(shop, tee["id"], restore) is False
    assert shopify.show_product(shop, tee["id"], {}) is False
    assert sent(shopify_sandbox, "StockGuardPublish") == []
    assert shopify_sandbox.is_published(SHOP, tee["id"]) is False


def test_a_gone_product_is_none_or_not_found(shopify, shop, tee, shopify_sandbox):
    restore = shopify.hide_product(shop, tee["id"])
    shopify_sandbox.delete_product(SHOP, tee["id"])

    assert shopify.product_hidden(shop, tee["id"]) is None
    with pytest.raises(NotFound):
        shopify.hide_product(shop, tee["id"])
    with pytest.raises(NotFound):
        shopify.show_product(shop, tee["id"], restore)
    with pytest.raises(NotFound):
        shopify.set_backorders(shop, tee["id"], True, None)


def test_user_errors_become_typed_errors(shopify, shop, tee, shopify_sandbox):
    restore = shopify.hide_product(shop, tee["id"])
    stale = {**restore, "publication_id": "gid://shopify/Publication/1"}
    with pytest.raises(InvalidRequest) as refused:
        shopify.show_product(shop, tee["id"], stale)
    assert refused.value.errors[0]["field"] == ["input", "0", "publicationId"]


# --------------------------------------------------------------------------- pre-order


def test_preorder_on_and_off_keeps_each_variants_previous_policy(
    shopify, shop, tee, shopify_sandbox
):
    small, medium, large = (v["id"] for v in tee["variants"])

    restore = shopify.set_backorders(shop, tee["id"], True, None)
    assert restore == {"inventory_policy": {small: "DENY", medium: "CONTINUE", large: "DENY"}}
    assert {shopify_sandbox.variant_policy(SHOP, v) for v in (small, medium, large)} == {"CONTINUE"}
    (update,) = sent(shopify_sandbox, "StockGuardSetVariantPolicies")
    assert update.graphql_variables["variants"] == [
        {"id": small, "inventoryPolicy": "CONTINUE"},
        {"id": large, "inventoryPolicy": "CONTINUE"},
    ]

    # Allowing again (a retried job) must not record CONTINUE as what came before.
    assert shopify.set_backorders(shop, tee["id"], True, restore) == restore
    assert len(sent(shopify_sandbox, "StockGuardSetVariantPolicies")) == 1

    shopify.set_backorders(shop, tee["id"], False, restore)
    assert [shopify_sandbox.variant_policy(SHOP, v) for v in (small, medium, large)] == [
        "DENY",
        "CONTINUE",  # the merchant's own pre-order stays
        "DENY",
    ]


def test_preorder_off_without_a_record_denies(shopify, shop, tee, shopify_sandbox):
    small, medium, large = (v["id"] for v in tee["variants"])
    shopify.set_backorders(shop, tee["id"], True, None)

    before = shopify.set_backorders(shop, tee["id"], False, {"inventory_policy": {}})
    assert before == {"inventory_policy": dict.fromkeys((small, medium, large), "CONTINUE")}
    assert {shopify_sandbox.variant_policy(SHOP, v) for v in (small, medium, large)} == {"DENY"}


# --------------------------------------------------------------------------- catalog


def test_catalog_items_carry_what_themes_know(shopify, shop, tee, shopify_sandbox):
    location = shopify_sandbox.default_location(SHOP)
    (page,) = list(shopify.catalog(shop, location))
    items = {item.sku: item for item in page}
    small = items["TEE-S"]
    assert small.public_id == str(tee["variants"][0]["legacy_id"])
    assert small.product_public_id == str(tee["legacy_id"])
    assert small.public_id.isdigit() and small.product_public_id.isdigit()
    assert small.product_title == "Linen Tee"
    assert small.url == f"/products/{tee['handle']}"
    assert small.product_type == "Shirts"

    fresh = shopify.product_items(shop, tee["id"], location)
    assert [i.public_id for i in fresh] == [str(v["legacy_id"]) for v in tee["variants"]]
    assert {i.url for i in fresh} == {"/products/linen-tee"}
