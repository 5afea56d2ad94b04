"""What the panel's browser tests share: a Shopify store with StockGuard installed and its admin
panel served over HTTPS (opened through Shopify's signed app-load URL, as Shopify's admin does),
Debian's Chromium through Playwright, and the page's vitals (LCP, CLS).

Use from a test module::

    from tests.panel.harness import browser, panel_store  # noqa: F401 (fixtures)

    def test_something(panel_store, browser):
        page = panel_store.open(browser, "#/settings")
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, SHOPIFY_API_KEY, SHOPIFY_API_SECRET


def shopify_launch(shop: str, **extra: str) -> str:
    """The query string Shopify signs when it opens the app in its admin (``locale`` too)."""
    import shopify

    params = {
        "shop": shop,
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdHN0b3Jl",
        "timestamp": str(int(time.time())),
        "embedded": "1",
        **extra,
    }
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params["hmac"] = shopify.Session.calculate_hmac(params)
    return urlencode(params)


@dataclass
class PanelStore:
    """A store (tests.storefront_api.conftest.Shop) and where its panel is served."""

    shop: object
    base: str  # the app's loopback HTTPS address
    domain: str
    contexts: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # script errors of every page opened

    def url(self, hash_: str = "", **launch: str) -> str:
        return f"{self.base}/admin/shopify?{shopify_launch(self.domain, **launch)}{hash_}"

    def open(self, browser, hash_: str = "", *, browser_locale: str = "en-US", **launch: str):
        """A new page on the panel at ``hash_`` (e.g. ``#/settings``), its script errors kept;
        ``launch`` adds signed parameters to the app-load URL (``locale="fr"``)."""
        context = browser.new_context(
            ignore_https_errors=True,
            locale=browser_locale,
            viewport={"width": 1280, "height": 900},
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # The panel serves everything itself; App Bridge's CDN is unreachable offline.
        page.route("https://cdn.shopify.com/**", lambda route: route.abort())
        page.goto(self.url(hash_, **launch))
        return page

    def api(self, method: str, path: str, **kw):
        return self.shop.admin(method, path, **kw)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def panel_store(live_app, shopify_sandbox):
    """The store of tests/storefront_api (three products, EUR), its panel on HTTPS loopback."""
    from tests.storefront_api.conftest import SHOP, open_shop
    from tests.sync.harness import PUBLIC

    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC  # Shopify only accepts public HTTPS callback addresses
    shopify_sandbox.route_callbacks(PUBLIC, loopback)
    shop = open_shop(live_app, shopify_sandbox)
    store = PanelStore(shop, loopback, SHOP)
    yield store
    store.close()
    shop.idle()


@pytest.fixture(scope="module")
def browser(playwright_driver):
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


# Largest Contentful Paint and Cumulative Layout Shift from the buffered performance entries,
# read after the page has settled. CLS here is the sum of every shift without recent input
# (at least the largest session window Lighthouse reports: a stricter figure).
_VITALS = """(settle) => new Promise((resolve) => {
  let lcp = 0, cls = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) lcp = Math.max(lcp, e.renderTime || e.loadTime || e.startTime);
  }).observe({ type: "largest-contentful-paint", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) cls += e.value;
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve({ lcp_ms: lcp, cls: cls }), settle);
})"""


def vitals(page, settle_ms: int = 1000) -> dict:
    """``{"lcp_ms", "cls"}`` of the page so far (wait for its content before calling)."""
    page.wait_for_load_state("networkidle")
    return page.evaluate(_VITALS, settle_ms)
