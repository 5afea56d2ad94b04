"""Webhook resources, signed deliveries, activation pings and the silent auto-disable.

Mirrors ``class-wc-webhook.php``: a topic maps to hooks; each webhook delivers a resource at most
once per request; the body is ``wp_json_encode`` of the REST payload (``{"id": N}`` for deleted);
``X-WC-Webhook-Signature`` is base64 HMAC-SHA256 of those bytes; ``X-WC-Webhook-Delivery-ID`` is
``wp_hash(webhook_id . time())`` (so two deliveries of one webhook in the same second share it);
a 2xx/301/302 resets ``failure_count``, anything else increments it until it exceeds 5, and the
next failure (the 7th in a row) sets the status to ``disabled`` without telling anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import outbound
from .serialize import wp_date, wp_json_encode

USER_AGENT = "WooCommerce/10.0.2 Hookshot (WordPress/6.8.3)"
MAX_DELIVERY_FAILURES = 5  # woocommerce_max_webhook_delivery_failures
STATUSES = ("active", "paused", "disabled")
TOPIC_HOOKS = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": [
        "user_register",
        "woocommerce_created_customer",
        "woocommerce_new_customer",
    ],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}
VALID_RESOURCES = ("coupon", "customer", "order", "product")
VALID_EVENTS = ("created", "updated", "deleted", "restored")


def is_valid_topic(topic: str) -> bool:
    """``wc_is_webhook_valid_topic``."""
    if topic.startswith(("action.woocommerce_", "action.wc_")):
        return True
    resource, _, event = topic.partition(".")
    return resource in VALID_RESOURCES and event in VALID_EVENTS


def specialchars_decode(secret: str) -> str:
    """``wp_specialchars_decode( $secret, ENT_QUOTES )``, applied to the secret before signing."""
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'")):
        secret = secret.replace(entity, char)
    return secret.replace("&#39;", "'").replace("&amp;", "&")


def sign(body: bytes, secret: str) -> str:
    """``WC_Webhook::generate_signature``: base64 of the raw HMAC-SHA256 of the body bytes."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Webhook:
    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    date_created: int
    user_id: int = 1
    failure_count: int = 0
    date_modified: int | None = None
    pending_delivery: bool = True

    @property
    def resource(self) -> str:
        return self.topic.partition(".")[0]

    @property
    def event(self) -> str:
        return self.topic.partition(".")[2]

    @property
    def hooks(self) -> list[str]:
        if self.resource == "action":
            return [self.event]
        return list(TOPIC_HOOKS.get(self.topic, []))


@dataclass
class Delivery:
    """One POST the store made: ``kind`` is ``webhook`` or ``ping``."""

    kind: str
    webhook_id: int
    topic: str | None
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    status: int | None = None
    error: str | None = None
    delivery_id: str | None = None
    sent_at: float = field(default_factory=time.time)


