"""A loopback WooCommerce 10.0.2 store that answers as the captured real one did.

    sb = WooSandbox(ca_bundle=pki.bundle)
    srv = ServerThread(sb.wsgi_app).start()
    sb.base_url = srv.url

REST (``/wp-json/wc/v3``) is authenticated exactly as WooCommerce does over plain HTTP (OAuth 1.0a
only), app authorization lives at ``/wc-auth/v1``, and writes fire signed webhook deliveries from
a background worker. The methods below are what a shopper or the store admin would do in the
browser; tests use them to move stock behind the connector's back.
"""

from __future__ import annotations

import html
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests

from .models import ApiKey, WCError
from .orders import Orders
from .render import order_json, product_json, variation_json
from .server import create_app
from .store import Store, stock_amount
from .wcauth import WcAuth
from .webhooks import Delivery, Webhook, WebhookDispatcher, sign

__all__ = ["ApiKey", "Delivery", "WCError", "Webhook", "WooSandbox", "sign", "wp_die_message"]


def wp_die_message(page: str) -> str | None:
    """The message of a ``wp_die`` error page, e.g. "Error: The callback_url needs to be over SSL."."""
    match = re.search(r'<div class="wp-die-message">(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)) if match else None


@dataclass
class _Fault:
    remaining: int
    status: int | str
    path_prefix: str


DEFAULT_BILLING = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_1": "1 Main St",
    "city": "San Francisco",
    "state": "CA",
    "postcode": "94103",
    "country": "US",
    "email": "ada@example.com",
}


