"""WooCommerce REST API (wc/v3) client: the `woocommerce` library, typed errors.

https://woocommerce.github.io/woocommerce-rest-api-docs/
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from woocommerce import API

import netguard
from connectors.errors import (
    ConnectorError,
    InvalidRequest,
    NotFound,
    RateLimited,
    Transient,
    Unauthorized,
)

# The largest answer read from a store: a page of 100 variable products is a few MiB.
MAX_RESPONSE_BYTES = 32 * 2**20


class StoreAddressRefused(InvalidRequest):
    """The store's address is not a public Internet address: StockGuard does not call it."""


def check_store_address(store_url: str) -> None:
    """Refuse a store whose host is (or resolves to) loopback, private or link-local, unless the
    deployment allows it (``STORE_PRIVATE_OK``: tests and the demo run stores on loopback)."""
    if has_app_context() and current_app.config.get("STORE_PRIVATE_OK"):
        return
    parts = urlsplit(store_url)
    if parts.port not in (None, 80, 443, 8080):
        # Web stores answer on the web's ports; anything else would let a user aim StockGuard
        # at another service (WordPress itself only calls out to these: wp_safe_remote_*).
        raise StoreAddressRefused(f"{store_url}: port {parts.port} is not a web store's")
    try:
        netguard.check_public(parts.hostname, parts.port)
    except netguard.PrivateAddress as e:
        raise StoreAddressRefused(f"{store_url} is not a public store address") from e


def site_info(store_url: str, timeout: float = 5.0) -> dict:
    """The store's WordPress REST index: ``name`` (the site title) and ``namespaces``.

    Public, no key needed (``WP_REST_Server::get_index``, ``GET /wp-json/?_fields=…``). Raises a
    ConnectorError when no WordPress REST API answers there with JSON.
    """
    check_store_address(store_url)
    url = store_url + "/wp-json/"
    try:
        resp = requests.get(
            url,
            params={"_fields": "name,home,namespaces"},
            timeout=timeout,
            allow_redirects=False,
            headers={"User-Agent": "StockGuard/0.1 (+woocommerce)"},
            stream=True,
        )
        raw = resp.raw.read(65536, decode_content=True)
        resp.close()
    except requests.RequestException as e:
        raise Transient(f"{store_url} unreachable: {type(e).__name__}") from e
    if resp.status_code != 200:
        raise InvalidRequest(f"{store_url}/wp-json/ answered {resp.status_code}")
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise InvalidRequest(f"{store_url}/wp-json/ is not WordPress's REST API") from e
    if not isinstance(body, dict):
        raise InvalidRequest(f"{store_url}/wp-json/ is not WordPress's REST API")
    name = body.get("name")
    namespaces = body.get("namespaces")
    return {
        "name": name.strip()[:255] if isinstance(name, str) and name.strip() else None,
        "namespaces": [n for n in namespaces if isinstance(n, str)]
        if isinstance(namespaces, list)
        else [],
    }


class WooClient:
    """Calls to one store. Over HTTPS the library sends Basic auth; over HTTP it signs OAuth 1.0a."""

    def __init__(self, store_url: str, consumer_key: str, consumer_secret: str, *, timeout=10.0):
        self.store_url = store_url
        self._api = API(
            url=store_url,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            version="wc/v3",
            timeout=timeout,
            user_agent="StockGuard/0.1 (+woocommerce)",
        )

    def __repr__(self) -> str:  # never shows the keys
        return f"<WooClient {self.store_url}>"

    def _call(self, method: str, endpoint: str, data=None, params=None):
        check_store_address(self.store_url)
        # A store that answers 3xx is not followed: it could point anywhere (SSRF).
        # Streamed and read up to a bound: a store (or something posing as one) answering
        # without end must not exhaust a worker's memory.
        options = {"params": dict(params or {}), "allow_redirects": False, "stream": True}
        try:
            if method in ("GET", "DELETE", "OPTIONS"):
                resp = getattr(self._api, method.lower())(endpoint, **options)
            else:
                resp = getattr(self._api, method.lower())(endpoint, data, **options)
            with resp:
                raw = bytearray()
                for chunk in resp.iter_content(65536):
                    raw += chunk
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise InvalidRequest(
                            f"{self.store_url} answered {endpoint} with more than "
                            f"{MAX_RESPONSE_BYTES // 2**20} MiB",
                            status=resp.status_code,
                        )
        except requests.Timeout as e:
            raise Transient(f"{self.store_url} timed out on {endpoint}") from e
        except requests.RequestException as e:
            raise Transient(f"{self.store_url} unreachable: {type(e).__name__}") from e
        status, text = resp.status_code, raw.decode(resp.encoding or "utf-8", errors="replace")
        if status in (401, 403):
            raise Unauthorized(
                f"{self.store_url} refused StockGuard's key", status=status, body=text
            )
        if status == 404:
            raise NotFound(f"{self.store_url}: {endpoint} not found", status=status, body=text)
        if status == 429:
            retry = float(resp.headers.get("Retry-After", 5) or 5)
            raise RateLimited(f"{self.store_url} rate limited", retry_after=retry, status=status)
        if status >= 500:
            raise Transient(f"{self.store_url} answered {status}", status=status, body=text)
        if 300 <= status < 400:
            raise InvalidRequest(
                f"{self.store_url} redirected {endpoint} elsewhere (not followed)", status=status
            )
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise Transient(f"{self.store_url} sent non-JSON ({status})", status=status) from e
        if status >= 400:
            message = body.get("message") if isinstance(body, dict) else text
            raise InvalidRequest(f"{self.store_url}: {message}", status=status, body=text)
        return body, resp.headers

    def get(self, endpoint: str, params: dict | None = None):
        """GET ``endpoint``; (json body, headers)."""
        return self._call("GET", endpoint, params=params)

    def post(self, endpoint: str, data: dict):
        """POST ``endpoint``; (json body, headers)."""
        return self._call("POST", endpoint, data)

    # ------------------------------------------------------------------ webhooks

    def webhooks(self) -> list[dict]:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-webhooks"""
        found, page = [], 1
        while True:
            body, headers = self._call("GET", "webhooks", params={"per_page": 100, "page": page})
            if not isinstance(body, list) or not all(isinstance(w, dict) for w in body):
                raise InvalidRequest(f"{self.store_url}: the webhooks list is not a list")
            found.extend(body)
            if page >= int(headers.get("X-WP-TotalPages", 1) or 1):
                return found
            page += 1

    def create_webhook(self, *, name: str, topic: str, delivery_url: str, secret: str) -> dict:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#create-a-webhook"""
        body, _ = self._call(
            "POST",
            "webhooks",
            {
                "name": name,
                "topic": topic,
                "delivery_url": delivery_url,
                "secret": secret,
                "status": "active",
            },
        )
        return body

    def update_webhook(self, webhook_id: int, **fields) -> dict:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#update-a-webhook"""
        body, _ = self._call("PUT", f"webhooks/{int(webhook_id)}", fields)
        return body

    def delete_webhook(self, webhook_id: int) -> None:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#delete-a-webhook"""
        self._call("DELETE", f"webhooks/{int(webhook_id)}", params={"force": "true"})


__all__ = ["ConnectorError", "WooClient"]
