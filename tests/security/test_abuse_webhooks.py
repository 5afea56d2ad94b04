"""Webhook abuse: signatures that are not Shopify's or the store's, privacy topics forged to
erase data, one store's secret used on another, and replays — a replay is acknowledged (the
platform must stop retrying) but recorded once and applied once.

Already covered elsewhere (not repeated): a forged Shopify signature, a signature over other
bytes, no signature header, a bad shop header, an unknown shop, 413 (tests/connectors/shopify/
test_webhooks.py); a wrong WooCommerce secret, a re-serialised body (tests/connectors/
woocommerce/test_webhooks.py).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import uuid

from sqlalchemy import select

from extensions import db
from models import Installation, Movement, WebhookDelivery
from tests.connectors.shopify.helpers import signed_headers
from tests.security.conftest import make_woo, owned_rows, table_counts, woo_headers
from tests.sync.harness import PUBLIC, SHOP, connect

PRIVACY = {
    "customers/data_request": {
        "customer": {"id": 1, "email": "x@example.com"},
        "orders_requested": [],
    },
    "customers/redact": {
        "customer": {"id": 1, "email": "alpha-private@example.com"},
        "orders_to_redact": [],
    },
    "shop/redact": {},
}


def _bad_signatures(body: bytes) -> dict[str, str]:
    good = base64.b64encode(hmac.new(b"x", body, hashlib.sha256).digest()).decode()
    ours = signed_headers("shop/redact", "a.myshopify.com", body)["X-Shopify-Hmac-Sha256"]
    return {
        "empty": "",
        "other secret": good,
        "hex of the right digest": base64.b64decode(ours).hex(),
        "truncated": ours[:-4],
        "right digest of the body plus a newline": signed_headers(
            "shop/redact", "a.myshopify.com", body + b"\n"
        )["X-Shopify-Hmac-Sha256"],
    }


def test_forged_privacy_and_uninstall_topics_are_401_and_erase_nothing(app, client, tenants):
    a, _ = tenants
    before, counts = owned_rows(a), table_counts()
    # For an installed shop and for one never installed (whose valid deliveries are only
    # acknowledged): the signature is checked first either way.
    for shop in (a.shop, "stranger.myshopify.com"):
        for topic, payload in PRIVACY.items():
            body = json.dumps({"shop_domain": shop, **payload}).encode()
            for name, signature in _bad_signatures(body).items():
                headers = signed_headers(topic, shop, body)
                headers["X-Shopify-Hmac-Sha256"] = signature
                response = client.post("/webhooks/shopify", data=body, headers=headers)
                assert response.status_code == 401, (shop, topic, name, response.get_json())
    # app/uninstalled forged: the store stays connected, its token kept.
    body = json.dumps({"id": 1, "myshopify_domain": a.shop}).encode()
    headers = signed_headers("app/uninstalled", a.shop, body, secret="not-the-app-secret")
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 401
    assert app.extensions["jobs"].wait_idle(5)
    assert owned_rows(a) == before and table_counts() == counts
    with app.app_context():
        inst = db.session.get(Installation, a.installation_id)
        assert inst.status == "active" and inst.credentials["access_token"]


def test_a_signature_proves_its_own_store_only(client, db_session):
    """WooCommerce signs with a secret per store: another store's secret is refused. Shopify
    signs with the app's secret (one for every shop), so the shop header routes a delivery:
    a shop StockGuard is not installed in gets 404."""
    first = make_woo(db_session, "https://first.example.com")
    second = make_woo(db_session, "https://second.example.com")
    second.credentials = {**second.credentials, "webhook_secret": "second-store-secret"}
    db_session.commit()
    body = json.dumps({"id": 7, "date_modified_gmt": "2026-11-22T10:00:00"}).encode()
    counts = table_counts()

    def woo(store, headers, data=body):
        return client.post(f"/webhooks/woocommerce/{store.id}", data=data, headers=headers)

    # Signed with the first store's secret (valid there), sent as the second store's delivery.
    assert woo(second, woo_headers(body)).status_code == 401
    unsigned = woo_headers(body)
    del unsigned["X-WC-Webhook-Signature"]
    for headers in (
        unsigned,
        {**woo_headers(body), "X-WC-Webhook-Signature": ""},
        {**woo_headers(body), "X-WC-Webhook-Signature": base64.b64encode(b"x" * 32).decode()},
        woo_headers(body + b" "),  # a valid signature of different bytes
    ):
        assert woo(first, headers).status_code == 401
    # Looking like an activation ping (no signature, form-encoded) buys an acknowledgement only.
    ping = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-WC-Webhook-Topic": "order.created",
    }
    assert woo(first, ping, data="webhook_id=12").status_code == 200
    shopify_body = json.dumps({"inventory_item_id": 1, "location_id": 1, "available": 3}).encode()
    for shop in ("uninstalled.myshopify.com", "first.example.com", "a.myshopify.com.evil.com"):
        headers = signed_headers("inventory_levels/update", shop, shopify_body)
        response = client.post("/webhooks/shopify", data=shopify_body, headers=headers)
        assert response.status_code in (400, 404), shop
    assert table_counts() == counts
    # The first store's own delivery is accepted: the refusals were about the secret.
    assert woo(first, woo_headers(body)).status_code == 200


# --------------------------------------------------------------------------- replays


def _inbox(app, platform: str, topic: str) -> list[WebhookDelivery]:
    with app.app_context():
        db.session.remove()
        rows = db.session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.platform == platform, WebhookDelivery.topic == topic
            )
        ).all()
        db.session.expunge_all()
        return rows


def test_replayed_deliveries_are_acknowledged_recorded_once_and_applied_once(
    live_app, shopify_sandbox, woo_sandbox
):
    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC
    stores = connect(live_app, shopify_sandbox, woo_sandbox, {"CUP": (9, 9)}, loopback=loopback)
    stores.converge({"CUP": 9})

    # Shopify: an order, then its orders/create delivered four more times with the same event id.
    variant = stores.shopify_variants["CUP"]["id"]
    order = shopify_sandbox.place_order(SHOP, [{"variant_id": variant, "quantity": 2}])
    stores.converge({"CUP": 7})
    [created] = [
        d for d in shopify_sandbox.deliveries if d.headers.get("X-Shopify-Topic") == "orders/create"
    ]
    for _ in range(4):
        again = shopify_sandbox.redeliver(created)
        assert again.status_code == 200 and json.loads(again.response_body)["duplicate"] is True
    assert len(_inbox(live_app, "shopify", "orders/create")) == 1
    # The same order under a new event id (a second subscription, a manual resend): recorded,
    # yet the ledger's order-line reference keeps it from selling the cups twice.
    resent = shopify_sandbox.send_signed(
        created.url, "orders/create", SHOP, created.body, event_id=str(uuid.uuid4())
    )
    assert resent.status_code == 200
    stores.idle()
    assert len(_inbox(live_app, "shopify", "orders/create")) == 2
    sales = [m for m in stores.movements(Movement.SALE) if m.installation_id == stores.shopify_id]
    assert [m.on_hand_delta for m in sales] == [-2], order["id"]

    # WooCommerce: an order's order.created again, with a new delivery id (what a resend
    # looks like): the same state is recorded once and moves stock once.
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["CUP"]["id"], "quantity": 3}]
    )
    stores.converge({"CUP": 4})
    [woo_created] = [d for d in woo_sandbox.deliveries if d.topic == "order.created"]
    recorded = len(_inbox(live_app, "woocommerce", "order.created"))
    for n in range(3):
        headers = [
            (k, str(900 + n) if k.lower() == "x-wc-webhook-delivery-id" else v)
            for k, v in woo_created.headers
        ]
        assert woo_sandbox.redeliver(dataclasses.replace(woo_created, headers=headers)) == 200
    stores.idle()
    assert len(_inbox(live_app, "woocommerce", "order.created")) == recorded == 1
    woo_sales = [
        m for m in stores.movements() if m.installation_id == stores.woo_id and m.on_hand_delta < 0
    ]
    assert sum(m.on_hand_delta for m in woo_sales) == -3
    stores.converge({"CUP": 4})
