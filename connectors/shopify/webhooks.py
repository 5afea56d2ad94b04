"""Shopify webhooks: signature, dedupe key, topic parsing, subscriptions.

https://shopify.dev/docs/apps/build/webhooks
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from flask import current_app
from sqlalchemy import select

import inputs
from connectors.base import (
    AccessChanged,
    Acknowledge,
    AppUninstalled,
    CustomerDataRequested,
    CustomerRedacted,
    Disconnection,
    Event,
    ShopRedacted,
    VerifiedWebhook,
    WebhookRegistration,
    WebhookRejected,
)
from connectors.shopify import app_toml, tokens
from connectors.shopify.client import ShopifyClient
from connectors.shopify.events import STOCK_PARSERS
from connectors.shopify.oauth import PLATFORM, normalize_shop
from extensions import db
from models import Installation

log = logging.getLogger(__name__)

# Topics StockGuard subscribes to (GraphQL enum form): shopify.app.toml's app-specific list.
# Shopify delivers those for every install once the configuration is deployed; they are also
# registered through the API per shop, so installs made before the deploy keep receiving them.
# A topic both ways arrives twice with one X-Shopify-Event-Id, and the inbox's dedupe key
# records it once. https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates
SUBSCRIBED_TOPICS = tuple(t.replace("/", "_").upper() for t in app_toml.webhook_topics())
# Mandatory compliance topics: configured in shopify.app.toml, not through the API, and
# delivered even for shops we no longer (or never) held data for.
PRIVACY_TOPICS = tuple(app_toml.compliance_topics())
# Topics Shopify may still send (old subscriptions) that need no work: acknowledged, not recorded.
IGNORED_TOPICS = frozenset({"orders/updated", "orders/paid"})
# Where a payload names its shop (webhook-schemas/2026-04): it must be the header's shop. All
# Shopify apps share one signing secret per app, and the HMAC covers the body only, so a body
# signed for shop A replayed with shop C's X-Shopify-Shop-Domain would otherwise act on C.
SHOP_FIELDS = {
    "app/uninstalled": ("myshopify_domain",),
    "shop/redact": ("shop_domain",),
    "customers/redact": ("shop_domain",),
    "customers/data_request": ("shop_domain",),
}


def webhook_uri() -> str:
    return current_app.config["APP_URL"] + "/webhooks/shopify"


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(raw body, app secret)), compared in constant time."""
    if not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.strip().encode())


def verify(request, installation_id: int | None) -> VerifiedWebhook | Acknowledge:  # noqa: ARG001
    body = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not signature_ok(
        body, request.headers.get("X-Shopify-Hmac-Sha256"), current_app.config["SHOPIFY_API_SECRET"]
    ):
        raise WebhookRejected(401, "invalid X-Shopify-Hmac-Sha256")
    topic = (request.headers.get("X-Shopify-Topic") or "").strip().lower()
    shop = normalize_shop(request.headers.get("X-Shopify-Shop-Domain"))
    if not topic or shop is None:
        raise WebhookRejected(400, "missing X-Shopify-Topic or X-Shopify-Shop-Domain")
    if topic in IGNORED_TOPICS:
        return Acknowledge(f"topic {topic} needs no work")
    if topic not in TOPIC_PARSERS:
        log.warning("unknown Shopify topic %s from %s acknowledged", topic, shop)
        return Acknowledge(f"unknown topic {topic}")
    try:
        payload = inputs.loads(body, allow_nul=True)  # nesting past 64 levels: 400
    except (ValueError, UnicodeDecodeError) as e:
        raise WebhookRejected(400, "body is not JSON") from e
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "body is not a JSON object")

    _check_shop(topic, payload, shop)
    installation_id = Installation.cached_id(db.autocommit, PLATFORM, shop)
    if installation_id is not None and topic == "app/scopes_update":
        _check_shop_id(payload, installation_id, shop)
    if installation_id is None:
        if topic in PRIVACY_TOPICS:
            return Acknowledge(f"{topic} for {shop}: StockGuard holds no data for it")
        raise WebhookRejected(404, f"no installation for {shop}")

    event_id = request.headers.get("X-Shopify-Event-Id") or request.headers.get(
        "X-Shopify-Webhook-Id"
    )
    # Shopify retries with the same event id: that is the dedupe key across its 8 retries.
    dedupe = event_id or "sha256:" + hashlib.sha256(topic.encode() + b"\0" + body).hexdigest()
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower().startswith("x-shopify-") and k.lower() != "x-shopify-hmac-sha256"
    }
    return VerifiedWebhook(PLATFORM, installation_id, topic, f"{topic}:{dedupe}", body, headers)


