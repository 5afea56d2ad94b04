"""Shopify webhook inbox: signature, dedupe, durable record, processing, privacy topics."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from models import ActivityEntry, Installation, WebhookDelivery
from tests.conftest import wait_for
from tests.connectors.shopify.conftest import SHOP, for_shop, load_fixture
from tests.connectors.shopify.helpers import install, post_webhook, signed_headers


def _count(session, model=WebhookDelivery):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _deliveries(session):
    session.expire_all()
    return session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def test_signed_delivery_is_recorded_then_processed(app, client, db_session, shopify_installation):
    payload = load_fixture("orders_create")
    resp = post_webhook(client, "orders/create", SHOP, payload, event_id="evt-1")
    assert resp.status_code == 200
    [row] = _deliveries(db_session)
    assert row.installation_id == shopify_installation.id
    assert row.topic == "orders/create" and row.dedupe_key == "orders/create:evt-1"
    assert json.loads(row.body) == payload
    assert (
        "X-Shopify-Hmac-Sha256" not in row.headers and row.headers["X-Shopify-Event-Id"] == "evt-1"
    )
    assert app.extensions["jobs"].wait_idle(5)
    db_session.expire_all()
    row = db_session.get(WebhookDelivery, row.id)
    # No listing of this store sells the ordered variants: processed, nothing moved.
    assert row.status == "processed" and row.attempts == 1 and row.processed_at is not None


def test_duplicate_event_is_acknowledged_once(client, db_session, shopify_installation):
    payload = load_fixture("orders_create")
    first = post_webhook(client, "orders/create", SHOP, payload, event_id="evt-dup")
    again = post_webhook(client, "orders/create", SHOP, payload, event_id="evt-dup")
    assert first.status_code == again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert _count(db_session) == 1


def test_forged_signature_is_refused_and_nothing_recorded(client, db_session, shopify_installation):
    body = json.dumps(load_fixture("orders_create")).encode()
    headers = signed_headers("orders/create", SHOP, body, secret="not-the-app-secret")
    resp = client.post("/webhooks/shopify", data=body, headers=headers)
    assert resp.status_code == 401
    assert _count(db_session) == 0


def test_signature_over_other_bytes_is_refused(client, db_session, shopify_installation):
    body = json.dumps(load_fixture("orders_create")).encode()
    headers = signed_headers("orders/create", SHOP, body)
    resp = client.post(
        "/webhooks/shopify", data=body.replace(b'"', b"'", 1) + b" ", headers=headers
    )
    assert resp.status_code == 401
    assert _count(db_session) == 0


def test_missing_signature_is_refused(client, db_session, shopify_installation):
    body = b"{}"
    headers = signed_headers("orders/create", SHOP, body)
    del headers["X-Shopify-Hmac-Sha256"]
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 401


def test_malformed_json_is_400(client, db_session, shopify_installation):
    resp = post_webhook(client, "orders/create", SHOP, b'{"id": 1,')
    assert resp.status_code == 400
    assert _count(db_session) == 0


def test_json_that_is_not_an_object_is_400(client, db_session, shopify_installation):
    assert post_webhook(client, "orders/create", SHOP, b"[1,2]").status_code == 400
    assert _count(db_session) == 0


def test_body_over_one_megabyte_is_413(client, db_session, shopify_installation):
    body = b'{"pad":"' + b"x" * (1024 * 1024) + b'"}'
    resp = post_webhook(client, "orders/create", SHOP, body)
    assert resp.status_code == 413
    assert _count(db_session) == 0


def test_unknown_topic_is_acknowledged_not_recorded(
    client, db_session, shopify_installation, caplog
):
    resp = post_webhook(client, "carts/create", SHOP, {"id": 1})
    assert resp.status_code == 200 and "unknown topic" in resp.get_json()["note"]
    assert _count(db_session) == 0
    assert "unknown Shopify topic carts/create" in caplog.text


def test_unknown_shop_is_404(client, db_session):
    resp = post_webhook(
        client, "orders/create", "stranger.myshopify.com", load_fixture("orders_create")
    )
    assert resp.status_code == 404
    assert _count(db_session) == 0


def test_privacy_topic_for_a_shop_we_never_held_is_acknowledged(client, db_session):
    resp = post_webhook(
        client,
        "shop/redact",
        "stranger.myshopify.com",
        for_shop(load_fixture("shop_redact"), "stranger.myshopify.com"),
    )
    assert resp.status_code == 200
    assert _count(db_session) == 0


@pytest.mark.parametrize("shop", ["evil.com", "", "a.myshopify.com.evil.com"])
def test_bad_shop_header_is_400(client, shop):
    assert post_webhook(client, "orders/create", shop, {"id": 1}).status_code == 400


def test_app_uninstalled_drops_token_and_stops_pending_work(
    app, client, db_session, shopify_installation
):
    from connectors.base import VerifiedWebhook
    from sync import inbox

    # A delivery recorded but not yet processed (as if its job were still queued).
    with app.app_context():
        waiting = inbox.record(
            VerifiedWebhook(
                "shopify",
                shopify_installation.id,
                "orders/create",
                "orders/create:evt-waiting",
                b"{}",
                {},
            )
        )
    resp = post_webhook(client, "app/uninstalled", SHOP, for_shop(load_fixture("app_uninstalled")))
    assert resp.status_code == 200
    assert app.extensions["jobs"].wait_idle(5)
    db_session.expire_all()
    inst = db_session.get(Installation, shopify_installation.id)
    assert inst.status == "uninstalled" and inst.uninstalled_at is not None
    assert inst.credentials_sealed is None and inst.credentials == {}
    assert db_session.get(WebhookDelivery, waiting).status == "skipped"
    # Further stock deliveries for the uninstalled shop are still recorded (shop/redact needs
    # the row) but do nothing.
    assert (
        post_webhook(client, "orders/create", SHOP, load_fixture("orders_create")).status_code
        == 200
    )


def test_shop_redact_erases_everything_held_for_the_shop(
    app, client, db_session, shopify_installation
):
    post_webhook(client, "orders/create", SHOP, load_fixture("orders_create"))
    post_webhook(client, "app/uninstalled", SHOP, for_shop(load_fixture("app_uninstalled")))
    assert app.extensions["jobs"].wait_idle(5)
    resp = post_webhook(client, "shop/redact", SHOP, for_shop(load_fixture("shop_redact")))
    assert resp.status_code == 200
    assert app.extensions["jobs"].wait_idle(5)
    assert _count(db_session, Installation) == 0
    assert _count(db_session, WebhookDelivery) == 0
    assert _count(db_session, ActivityEntry) == 0


def test_customers_redact_erases_that_customer_only(app, client, db_session, shopify_installation):
    redact = for_shop(load_fixture("customers_redact"))
    customer = redact["customer"]
    theirs = load_fixture("orders_create")
    theirs["customer"] = {
        **(theirs.get("customer") or {}),
        "id": customer["id"],
        "email": customer["email"],
    }
    theirs["email"] = customer["email"]
    other = load_fixture("orders_create")
    other["id"] = 999000111
    other["customer"] = {
        **(other.get("customer") or {}),
        "id": 42,
        "email": "someone.else@example.com",
    }
    other["email"] = "someone.else@example.com"
    for payload in (theirs, other):
        post_webhook(client, "orders/create", SHOP, payload)
    post_webhook(client, "customers/redact", SHOP, redact)
    assert app.extensions["jobs"].wait_idle(5)
    rows = {r.topic + ":" + str(r.id): r for r in _deliveries(db_session)}
    bodies = [r.body for r in rows.values()]
    assert not any(customer["email"].encode() in b for b in bodies)
    assert any(b"someone.else@example.com" in b for b in bodies)
    entry = db_session.scalar(select(ActivityEntry).where(ActivityEntry.kind == "privacy"))
    assert entry.details["records_redacted"] == 1


def test_customers_data_request_tells_the_merchant_what_is_held(
    app, client, db_session, shopify_installation
):
    request = for_shop(load_fixture("customers_data_request"))
    order = load_fixture("orders_create")
    order["email"] = request["customer"]["email"]
    order["customer"] = {**(order.get("customer") or {}), "email": request["customer"]["email"]}
    post_webhook(client, "orders/create", SHOP, order)
    post_webhook(client, "customers/data_request", SHOP, request)
    assert app.extensions["jobs"].wait_idle(5)
    entry = db_session.scalar(select(ActivityEntry).where(ActivityEntry.kind == "privacy"))
    assert "holds 1 stored webhook records" in entry.message
    assert entry.details["topics"] == ["orders/create"]


def test_sandbox_deliveries_reach_the_live_app_end_to_end(live_app, shopify_sandbox, db_session):
    """Install for real, then let the sandbox deliver, sign and uninstall as Shopify would."""
    # Shopify only accepts public HTTPS addresses; the sandbox routes that one to our server.
    shopify_sandbox.route_callbacks("https://stockguard.example", live_app.config["APP_URL"])
    live_app.config["APP_URL"] = "https://stockguard.example"
    client = live_app.test_client()
    shopify_sandbox.create_shop(SHOP, name="Test Store")
    assert install(client, SHOP).status_code == 302
    [delivery] = shopify_sandbox.deliver_webhook(
        SHOP, "orders/create", load_fixture("orders_create"), event_id="e2e-1"
    )
    assert delivery.status_code == 200
    again = shopify_sandbox.deliver_webhook(
        SHOP, "orders/create", load_fixture("orders_create"), event_id="e2e-1"
    )
    assert again[0].status_code == 200
    shopify_sandbox.uninstall_app(SHOP)
    assert live_app.extensions["jobs"].wait_idle(5)
    inst = wait_for(lambda: _uninstalled(db_session), message="app/uninstalled not applied")
    assert inst.credentials == {}
    assert [r.topic for r in _deliveries(db_session)] == ["orders/create", "app/uninstalled"]


def _uninstalled(session):
    session.expire_all()
    inst = Installation.find(session, "shopify", SHOP)
    return inst if inst is not None and inst.status == "uninstalled" else None
