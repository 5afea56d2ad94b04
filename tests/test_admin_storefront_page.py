"""The admin page's "Shoppers" cards (restocks, notify-me, storefront settings, installing the
badge): what the page carries for its store."""

from __future__ import annotations

import json
import time
from html.parser import HTMLParser
from urllib.parse import urlencode

from models import Installation, StockPool
from sync.storefront_settings import LANGUAGES, TEXT_KEYS
from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET

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


def _shopify_launch(shop: str) -> str:
    """The query string Shopify signs when it opens the app in its admin."""
    import shopify

    params = {
        "shop": shop,
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdHN0b3Jl",
        "timestamp": str(int(time.time())),
        "embedded": "1",
    }
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params["hmac"] = shopify.Session.calculate_hmac(params)
    return urlencode(params)


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
    for words in ("App embeds", "StockGuard availability", "integrations/wordpress/stockguard"):
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
