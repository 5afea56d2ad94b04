"""Prices and currencies read by the real catalog import from both sandboxes (Shopify's
``ProductVariant.price`` Money scalar and ``shop.currencyCode``; WooCommerce's ``price`` string
and ``data/currencies/current``), with no exchange rate invented."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Installation, Listing, Sku, StockPool
from sync import catalog
from tests.connectors.woocommerce.helpers import connect as woo_connect
from tests.sync.harness import PUBLIC, SHOP, connect


def _listings(app, installation_id):
    with app.app_context():
        db.session.remove()
        return {
            row.sku.strip().upper(): (row.price_minor, row.currency)
            for row in db.session.scalars(
                select(Listing).where(Listing.installation_id == installation_id)
            )
        }


def _sku_prices(app, pool_id):
    with app.app_context():
        db.session.remove()
        return {
            row.sku: row.price_minor
            for row in db.session.scalars(select(Sku).where(Sku.pool_id == pool_id))
        }


def test_both_channels_prices_reach_listings_and_skus(live_app, shopify_sandbox, woo_sandbox):
    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC
    woo_sandbox.currency = "USD"
    stores = connect(live_app, shopify_sandbox, woo_sandbox, {"CUP": (6, 2), "HAT": (3, 3)},
                     loopback=loopback)  # fmt: skip
    with live_app.app_context():
        pool = db.session.get(StockPool, stores.pool_id)
        # Shopify came first (EUR, shop.currencyCode): the pool's amounts are in euros.
        assert pool.settings["currency"] == "EUR"
        assert (
            Installation.find(db.session, "woocommerce", woo_sandbox.base_url).settings["currency"]
            == "USD"
        )
    # Sandbox defaults: Shopify "0.00", WooCommerce "10.00" (in dollars: not the pool's money).
    assert _listings(live_app, stores.shopify_id) == {"CUP": (0, "EUR"), "HAT": (0, "EUR")}
    assert _listings(live_app, stores.woo_id) == {"CUP": (1000, "USD"), "HAT": (1000, "USD")}
    assert _sku_prices(live_app, stores.pool_id) == {"CUP": 0, "HAT": 0}

    # The merchant sets prices; a new import reads them.
    cup = stores.shopify_variants["CUP"]["legacy_id"]
    shopify_sandbox._shop(SHOP).catalog.variants[cup].price = "19.99"
    woo_sandbox.store.product(stores.woo_products["HAT"]["id"]).regular_price = "24.50"
    with live_app.app_context():
        catalog.import_catalog(stores.shopify_id)
        catalog.import_catalog(stores.woo_id)
    assert _listings(live_app, stores.shopify_id)["CUP"] == (1999, "EUR")
    assert _listings(live_app, stores.woo_id)["HAT"] == (2450, "USD")
    # The dollar price is kept on its listing, never converted into the euro SKU price.
    assert _sku_prices(live_app, stores.pool_id) == {"CUP": 1999, "HAT": 0}

    # The same currency on both: the store read last sets the SKU's price.
    woo_sandbox.currency = "EUR"
    with live_app.app_context():
        catalog.import_catalog(stores.woo_id)
    assert _listings(live_app, stores.woo_id)["HAT"] == (2450, "EUR")
    assert _sku_prices(live_app, stores.pool_id) == {"CUP": 1000, "HAT": 2450}


def test_woocommerce_sale_price_and_a_store_of_its_own(live_app, woo_sandbox):
    woo_sandbox.currency = "JPY"
    woo_sandbox.create_product("Kettle", sku="KET", stock_quantity=4, regular_price="3500",
                               sale_price="2980")  # fmt: skip
    client = live_app.test_client()
    assert "success=1" in woo_connect(client, woo_sandbox)
    with live_app.app_context():
        inst = Installation.find(db.session, "woocommerce", woo_sandbox.base_url)
        inst_id, pool_id = inst.id, inst.pool_id
    live_app.extensions["jobs"].wait_idle(20)
    # Shoppers pay the sale price; yen have no minor unit.
    assert _listings(live_app, inst_id) == {"KET": (2980, "JPY")}
    assert _sku_prices(live_app, pool_id) == {"KET": 2980}
    with live_app.app_context():
        assert db.session.get(StockPool, pool_id).settings["currency"] == "JPY"
