"""The admin page's "Shoppers" cards (restocks, notify-me, storefront settings, installing the
badge): what the page carries for its store, and a real browser driving the cards against the
live app."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from models import Installation, StockPool
from sync.storefront_settings import LANGUAGES, TEXT_KEYS
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.panel.harness import shopify_launch

CARDS = ("restocks", "notify", "storefront-settings", "install-badge")


def _store(session, domain: str, platform: str = "shopify") -> Installation:
    pool = StockPool(name=domain, settings={})
    session.add(pool)
    session.flush()
    inst = Installation(
        platform=platform, shop_domain=domain, status="active", pool_id=pool.id, settings={}
    )
    inst.credentials = {"access_token": "shpat_" + "x" * 32}
    session.add(inst)
    session.commit()
    return inst


# The query string Shopify signs when it opens the app in its admin (tests/panel/harness.py).
_shopify_launch = shopify_launch


class _Page(HTMLParser):
    """The text of elements by ``data-test`` or ``id``, and the ids of the cards."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, str] = {}
        self.cards: list[str] = []
        self.inputs: list[dict] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "card" in (attrs.get("class") or "").split():
            self.cards.append(attrs.get("id") or "")
        if tag == "input":
            self.inputs.append(attrs)
        name = attrs.get("data-test") or attrs.get("id")
        if name and tag in ("pre", "script", "code"):
            self._open.append(name)
            self.texts[name] = ""

    def handle_endtag(self, tag):
        if tag in ("pre", "script", "code") and self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.texts[self._open[-1]] += data


# --------------------------------------------------------------------------- the page


def test_page_has_the_shoppers_cards_and_this_stores_snippet(client, db_session):
    shop = "panel-store.myshopify.com"
    _store(db_session, shop)
    response = client.get("/admin/shopify?" + _shopify_launch(shop))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = _Page(html)
    assert set(CARDS) <= set(page.cards)
    assert 'src="/static/admin_storefront.js"' in html

    # The snippet, shown as text: this store, this app, ready to paste.
    snippet = page.texts["badge-snippet"]
    assert (
        '<script src="https://stockguard.test/static/stockguard.js" async\n'
        f'        data-shop="{shop}" data-api="https://stockguard.test/storefront/v1"></script>'
    ) in snippet
    assert '<div class="stockguard" data-sg-product="PRODUCT_ID"' in snippet
    # ... escaped in the page: the only <script> elements are the panel's own.
    assert "&lt;script src=&#34;https://stockguard.test/static/stockguard.js&#34;" in html
    assert '<script src="https://stockguard.test' not in html
    assert page.texts["app-url"] == "https://stockguard.test"

    # Install steps per platform, in the merchant's words.
    for words in (
        "App embeds",
        "StockGuard availability",
        "/integrations/stockguard-wordpress.zip",
    ):
        assert words in html
    assert "search engines drop it" in html  # what hiding a sold-out product costs


def test_text_fields_show_the_badge_scripts_own_defaults(client, db_session):
    shop = "texts-store.myshopify.com"
    _store(db_session, shop)
    page = _Page(client.get("/admin/shopify?" + _shopify_launch(shop)).get_data(as_text=True))
    builtin = json.loads(page.texts["builtin-texts"])
    assert set(builtin) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert set(builtin[lang]) == set(TEXT_KEYS), lang
        assert all(builtin[lang].values()), lang
    assert builtin["en"]["low_stock"] == "Only {n} left"
    assert builtin["fr"]["out_of_stock"] == "Épuisé"
    placeholders = {i["data-key"]: i["placeholder"] for i in page.inputs if i.get("name") == "text"}
    assert placeholders == builtin["en"]


def test_woocommerce_address_is_escaped_inside_the_snippet_too(app, client, db_session):
    from connectors.woocommerce.auth import launch_link

    # A path is part of a WooCommerce store's address; `&` and quotes must survive the paste.
    inst = _store(db_session, 'https://example.com/a&b"<shop>', platform="woocommerce")
    with app.test_request_context():
        link = launch_link(inst.id)
    response = client.get(link)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    snippet = _Page(html).texts["badge-snippet"]
    assert 'data-shop="example.com/a&amp;b&quot;&lt;shop&gt;"' in snippet
    assert "<shop>" not in html


