"""Shopify Admin GraphQL client: the ShopifyAPI library's session and endpoint, typed errors."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request

import shopify

from config import SHOPIFY_API_VERSION
from connectors.errors import (
    ConnectorError,
    InvalidRequest,
    NotFound,
    RateLimited,
    Transient,
    Unauthorized,
)
from connectors.shopify import graphql as docs

log = logging.getLogger(__name__)


class _GraphQL(shopify.GraphQL):
    """ShopifyAPI's GraphQL endpoint with a timeout.

    The library's ``execute`` waits forever on a silent server and prints error bodies to
    stdout; this keeps its endpoint and headers (set by ``shopify.Session``) and adds both a
    timeout and the response headers we need for throttling.
    """

    def post(self, payload: dict, timeout: float) -> tuple[int, dict, bytes]:
        headers = self.merge_headers(
            {"Accept": "application/json", "Content-Type": "application/json"}, self.headers
        )
        req = urllib.request.Request(  # noqa: S310 - endpoint is https://{shop}/admin/api/...
            self.endpoint, json.dumps(payload).encode(), headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers or {}), e.read()


class _Budget:
    """What this process knows of each shop's cost bucket, to wait instead of being throttled.

    Shopify restores ``restoreRate`` points a second up to ``maximumAvailable`` and refuses a
    query whose requested cost exceeds what is available (THROTTLED). Every answer reports the
    bucket; the last requested cost of each document tells what the next call will need.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float, float, float]] = {}
        self._costs: dict[tuple[str, int], float] = {}

    @staticmethod
    def _key(shop: str, document: str, variables: dict | None) -> tuple:
        # A document's cost grows with the lists it is given (250 ids cost more than 1).
        return (shop, hash(document), _size(variables))

    def wait(self, shop: str, document: str, variables: dict | None = None) -> None:
        with self._lock:
            need = self._costs.get(self._key(shop, document, variables))
            state = self._buckets.get(shop)
        if not need or not state:
            return
        available, maximum, rate, at = state
        now = time.monotonic()
        estimate = min(maximum, available + rate * (now - at))
        if estimate < need and rate > 0:
            time.sleep(min(MAX_THROTTLE_WAIT, (need - estimate) / rate))

    def record(self, shop: str, document: str, variables: dict | None, cost: dict | None) -> None:
        if not cost:
            return
        status = cost.get("throttleStatus") or {}
        with self._lock:
            if cost.get("requestedQueryCost") is not None:
                key = self._key(shop, document, variables)
                self._costs[key] = float(cost["requestedQueryCost"])
            if status:
                self._buckets[shop] = (
                    float(status.get("currentlyAvailable", 0)),
                    float(status.get("maximumAvailable", 1000)),
                    float(status.get("restoreRate", 50)),
                    time.monotonic(),
                )


def _size(value) -> int:
    """The length of the longest list inside ``value`` (0 without lists)."""
    if isinstance(value, list):
        return max([len(value)] + [_size(v) for v in value[:1]])
    if isinstance(value, dict):
        return max([_size(v) for v in value.values()] or [0])
    return 0


MAX_THROTTLE_WAIT = 30.0
MAX_ATTEMPTS = 6
budget = _Budget()


