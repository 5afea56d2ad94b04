"""A Shopify store with StockGuard installed (in-process jobs, the app served over HTTPS), a real
SMTP server, and helpers to read the storefront API as a shopper's browser would."""

from __future__ import annotations

import email
import socket
import threading
import time
from dataclasses import dataclass, field
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from models import Installation
from tests.conftest import wait_for
from tests.connectors.shopify.helpers import install as shopify_install
from tests.sync.harness import PUBLIC, _wait_import

SHOP = "badge-store.myshopify.com"
ORIGIN = f"https://{SHOP}"

# title, product type, [(sku, available)]
CATALOG = {
    "tee": ("Linen Tee", "Shirts", [("TEE-S", 10), ("TEE-M", 2), ("TEE-L", 0)]),
    "polo": ("Polo", "Shirts", [("POLO", 20)]),
    "cap": ("Cap", "Hats", [("CAP", 0)]),
}


@dataclass
class Shop:
    app: object
    sandbox: object
    installation_id: int
    products: dict = field(default_factory=dict)  # key -> sandbox product
    variants: dict = field(default_factory=dict)  # sku -> sandbox variant

    @property
    def client(self):
        return self.app.test_client()

    def vid(self, sku: str) -> str:
        return str(self.variants[sku]["legacy_id"])

    def pid(self, key: str) -> str:
        return str(self.products[key]["legacy_id"])

    def availability(self, *, variants=(), products=(), headers=None, shop=SHOP):
        query = {"shop": shop}
        if variants:
            query["variants"] = ",".join(variants)
        if products:
            query["products"] = ",".join(products)
        return self.client.get(
            "/storefront/v1/availability", query_string=query, headers=headers or {}
        )

    def state(self, sku: str) -> dict | None:
        return self.availability(variants=[self.vid(sku)]).get_json()["variants"].get(self.vid(sku))

    def wait_state(self, sku: str, expected: str, timeout: float = 15.0, **fields) -> dict:
        """Wait until the API (through this process's cache) says ``expected`` (and ``fields``)."""
        found = {}

        def check():
            self.idle()
            found["v"] = self.state(sku)
            return (
                found["v"] is not None
                and found["v"]["state"] == expected
                and all(found["v"][k] == v for k, v in fields.items())
            )

        try:
            wait_for(check, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"{sku} never became {expected} {fields}: {found}") from None
        return found["v"]

    def idle(self, timeout: float = 15.0) -> None:
        assert self.app.extensions["jobs"].wait_idle(timeout=timeout)

    def admin(self, method: str, path: str, **kw):
        from views.admin_api import panel_token

        with self.app.test_request_context():
            token = panel_token(self.installation_id)
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return getattr(self.client, method)(f"/admin/api{path}", headers=headers, **kw)

    def settings(self, **changes) -> None:
        response = self.admin("put", "/storefront", json=changes)
        assert response.status_code == 200, response.get_json()
        self.idle()

    def set_available(self, sku: str, qty: int) -> None:
        """The merchant edits the level in Shopify's admin (inventory_levels/update)."""
        self.sandbox.set_available(SHOP, self.variants[sku]["inventory_item_id"], None, qty)

    def sell(self, sku: str, qty: int) -> dict:
        return self.sandbox.place_order(
            SHOP, [{"variant_id": self.variants[sku]["id"], "quantity": qty}]
        )

    def installation(self, session) -> Installation:
        return session.get(Installation, self.installation_id)


def open_shop(app, sandbox, shop: str = SHOP, catalog=None) -> Shop:
    sandbox.create_shop(shop, name="Badge Store", currency="EUR")
    products, variants = {}, {}
    for key, (title, kind, skus) in (catalog or CATALOG).items():
        product = sandbox.create_product(
            shop,
            title,
            variants=[
                {"sku": sku, "available": qty, "title": sku.split("-")[-1]} for sku, qty in skus
            ],
            product_type=kind,
        )
        products[key] = product
        for spec, variant in zip(skus, product["variants"], strict=True):
            variants[spec[0]] = variant
    assert shopify_install(app.test_client(), shop).status_code == 302
    from extensions import db

    with app.app_context():
        installation_id = db.session.scalar(
            select(Installation.id).where(Installation.shop_domain == shop)
        )
    _wait_import(app, installation_id)
    store = Shop(app, sandbox, installation_id, products, variants)
    store.idle()
    return store


@pytest.fixture
def served_app(live_app, shopify_sandbox):
    """In-process jobs; the app known as PUBLIC, its HTTPS loopback server behind it."""
    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC
    shopify_sandbox.route_callbacks(PUBLIC, loopback)
    from views.storefront import cache

    cache.clear()
    yield live_app
    cache.clear()


@pytest.fixture
def shop(served_app, shopify_sandbox) -> Shop:
    return open_shop(served_app, shopify_sandbox)


# --------------------------------------------------------------------------- SMTP


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler API
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def wait(self, count: int, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{count} e-mails expected, {len(self.messages)} arrived")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd): (its URL, the mailbox it fills)."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", mailbox
    controller.stop()


@pytest.fixture
def smtp(served_app, smtp_server):
    """The in-process app sends its e-mails through the real SMTP server."""
    url, mailbox = smtp_server
    served_app.config["SMTP_URL"] = url
    yield mailbox
    served_app.config["SMTP_URL"] = None