def webhook_json(wh: Webhook, base: str) -> dict:
    api = f"{base}/wp-json/wc/v3/webhooks"
    modified = wp_date(wh.date_modified) if wh.date_modified is not None else None
    return {
        "id": wh.id,
        "name": wh.name,
        "status": wh.status,
        "topic": wh.topic,
        "resource": wh.resource,
        "event": wh.event,
        "hooks": wh.hooks,
        "delivery_url": wh.delivery_url,
        "date_created": wp_date(wh.date_created),
        "date_created_gmt": wp_date(wh.date_created),
        "date_modified": modified,
        "date_modified_gmt": modified,
        "_links": {
            "self": [
                {
                    "href": f"{api}/{wh.id}",
                    "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                }
            ],
            "collection": [{"href": api}],
        },
    }


class WebhookDispatcher:
    """Holds webhooks and delivers in a background worker, like Action Scheduler would."""

    def __init__(self, store, payload_for: Callable[[str, int], dict | None], home_url):
        self.store = store
        self.payload_for = payload_for  # (resource, id) -> REST payload (view context)
        self.home_url = home_url  # () -> "http://127.0.0.1:PORT"
        self.webhooks: list[Webhook] = []
        self.deliveries: list[Delivery] = []
        self.ca_bundle: str | None = None
        self.timeout = 60.0  # WooCommerce uses MINUTE_IN_SECONDS
        self.routes: dict[str, str] = {}  # set by WooSandbox (route_callbacks)
        self._next_id = 0
        self._salt = secrets.token_bytes(32)  # wp_salt('auth')
        self._queue: queue.Queue = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._worker = threading.Thread(target=self._run, name="wc-webhooks", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ resources

    def get(self, webhook_id: int) -> Webhook | None:
        return next((w for w in self.webhooks if w.id == webhook_id), None)

    def create(
        self, *, topic: str, delivery_url: str, secret: str, name: str, status: str
    ) -> Webhook:
        """Insert a webhook (caller holds the store lock); ping it afterwards with :meth:`ping`."""
        self._next_id += 1
        wh = Webhook(
            id=self._next_id, name=name, status=status, topic=topic,
            delivery_url=delivery_url, secret=secret, date_created=self.store.now(),
        )  # fmt: skip
        self.webhooks.append(wh)
        return wh

    def delete(self, wh: Webhook) -> None:
        self.webhooks.remove(wh)

    def saved(self, wh: Webhook) -> None:
        """``$webhook->save()`` on an existing row stamps ``date_modified``."""
        wh.date_modified = self.store.now()

    # ------------------------------------------------------------------ pings

    def ping(self, wh: Webhook) -> bool:
        """``deliver_ping``: form-encoded ``webhook_id=N``, no signature, no X-WC-* headers.

        Sent synchronously by ``POST /webhooks`` without the store lock held; a failing ping
        neither fails the request nor counts as a delivery failure.
        """
        body = f"webhook_id={wh.id}".encode()
        headers = [
            ("Host", outbound.host_header(wh.delivery_url)),
            ("User-Agent", USER_AGENT),
            outbound.ACCEPT,
            outbound.ACCEPT_ENCODING,
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ]
        outcome = outbound.post(
            wh.delivery_url,
            headers,
            body,
            timeout=self.timeout,
            ca_bundle=self.ca_bundle,
            routes=self.routes,
        )
        self.deliveries.append(
            Delivery(
                "ping", wh.id, None, wh.delivery_url, headers, body, outcome.status, outcome.error
            )
        )
        if outcome.status == 200:
            with self.store.lock:
                wh.pending_delivery = False
                self.saved(wh)
            return True
        return False

    # ------------------------------------------------------------------ deliveries

    def on_commit(self, events: list[tuple[str, int]]) -> None:
        """Called with the store lock held when a request's changes are done."""
        processed: set[tuple[int, int]] = set()
        for topic, resource_id in events:
            for wh in self.webhooks:
                if wh.status != "active" or wh.topic != topic:
                    continue
                if (wh.id, resource_id) in processed:
                    continue  # WC_Webhook::is_already_processed
                processed.add((wh.id, resource_id))
                if wh.event == "deleted":
                    payload: dict | None = {"id": resource_id}
                else:
                    payload = self.payload_for(wh.resource, resource_id)
                if payload is None:
                    continue
                with self._idle:
                    self._pending += 1
                self._queue.put((wh.id, topic, wp_json_encode(payload)))

    def wait(self, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._pending} webhook deliveries still pending")
                self._idle.wait(remaining)
        return list(self.deliveries)

    def _run(self) -> None:
        while True:
            webhook_id, topic, body = self._queue.get()
            try:
                self._deliver(webhook_id, topic, body)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def delivery_id(self, webhook_id: int) -> str:
        """``wp_hash( $webhook_id . strtotime('now') )``: HMAC-MD5 with the site's auth salt."""
        data = f"{webhook_id}{int(self.store.clock())}".encode()
        return hmac.new(self._salt, data, hashlib.md5).hexdigest()

    def _deliver(self, webhook_id: int, topic: str, body: bytes) -> None:
        with self.store.lock:
            wh = self.get(webhook_id)
            if wh is None:
                return
            url, secret = wh.delivery_url, wh.secret
            resource, event = wh.resource, wh.event
        delivery_id = self.delivery_id(webhook_id)
        headers = [
            ("Host", outbound.host_header(url)),
            ("User-Agent", USER_AGENT),
            outbound.ACCEPT,
            outbound.ACCEPT_ENCODING,
            ("Content-Type", "application/json"),
            ("X-WC-Webhook-Source", self.home_url() + "/"),
            ("X-WC-Webhook-Topic", topic),
            ("X-WC-Webhook-Resource", resource),
            ("X-WC-Webhook-Event", event),
            ("X-WC-Webhook-Signature", sign(body, specialchars_decode(secret))),
            ("X-WC-Webhook-ID", str(webhook_id)),
            ("X-WC-Webhook-Delivery-ID", delivery_id),
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
        ]
        outcome = outbound.post(
            url, headers, body, timeout=self.timeout, ca_bundle=self.ca_bundle, routes=self.routes
        )
        with self.store.lock:
            self.deliveries.append(
                Delivery(
                    "webhook",
                    webhook_id,
                    topic,
                    url,
                    headers,
                    body,
                    outcome.status,
                    outcome.error,
                    delivery_id,
                )  # fmt: skip
            )
            wh = self.get(webhook_id)
            if wh is not None:
                self._log_delivery(wh, outcome.status)

    def _log_delivery(self, wh: Webhook, status: int | None) -> None:
        """``log_delivery`` + ``failed_delivery``."""
        if status is not None and 200 <= status < 303:
            wh.failure_count = 0
        elif wh.failure_count > MAX_DELIVERY_FAILURES:
            wh.status = "disabled"
        else:
            wh.failure_count += 1
        self.saved(wh)
