"""Hide when sold out and re-show on restock — only what StockGuard hid — and pre-order mode,
against the Shopify and WooCommerce sandboxes."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import ActivityEntry, Listing
from tests.conftest import wait_for
from tests.storefront_api.conftest import SHOP
from tests.sync.harness import PUBLIC, connect


def published(shop, key: str) -> bool:
    return shop.sandbox.is_published(SHOP, shop.products[key]["id"])


def test_hide_when_sold_out_and_show_again_on_restock(shop):
    assert published(shop, "cap")
    shop.settings(visibility="hide", hide_grace_minutes=0)  # the cap is sold out already
    wait_for(lambda: not published(shop, "cap"), message="the sold-out cap was not hidden")
    assert published(shop, "tee") and published(shop, "polo")  # in stock: untouched
    shop.set_available("CAP", 5)
    wait_for(lambda: (shop.idle(), published(shop, "cap"))[1], message="cap not shown again")
    with shop.app.app_context():
        messages = [a.message for a in db.session.scalars(select(ActivityEntry)).all()]
    assert any("Hid “Cap”" in m for m in messages)
    assert any("Showed “Cap” again" in m for m in messages)


def test_grace_period_keeps_a_briefly_sold_out_product_visible(shop):
    shop.settings(visibility="hide", hide_grace_minutes=60)
    shop.sell("POLO", 20)
    shop.wait_state("POLO", "out_of_stock")
    shop.idle()
    assert published(shop, "polo")  # sold out for less than an hour: still listed


def test_a_product_the_merchant_hid_stays_hidden(shop):
    shop.sandbox.set_published(SHOP, shop.products["cap"]["id"], False)
    shop.settings(visibility="hide", hide_grace_minutes=0)
    shop.idle()
    shop.set_available("CAP", 8)
    shop.wait_state("CAP", "in_stock")
    shop.idle()
    assert not published(shop, "cap")
    # And one StockGuard hid, that the merchant re-showed by hand while sold out, is theirs.
    shop.sell("POLO", 20)
    wait_for(lambda: (shop.idle(), not published(shop, "polo"))[1], message="polo not hidden")
    shop.sandbox.set_published(SHOP, shop.products["polo"]["id"], True)
    shop.sandbox.set_published(SHOP, shop.products["polo"]["id"], False)
    shop.sandbox.set_published(SHOP, shop.products["polo"]["id"], True)
    shop.set_available("POLO", 3)
    shop.wait_state("POLO", "low_stock")
    shop.idle()
    assert published(shop, "polo")


def test_preorder_mode_keeps_selling_with_the_eta(shop):
    product_ref = shop.products["cap"]["id"]
    response = shop.admin(
        "put", "/products/visibility", json={"product": product_ref, "mode": "preorder"}
    )
    assert response.status_code == 200, response.get_json()
    variant = shop.variants["CAP"]["id"]
    wait_for(
        lambda: (shop.idle(), shop.sandbox.variant_policy(SHOP, variant) == "CONTINUE")[1],
        message="pre-order not turned on",
    )
    assert shop.wait_state("CAP", "preorder")["notify"] is True
    shop.set_available("CAP", 8)
    shop.wait_state("CAP", "in_stock")
    wait_for(
        lambda: (shop.idle(), shop.sandbox.variant_policy(SHOP, variant) == "DENY")[1],
        message="pre-order not turned off on restock",
    )


def test_bad_policy_input(shop):
    cases = [
        ({"product": "gid://shopify/Product/1", "mode": "hide"}, 404),
        ({"product": shop.products["cap"]["id"], "mode": "vanish"}, 400),
        ({"product": shop.products["cap"]["id"], "mode": "hide", "grace_minutes": -1}, 400),
        ({"product": ["x"], "mode": "hide"}, 400),
    ]
    for body, status in cases:
        assert shop.admin("put", "/products/visibility", json=body).status_code == status, body
    for changes in (
        {"visibility": "vanish"},
        {"hide_grace_minutes": "soon"},
        {"texts": {"de": {"in_stock": "Da"}}},
        {"texts": {"en": {"in_stock": "x" * 201}}},
        {"colors": {"in_stock": "red;background:url(x)"}},
        {"origins": ["javascript:alert(1)"]},
        {"unknown": 1},
    ):
        response = shop.admin("put", "/storefront", json=changes)
        assert response.status_code == 400, changes
        assert response.get_json()["field"]
    saved = shop.admin("get", "/storefront").get_json()["settings"]
    assert saved["visibility"] == "badge" and saved["texts"] == {}


def test_woocommerce_hide_restores_the_merchants_own_setting(
    live_app, shopify_sandbox, woo_sandbox
):
    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC
    stores = connect(live_app, shopify_sandbox, woo_sandbox, {"VASE": (1, 1)}, loopback=loopback)
    woo, product_id = stores.woo, stores.woo_products["VASE"]["id"]
    woo.set_catalog_visibility(product_id, "search")  # the merchant's own choice
    from views.admin_api import panel_token

    with live_app.test_request_context():
        token = panel_token(stores.woo_id)
    client = live_app.test_client()
    response = client.put(
        "/admin/api/storefront",
        json={"visibility": "hide", "hide_grace_minutes": 0},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    woo.place_order(line_items=[{"product_id": product_id, "quantity": 1}])
    wait_for(
        lambda: (stores.idle(), woo.product(product_id)["catalog_visibility"] == "hidden")[1],
        timeout=20,
        message="sold-out WooCommerce product not hidden",
    )
    with live_app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.installation_id == stores.woo_id))
        assert listing.public_id == str(product_id)
    woo.set_stock(product_id, 4)
    wait_for(
        lambda: (stores.idle(), woo.product(product_id)["catalog_visibility"] == "search")[1],
        timeout=20,
        message="catalog visibility not restored to the merchant's 'search'",
    )


def test_a_hidden_product_deleted_in_the_store_is_let_go(shop):
    from models import ProductPolicy
    from sync.visibility import apply_policy

    shop.settings(visibility="hide", hide_grace_minutes=0)
    wait_for(lambda: not published(shop, "cap"), message="the sold-out cap was not hidden")
    shop.sandbox.delete_product(SHOP, shop.products["cap"]["id"])  # no webhook reaches us
    with shop.app.app_context():
        policy = db.session.scalar(select(ProductPolicy).where(ProductPolicy.hidden_by_us))
        policy.sold_out_since = None  # as if restocked: StockGuard would show it again
        db.session.commit()
        assert apply_policy(policy.id) == "product gone from the store"
        db.session.remove()
        policy = db.session.get(ProductPolicy, policy.id)
        assert not policy.hidden_by_us and policy.hide_restore == {}
