"""Drive Shopify's install the way a merchant's browser does, against the Shopify sandbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from tests.conftest import SHOPIFY_API_SECRET


def begin_install(client, shop: str):
    """GET /auth/shopify/install; returns the response (302 to Shopify's authorize page)."""
    return client.get("/auth/shopify/install", query_string={"shop": shop})


def authorize(authorize_url: str) -> str:
    """What Shopify does after the merchant approves: the redirect back to our callback."""
    resp = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def install(client, shop: str):
    """The whole install: our redirect → sandbox consent → our callback. Returns the callback response."""
    start = begin_install(client, shop)
    assert start.status_code == 302, start.get_data(as_text=True)
    back = authorize(start.headers["Location"])
    return client.get(path_of(back))


def callback_params(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def signed_headers(
    topic: str,
    shop: str,
    body: bytes,
    *,
    event_id: str | None = None,
    secret: str = SHOPIFY_API_SECRET,
) -> dict:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Hmac-Sha256": digest,
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Triggered-At": "2026-11-22T10:00:00.000Z",
    }


def post_webhook(client, topic: str, shop: str, payload, **kw):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        "/webhooks/shopify", data=body, headers=signed_headers(topic, shop, body, **kw)
    )
