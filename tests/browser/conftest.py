"""A shopper's real browser on a Shopify sandbox store with StockGuard installed.

Debian's Chromium, driven by Playwright (one browser per session, a fresh context per test),
loads the sandbox's theme pages (``sandbox/shopify/storefront_pages.py``: the extension's real
Liquid blocks and ``assets/stockguard.js``) at ``https://{shop}.myshopify.com`` through a CONNECT
proxy, and the script asks the app's own HTTPS loopback server for availability. So CORS,
mixed content and TLS are the browser's business, as in a store.

The store, the app and its servers live for the whole package (installing and importing a
store costs ~1.5 s; a browser test suite should stay under a minute): tests that change a store
open their own (``storefront.open``) in the same app.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from models import NotifySubscription
from sandbox.common import ConnectProxy, ServerThread
from tests.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SHOPIFY_API_KEY,
    SHOPIFY_API_SECRET,
    _wipe,
    base_config,
    need,
)
from tests.storefront_api.conftest import CATALOG, SHOP, Mailbox, Shop, _free_port, open_shop
from tests.sync.harness import PUBLIC

SETTLE_SECONDS = 0.3  # as tests/sync/harness.py sets it
# West of UTC on purpose: an ETA drawn in local time would show the day before.
TIMEZONE = "America/Los_Angeles"

# Set up before any of the page's scripts: layout shifts as Chrome counts them for CLS (those
# without recent input).
OBSERVE = """
window.__sg = {cls: 0, shifts: []};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) { __sg.cls += e.value; __sg.shifts.push(e.value); }
  }
}).observe({type: 'layout-shift', buffered: true});
"""


@dataclass
class StoreShop(Shop):
    """``Shop`` for any store domain (the storefront_api helper speaks for ``SHOP`` only)."""

    domain: str = SHOP

    def availability(self, *, variants=(), products=(), headers=None, shop=None):
        return super().availability(
            variants=variants, products=products, headers=headers, shop=shop or self.domain
        )

    def set_available(self, sku: str, qty: int) -> None:
        self.sandbox.set_available(self.domain, self.variants[sku]["inventory_item_id"], None, qty)

    def product_url(self, key: str, sku: str | None = None, locale: str = "en") -> str:
        url = f"https://{self.domain}/products/{self.products[key]['handle']}?locale={locale}"
        return url + (f"&variant={self.vid(sku)}" if sku else "")

    def subscriptions(self) -> list[NotifySubscription]:
        from extensions import db

        with self.app.app_context():
            db.session.remove()
            rows = db.session.scalars(
                select(NotifySubscription)
                .where(NotifySubscription.installation_id == self.installation_id)
                .order_by(NotifySubscription.id)
            ).all()
            db.session.expunge_all()
            return rows


@dataclass
class Storefront:
    """The app (served on HTTPS loopback), the Shopify sandbox, the mailbox, and the main store
    (``SHOP`` with the API tests' ``CATALOG``), which tests only read: a test that changes a
    store opens its own."""

    app: object
    sandbox: object
    api: str  # the app's loopback origin: what the theme's app embed points the script at
    mailbox: Mailbox
    shop: StoreShop | None = None

    def open(self, domain: str, catalog: dict) -> StoreShop:
        """Another store in the same app and sandbox, its theme pointing at the app."""
        from extensions import db
        from models import Installation, StockPool

        shop = open_shop(self.app, self.sandbox, domain, catalog)
        store = StoreShop(**vars(shop), domain=domain)
        with self.app.app_context():
            # A level the merchant edits is read again after the pool's settle time (2 s by
            # default, twice); the stores here have no one else writing.
            pool = db.session.get(
                StockPool, db.session.get(Installation, shop.installation_id).pool_id
            )
            pool.settings = {**(pool.settings or {}), "settle_seconds": SETTLE_SECONDS}
            db.session.commit()
        self.sandbox.set_app_url(domain, self.api)
        return store


@pytest.fixture(scope="session")
def browser_proxy():
    """The browser's CONNECT proxy: ``*.myshopify.com`` → the sandbox, ``stockguard.example``
    (the app's public address, in e-mails) → the app. Any other host is refused (502)."""
    proxy = ConnectProxy().start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def chromium(playwright_driver, browser_proxy):
    """Debian's Chromium (headless), reaching the stores through ``browser_proxy``."""
    try:
        browser = playwright_driver.chromium.launch(
            executable_path=CHROMIUM,
            # The app's own server is on loopback: straight there, not through the proxy.
            args=[
                *CHROMIUM_ARGS,
                f"--proxy-server={browser_proxy.url}",
                "--proxy-bypass-list=127.0.0.1",
            ],
        )
    except Exception as e:  # an unusable Chromium (missing libraries, …) is a missing service
        need("chromium", f"{CHROMIUM} did not start: {e}")
    yield browser
    browser.close()


class Shopper:
    """A page in a fresh browser context, with what the page did wrong collected."""

    def __init__(self, browser):
        context = browser.new_context(ignore_https_errors=True, timezone_id=TIMEZONE)
        context.add_init_script(OBSERVE)
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []  # uncaught exceptions and unhandled rejections
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, url: str, *, badge: bool = True):
        """Load ``url``; with ``badge``, wait until the script has drawn its first line."""
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        if badge:
            self.page.wait_for_selector(".stockguard .sg-l", state="attached", timeout=10_000)
        return self.page

    def lines(self, selector: str = ".stockguard") -> list[str]:
        return self.page.locator(f"{selector} > .sg-l").all_text_contents()

    def layout_shift(self) -> float:
        """CLS so far, after two frames (a shift is reported after the frame that made it)."""
        return self.page.evaluate(
            """() => new Promise((done) => requestAnimationFrame(() =>
                 requestAnimationFrame(() => setTimeout(() => done(window.__sg.cls), 50))))"""
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def shopper(chromium):
    shopper = Shopper(chromium)
    yield shopper
    shopper.close()


@pytest.fixture(scope="package")
def storefront(database_url, pki, proxy, browser_proxy):
    """The app served over HTTPS on loopback, a Shopify sandbox, a real SMTP server, and
    ``SHOP`` with ``CATALOG`` installed; everything wiped after the package."""
    from aiosmtpd.controller import Controller

    from app import create_app
    from extensions import db
    from models.installation import forget_cached_ids
    from sandbox.shopify import ShopifySandbox
    from views.storefront import cache

    smtp_port = _free_port()
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    # Rate limits are per client address, and every request here is 127.0.0.1's; they have
    # their own tests (tests/storefront_api).
    app = create_app(
        base_config(
            database_url,
            SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
            STOREFRONT_RATE_LIMIT=0,
            NOTIFY_RATE_LIMIT=0,
        )
    )
    server = ServerThread(app, ssl_context=pki.server_context()).start()
    # Shopify only accepts public HTTPS addresses: the app calls itself PUBLIC, and the sandbox
    # delivers what it sends there to the loopback server (as served_app does).
    app.config["APP_URL"] = PUBLIC
    sandbox = ShopifySandbox(api_key=SHOPIFY_API_KEY, api_secret=SHOPIFY_API_SECRET)
    sandbox.route_callbacks(PUBLIC, server.url)
    sandbox_server = ServerThread(sandbox.wsgi_app, ssl_context=pki.server_context()).start()
    target = ("127.0.0.1", sandbox_server.port)
    proxy.add_route("myshopify.com", target)  # the app's own calls to Shopify
    browser_proxy.add_route("myshopify.com", target)
    browser_proxy.add_route(PUBLIC.removeprefix("https://"), ("127.0.0.1", server.port))
    cache.clear()
    store = Storefront(app, sandbox, server.url, mailbox)
    try:
        store.shop = store.open(SHOP, CATALOG)
        yield store
    finally:
        app.extensions["jobs"].wait_idle(10)
        server.stop()
        sandbox_server.stop()
        controller.stop()
        cache.clear()
        forget_cached_ids()
        with app.app_context():
            db.session.remove()
            _wipe(db.engine)
            db.engine.dispose()
