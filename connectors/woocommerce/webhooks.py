"""WooCommerce webhooks: signature, activation ping, dedupe key, topic parsing, registration.

https://woocommerce.com/document/webhooks/
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from flask import current_app

import inputs
from connectors.base import (
    Acknowledge,
    Disconnection,
    Event,
    VerifiedWebhook,
    WebhookRegistration,
    WebhookRejected,
)
from connectors.errors import Unauthorized
from connectors.woocommerce.auth import PLATFORM
from connectors.woocommerce.client import WooClient
from connectors.woocommerce.events import STOCK_PARSERS
from extensions import db
from models import Installation

log = logging.getLogger(__name__)

SUBSCRIBED_TOPICS = ("product.updated", "product.deleted", "order.created", "order.updated")
# Topics we may receive from webhooks a merchant added by hand: acknowledged, not recorded.
IGNORED_TOPICS = frozenset(
    {"product.created", "order.deleted", "order.restored", "product.restored"}
)


def delivery_url(installation_id: int) -> str:
    return f"{current_app.config['APP_URL']}/webhooks/woocommerce/{installation_id}"


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """X-WC-Webhook-Signature = base64(HMAC-SHA256(raw body bytes, secret)).

    WooCommerce bodies keep PHP's escaped slashes (``\\/``): verify the raw bytes, never a
    re-serialisation.
    """
    if not header or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.strip().encode())


def _is_ping(request, body: bytes) -> bool:
    # Activation ping: form-encoded ``webhook_id=N``, no signature and no X-WC-* headers.
    return (
        "X-WC-Webhook-Signature" not in request.headers
        and request.mimetype == "application/x-www-form-urlencoded"
        and body.startswith(b"webhook_id=")
        and body[len(b"webhook_id=") :].isdigit()
    )


def verify(request, installation_id: int | None) -> VerifiedWebhook | Acknowledge:
    if installation_id is None:
        raise WebhookRejected(404, "WooCommerce deliveries name their installation in the URL")
    installation = db.session.get(Installation, installation_id)
    if installation is None or installation.platform != PLATFORM:
        raise WebhookRejected(404, f"no WooCommerce installation {installation_id}")
    body = request.get_data(cache=True)
    if _is_ping(request, body):
        return Acknowledge("activation ping")
    secret = installation.credentials.get("webhook_secret", "")
    if not signature_ok(body, request.headers.get("X-WC-Webhook-Signature"), secret):
        raise WebhookRejected(401, "invalid X-WC-Webhook-Signature")
    topic = (request.headers.get("X-WC-Webhook-Topic") or "").strip().lower()
    if not topic:
        raise WebhookRejected(400, "missing X-WC-Webhook-Topic")
    if topic in IGNORED_TOPICS:
        return Acknowledge(f"topic {topic} needs no work")
    if topic not in SUBSCRIBED_TOPICS:
        log.warning(
            "unknown WooCommerce topic %s for installation %s acknowledged", topic, installation_id
        )
        return Acknowledge(f"unknown topic {topic}")
    if not installation.is_installed:
        # (A store whose key was revoked still sends signed deliveries: its sales are real.)
        return Acknowledge("installation is not active")
    try:
        payload = inputs.loads(body, allow_nul=True)  # nesting past 64 levels: 400
    except (ValueError, UnicodeDecodeError) as e:
        raise WebhookRejected(400, "body is not JSON") from e
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        raise WebhookRejected(400, "body is not a WooCommerce resource")
    # The delivery id changes on every send, so it can't dedupe: the resource's state can.
    # The modified time has one-second precision and two states of an order often share a
    # second (created, then cancelled): the body's digest tells them apart, while a
    # re-delivery of the same state carries the same bytes.
    modified = payload.get("date_modified_gmt") or payload.get("date_created_gmt") or ""
    digest = hashlib.sha256(body).hexdigest()[:16]
    dedupe = f"{installation_id}:{topic}:{payload['id']}:{modified}:{digest}"
    headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-wc-webhook-")}
    headers.pop("X-Wc-Webhook-Signature", None)
    headers.pop("X-WC-Webhook-Signature", None)
    return VerifiedWebhook(PLATFORM, installation_id, topic, dedupe, body, headers)


# WooCommerce has no uninstall or privacy webhooks: only stock topics.
TOPIC_PARSERS = STOCK_PARSERS


def parse(topic: str, payload: dict) -> list[Event] | None:
    parser = TOPIC_PARSERS.get(topic)
    return parser(payload) if parser else None


def register_with(installation_id: int, store_url: str, credentials: dict) -> WebhookRegistration:
    """Create, re-point or re-enable our webhooks; WooCommerce disables them silently after failures."""
    client = WooClient(store_url, credentials["consumer_key"], credentials["consumer_secret"])
    url = delivery_url(installation_id)
    ours = {w["topic"]: w for w in client.webhooks() if w.get("delivery_url") == url}
    result = WebhookRegistration()
    for topic in SUBSCRIBED_TOPICS:
        current = ours.get(topic)
        if current is None:
            client.create_webhook(
                name=f"StockGuard {topic}",
                topic=topic,
                delivery_url=url,
                secret=credentials["webhook_secret"],
            )
            result.created.append(topic)
        else:
            # Written even when nothing changed: the write proves the key may write (a
            # read-only key, or another app's, is refused here and the connection fails), and
            # the store signs with the secret StockGuard holds now. The REST API never returns
            # a webhook's secret (class-wc-rest-webhooks-v2-controller.php,
            # prepare_item_for_response), so only the store and StockGuard know it — the
            # WordPress plugin signs its launch requests with it (launch.py).
            client.update_webhook(
                current["id"], status="active", secret=credentials["webhook_secret"]
            )
            (result.kept if current.get("status") == "active" else result.updated).append(topic)
    return result


def register(installation: Installation) -> WebhookRegistration:
    return register_with(installation.id, installation.shop_domain, installation.credentials)


# WooCommerce has no REST endpoint to delete an API key: only the merchant can.
DELETE_KEY_STEPS = {
    "en": "Also delete StockGuard's API key in your WordPress admin: WooCommerce → Settings → "
    "Advanced → REST API → StockGuard → Revoke.",
    "fr": "Supprimez aussi la clé API de StockGuard dans l'administration WordPress : "
    "WooCommerce → Réglages → Avancé → API REST → StockGuard → Révoquer.",
}

KEY_REFUSED_STEPS = {
    "en": "StockGuard's API key no longer works, so its webhooks could not be removed: delete "
    "them in WooCommerce → Settings → Advanced → Webhooks (those named StockGuard), and the key "
    "in WooCommerce → Settings → Advanced → REST API if it is still listed.",
    "fr": "La clé API de StockGuard ne fonctionne plus : ses webhooks n'ont pas pu être "
    "supprimés. Supprimez-les dans WooCommerce → Réglages → Avancé → Webhooks (ceux nommés "
    "StockGuard), et la clé dans WooCommerce → Réglages → Avancé → API REST si elle y figure "
    "encore.",
}


def unregister(installation: Installation) -> Disconnection:
    """Delete the webhooks StockGuard registered on the store (``DELETE webhooks/{id}?force=true``).

    https://woocommerce.github.io/woocommerce-rest-api-docs/#delete-a-webhook
    """
    credentials = installation.credentials
    if not credentials.get("consumer_key"):
        return Disconnection(steps=dict(DELETE_KEY_STEPS))
    client = WooClient(
        installation.shop_domain, credentials["consumer_key"], credentials["consumer_secret"]
    )
    url = delivery_url(installation.id)
    removed = []
    try:
        for webhook in client.webhooks():
            if webhook.get("delivery_url") == url:
                client.delete_webhook(webhook["id"])
                removed.append(str(webhook.get("topic") or webhook["id"]))
    except Unauthorized:
        # The key was already deleted: the webhooks can't be removed with it. Deliveries they
        # still send are refused from now on (the secret is forgotten); WooCommerce disables a
        # webhook after repeated failures, or the merchant deletes them.
        return Disconnection(removed=removed, steps=dict(KEY_REFUSED_STEPS))
    return Disconnection(removed=removed, steps=dict(DELETE_KEY_STEPS))