class ShopifyClient:
    """Admin GraphQL calls for one shop. https://shopify.dev/docs/api/admin-graphql/2026-04"""

    def __init__(
        self,
        shop: str,
        token: str | None = None,
        *,
        token_source=None,
        timeout: float = 10.0,
    ):
        """``token``: a token just granted (install); ``token_source(failed=None)``: where an
        installation's client gets a usable token (connectors/shopify/tokens.py ``fresh_token``),
        asked again with the refused token after a 401."""
        if (token is None) == (token_source is None):
            raise ValueError("give a token or a token_source")
        self.shop = shop
        self._token = token
        self._token_source = token_source
        self.timeout = timeout
        self.last_cost: dict | None = None

    def __repr__(self) -> str:  # never shows the token
        return f"<ShopifyClient {self.shop}>"

    def graphql(self, document: str, variables: dict | None = None) -> dict:
        """Run ``document``; return ``data`` or raise a typed ``ConnectorError``.

        Waits for the cost bucket rather than spending calls on THROTTLED answers, and retries
        a throttled call (GraphQL THROTTLED or HTTP 429 with Retry-After) a few times.
        """
        renewed = False
        for attempt in range(MAX_ATTEMPTS):
            budget.wait(self.shop, document, variables)
            token = self._token if self._token_source is None else self._token_source()
            try:
                return self._graphql_once(document, variables, token)
            except Unauthorized:
                # An expiring token may have lapsed (or been rotated by another process):
                # renew it and retry once; a second 401 is a real refusal.
                if self._token_source is None or renewed:
                    raise
                renewed = True
                self._token_source(failed=token)
            except RateLimited as e:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                time.sleep(min(MAX_THROTTLE_WAIT, e.retry_after))
        raise AssertionError("unreachable")

    def _graphql_once(self, document: str, variables: dict | None, token: str) -> dict:
        payload = {"query": document, "variables": variables or {}}
        try:
            with shopify.Session.temp(self.shop, SHOPIFY_API_VERSION, token):
                status, headers, body = _GraphQL().post(payload, self.timeout)
        except TimeoutError as e:
            raise Transient(f"Shopify {self.shop} timed out") from e
        except urllib.error.URLError as e:
            raise Transient(f"Shopify {self.shop} unreachable: {e.reason}") from e
        text = body.decode("utf-8", "replace")
        if status == 401 or status == 403:
            raise Unauthorized(
                f"Shopify refused the token for {self.shop}", status=status, body=text
            )
        if status == 404:
            raise NotFound(f"Shopify has no shop {self.shop}", status=status, body=text)
        if status == 429:
            retry = float(headers.get("Retry-After", 2) or 2)
            raise RateLimited(f"Shopify {self.shop} rate limited", retry_after=retry, status=429)
        if status >= 500:
            raise Transient(f"Shopify {self.shop} answered {status}", status=status, body=text)
        if status != 200:
            raise InvalidRequest(f"Shopify {self.shop} answered {status}", status=status, body=text)
        try:
            result = json.loads(text)
        except ValueError as e:
            raise Transient(f"Shopify {self.shop} sent invalid JSON", status=status) from e
        self.last_cost = (result.get("extensions") or {}).get("cost")
        budget.record(self.shop, document, variables, self.last_cost)
        errors = result.get("errors")
        if errors:
            if any((err.get("extensions") or {}).get("code") == "THROTTLED" for err in errors):
                raise RateLimited(
                    f"Shopify {self.shop} throttled", retry_after=self._throttle_wait(), status=200
                )
            messages = "; ".join(str(err.get("message")) for err in errors)
            raise InvalidRequest(f"Shopify GraphQL error: {messages}", errors=errors, status=200)
        return result.get("data") or {}

    def _throttle_wait(self) -> float:
        """Seconds until the bucket holds what the last query asked for."""
        cost = self.last_cost or {}
        status = cost.get("throttleStatus") or {}
        need = float(cost.get("requestedQueryCost") or 0)
        have = float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 50)
        return max(1.0, (need - have) / rate)

    @staticmethod
    def _user_errors(result: dict, what: str) -> None:
        errors = result.get("userErrors") or []
        if errors:
            raise InvalidRequest(
                f"Shopify refused {what}: " + "; ".join(e.get("message", "") for e in errors),
                errors=errors,
            )

    # ------------------------------------------------------------------ endpoints

    def shop_info(self) -> dict:
        """The shop's name, domain and currency. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/shop"""
        return self.graphql(docs.SHOP_DOCUMENT)["shop"]

    def webhook_subscriptions(self) -> list[dict]:
        """All of this app's subscriptions. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/webhookSubscriptions"""
        found, after = [], None
        while True:
            data = self.graphql(docs.WEBHOOK_SUBSCRIPTIONS_DOCUMENT, {"after": after})
            conn = data["webhookSubscriptions"]
            found.extend(edge["node"] for edge in conn["edges"])
            if not conn["pageInfo"]["hasNextPage"]:
                return found
            after = conn["pageInfo"]["endCursor"]

    def create_webhook_subscription(self, topic: str, uri: str) -> dict:
        """https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/webhookSubscriptionCreate"""
        data = self.graphql(
            docs.WEBHOOK_SUBSCRIPTION_CREATE_DOCUMENT,
            {"topic": topic, "webhookSubscription": {"uri": uri, "format": "JSON"}},
        )["webhookSubscriptionCreate"]
        self._user_errors(data, f"the {topic} subscription")
        return data["webhookSubscription"]

    def update_webhook_subscription(self, subscription_id: str, uri: str) -> dict:
        """https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/webhookSubscriptionUpdate"""
        data = self.graphql(
            docs.WEBHOOK_SUBSCRIPTION_UPDATE_DOCUMENT,
            {"id": subscription_id, "webhookSubscription": {"uri": uri, "format": "JSON"}},
        )["webhookSubscriptionUpdate"]
        self._user_errors(data, f"the update of {subscription_id}")
        return data["webhookSubscription"]

    def delete_webhook_subscription(self, subscription_id: str) -> None:
        """https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/webhookSubscriptionDelete"""
        data = self.graphql(docs.WEBHOOK_SUBSCRIPTION_DELETE_DOCUMENT, {"id": subscription_id})
        self._user_errors(data["webhookSubscriptionDelete"], f"the deletion of {subscription_id}")


__all__ = ["ConnectorError", "ShopifyClient"]
