"""Sign and send webhook deliveries the way Shopify does.

https://shopify.dev/docs/apps/build/webhooks/subscribe/https — ``X-Shopify-Hmac-Sha256`` is the
base64 HMAC-SHA256 of the raw body with the app's client secret. Shopify allows 1 s to connect
and 5 s for the whole answer; slower endpoints count as failed deliveries.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 5.0
LOOPBACK_NAMES = {"localhost"}


@dataclass(frozen=True)
class Delivery:
    """One POST the sandbox made: where to, what came back, exactly what was sent."""

    url: str
    status_code: int | None  # None when the endpoint timed out or refused the connection
    headers: dict[str, str]
    body: bytes
    elapsed: float  # seconds
    error: str | None = None  # "timeout" or the connection error, else None
    delivered_to: str = ""  # the loopback URL actually contacted (after callback routing)
    response_body: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def encode_body(payload: dict) -> bytes:
    """Compact JSON, as Shopify sends it; receivers must verify these exact bytes."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def triggered_at() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def build_headers(
    *,
    topic: str,
    shop_domain: str,
    body: bytes,
    secret: str,
    api_version: str,
    event_id: str | None,
    webhook_id: str | None = None,
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Shopify-Captain-Hook",
        "Accept": "*/*",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": triggered_at(),
    }


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post(url: str, target: str, headers: dict[str, str], body: bytes) -> Delivery:
    """POST ``body`` to ``target`` (a loopback URL); ``url`` is the address as subscribed."""
    if not is_loopback(target):
        # The sandbox never reaches the internet: an unrouted public address is a test bug.
        raise ValueError(
            f"sandbox refuses to deliver to {target!r}: route it to loopback with "
            "ShopifySandbox.route_callbacks(public_origin, loopback_url)"
        )
    started = time.perf_counter()
    try:
        response = requests.post(
            target,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
        )
    except requests.Timeout:
        return Delivery(url, None, headers, body, time.perf_counter() - started, "timeout", target)
    except requests.ConnectionError as exc:
        return Delivery(url, None, headers, body, time.perf_counter() - started, str(exc), target)
    return Delivery(
        url,
        response.status_code,
        headers,
        body,
        time.perf_counter() - started,
        None,
        target,
        response.content,
    )


@dataclass
class WebhookEvent:
    """One event Shopify would send a webhook for, and what became of each subscriber's copy.

    ``deliveries`` were POSTed (whatever the answer); ``dropped`` lists the subscription
    addresses whose copy was lost on purpose (``ShopifySandbox.drop_webhooks``), never sent.
    """

    topic: str
    shop_domain: str
    event_id: str
    payload: dict
    deliveries: list[Delivery] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass
class DropRule:
    topic: str | None  # None: any topic
    remaining: int | None  # None: every matching delivery until cleared


class DropRules:
    """Deliveries to lose on purpose, so tests can exercise the reconcile job."""

    def __init__(self) -> None:
        self._rules: list[DropRule] = []
        self._lock = threading.Lock()

    def add(self, topic: str | None, count: int | None) -> None:
        with self._lock:
            self._rules.append(DropRule(topic, count))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, topic: str) -> bool:
        """Whether the next delivery of ``topic`` is to be lost (and count it)."""
        with self._lock:
            for rule in self._rules:
                if rule.topic in (None, topic) and (rule.remaining is None or rule.remaining > 0):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return True
        return False