# --------------------------------------------------------------------------- in a browser


@dataclass
class Panel:
    shop: object  # tests.storefront_api.conftest.Shop
    url: str  # the admin page, on the app's loopback HTTPS server

    def api(self, path: str):
        response = self.shop.admin("get", path)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def panel(live_app, shopify_sandbox) -> Panel:
    """A Shopify store set up as in tests/storefront_api, its admin page served over HTTPS."""
    from tests.storefront_api.conftest import SHOP, open_shop
    from tests.sync.harness import PUBLIC

    loopback = live_app.config["APP_URL"]
    live_app.config["APP_URL"] = PUBLIC  # Shopify only accepts public HTTPS callback addresses
    shopify_sandbox.route_callbacks(PUBLIC, loopback)
    shop = open_shop(live_app, shopify_sandbox)
    return Panel(shop, f"{loopback}/admin/shopify?{_shopify_launch(SHOP)}")


@pytest.fixture(scope="module")
def browser(playwright_driver):
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


def _sign_up(shop, contact: str, sku: str) -> None:
    from tests.storefront_api.conftest import ORIGIN, SHOP

    body = {"shop": SHOP, "variant": shop.vid(sku), "contact": contact, "consent": True}
    response = shop.client.post("/storefront/v1/notify", json=body, headers={"Origin": ORIGIN})
    assert response.status_code == 201, response.get_json()


