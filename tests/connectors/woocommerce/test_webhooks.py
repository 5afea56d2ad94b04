"""WooCommerce webhook inbox: captured deliveries and pings, signatures on raw bytes, dedupe."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import WebhookDelivery
from tests.conftest import wait_for

CAPTURES = Path(__file__).parent / "fixtures" / "captures"


def capture(name: str) -> dict:
    return json.loads((CAPTURES / f"{name}.json").read_text())


def _headers(cap: dict) -> dict:
    headers = cap["headers"]
    pairs = headers if isinstance(headers, list) else list(headers.items())
    skip = {"host", "content-length", "connection", "accept-encoding"}
    return {k: v for k, v in pairs if k.lower() not in skip}


def _raw(cap: dict) -> bytes:
    raw = cap.get("body_raw")
    return raw.encode() if isinstance(raw, str) else bytes(raw)


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(WebhookDelivery))


def test_captured_delivery_verifies_on_raw_bytes_and_is_recorded(
    client, db_session, woo_installation
):
    cap = capture("webhook-delivery-product-updated")
    raw = _raw(cap)
    assert b"\\/" in raw  # WooCommerce escapes slashes; we must not re-serialise
    resp = client.post(
        f"/webhooks/woocommerce/{woo_installation.id}", data=raw, headers=_headers(cap)
    )
    assert resp.status_code == 200, resp.get_json()
    [row] = db_session.scalars(select(WebhookDelivery)).all()
    payload = json.loads(raw)
    assert row.topic == "product.updated"
    digest = hashlib.sha256(raw).hexdigest()[:16]
    assert row.dedupe_key == (
        f"{woo_installation.id}:product.updated:{payload['id']}:{payload['date_modified_gmt']}:{digest}"
    )
    assert row.body == raw


def test_redelivery_of_the_same_state_is_a_duplicate(client, db_session, woo_installation):
    cap = capture("webhook-delivery-product-updated")
    for _ in range(2):
        resp = client.post(
            f"/webhooks/woocommerce/{woo_installation.id}", data=_raw(cap), headers=_headers(cap)
        )
        assert resp.status_code == 200
    assert _count(db_session) == 1


def test_order_created_and_updated_with_identical_bodies_are_two_events(
    client, db_session, woo_installation
):
    for name in ("webhook-delivery-order-created", "webhook-delivery-order-updated-on-create"):
        cap = capture(name)
        resp = client.post(
            f"/webhooks/woocommerce/{woo_installation.id}", data=_raw(cap), headers=_headers(cap)
        )
        assert resp.status_code == 200
    assert sorted(db_session.scalars(select(WebhookDelivery.topic))) == [
        "order.created",
        "order.updated",
    ]


def test_activation_ping_is_acknowledged_without_a_signature(client, db_session, woo_installation):
    cap = capture("webhook-ping")
    resp = client.post(
        f"/webhooks/woocommerce/{woo_installation.id}", data=_raw(cap), headers=_headers(cap)
    )
    assert resp.status_code == 200 and resp.get_json()["note"] == "activation ping"
    assert _count(db_session) == 0


def test_ping_for_an_unknown_installation_is_404(client):
    cap = capture("webhook-ping")
    assert (
        client.post(
            "/webhooks/woocommerce/424242", data=_raw(cap), headers=_headers(cap)
        ).status_code
        == 404
    )


def test_wrong_secret_is_401(client, db_session, woo_installation):
    from extensions import db

    woo_installation.credentials = {
        **woo_installation.credentials,
        "webhook_secret": "another-secret",
    }
    db.session.commit()
    cap = capture("webhook-delivery-product-updated")
    resp = client.post(
        f"/webhooks/woocommerce/{woo_installation.id}", data=_raw(cap), headers=_headers(cap)
    )
    assert resp.status_code == 401
    assert _count(db_session) == 0


def test_re_serialised_body_fails_the_signature(client, db_session, woo_installation):
    cap = capture("webhook-delivery-product-updated")
    reencoded = json.dumps(json.loads(_raw(cap)), separators=(",", ":")).encode()
    resp = client.post(
        f"/webhooks/woocommerce/{woo_installation.id}", data=reencoded, headers=_headers(cap)
    )
    assert resp.status_code == 401


def _signed(body: bytes, topic="product.updated", secret="test-secret"):
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": sig,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
    }


@pytest.mark.parametrize("body", [b'{"id": 1,', b"[1]", b'{"name":"no id"}', b'{"id":"12"}'])
def test_malformed_bodies_are_400(client, db_session, woo_installation, body):
    resp = client.post(
        f"/webhooks/woocommerce/{woo_installation.id}", data=body, headers=_signed(body)
    )
    assert resp.status_code == 400
    assert _count(db_session) == 0


def test_unknown_installation_is_404(client, db_session):
    body = b'{"id":1}'
    assert (
        client.post("/webhooks/woocommerce/999", data=body, headers=_signed(body)).status_code
        == 404
    )
    assert client.post("/webhooks/woocommerce", data=body, headers=_signed(body)).status_code == 404


def test_unknown_topic_is_acknowledged(client, db_session, woo_installation):
    body = b'{"id":1}'
    resp = client.post(
        f"/webhooks/woocommerce/{woo_installation.id}",
        data=body,
        headers=_signed(body, topic="coupon.created"),
    )
    assert resp.status_code == 200 and _count(db_session) == 0


def test_oversized_body_is_413(client, db_session, woo_installation):
    body = b'{"id":1,"pad":"' + b"x" * (1024 * 1024) + b'"}'
    resp = client.post(
        f"/webhooks/woocommerce/{woo_installation.id}", data=body, headers=_signed(body)
    )
    assert resp.status_code == 413
    assert _count(db_session) == 0


def test_sandbox_order_delivers_signed_webhooks_end_to_end(live_app, woo_sandbox, db_session):
    from tests.connectors.woocommerce.test_install import _start

    client = live_app.test_client()
    woo_sandbox.approve(_start(client, woo_sandbox.base_url).headers["Location"])
    product = woo_sandbox.create_product("Linen shirt", sku="SHIRT-1", stock_quantity=5)
    woo_sandbox.wait_for_deliveries(timeout=5)
    woo_sandbox.place_order(
        line_items=[{"product_id": product["id"], "quantity": 2}], status="processing"
    )
    woo_sandbox.wait_for_deliveries(timeout=5)
    topics = wait_for(lambda: _topics(db_session) if len(_topics(db_session)) >= 3 else None)
    assert {"order.created", "order.updated", "product.updated"} <= set(topics)
    failed = [
        d for d in woo_sandbox.deliveries if _status(d) != 200 and b"webhook_id=" not in _body(d)
    ]
    assert failed == []


def _topics(session):
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery.topic)))


def _status(d):
    return (
        d["status"]
        if isinstance(d, dict)
        else getattr(d, "status", getattr(d, "response_status", None))
    )


def _body(d):
    return d["body"] if isinstance(d, dict) else getattr(d, "body", b"")
