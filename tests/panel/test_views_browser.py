"""The Overview, Products and Product views in Debian's Chromium (Playwright) against the live app,
opened through the panel shell as Shopify's admin opens it: the overview's figures, a list of
10,000 SKUs (pages, filters, search), one product's chart (history, dashed forecast, reorder
point) with its text summary, French, and LCP < 2.5 s / CLS < 0.1 on the overview and the list."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import insert

from models import Forecast, Listing, Sku, utcnow
from sandbox.common import ServerThread
from tests.panel.harness import browser, shopify_launch, vitals  # noqa: F401 (fixture)
from tests.panel.test_products_api import build_catalog
from tests.reports.conftest import make_store

ROOT = Path(__file__).resolve().parents[2]
OWN_SCRIPTS = [
    "admin_view_overview.js",
    "admin_view_products.js",
    "admin_view_product.js",
    "admin_chart.js",
]
OWN_TEMPLATES = ["overview.html", "products.html", "product.html"]
N = 10_000


def test_scripts_never_build_markup_from_strings():
    for name in OWN_SCRIPTS:
        source = (ROOT / "static" / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (name, sink)
        assert "http://" not in source.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in source  # nothing fetched from outside the app


def test_every_text_has_its_french():
    french = json.loads((ROOT / "templates/admin/i18n/views.fr.json").read_text("utf-8"))
    texts = set()
    for name in OWN_TEMPLATES:
        source = (ROOT / "templates/admin/views" / name).read_text("utf-8")
        texts |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', source))
    for name in OWN_SCRIPTS:
        source = (ROOT / "static" / name).read_text("utf-8")
        texts |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', source))
    assert len(texts) > 60
    assert sorted(texts - set(french)) == []


# --------------------------------------------------------------------------- serving


class Panel:
    def __init__(self, base: str, domain: str, browser_):
        self.base, self.domain, self.browser = base, domain, browser_
        self.errors: list[str] = []
        self.contexts = []

    def open(self, hash_: str, **launch):
        context = self.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # Only the app itself may be asked for anything (App Bridge's CDN is offline here).
        page.route(
            re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
            lambda route: route.abort(),
        )
        page.goto(f"{self.base}/admin/shopify?{shopify_launch(self.domain, **launch)}{hash_}")
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def serve(app, browser):  # noqa: F811 (the harness's fixture)
    server = ServerThread(app).start()
    panels = []

    def start(domain: str) -> Panel:
        panel = Panel(server.url, domain, browser)
        panels.append(panel)
        return panel

    yield start
    for panel in panels:
        panel.close()
    server.stop()
    for panel in panels:
        assert panel.errors == []


def _bulk_catalog(session) -> object:
    """10,000 SKUs inserted with SQLAlchemy core: on hand n % 50 (every 50th sold out), ranked
    by code, SKU-xxx01 of each hundred at risk (3 days of cover), the first half on a store."""
    store = make_store(session, "big.myshopify.com")
    session.execute(
        insert(Sku),
        [
            {
                "pool_id": store.pool_id,
                "key": f"sku-{n:05d}",
                "sku": f"SKU-{n:05d}",
                "name": f"Product {n}",
                "on_hand": n % 50,
                "committed": 0,
                "safety_buffer": 0,
                "is_bundle": False,
                "reorder_planned": False,
                "unit_cost_minor": 100,
                "price_minor": 250,
            }
            for n in range(N)
        ],
    )
    ids = dict(
        session.execute(
            Sku.__table__.select()
            .with_only_columns(Sku.sku, Sku.id)
            .where(Sku.pool_id == store.pool_id)
        ).all()
    )
    today = utcnow().date()
    session.execute(
        insert(Forecast),
        [
            {
                "sku_id": ids[f"SKU-{n:05d}"],
                "pool_id": store.pool_id,
                "velocity": 1.0 if n % 100 != 1 else (n % 50) / 3.0,
                "spread": 0.0,
                "days_of_cover": 3.0 if n % 100 == 1 else 100.0,
                "stockout_on": today + dt.timedelta(days=3 if n % 100 == 1 else 100),
                "lead_time_days": 14.0,
                "safety_stock": 0,
                "reorder_point": 0,
                "order_quantity": 10,
                "abc": "A" if n < 2000 else "C",
                "rank": n + 1,
                "revenue_minor": 0,
                "units_30d": 0,
                "confirmation_rate": 1.0,
                "history_days": 60,
                "details": {},
            }
            for n in range(N)
        ],
    )
    session.execute(
        insert(Listing),
        [
            {
                "installation_id": store.installation_id,
                "pool_id": store.pool_id,
                "sku_id": ids[f"SKU-{n:05d}"],
                "external_id": f"gid://shopify/ProductVariant/{n}",
                "level_ref": f"level-{n}",
                "sku": f"SKU-{n:05d}",
                "status": Listing.LINKED,
                "channel_quantity": n % 50,
                "unexplained": 0,
                "push_pending": False,
                "details": {},
            }
            for n in range(N // 2)
        ],
    )
    session.commit()
    store.skus = ids
    return store


# --------------------------------------------------------------------------- overview


def test_overview_figures_and_a_product_chart(serve, db_session):
    from playwright.sync_api import expect

    build_catalog(db_session)
    panel = serve("main.myshopify.com")
    page = panel.open("#/overview")
    view = page.locator('[data-view="overview"]')
    expect(view).to_be_visible()
    expect(page.locator('[data-nav="overview"]')).to_have_attribute("aria-current", "page")
    expect(view.locator('[data-test="overview-at-risk"]')).to_have_text("2")
    expect(view.locator('[data-test="overview-sold-out"]')).to_have_text("3")
    expect(view.locator('[data-test="overview-skus"]')).to_have_text("of 6 SKUs")
    expect(view.locator('[data-test="overview-ads-paused"]')).to_have_text("0")
    # A-RED 10 × 10.00 + B-BLUE 50 × 2.00 + D-ONE 5 × 1.00 + F%OFF 3 × 5.00
    expect(view.locator('[data-test="overview-stock-value"]')).to_have_text("€220.00")
    rows = view.locator('[data-test="overview-top"] tbody tr')
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("A-RED")
    expect(rows.nth(0)).to_contain_text("5 days")
    expect(rows.nth(1)).to_contain_text("D-ONE")
    figures = vitals(page)
    assert figures["lcp_ms"] < 2500, figures
    assert figures["cls"] < 0.1, figures

    # A row opens its product: the chart and its summary.
    rows.nth(0).get_by_role("link", name="A-RED").click()
    expect(page).to_have_url(re.compile(r"#/product/\d+$"))
    product = page.locator('[data-view="product"]')
    expect(product).to_be_visible()
    expect(view).to_be_hidden()
    expect(product.locator('[data-test="product-name"]')).to_have_text("Red shirt")
    expect(product.locator('[data-test="product-available"]')).to_have_text("10")
    chart = product.locator('svg[data-test="stock-chart"]')
    expect(chart).to_be_visible()
    history = chart.locator('[data-test="chart-history"]').get_attribute("points")
    assert len(history.split()) == 90
    forecast = chart.locator('[data-test="chart-forecast"]').get_attribute("points")
    assert len(forecast.split()) == 30
    assert chart.locator('[data-test="chart-forecast"]').get_attribute("stroke-dasharray")
    expect(chart.locator('[data-test="chart-reorder"]')).to_have_count(1)
    expect(product.locator('[data-test="chart-summary"]')).to_contain_text(
        "On hand today: 10 units"
    )
    listings = product.locator('[data-test="product-listings"] tbody tr')
    expect(listings).to_have_count(2)
    expect(product.locator('[data-test="product-restocks"] tbody')).to_contain_text(
        "No restock on its way."
    )

    # Back to the overview: it shows again, marked in the nav.
    page.locator('[data-nav="overview"]').click()
    expect(view).to_be_visible()
    expect(product).to_be_hidden()


def test_views_in_french(serve, db_session):
    from playwright.sync_api import expect

    build_catalog(db_session)
    panel = serve("main.myshopify.com")
    page = panel.open("#/overview", locale="fr")
    view = page.locator('[data-view="overview"]')
    expect(view.locator("h1.section-title")).to_have_text("Vue d'ensemble")
    expect(view.locator('[data-test="overview-skus"]')).to_have_text("sur 6 SKU")
    expect(view.locator('[data-test="overview-stock-value"]')).to_have_text(
        re.compile(r"^220,00\s€$")
    )
    page.goto(page.url.split("#")[0] + "#/products/sold_out")
    products = page.locator('[data-view="products"]')
    expect(products.locator('[data-test="products-page"]')).to_have_text(
        "Page 1 sur 1 · 3 produits"
    )
    expect(products.locator("tbody tr").first).to_contain_text("En rupture")


# --------------------------------------------------------------------------- 10,000 SKUs


def test_ten_thousand_products_pages_filters_search(serve, db_session):
    from playwright.sync_api import expect

    store = _bulk_catalog(db_session)
    panel = serve("big.myshopify.com")
    page = panel.open("#/products")
    view = page.locator('[data-view="products"]')
    rows = view.locator('[data-test="products-table"] tbody tr')
    pager = view.locator('[data-test="products-page"]')
    expect(pager).to_have_text("Page 1 of 200 · 10,000 products")
    expect(rows).to_have_count(50)
    expect(rows.first).to_have_attribute("data-sku", "SKU-00000")
    expect(rows.last).to_have_attribute("data-sku", "SKU-00049")
    expect(page.locator('[data-nav="products"]')).to_have_attribute("aria-current", "page")
    figures = vitals(page)
    assert figures["lcp_ms"] < 2500, figures
    assert figures["cls"] < 0.1, figures

    # Pages.
    view.locator('[data-test="products-next"]').click()
    expect(pager).to_have_text("Page 2 of 200 · 10,000 products")
    expect(rows.first).to_have_attribute("data-sku", "SKU-00050")
    expect(view.locator('[data-test="products-prev"]')).to_be_enabled()
    view.locator('[data-test="products-prev"]').click()
    expect(rows.first).to_have_attribute("data-sku", "SKU-00000")
    expect(view.locator('[data-test="products-prev"]')).to_be_disabled()

    # Filters: the address follows the tab.
    view.locator('[data-filter="at_risk"]').click()
    expect(page).to_have_url(re.compile(r"#/products/at_risk$"))
    expect(pager).to_have_text("Page 1 of 2 · 100 products")
    expect(rows.first).to_have_attribute("data-sku", "SKU-00001")
    expect(rows.first).to_contain_text("At risk")
    expect(view.locator('[data-filter="at_risk"]')).to_have_attribute("aria-pressed", "true")
    view.locator('[data-filter="sold_out"]').click()
    expect(pager).to_have_text("Page 1 of 4 · 200 products")
    expect(rows.nth(1)).to_have_attribute("data-sku", "SKU-00050")
    view.locator('[data-filter="unlinked"]').click()
    expect(pager).to_have_text("Page 1 of 100 · 5,000 products")
    expect(rows.first).to_have_attribute("data-sku", "SKU-05000")
    expect(rows.first).to_contain_text("Not on any store")

    # Search (debounced) in every product: code, name, LIKE characters taken literally.
    view.locator('[data-filter="all"]').click()
    expect(pager).to_have_text("Page 1 of 200 · 10,000 products")
    box = view.locator('[data-test="products-q"]')
    box.fill("sku-0999")
    expect(pager).to_have_text("Page 1 of 1 · 10 products")
    expect(rows.first).to_have_attribute("data-sku", "SKU-09990")
    box.fill("%")
    expect(view.locator("tbody")).to_contain_text("No product matches “%”.")
    expect(pager).to_have_text("Page 1 of 1 · 0 products")
    box.fill("product 4242")
    expect(pager).to_have_text("Page 1 of 1 · 1 product")
    expect(rows).to_have_count(1)

    # The row opens the product, with its chart.
    rows.first.get_by_role("link", name="SKU-04242").click()
    expect(page).to_have_url(re.compile(rf"#/product/{store.skus['SKU-04242']}$"))
    product = page.locator('[data-view="product"]')
    expect(product.locator('[data-test="product-name"]')).to_have_text("Product 4242")
    chart = product.locator('svg[data-test="stock-chart"]')
    points = chart.locator('[data-test="chart-history"]').get_attribute("points").split()
    assert len(points) == 90
    assert len({p.split(",")[1] for p in points}) == 1  # no movement: a flat line at 42
    forecast = chart.locator('[data-test="chart-forecast"]').get_attribute("points").split()
    assert len(forecast) == 30
    assert float(forecast[-1].split(",")[1]) > float(forecast[0].split(",")[1])  # going down
    expect(chart.locator("text[data-date]")).to_have_count(7)

    # Back in the list, the search is still there.
    page.go_back()
    expect(pager).to_have_text("Page 1 of 1 · 1 product")


def test_another_stores_product_is_not_shown(serve, db_session):
    from playwright.sync_api import expect

    _, other = build_catalog(db_session)
    panel = serve("main.myshopify.com")
    page = panel.open(f"#/product/{other.skus['A-RED']}")
    view = page.locator('[data-view="product"]')
    expect(view.locator('[data-test="product-status"]')).to_have_text(
        "no such product in this stock pool"
    )
    expect(view.locator('[data-test="product-body"]')).to_be_hidden()
