"""The Shopify sandbox's storefront: theme pages rendering the extension's real blocks.

Fetched as a browser would, over TLS at ``https://{shop}`` through the sandbox proxy (the
``store`` fixture routes ``*.myshopify.com`` there; the test CA is trusted).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from tests.storefront.conftest import SHOP

ROOT = Path(__file__).resolve().parents[2]
EVIL_TITLE = '<script>alert("x")</script> Tee & "Co"'


class Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs) -> list[dict[str, str | None]]:
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            a
            for t, a in self.tags
            if t == tag and all(k in a and a[k] == v for k, v in wanted.items())
        ]


def placeholders(html: str) -> list[dict]:
    return Elements(html).find("div", class_="stockguard")


def get(sb, path: str) -> requests.Response:
    response = requests.get(sb.storefront_url(SHOP, path), timeout=10)
    assert not sb.internal_errors, sb.internal_errors[0]
    return response


def test_product_page_renders_the_availability_block_for_the_selected_variant(store):
    tee = store.create_product(
        SHOP,
        "Tee",
        variants=[
            {"title": "S", "sku": "TEE-S", "available": 0, "price": "19.90"},
            {"title": "M", "sku": "TEE-M", "available": 4, "price": "19.90"},
        ],
    )
    small, medium = (v["legacy_id"] for v in tee["variants"])

    page = get(store, f"/products/{tee['handle']}")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    # Like Shopify: the first variant that can be bought, 1 line for its badge.
    assert placeholders(page.text) == [
        {
            "class": "stockguard",
            "data-sg-product": str(tee["legacy_id"]),
            "data-sg-variant": str(medium),
            "data-sg-lines": "1",
            "style": "min-height:1.6em",
        }
    ]
    # The theme's variant picker: a cart form with a select named id.
    elements = Elements(page.text)
    assert elements.find("form", action="/cart/add")
    assert [o["value"] for o in elements.find("option")] == [str(small), str(medium)]
    assert elements.find("option", value=str(medium), selected=None)

    # ?variant= picks the variant, as on Shopify: sold out, so 3 lines are reserved.
    page = get(store, f"/products/{tee['handle']}?variant={small}")
    (placeholder,) = placeholders(page.text)
    assert placeholder["data-sg-variant"] == str(small)
    assert placeholder["data-sg-lines"] == "3"
    assert placeholder["style"] == "min-height:4.8em"


def test_pre_order_variant_reserves_the_notify_line(store):
    tee = store.create_product(
        SHOP, "Pre Tee", variants=[{"sku": "PRE", "available": 0, "inventory_policy": "CONTINUE"}]
    )
    (placeholder,) = placeholders(get(store, f"/products/{tee['handle']}").text)
    assert placeholder["data-sg-lines"] == "3"


def test_product_page_loads_the_extension_script_from_the_app_embed(store):
    tee = store.create_product(SHOP, "Tee", variants=[{"sku": "TEE", "available": 3}])
    page = get(store, f"/products/{tee['handle']}")
    (script,) = Elements(page.text).find("script", async_=None)
    assert script["src"] == f"//{SHOP}/cdn/stockguard/assets/stockguard.js"
    assert script["data-shop"] == SHOP
    assert script["data-api"] == "https://stockguard.example.com/storefront/v1"  # the default

    store.set_app_url(SHOP, "https://127.0.0.1:5001")
    page = get(store, f"/products/{tee['handle']}")
    (script,) = Elements(page.text).find("script", async_=None)
    assert script["data-api"] == "https://127.0.0.1:5001/storefront/v1"

    # The sandbox serves the extension's assets as Shopify's CDN does.
    asset = get(store, "/cdn/stockguard/assets/stockguard.js")
    assert asset.status_code == 200
    assert "javascript" in asset.headers["Content-Type"]
    assert asset.content == (ROOT / "extensions/stockguard/assets/stockguard.js").read_bytes()
    assert get(store, "/cdn/stockguard/assets/../../../../etc/passwd").status_code == 404

    store.set_app_url(SHOP, "")  # the merchant emptied the setting: no script
    assert "stockguard.js" not in get(store, f"/products/{tee['handle']}").text


@pytest.mark.parametrize(
    ("asked", "lang"), [("fr", "fr"), ("ar", "ar"), ("en", "en"), ("xx", "en")]
)
def test_locale_query_sets_the_page_language(store, asked, lang):
    tee = store.create_product(SHOP, "Tee", variants=[{"sku": "TEE", "available": 3}])
    page = get(store, f"/products/{tee['handle']}?locale={asked}")
    assert Elements(page.text).find("html")[0]["lang"] == lang


def test_titles_are_escaped_as_shopify_escape_does(store):
    tee = store.create_product(SHOP, EVIL_TITLE, variants=[{"sku": "X", "available": 1}])
    for path in (f"/products/{tee['handle']}", "/collections/all"):
        html = get(store, path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tee &amp; &quot;Co&quot;" in html
        assert "Test &lt;Store&gt;" in html


def test_collection_page_has_a_badge_line_per_published_product(store):
    shirt = store.create_product(SHOP, "Shirt", variants=[{"sku": "SH", "available": 2}])
    hidden = store.create_product(SHOP, "Hidden", variants=[{"sku": "HI", "available": 2}])
    draft = store.create_product(SHOP, "Draft", variants=[{"sku": "DR"}], status="DRAFT")
    store.set_published(SHOP, hidden["id"], False)  # the merchant unticks the Online Store

    page = get(store, "/collections/all")
    assert page.status_code == 200
    assert placeholders(page.text) == [
        {
            "class": "stockguard",
            "data-sg-product": str(shirt["legacy_id"]),
            "data-sg-lines": "1",
            "style": "min-height:1.6em",
        }
    ]
    assert re.search(r'<script src="//teststore\.myshopify\.com/cdn/stockguard/', page.text)
    # Unpublished and draft products have no page for shoppers.
    assert get(store, f"/products/{hidden['handle']}").status_code == 404
    assert get(store, f"/products/{draft['handle']}").status_code == 404
    assert get(store, "/products/no-such-thing").status_code == 404


def test_storefront_url():
    from sandbox.shopify import ShopifySandbox

    assert ShopifySandbox.storefront_url("A.myshopify.com", "/products/x") == (
        "https://a.myshopify.com/products/x"
    )
