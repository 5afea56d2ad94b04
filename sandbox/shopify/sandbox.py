"""``ShopifySandbox``: the object tests hold. State, knobs, and the webhook side of Shopify."""

from __future__ import annotations

import datetime as dt
import queue
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from . import payloads, tokens
from .admin_app import AppAdmin
from .admin_catalog import CatalogAdmin
from .admin_orders import OrdersAdmin, OutOfStock
from .catalog import ONLINE_STORE, Location, Publication
from .cost import LeakyBucket
from .server import create_app
from .state import (
    API_VERSION,
    RESTORE_RATES,
    SHOP_DOMAIN_RE,
    AuthorizationCode,
    IdSequence,
    ReceivedRequest,
    Shop,
    WebhookSubscription,
    topic_enum,
)
from .storefront_pages import StorefrontPages
from .webhooks import Delivery, DropRules, WebhookEvent, build_headers, encode_body, post

__all__ = ["Fault", "Faults", "OutOfStock", "ShopifySandbox"]


@dataclass
class Fault:
    remaining: int
    status: int | str  # an HTTP status, or "timeout"
    path_prefix: str
    retry_after: float
    hang_seconds: float


class Faults:
    """Queued failures for the next matching requests (``ShopifySandbox.fail_next``)."""

    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()
        self._release = threading.Event()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)
            self._release.clear()

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._queue:
                if path.startswith(fault.path_prefix) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._queue.remove(fault)
                    return fault
        return None

    def hang(self, seconds: float) -> None:
        self._release.wait(seconds)

    def clear(self) -> None:
        """Drop queued faults and let hung requests finish now."""
        with self._lock:
            self._queue.clear()
        self._release.set()


