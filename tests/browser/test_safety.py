"""The badge never harms the shop's page: markup in titles and merchant texts stays text, and an
unreachable or hung API leaves the placeholders empty without a single uncaught error."""

from __future__ import annotations

import socket
import time

import pytest

from tests.browser.conftest import StoreShop
from tests.storefront_api.conftest import _free_port

EVIL_TITLE = "<img src=x onerror=alert('title')> Tee"
EVIL_TEXTS = {
    "out_of_stock": "<script>alert('text')</script>Gone",
    "alternatives": "<img src=x onerror=alert('alt')> Try:",
}


def test_markup_in_titles_and_merchant_texts_is_shown_as_text(storefront, shopper):
    shop: StoreShop = storefront.open(
        "evil-store.myshopify.com",
        {
            "evil": (EVIL_TITLE, "Shirts", [("EVIL", 30)]),
            "plain": ("Plain Tee", "Shirts", [("PLAIN", 0)]),
        },
    )
    shop.settings(texts={"en": EVIL_TEXTS})
    shop.wait_state("PLAIN", "out_of_stock")
    page = shopper.open(shop.product_url("plain"))
    assert shopper.lines() == [
        EVIL_TEXTS["out_of_stock"],
        "Notify me",
        f"{EVIL_TEXTS['alternatives']} {EVIL_TITLE}",
    ]
    link = page.locator(".stockguard a")
    assert link.text_content() == EVIL_TITLE
    assert link.get_attribute("href") == f"/products/{shop.products['evil']['handle']}"
    # Nothing but the script's own elements inside the placeholder, nothing ran.
    tags = page.eval_on_selector_all(".stockguard *", "els => els.map(e => e.tagName)")
    assert set(tags) <= {"DIV", "BUTTON", "A"}
    assert page.locator("img").count() == 0
    assert shopper.dialogs == [] and shopper.errors == []
    # The theme escapes the title too (a shopper's page is only as safe as both).
    page.goto(shop.product_url("evil"), wait_until="load")
    page.wait_for_selector(".stockguard .sg-l", state="attached")
    assert page.locator("h1").text_content() == EVIL_TITLE
    assert page.locator("img").count() == 0
    assert shopper.dialogs == [] and shopper.errors == []
    # The watch is live: the same title parsed as HTML does fire.
    page.evaluate("title => document.body.insertAdjacentHTML('beforeend', title)", EVIL_TITLE)
    page.wait_for_event("dialog")
    assert shopper.dialogs == ["alert: title"]


@pytest.fixture
def silent_port():
    """A port that accepts connections and never says a word (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # never accepted: the kernel completes the handshake, nothing more
        yield listener.getsockname()[1]


@pytest.mark.parametrize("api", ["refused", "hangs"])
def test_api_down_or_slow_leaves_the_placeholders_empty_and_the_page_unharmed(
    storefront, shopper, api, request
):
    shop = storefront.shop
    # The theme's app embed points at a port nothing listens on, or one that never answers.
    port = _free_port() if api == "refused" else request.getfixturevalue("silent_port")
    storefront.sandbox.set_app_url(shop.domain, f"https://127.0.0.1:{port}")
    try:
        page = shopper.page
        started = time.monotonic()
        with page.expect_event("requestfailed", lambda r: "/availability?" in r.url) as failed:
            shopper.open(shop.product_url("tee", "TEE-L"), badge=False)
        if api == "hangs":  # the script's own 3 s budget ends the request
            assert failed.value.failure == "net::ERR_ABORTED"
            assert 2.9 <= time.monotonic() - started < 6
        page.wait_for_timeout(100)  # the script's handling of the failure runs
        placeholder = page.locator(".stockguard")
        assert placeholder.evaluate("el => el.childElementCount") == 0
        assert placeholder.evaluate("el => el.getBoundingClientRect().height") > 0  # reserved
        assert shopper.layout_shift() == 0
        assert shopper.errors == []
        # The theme's own scripts still work.
        page.select_option("select[name=id]", shop.vid("TEE-S"))
        assert f"variant={shop.vid('TEE-S')}" in page.url
        page.wait_for_timeout(100)  # the script follows the picker 50 ms later
        assert shopper.errors == []
    finally:
        storefront.sandbox.set_app_url(shop.domain, storefront.api)