def test_merchant_runs_restocks_settings_and_notify_me_from_the_page(panel, browser):
    from playwright.sync_api import expect

    shop = panel.shop
    _sign_up(shop, "ada@example.com", "TEE-L")  # TEE-L is sold out
    _sign_up(shop, "+33612345678", "TEE-L")
    hostile = "<img src=x onerror=alert(1)>"

    context = browser.new_context(ignore_https_errors=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    page.set_default_timeout(15_000)
    page.goto(panel.url + "#/restocks")  # the panel's Restocks view (Notify me: #/storefront)

    restocks = page.locator("#restocks")
    rows = restocks.locator('[data-test="restocks-table"] tbody tr')
    expect(rows).to_have_text(["No restocks on their way."])
    notify = page.locator("#notify")
    expect(notify.locator('[data-count="waiting"]')).to_have_text("2 waiting")
    expect(notify.locator('[data-test="notify-table"] tbody tr')).to_have_count(2)

    # Suppliers: one ordinary, one whose name is markup; both shown as text.
    supplier_form = restocks.locator("#supplier-form")
    for name, days in (("Acme Textiles", "10"), (hostile, "3")):
        supplier_form.get_by_label("Name").fill(name)
        supplier_form.get_by_label("Lead time (days)").fill(days)
        supplier_form.get_by_role("button", name="Save supplier").click()
        expect(restocks.locator('[data-test="suppliers-table"]')).to_contain_text(name)
    expect(restocks.locator('[data-test="suppliers-table"] tbody tr')).to_have_count(2)
    assert restocks.locator("img").count() == 0
    assert {s["name"] for s in panel.api("/suppliers")["suppliers"]} == {"Acme Textiles", hostile}

    # A restock through the form.
    expected = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    form = restocks.locator("#restock-form")
    form.get_by_label("SKU").fill("TEE-L")
    form.get_by_label("Quantity").fill("12")
    form.get_by_label("Expected on").fill(expected)
    form.get_by_label("Supplier").select_option(label="Acme Textiles")
    form.get_by_label("Reference").fill("PO-1")
    form.get_by_role("button", name="Add restock").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("TEE-L")
    expect(rows.first).to_contain_text("Acme Textiles")
    expect(rows.first).to_contain_text("PO-1")

    # A form error is shown next to the form, by the field it names.
    form.get_by_label("SKU").fill("NO-SUCH-SKU")
    form.get_by_label("Quantity").fill("4")
    form.get_by_label("Expected on").fill(expected)
    form.get_by_role("button", name="Add restock").click()
    expect(restocks.locator('[data-test="restock-errors"] li')).to_have_text(
        ["SKU: no SKU 'NO-SUCH-SKU' in this store"]
    )
    expect(form.get_by_label("SKU")).to_have_attribute("aria-invalid", "true")

    # A CSV with one bad line: that line's error, and nothing created.
    upload = restocks.locator("#restock-import")
    bad = (
        "sku,quantity,expected_on,supplier,reference\n"
        f"CAP,5,{expected},Acme Textiles,PO-2\n"
        f"NOPE,3,{expected},,PO-3\n"
    )
    upload.get_by_label("CSV file").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    upload.get_by_role("button", name="Import").click()
    errors = restocks.locator('[data-test="import-errors"]')
    expect(errors).to_contain_text("Nothing was imported")
    expect(errors.locator("li")).to_have_text(["line 3: sku: no SKU 'NOPE' in this store"])
    assert [r["reference"] for r in panel.api("/restocks?status=all")["restocks"]] == ["PO-1"]
    expect(rows).to_have_count(1)

    # The corrected file: its rows appear.
    good = bad.replace("NOPE,3", "POLO,3")
    upload.get_by_label("CSV file").set_input_files(
        {"name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    upload.get_by_role("button", name="Import").click()
    expect(restocks.locator('[data-test="import-result"]')).to_have_text(
        "good.csv: 2 new, 0 updated."
    )
    expect(errors).to_be_empty()
    expect(rows).to_have_count(3)
    for reference in ("PO-1", "PO-2", "PO-3"):
        expect(restocks.locator("tbody tr", has_text=reference)).to_have_count(1)

    # Received: the quantity asked in the row (the expected one by default); the row leaves.
    row = rows.filter(has_text="PO-1")
    row.get_by_role("button", name="Received").click()
    quantity = row.get_by_label("Units received")
    expect(quantity).to_have_value("12")
    row.get_by_role("button", name="Confirm").click()
    expect(restocks.locator('[data-test="restocks-status"]')).to_have_text("Received 12 × TEE-L.")
    expect(rows).to_have_count(2)
    expect(restocks.locator("tbody tr", has_text="PO-1")).to_have_count(0)
    received = panel.api("/restocks?status=received")["restocks"]
    assert [r["reference"] for r in received] == ["PO-1"]

    # The units arrived: the two waiting shoppers are told, and the card follows the run.
    page.locator('[data-nav="storefront"]').click()
    expect(notify.locator('[data-count="sent"]')).to_have_text("2 sent", timeout=30_000)
    expect(notify.locator(".run")).to_have_count(1)
    expect(notify.locator(".run .progress-bar")).to_have_attribute("style", "width: 100%;")

    # Settings: a field error by its field, then a saved threshold.
    settings = page.locator("#settings-form")
    threshold = settings.get_by_label("Low stock at or under (units)")
    expect(threshold).to_have_value("5")
    settings.get_by_label("Shoppers told per unit that arrives").fill("500")
    settings.get_by_role("button", name="Save").click()
    expect(settings.locator('[data-error-for="notify_factor"]')).to_contain_text(
        "Must be a number from 0.1 to 100"
    )
    assert panel.api("/storefront")["settings"]["notify_factor"] == 1.0
    settings.get_by_label("Shoppers told per unit that arrives").fill("1.5")
    threshold.fill("3")
    settings.get_by_label("Language").select_option("fr")
    sold_out = settings.locator('input[name="text"][data-key="out_of_stock"]')
    expect(sold_out).to_have_attribute("placeholder", "Épuisé")
    sold_out.fill("<b>Victime de son succès</b>")
    settings.get_by_role("button", name="Save").click()
    expect(settings.locator('[data-test="settings-status"]')).to_contain_text("Saved")
    expect(settings.locator('[data-error-for="notify_factor"]')).to_be_empty()
    saved = panel.api("/storefront")["settings"]
    assert saved["low_stock_threshold"] == 3
    assert saved["notify_factor"] == 1.5
    assert saved["texts"] == {"fr": {"out_of_stock": "<b>Victime de son succès</b>"}}
    assert saved["visibility"] == "badge" and saved["colors"]["in_stock"] == "#1a7f37"

    # The snippet names this store; nothing the merchant or the API sent became markup.
    expect(page.locator('[data-test="badge-snippet"]')).to_contain_text(
        'data-shop="badge-store.myshopify.com"'
    )
    assert page.locator("main img, main b").count() == 0
    assert dialogs == [] and script_errors == []
    context.close()
    shop.idle()
