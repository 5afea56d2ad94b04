"""WooCommerce REST API (wc/v3) client: the `woocommerce` library, typed errors.

https://woocommerce.github.io/woocommerce-rest-api-docs/
"""

from __future__ import annotations

import requests
from woocommerce import API

from connectors.errors import (
    ConnectorError,
    InvalidRequest,
    NotFound,
    RateLimited,
    Transient,
    Unauthorized,
)


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
        try:
            if method in ("GET", "DELETE", "OPTIONS"):
                resp = getattr(self._api, method.lower())(endpoint, params=dict(params or {}))
            else:
                resp = getattr(self._api, method.lower())(endpoint, data, params=dict(params or {}))
        except requests.Timeout as e:
            raise Transient(f"{self.store_url} timed out on {endpoint}") from e
        except requests.RequestException as e:
            raise Transient(f"{self.store_url} unreachable: {type(e).__name__}") from e
        status, text = resp.status_code, resp.text
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
        try:
            body = resp.json()
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