def _check_shop(topic: str, payload: dict, shop: str) -> None:
    """Refuse a body that names another shop than X-Shopify-Shop-Domain (or names none)."""
    fields = SHOP_FIELDS.get(topic)
    if not fields:
        return
    named = [payload.get(f) for f in fields if payload.get(f) is not None]
    if not named or any(normalize_shop(str(v)) != shop for v in named):
        raise WebhookRejected(401, f"{topic} body does not name {shop}")


def _check_shop_id(payload: dict, installation_id: int, shop: str) -> None:
    """app/scopes_update names its shop by gid only: compare with the id stored at install."""
    with db.autocommit.connect() as conn:
        settings = conn.execute(
            select(Installation.settings).where(Installation.id == installation_id)
        ).scalar()
    known = (settings or {}).get("shop_id")
    if known and str(payload.get("shop_id")) != str(known):
        raise WebhookRejected(401, f"app/scopes_update body does not name {shop}")


# --------------------------------------------------------------------------- parsing


def _ids(*values) -> tuple[str, ...]:
    return tuple(str(v) for v in values if v not in (None, ""))


def _customer_redact(payload: dict) -> list[Event]:
    customer = payload.get("customer") or {}
    return [
        CustomerRedacted(
            customer_ids=_ids(customer.get("id")),
            emails=_ids(customer.get("email")),
            phones=_ids(customer.get("phone")),
            order_ids=_ids(*(payload.get("orders_to_redact") or [])),
        )
    ]


def _customer_data_request(payload: dict) -> list[Event]:
    customer = payload.get("customer") or {}
    return [
        CustomerDataRequested(
            customer_ids=_ids(customer.get("id")),
            emails=_ids(customer.get("email")),
            phones=_ids(customer.get("phone")),
            order_ids=_ids(*(payload.get("orders_requested") or [])),
            request_id=str((payload.get("data_request") or {}).get("id") or "") or None,
        )
    ]


def _scopes_update(payload: dict) -> list[Event]:
    """https://shopify.dev/changelog/new-webhook-topic-app-scopes_update (``current``)."""
    current = payload.get("current")
    if not isinstance(current, list):
        raise ValueError("app/scopes_update without a current list")
    granted = tuple(str(s) for s in current)
    return [AccessChanged(granted=granted, missing=tuple(app_toml.missing_scopes(list(granted))))]


TOPIC_PARSERS = {
    "app/uninstalled": lambda payload: [AppUninstalled()],
    "app/scopes_update": _scopes_update,
    "shop/redact": lambda payload: [ShopRedacted()],
    "customers/redact": _customer_redact,
    "customers/data_request": _customer_data_request,
    **STOCK_PARSERS,
}


def parse(topic: str, payload: dict) -> list[Event] | None:
    parser = TOPIC_PARSERS.get(topic)
    return parser(payload) if parser else None


# --------------------------------------------------------------------------- subscriptions


def register_webhooks_for(client: ShopifyClient) -> WebhookRegistration:
    """Create or repoint this app's subscriptions so each topic we need reaches us once."""
    uri = webhook_uri()
    existing = {sub["topic"]: sub for sub in client.webhook_subscriptions()}
    result = WebhookRegistration()
    for topic in SUBSCRIBED_TOPICS:
        current = existing.get(topic)
        if current is None:
            client.create_webhook_subscription(topic, uri)
            result.created.append(topic)
        elif current.get("uri") != uri:
            client.update_webhook_subscription(current["id"], uri)
            result.updated.append(topic)
        else:
            result.kept.append(topic)
    return result


def register(installation: Installation) -> WebhookRegistration:
    return register_webhooks_for(tokens.client_for(installation))


# Shopify removes an app's webhook subscriptions itself when the merchant uninstalls it, and
# then tells us (app/uninstalled, later shop/redact): StockGuard never cuts the store off itself.
UNINSTALL_STEPS = {
    "en": "Shopify stores disconnect StockGuard by uninstalling the app: Shopify admin → "
    "Settings → Apps → StockGuard → Uninstall. Shopify then removes its webhooks and tells "
    "StockGuard.",
    "fr": "Une boutique Shopify déconnecte StockGuard en désinstallant l'application : admin "
    "Shopify → Paramètres → Applications → StockGuard → Désinstaller. Shopify supprime alors "
    "ses webhooks et prévient StockGuard.",
}


def unregister(installation: Installation) -> Disconnection:
    """Nothing to do from here: the merchant uninstalls in Shopify admin (see UNINSTALL_STEPS)."""
    return Disconnection(done=False, steps=dict(UNINSTALL_STEPS))