class WooSandbox:
    """State, HTTP surface and shopper/admin actions of one sandbox store."""

    def __init__(self, ca_bundle: str | None = None):
        self.base_url: str | None = None
        self.require_https_callback = True
        self.salt = secrets.token_bytes(32)
        self.store = Store()
        self.currency = "USD"  # Settings > General > Currency (``data/currencies/current``)
        # Settings > General > Site Title / Tagline (``blogname``, ``blogdescription``)
        self.site_title = "Sandbox Store"
        self.site_tagline = "Just another WordPress site"
        self.orders = Orders(self.store)
        self.dispatcher = WebhookDispatcher(self.store, self._payload_for, lambda: self.home)
        self.store.on_commit = self.dispatcher.on_commit
        self.wcauth = WcAuth(self)
        # public origin → loopback URL for callbacks and deliveries (see route_callbacks)
        self.callback_routes: dict[str, str] = {}
        self.dispatcher.routes = self.callback_routes
        self.ca_bundle = ca_bundle
        self.requests_log: list[dict] = []
        self.fault_hang_seconds = 30.0
        self.fault_retry_after = 1
        self.release = threading.Event()
        self._faults: list[_Fault] = []
        self._before: list[tuple[str, Callable[[], object]]] = []
        self._seen_host = "http://127.0.0.1"
        self.last_auth_error: str | None = None
        self.wsgi_app = create_app(self)

    # ------------------------------------------------------------------ configuration

    @property
    def ca_bundle(self) -> str | None:
        return self._ca_bundle

    @ca_bundle.setter
    def ca_bundle(self, value: str | None) -> None:
        self._ca_bundle = str(value) if value else None
        self.dispatcher.ca_bundle = self._ca_bundle

    @property
    def delivery_timeout(self) -> float:
        """Seconds a webhook delivery or ping may take (WooCommerce: 60)."""
        return self.dispatcher.timeout

    @delivery_timeout.setter
    def delivery_timeout(self, seconds: float) -> None:
        self.dispatcher.timeout = seconds

    @property
    def home(self) -> str:
        """``home_url()`` without the trailing slash."""
        return (self.base_url or self._seen_host).rstrip("/")

    def remember_host(self, host_url: str) -> None:
        self._seen_host = host_url

    @property
    def api_keys(self) -> list[ApiKey]:
        return self.store.api_keys

    @property
    def webhooks(self) -> list[Webhook]:
        return self.dispatcher.webhooks

    @property
    def deliveries(self) -> list[Delivery]:
        """Webhook deliveries and activation pings, in the order they were sent."""
        return self.dispatcher.deliveries

    @property
    def auth_callbacks(self) -> list[Delivery]:
        """The wc-auth key POSTs made to ``callback_url``."""
        return self.wcauth.callbacks

    # ------------------------------------------------------------------ faults

    def fail_next(self, n: int, status: int | str = 500, path_prefix: str = "/wp-json") -> None:
        """Answer the next ``n`` requests under ``path_prefix`` with 500, 429 or a hang."""
        self._faults.append(_Fault(n, status, path_prefix))

    def before_next(self, path_suffix: str, action: Callable[[], object]) -> None:
        """Run ``action`` once, just before the next write (POST/PUT) to a path ending with
        ``path_suffix`` is handled: a shopper's order landing between a client's read and its
        write, as it can on a real store."""
        with self.store.lock:
            self._before.append((path_suffix, action))

    def take_before(self, method: str, path: str) -> list[Callable[[], object]]:
        if method not in ("POST", "PUT"):
            return []
        with self.store.lock:
            due = [a for suffix, a in self._before if path.endswith(suffix)]
            self._before = [(s, a) for s, a in self._before if not path.endswith(s)]
        return due

    def take_fault(self, path: str) -> _Fault | None:
        with self.store.lock:
            for fault in self._faults:
                if fault.remaining > 0 and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    return fault
        return None

    def close(self) -> None:
        """Release requests held by a ``"timeout"`` fault."""
        self.release.set()

    # ------------------------------------------------------------------ webhooks

    def redeliver(self, delivery: Delivery) -> int | None:
        """Send a past delivery again, byte for byte (a test's duplicate); the status answered."""
        from .outbound import post

        outcome = post(
            delivery.url,
            delivery.headers,
            delivery.body,
            timeout=10,
            ca_bundle=self.ca_bundle,
            routes=self.callback_routes,
        )
        return outcome.status

    def route_callbacks(self, public_origin: str, loopback_url: str) -> None:
        """Send what WooCommerce addresses to ``https://app.example`` to a loopback server."""
        self.callback_routes[public_origin.rstrip("/")] = loopback_url.rstrip("/")

    def wait_for_deliveries(self, timeout: float = 5) -> list[Delivery]:
        """Block until every queued webhook delivery was attempted."""
        return self.dispatcher.wait(timeout)

    def _payload_for(self, resource: str, resource_id: int) -> dict | None:
        if resource == "product" and resource_id in self.store.products:
            return product_json(self.store, self.store.products[resource_id], self.home, "view")
        if resource == "order" and resource_id in self.store.orders:
            return order_json(self.store, self.store.orders[resource_id], self.home)
        return None

    # ------------------------------------------------------------------ admin actions

    def create_api_key(self, permissions: str = "read_write", user_id: int = 1) -> ApiKey:
        """Generate a key in WooCommerce > Settings > Advanced > REST API."""
        with self.store.tx():
            return self.store.create_api_key(user_id, permissions, "sandbox key")

    def revoke_api_key(self, key_id: int) -> None:
        """Revoke a key in WooCommerce > Settings > Advanced > REST API: every call made with it
        is then unauthenticated (401 ``woocommerce_rest_cannot_view``, as captured), while the
        webhooks it created keep delivering (they belong to the user, not to the key)."""
        with self.store.tx():
            self.store.delete_api_key(key_id)

    def create_product(
        self,
        name: str,
        sku: str,
        stock_quantity: int | None,
        *,
        manage_stock: bool | None = None,
        type: str = "simple",  # noqa: A002 - WooCommerce's field name
        regular_price: str = "10.00",
        **fields,
    ) -> dict:
        """Add a product in wp-admin; returns the ``GET /products/<id>`` body."""
        if manage_stock is None:
            manage_stock = type != "variable" or stock_quantity is not None
        data = {"name": name, "sku": sku, "type": type, "manage_stock": manage_stock, **fields}
        if type != "variable":
            data.setdefault("regular_price", regular_price)
        if stock_quantity is not None:
            data["stock_quantity"] = stock_quantity
        with self.store.tx():
            p = self.store.create_product(data)
            return product_json(self.store, p, self.home, "view")

    def create_variation(
        self,
        product_id: int,
        sku: str,
        stock_quantity: int | None,
        attributes: dict | list | None = None,
        *,
        regular_price: str = "10.00",
        manage_stock: bool = True,
        **fields,
    ) -> dict:
        """Add a variation; missing parent attributes are added (as the admin UI would)."""
        if isinstance(attributes, dict):
            attributes = [{"name": k, "option": v} for k, v in attributes.items()]
        attributes = attributes or []
        with self.store.tx():
            parent = self.store.product(product_id)
            if parent is None:
                raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            known = {a["name"].lower(): a for a in parent.attributes}
            for attr in attributes:
                existing = known.get(attr["name"].lower())
                if existing is None:
                    existing = {"name": attr["name"], "options": [], "visible": True,
                                "variation": True, "position": len(parent.attributes)}  # fmt: skip
                    parent.attributes.append(existing)
                    known[attr["name"].lower()] = existing
                existing["variation"] = True
                if attr["option"] not in existing["options"]:
                    existing["options"].append(attr["option"])
            data = {"sku": sku, "regular_price": regular_price, "manage_stock": manage_stock,
                    "attributes": attributes, **fields}  # fmt: skip
            if stock_quantity is not None:
                data["stock_quantity"] = stock_quantity
            v = self.store.create_variation(parent, data)
            return variation_json(self.store, v, self.home, "view")

    def set_stock(self, product_or_variation_id: int, qty: int) -> dict:
        """Edit the stock quantity in wp-admin (fires ``product.updated``)."""
        with self.store.tx():
            p = self._any_product(product_or_variation_id)
            p.manage_stock = True
            p.stock_quantity = stock_amount(qty)
            self.store.save(p)
            return product_json(self.store, p, self.home, "view")

    def product(self, product_or_variation_id: int) -> dict:
        """The product (or variation, product-shaped) as ``GET /products/<id>`` shows it now."""
        with self.store.lock:
            p = self._any_product(product_or_variation_id)
            return product_json(self.store, p, self.home, "view")

    def create_category(self, name: str, slug: str | None = None) -> dict:
        """Add a product category in wp-admin; returns ``{"id", "name", "slug"}``."""
        with self.store.tx():
            return self.store.create_category(name, slug)

    def set_catalog_visibility(self, product_id: int, value: str) -> dict:
        """The "Catalog visibility" setting of the product page in wp-admin."""
        if value not in ("visible", "catalog", "search", "hidden"):
            raise ValueError(f"catalog visibility {value!r}")
        with self.store.tx():
            p = self._any_product(product_id)
            p.catalog_visibility = value
            self.store.save(p)
            return product_json(self.store, p, self.home, "view")

    def set_backorders(self, product_or_variation_id: int, value: str) -> dict:
        """The "Allow backorders?" setting (no / notify / yes) of a product or variation."""
        if value not in ("no", "notify", "yes"):
            raise ValueError(f"backorders {value!r}")
        with self.store.tx():
            p = self._any_product(product_or_variation_id)
            self.store.apply_props(p, {"backorders": value}, creating=False)
            self.store.save(p)
            return product_json(self.store, p, self.home, "view")

    def trash_product(self, product_id: int) -> None:
        with self.store.tx():
            self.store.trash_product(self._any_product(product_id))

    def delete_product(self, product_id: int, force: bool = True) -> None:
        with self.store.tx():
            p = self._any_product(product_id)
            if force:
                self.store.delete_product(p)
            else:
                self.store.trash_product(p)

    def set_order_status(self, order_id: int, status: str) -> dict:
        """Change an order's status in wp-admin, with WooCommerce's stock rules."""
        with self.store.tx():
            order = self.store.orders.get(order_id)
            if order is None:
                raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            self.orders.set_status(order, status)
            return order_json(self.store, order, self.home)

    def _any_product(self, product_id: int):
        p = self.store.products.get(product_id)
        if p is None:
            raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return p

    # ------------------------------------------------------------------ shopper actions

    def place_order(self, line_items: list[dict], status: str = "processing", **fields) -> dict:
        """Check out as a shopper: refuses quantities the store can't sell, then pays."""
        with self.store.tx():
            for line in line_items:
                p = self._any_product(int(line.get("variation_id") or line["product_id"]))
                qty = stock_amount(line.get("quantity", 1))
                if p.manage_stock and p.backorders == "no" and stock_amount(p.stock_quantity) < qty:
                    raise WCError(
                        "woocommerce_not_enough_stock",
                        f'Sorry, we do not have enough "{p.name}" in stock to fulfill your order '
                        f"({stock_amount(p.stock_quantity)} available). We apologize for any "
                        "inconvenience caused.",
                        400,
                    )
                if not p.manage_stock and p.stock_status == "outofstock":
                    raise WCError(
                        "woocommerce_out_of_stock",
                        f'Sorry, "{p.name}" is not in stock. Please edit your cart and try again. '
                        "We apologize for any inconvenience caused.",
                        400,
                    )
            data = {
                "payment_method": "bacs",
                "payment_method_title": "Direct Bank Transfer",
                "billing": dict(DEFAULT_BILLING),
                **fields,
                "line_items": line_items,
                "status": status,
            }
            order = self.orders.create(data, created_via="checkout")
            return order_json(self.store, order, self.home)

    # ------------------------------------------------------------------ app authorization

    def approve(self, authorize_url: str) -> str:
        """Be the logged-in admin: open the authorize page, click Approve.

        Returns where the browser ends up: ``return_url?success=1&user_id=...`` on success, else
        the URL of the error page (its text is in ``last_auth_error``).
        """
        page = self._browse(authorize_url)
        if page.status_code != 200:
            return authorize_url
        granted = html.unescape(
            re.search(r'<a href="([^"]+)" class="[^"]*wc-auth-approve', page.text)[1]
        )
        answer = self._browse(granted)
        if answer.status_code in (301, 302, 303):
            return answer.headers["Location"]
        return granted

    def deny(self, authorize_url: str) -> str:
        """Open the authorize page and follow Deny: ``return_url?success=0&user_id=...``."""
        page = self._browse(authorize_url)
        if page.status_code != 200:
            return authorize_url
        return html.unescape(re.search(r'<a href="([^"]+)" class="[^"]*wc-auth-deny', page.text)[1])

    def _browse(self, url: str) -> requests.Response:
        response = requests.get(url, allow_redirects=False, timeout=70)
        self.last_auth_error = (
            wp_die_message(response.text) if response.status_code >= 400 else None
        )
        return response