class ShopifySandbox(AppAdmin, CatalogAdmin, OrdersAdmin, StorefrontPages):
    """A loopback stand-in for Shopify: OAuth, Admin GraphQL 2026-04, signed webhooks.

    ``plan`` sets the GraphQL restore rate (standard 100, advanced 200, plus 1000,
    enterprise 2000 points/second; the bucket holds 2000). ``clock`` (seconds, monotonic)
    drives the bucket and code expiry; pass a fake one to control time in tests. ``seed``
    fixes the order of shuffled webhook deliveries (``webhook_order="shuffle"``).

    The store admin's and shoppers' side (catalogue, stock edits, orders) is in
    ``admin_catalog.CatalogAdmin`` and ``admin_orders.OrdersAdmin``; its theme pages (what a
    shopper's browser loads) in ``storefront_pages.StorefrontPages``.
    """

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        plan: str = "standard",
        *,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
    ):
        if plan not in RESTORE_RATES:
            raise ValueError(f"plan must be one of {sorted(RESTORE_RATES)}")
        self.api_key = api_key
        self.api_secret = api_secret
        self.plan = plan
        # "once": a list of objects costs one object, as Shopify prices ``nodes(ids:)``;
        # "per_item": one object per element, the pessimistic bound (sandbox/shopify/cost.py).
        self.list_pricing = "once"
        self.clock = clock
        self.lock = threading.RLock()
        # True: webhooks caused by API writes leave after the answer, from a background thread,
        # as on Shopify (delivery is asynchronous). False: before the answer (tests that assert
        # on deliveries right after a call).
        self.async_webhooks = False
        self._outbox: queue.Queue = queue.Queue()
        self._outbox_thread: threading.Thread | None = None
        self.ids = IdSequence()
        self.shops: dict[str, Shop] = {}
        self.authorization_codes: dict[str, AuthorizationCode] = {}
        self.auto_grant = True  # real Shopify shows a consent screen; here the merchant says yes
        self.allowed_redirect_uris: list[str] | None = None  # the app's allowed redirection URLs
        self.requests_log: list[ReceivedRequest] = []
        self.unexpected_requests: list[ReceivedRequest] = []
        self.internal_errors: list[str] = []
        self.deliveries: list[Delivery] = []  # every attempt, retries included
        # Seconds before each retry of a failed delivery. Shopify retries 8 times over 4 hours;
        # none by default here (tests assert on single deliveries); the fault run sets a
        # compressed schedule.
        self.retry_delays: tuple[float, ...] = ()
        self.webhook_log: list[WebhookEvent] = []  # every event, sent or dropped, in order
        self.drops = DropRules()
        self.random = random.Random(seed)
        self.callback_routes: dict[str, str] = {}
        self.faults = Faults()
        # Offline tokens (sandbox/shopify/tokens.py). ``now`` is the wall clock token expiry and
        # the 2027 cut-off are judged by; tests replace it to move time.
        self.now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        self.tokens = tokens.TokenBook()
        self.access_token_ttl = tokens.ACCESS_TOKEN_TTL
        self.non_expiring_cutoff = tokens.NON_EXPIRING_CUTOFF
        # Answer the next n refreshes with 504 *after* Shopify processed them (a lost response:
        # the refresh token rotated, the app never saw the new pair).
        self.lose_refresh_responses = 0
        # The app's deployed configuration (``shopify app deploy`` of shopify.app.toml): the
        # scopes managed installation grants, and app-specific webhook subscriptions, which
        # apply to every shop the app is installed on and are not listed by the API.
        self.app_scopes: list[str] = []
        self.app_subscriptions: list[WebhookSubscription] = []
        self._buckets: dict[str, LeakyBucket] = {}
        self.wsgi_app = create_app(self)

    # ------------------------------------------------------------------ shops & tokens

    def create_shop(
        self,
        myshopify_domain: str,
        name: str = "Test Store",
        currency: str = "USD",
        *,
        email: str | None = None,
        plan: str | None = None,
    ) -> Shop:
        domain = myshopify_domain.lower()
        if not SHOP_DOMAIN_RE.match(domain):
            raise ValueError(f"{myshopify_domain!r} is not a *.myshopify.com domain")
        plan = plan or self.plan
        if plan not in RESTORE_RATES:
            raise ValueError(f"plan must be one of {sorted(RESTORE_RATES)}")
        with self.lock:
            shop = Shop(
                myshopify_domain=domain,
                name=name,
                currency=currency,
                legacy_id=self.ids.next(),
                email=email or f"owner@{domain}",
                plan=plan,
                primary_location_id=self.ids.next(),
                primary_domain_id=self.ids.next(),
            )
            # Every store starts with one location ("Shop location", as captured) and the
            # Online Store sales channel's publication.
            shop.catalog.locations.append(
                Location(shop.primary_location_id, "Shop location", self.ids.next())
            )
            shop.catalog.publications.append(
                Publication(
                    self.ids.next(),
                    "Online Store",
                    app_handle=ONLINE_STORE,
                    app_id=self.ids.next(),
                    catalog_id=self.ids.next(),
                )
            )
            self.shops[domain] = shop
        return shop

    def issue_token(self, shop_domain: str, scopes: list[str], *, online: bool = False) -> str:
        """Install the app (as a finished OAuth would) and return a new access token."""
        prefix = "shpua_" if online else "shpat_"
        token = prefix + secrets.token_hex(16)
        with self.lock:
            shop = self.shops[shop_domain]
            shop.installed = True
            shop.access_tokens.add(token)
            shop.token_scopes[token] = list(scopes)
        return token

    def bucket(self, shop: Shop) -> LeakyBucket:
        """The cost bucket of this app on ``shop`` (one app per sandbox)."""
        with self.lock:
            key = shop.myshopify_domain
            if key not in self._buckets:
                self._buckets[key] = LeakyBucket(RESTORE_RATES[shop.plan], self.clock)
            return self._buckets[key]

    def uninstall_app(self, shop_domain: str) -> list[Delivery]:
        """Revoke the app's tokens, drop its subscriptions, and send ``app/uninstalled``."""
        with self.lock:
            shop = self.shops[shop_domain]
            subscribers = self._subscribers(shop, "APP_UNINSTALLED")
            shop.revoked_tokens |= shop.access_tokens
            shop.access_tokens.clear()
            for pair in self.tokens.pairs.values():  # refresh tokens die with the install
                if pair.shop_domain == shop_domain:
                    pair.retired = True
            shop.installed = False
            # Shopify deletes an app's API-created subscriptions when it is uninstalled.
            shop.webhook_subscriptions.clear()
        return self._deliver(shop, "app/uninstalled", payloads.shop(shop), subscribers, None)

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        n: int = 1,
        status: int | str = 500,
        path_prefix: str = "/admin/api",
        *,
        retry_after: float = 2.0,
        hang_seconds: float = 30.0,
    ) -> None:
        """Answer the next ``n`` requests under ``path_prefix`` with a failure.

        ``status`` is an HTTP status (500, 502, 503, 429 with ``Retry-After``) or ``"timeout"``:
        the request is held for ``hang_seconds`` (or until ``reset_faults``), then gets 504.
        """
        if status != "timeout" and not (isinstance(status, int) and 400 <= status <= 599):
            raise ValueError("status must be an HTTP error status or 'timeout'")
        self.faults.add(Fault(n, status, path_prefix, retry_after, hang_seconds))

    def reset_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------ webhooks

    def route_callbacks(self, public_origin: str, loopback_url: str) -> None:
        """Deliver what is addressed to ``https://app.example`` to e.g. ``http://127.0.0.1:5001``.

        Subscriptions keep the public HTTPS address (Shopify refuses loopback/http addresses);
        deliveries are re-targeted so nothing leaves the machine.
        """
        self.callback_routes[public_origin.rstrip("/")] = loopback_url.rstrip("/")

    def _target(self, url: str) -> str:
        for origin, loopback in self.callback_routes.items():
            if url == origin or url.startswith(origin + "/") or url.startswith(origin + "?"):
                return loopback + url[len(origin) :]
        return url

    def deliver_webhook(
        self,
        shop_domain: str,
        topic: str,
        payload: dict,
        *,
        event_id: str | None = None,
        api_version: str = API_VERSION,
    ) -> list[Delivery]:
        """POST ``payload`` to every subscription for ``topic`` (REST form, ``orders/create``).

        All deliveries of one call share the ``X-Shopify-Event-Id`` (one event, many
        subscribers); each gets its own ``X-Shopify-Webhook-Id``.
        """
        shop = self.shops[shop_domain]
        with self.lock:
            subscribers = self._subscribers(shop, topic_enum(topic))
        return self._deliver(shop, topic, payload, subscribers, event_id, api_version)

    def _subscribers(self, shop: Shop, enum: str) -> list[WebhookSubscription]:
        """The shop's API subscriptions to ``enum``, then the app's (while it is installed)."""
        found = [s for s in shop.webhook_subscriptions if s.topic == enum]
        if shop.installed:
            found += [s for s in self.app_subscriptions if s.topic == enum]
        return found

    def _deliver(self, shop, topic, payload, subscribers, event_id, api_version=API_VERSION):
        event = WebhookEvent(topic, shop.myshopify_domain, event_id or str(uuid.uuid4()), payload)
        with self.lock:
            self.webhook_log.append(event)
        for sub in subscribers:
            if self.drops.take(topic):
                event.dropped.append(sub.uri)
                continue
            body_payload = payload
            if sub.include_fields:
                body_payload = {k: v for k, v in payload.items() if k in sub.include_fields}
            body = encode_body(body_payload)
            headers = build_headers(
                topic=topic,
                shop_domain=shop.myshopify_domain,
                body=body,
                secret=self.api_secret,
                api_version=api_version,
                event_id=event.event_id,
            )
            event.deliveries.append(self._post(sub.uri, headers, body))
        return list(event.deliveries)

    def drop_webhooks(self, topic: str | None = None, count: int | None = None) -> None:
        """Lose the next ``count`` deliveries of ``topic`` (None: any; all until cleared).

        Lost deliveries are not sent but stay visible in ``webhook_log`` (``dropped``), so a
        test can assert that the reconcile job repaired exactly what was lost.
        """
        self.drops.add(topic, count)

    def keep_webhooks(self) -> None:
        """Stop dropping deliveries."""
        self.drops.clear()

    def send_events(
        self, shop: Shop, events: list[tuple[str, dict]], *, order: str = "emitted"
    ) -> list[Delivery]:
        """Deliver ``(topic, payload)`` events; call without holding ``self.lock``.

        ``order="shuffle"``: Shopify does not guarantee the order webhooks arrive in.
        """
        if order not in ("emitted", "shuffle"):
            raise ValueError("webhook order must be 'emitted' or 'shuffle'")
        events = list(events)
        if order == "shuffle":
            with self.lock:
                self.random.shuffle(events)
        sent: list[Delivery] = []
        for topic, payload in events:
            with self.lock:
                subscribers = self._subscribers(shop, topic_enum(topic))
            sent += self._deliver(shop, topic, payload, subscribers, None)
        return sent

    def send_events_later(self, shop: Shop, events: list[tuple[str, dict]]) -> None:
        """Queue events for the background sender (one thread: order kept)."""
        with self.lock:
            if self._outbox_thread is None:
                self._outbox_thread = threading.Thread(target=self._send_loop, daemon=True)
                self._outbox_thread.start()
        self._outbox.put((shop, list(events)))

    def _send_loop(self) -> None:
        while True:
            shop, events = self._outbox.get()
            try:
                self.send_events(shop, events)
            finally:
                self._outbox.task_done()

    def send_signed(
        self,
        url: str,
        topic: str,
        shop_domain: str,
        body: bytes,
        *,
        event_id: str | None = None,
        api_version: str = API_VERSION,
    ) -> Delivery:
        """Sign ``body`` as-is and POST it to ``url`` (for TOML-configured privacy topics)."""
        headers = build_headers(
            topic=topic,
            shop_domain=shop_domain,
            body=body,
            secret=self.api_secret,
            api_version=api_version,
            event_id=event_id,
        )
        return self._post(url, headers, body)

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Retry a delivery exactly (same ids, body and signature), as Shopify's retries do."""
        return self._post(delivery.url, dict(delivery.headers), delivery.body)

    def _post(self, url: str, headers: dict[str, str], body: bytes, attempt: int = 0) -> Delivery:
        delivery = post(url, self._target(url), headers, body)
        with self.lock:
            self.deliveries.append(delivery)
        if not delivery.ok and attempt < len(self.retry_delays):
            # Shopify retries a failed delivery (no 2xx within 5 s) with the same event id.
            timer = threading.Timer(
                self.retry_delays[attempt], self._post, (url, headers, body, attempt + 1)
            )
            timer.daemon = True
            timer.start()
        return delivery
