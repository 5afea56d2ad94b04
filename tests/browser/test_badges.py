"""What a shopper sees on the store's pages, in each state and language, in a real browser: the
badge, the restock date in the page's language, right-to-left Arabic, alternatives, nothing
moving when the badge arrives, and CORS as the browser enforces it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import StoreShop
from tests.storefront_api.conftest import SHOP

# The texts the script ships (docs/storefront.md: built-in English, French, Arabic defaults).
TEXTS = {
    "en": {
        "in_stock": "In stock",
        "low_stock": "Only {n} left",
        "out_of_stock": "Sold out",
        "preorder": "Pre-order",
        "eta": "Back around {date}",
        "notify": "Notify me",
        "alternatives": "Also available:",
    },
    "fr": {
        "in_stock": "En stock",
        "low_stock": "Plus que {n}",
        "out_of_stock": "Épuisé",
        "preorder": "Précommande",
        "eta": "De retour vers le {date}",
        "notify": "Me prévenir",
        "alternatives": "Aussi disponible :",
    },
    "ar": {
        "in_stock": "متوفر",
        "low_stock": "بقي {n} فقط",
        "out_of_stock": "نفد المخزون",
        "preorder": "طلب مسبق",
        "eta": "يعود حوالي {date}",
        "notify": "أعلمني",
        "alternatives": "متوفر أيضًا:",
    },
}
# A day and a short month as CLDR writes them: "Dec 4", "4 déc.", "4 ديسمبر".
MONTH_NAMES = """
en Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec
fr janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.
ar يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر
"""
MONTHS = {words[0]: words[1:] for words in map(str.split, MONTH_NAMES.strip().splitlines())}
# Arabic digits follow the browser's CLDR (Latin in recent ones, Arabic-Indic before): either
# is right, so they are compared as Latin.
LATIN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
COLORS = {"in_stock": "rgb(26, 127, 55)", "low_stock": "rgb(154, 103, 0)"}
COLORS |= {"out_of_stock": "rgb(207, 34, 46)", "preorder": "rgb(9, 105, 218)"}
LOCALES = ("en", "fr", "ar")


def day(date: dt.date, locale: str) -> str:
    month = MONTHS[locale][date.month - 1]
    return f"{month} {date.day}" if locale == "en" else f"{date.day} {month}"


@pytest.fixture(scope="module")
def eta(storefront) -> dt.date:
    """A restock of the sold-out large tee expected in 12 days (the ETA the badge shows)."""
    shop = storefront.shop
    when = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=12)
    created = shop.admin(
        "post", "/restocks", json={"sku": "TEE-L", "quantity": 6, "expected_on": when.isoformat()}
    )
    assert created.status_code == 201, created.get_json()
    shop.wait_state("TEE-L", "out_of_stock", eta=when.isoformat())
    return when


def alternatives(page) -> list[tuple[str, str]]:
    links = page.eval_on_selector_all(
        ".stockguard a", "links => links.map(a => [a.textContent, a.href])"
    )
    return [tuple(link) for link in links]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("state", ["in_stock", "low_stock", "out_of_stock"])
def test_each_state_in_each_language(storefront, eta, shopper, state, locale):
    shop = storefront.shop
    sku = {"in_stock": "TEE-S", "low_stock": "TEE-M", "out_of_stock": "TEE-L"}[state]
    page = shopper.open(shop.product_url("tee", sku, locale))
    texts = TEXTS[locale]
    placeholder = page.locator(".stockguard")
    assert placeholder.get_attribute("data-sg-variant") == shop.vid(sku)
    if state == "out_of_stock":
        # Sold out: the three reserved lines are badge + date, notify me, alternatives.
        assert placeholder.get_attribute("data-sg-lines") == "3"
        assert [line.translate(LATIN_DIGITS) for line in shopper.lines()] == [
            f"{texts['out_of_stock']} · " + texts["eta"].replace("{date}", day(eta, locale)),
            texts["notify"],
            f"{texts['alternatives']} Polo",
        ]
        assert alternatives(page) == [("Polo", f"https://{SHOP}/products/polo")]
        assert page.locator(".stockguard button").text_content() == texts["notify"]
    else:
        expected = texts["in_stock"] if sku == "TEE-S" else texts["low_stock"].replace("{n}", "2")
        assert shopper.lines() == [expected]
    badge = page.locator(".stockguard > .sg-l").first
    assert badge.get_attribute("role") == "status"
    assert badge.evaluate("el => getComputedStyle(el).color") == COLORS[state]
    if locale == "ar":
        assert placeholder.get_attribute("dir") == "rtl"
        assert placeholder.evaluate("el => getComputedStyle(el).direction") == "rtl"
    else:
        assert placeholder.get_attribute("dir") is None
    # The lines fit in the space the theme reserved: nothing on the page moved.
    assert shopper.layout_shift() == 0
    assert shopper.errors == [] and shopper.dialogs == []


def test_collection_cards_and_a_shift_the_measurement_does_see(storefront, eta, shopper):
    page = shopper.open(f"https://{SHOP}/collections/all?locale=en")
    cards = page.eval_on_selector_all(
        ".card",
        "cards => cards.map(c => [c.querySelector('a').textContent, "
        "[...c.querySelectorAll('.stockguard > .sg-l')].map(l => l.textContent)])",
    )
    # A card asks for its product: its best state, or its only variant's whole line.
    assert dict(cards) == {
        "Linen Tee": ["In stock"],
        "Polo": ["In stock"],
        "Cap": ["Sold out"],
    }
    assert len(page.locator(".stockguard[data-sg-lines='1']").all()) == 3
    assert shopper.layout_shift() == 0
    # The observer is live: a banner pushed in above the grid is a shift it reports.
    page.evaluate(
        "document.querySelector('main').prepend(Object.assign(document.createElement('div'),"
        " {style: 'height:120px'}))"
    )
    assert shopper.layout_shift() > 0
    assert shopper.errors == []


def test_picking_another_variant_redraws_the_badge(storefront, eta, shopper):
    shop = storefront.shop
    page = shopper.open(shop.product_url("tee", "TEE-S"))
    assert shopper.lines() == ["In stock"]
    page.select_option("select[name=id]", shop.vid("TEE-L"))
    page.wait_for_function(
        "() => document.querySelector('.stockguard').textContent.startsWith('Sold out')"
    )
    placeholder = page.locator(".stockguard")
    assert placeholder.get_attribute("data-sg-variant") == shop.vid("TEE-L")
    # Grown on the shopper's input (not a layout shift) to fit notify me and alternatives.
    assert placeholder.get_attribute("data-sg-lines") == "3"
    assert shopper.lines()[1:] == ["Notify me", "Also available: Polo"]
    page.select_option("select[name=id]", shop.vid("TEE-M"))
    page.wait_for_function(
        "() => document.querySelector('.stockguard').textContent === 'Only 2 left'"
    )
    assert placeholder.get_attribute("data-sg-lines") == "3"  # never shrinks
    assert shopper.layout_shift() == 0
    assert shopper.errors == []


def test_cors_lets_only_the_stores_own_pages_read_the_answer(storefront, eta, shopper):
    shop = storefront.shop
    ask = """async ([api, shop, id]) => {
      try {
        const r = await fetch(`${api}/storefront/v1/availability?shop=${shop}&variants=${id}`);
        return (await r.json()).variants[id].state;
      } catch (e) { return e.name; }
    }"""
    page = shopper.open(shop.product_url("tee", "TEE-S"))
    assert page.evaluate(ask, [storefront.api, SHOP, shop.vid("TEE-L")]) == "out_of_stock"
    # Another store's page (no StockGuard there): the browser withholds the answer, and its
    # own placeholders stay empty (the API doesn't know that store).
    other = "other-store.myshopify.com"
    storefront.sandbox.create_shop(other, name="Other Store", currency="EUR")
    storefront.sandbox.create_product(other, "Mug", variants=[{"sku": "MUG", "available": 3}])
    storefront.sandbox.set_app_url(other, storefront.api)
    with page.expect_response(lambda r: "/availability?" in r.url) as answer:
        page.goto(f"https://{other}/products/mug", wait_until="load")
    assert answer.value.status == 404
    assert page.evaluate(ask, [storefront.api, SHOP, shop.vid("TEE-L")]) == "TypeError"
    assert page.locator(".stockguard").evaluate("el => el.childElementCount") == 0
    assert shopper.errors == []


def test_pre_order_with_its_date_and_notify_me(storefront, shopper):
    shop: StoreShop = storefront.open(
        "preorder-store.myshopify.com", {"lamp": ("Desk Lamp", "Lamps", [("LAMP", 0)])}
    )
    when = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    restock = {"sku": "LAMP", "quantity": 5, "expected_on": when.isoformat()}
    assert shop.admin("post", "/restocks", json=restock).status_code == 201
    shop.idle()
    shop.settings(visibility="preorder")
    shop.wait_state("LAMP", "preorder", eta=when.isoformat(), notify=True)
    page = shopper.open(shop.product_url("lamp", locale="fr"))
    # Sold on pre-order (Shopify keeps selling at 0): the theme reserved the notify-me line.
    assert page.locator(".stockguard").get_attribute("data-sg-lines") == "3"
    assert shopper.lines() == ["Précommande · De retour vers le " + day(when, "fr"), "Me prévenir"]
    assert shopper.layout_shift() == 0
    assert shopper.errors == []
