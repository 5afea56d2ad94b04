"""``python app.py --demo`` from a clean environment: the sandboxes start, StockGuard is installed
into both stores, and the simulate page's buttons move real stock, badges and ads.

The demo runs as its own process (its own session, so any process it leaves behind is found),
with nothing from this test run's environment: no secrets, no proxy, no database URL.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class Demo:
    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "demo.log"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "app.py", "--demo", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: orphans are visible
            )
        self.http = requests.Session()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the demo exited early:\n{self.output()[-4000:]}")
            if "StockGuard demo is ready" in self.output():
                return
            time.sleep(0.3)
        raise AssertionError(f"the demo did not start:\n{self.output()[-4000:]}")

    def page(self) -> str:
        answer = self.http.get(f"{self.url}/demo", timeout=10)
        assert answer.status_code == 200
        return answer.text

    def csrf(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.page())[1]

    def simulate(self, action: str, token: str | None, **form) -> requests.Response:
        if token is not None:
            form["csrf_token"] = token
        return self.http.post(
            f"{self.url}/demo/simulate/{action}",
            data=form,
            headers={"Accept": "application/json"},
            timeout=60,
        )

    def state(self) -> dict:
        answer = self.http.get(f"{self.url}/demo/state", timeout=20)
        assert answer.status_code == 200
        return answer.json()

    def sku(self, sku: str) -> dict:
        return next(row for row in self.state()["skus"] if row["sku"] == sku)

    def ads(self) -> dict[str, str]:
        return {f"{a['platform']}/{a['sku']}": a["status"] for a in self.state()["ads"]}

    def wait(self, predicate, what: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"{what}: state is {self.state()}\n{self.output()[-3000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        finally:
            if _alive(self.proc.pid):
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo for the module (it takes ~25 s to start); the last test stops it."""
    running = Demo(tmp_path_factory.mktemp("demo"))
    try:
        running.wait_ready()
        yield running
    finally:
        if running.proc.poll() is None:
            running.stop()


@pytest.fixture(scope="module")
def browser(playwright_driver):
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


def badges(demo: Demo, sku: str) -> tuple[str, str]:
    row = demo.sku(sku)
    return row["badge_shopify"], row["badge_woocommerce"]


def levels(demo: Demo, sku: str) -> tuple[int, int, int]:
    row = demo.sku(sku)
    return row["available"], row["shopify"], row["woocommerce"]


def test_demo_links_shop_pages_and_fresh_admin_panel_links(demo):
    """Links first: the last test of the module stops the demo."""
    # The Shopify storefront (theme + StockGuard's app embed), served from the demo's origin.
    shop = demo.http.get(f"{demo.url}/demo/shop/shopify/", timeout=10)
    assert shop.status_code == 200
    assert 'class="stockguard" data-sg-product="' in shop.text
    src = re.search(r'<script src="([^"]+stockguard\.js)"', shop.text)[1]
    assert src == "/demo/shop/shopify/cdn/stockguard/assets/stockguard.js"
    assert f'data-api="{demo.url}/storefront/v1"' in shop.text
    assert demo.http.get(demo.url + src, timeout=10).status_code == 200
    product = re.search(r'href="(/demo/shop/shopify/products/[^"]+)"', shop.text)[1]
    page = demo.http.get(demo.url + product, timeout=10)
    assert page.status_code == 200 and "data-sg-variant" in page.text

    # The WooCommerce shop page: the WordPress plugin's placeholders and the badge script.
    woo = demo.http.get(f"{demo.url}/demo/shop/woocommerce", timeout=10)
    assert woo.status_code == 200
    assert woo.text.count('class="stockguard"') == 8
    data_shop = re.search(r'data-shop="([^"]+)"', woo.text)[1]
    assert re.fullmatch(r"127\.0\.0\.1:\d+", data_shop)
    assert 'src="/static/stockguard.js"' in woo.text

    # Admin panel links are signed on each click, as each platform's admin does (WooCommerce:
    # the WordPress plugin's signed request, then a single-use launch link); both open the panel.
    for platform in ("shopify", "woocommerce"):
        hop = demo.http.get(f"{demo.url}/demo/panel/{platform}", allow_redirects=False)
        assert hop.status_code == 302
        if platform == "woocommerce":
            assert hop.headers["Location"].startswith("/auth/woocommerce/launch?")
            hop = demo.http.get(demo.url + hop.headers["Location"], allow_redirects=False)
            assert hop.status_code == 302
        assert hop.headers["Location"].startswith(f"/admin/{platform}?")
        panel = demo.http.get(demo.url + hop.headers["Location"], timeout=10)
        assert panel.status_code == 200, panel.text[:500]
    assert demo.http.get(f"{demo.url}/demo/panel/amazon").status_code == 404
    # A forged admin link is refused.
    forged = demo.http.get(f"{demo.url}/admin/woocommerce?launch=forged", timeout=10)
    assert forged.status_code in (401, 403)


def test_in_the_browser_badges_show_and_a_button_mirrors_an_order(demo, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(20_000)

    # Both stores' pages: every placeholder gets its badge from the storefront API.
    page.goto(f"{demo.url}/demo/shop/shopify/")
    expect(page.locator(".stockguard .sg-l")).to_have_count(6)
    expect(page.locator(".stockguard .sg-l").first).not_to_be_empty()
    page.goto(f"{demo.url}/demo/shop/woocommerce")
    expect(page.locator(".stockguard .sg-l")).to_have_count(8)

    # The simulate page: state drawn, a button placing orders, the other store following.
    page.goto(f"{demo.url}/demo")
    rows = page.locator("#skus tbody tr")
    expect(rows).to_have_count(8)
    expect(page.locator("#ads tbody tr")).to_have_count(3)
    form = page.locator('form[data-action="orders"]')
    form.locator('select[name="sku"]').select_option("TEE-S")
    form.locator('select[name="store"]').select_option("shopify")
    form.locator('input[name="count"]').fill("2")
    form.locator("button").click()
    expect(page.locator("#message")).to_have_text("2 order(s) of 1 × TEE-S placed on Shopify")
    tee_s = rows.filter(has_text="TEE-S")
    # SKU, product, available, Shopify, WooCommerce: WooCommerce follows Shopify to 4.
    expect(tee_s.locator("td").nth(4)).to_have_text("4")
    expect(tee_s.locator("td").nth(2)).to_have_text("4")
    assert errors == []
    context.close()


def test_demo_mirrors_orders_pauses_and_resumes_ads_and_stops_cleanly(demo):
    out = demo.output()
    for address in ("/demo", "/demo/shop/shopify/", "/demo/shop/woocommerce", "/demo/panel/"):
        assert f"{demo.url}{address}" in out
    page = demo.page()
    assert "Viral spike" in page and "Restock arrives" in page and "Supplier delay" in page
    token = demo.csrf()

    # Seeded: the same catalog in both stores, a bundle, restocks, ads live and linked.
    state = demo.state()
    skus = {row["sku"]: row for row in state["skus"]}
    assert {"TEE-S", "TEE-M", "TEE-L", "MUG", "CAP", "SOCKS", "GIFT-BOX"} <= set(skus)
    assert all(row["shopify"] == row["woocommerce"] == row["available"] for row in skus.values())
    assert skus["GIFT-BOX"]["bundle"] and skus["GIFT-BOX"]["available"] == 12  # MUG 12, SOCKS 14
    assert skus["TEE-M"]["badge_shopify"] == skus["TEE-M"]["badge_woocommerce"] == "in_stock"
    assert demo.ads() == {"Meta/TEE-M": "ACTIVE", "Google Ads/TEE-M": "ACTIVE",
                          "TikTok/MUG": "ACTIVE"}  # fmt: skip
    assert {r["reference"] for r in state["restocks"] if r["status"] == "open"} == {
        "PO-1001",
        "PO-1002",
    }

    # Refused: no CSRF token, a wrong one, bad fields. Each is a 4xx and places no order.
    before = levels(demo, "MUG")
    assert demo.simulate("orders", None, store="shopify", sku="MUG", count="1").status_code == 400
    assert demo.simulate("orders", "forged", store="shopify", sku="MUG").status_code == 400
    for form, field in (
        ({"store": "amazon", "sku": "MUG", "count": "1"}, "store"),
        ({"store": "shopify", "sku": "NOPE", "count": "1"}, "sku"),
        ({"store": "shopify", "sku": "MUG", "count": "0"}, "count"),
        ({"store": "shopify", "sku": "MUG", "count": "21"}, "count"),
        ({"store": "shopify", "sku": "MUG", "count": "two"}, "count"),
    ):
        answer = demo.simulate("orders", token, **form)
        assert answer.status_code == 400, (form, answer.text)
        assert answer.json()["error"].startswith(field)
    assert demo.simulate("teleport", token).status_code == 404
    assert levels(demo, "MUG") == before

    # 3 orders on Shopify: the WooCommerce store's stock falls with it.
    answer = demo.simulate("orders", token, store="shopify", sku="MUG", count="3")
    assert answer.status_code == 200, answer.text
    assert "3 order(s)" in answer.json()["message"]
    demo.wait(lambda: levels(demo, "MUG") == (9, 9, 9), "MUG mirrored to WooCommerce")
    demo.wait(lambda: demo.sku("GIFT-BOX")["woocommerce"] == 9, "the bundle follows its mug")

    # 2 orders on WooCommerce, posted as the page's plain form does (no script): back to the
    # page (303), and Shopify follows.
    form = {"csrf_token": token, "store": "woocommerce", "sku": "CAP", "count": "2"}
    answer = demo.http.post(f"{demo.url}/demo/simulate/orders", data=form, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/demo/")
    assert "2 order(s) of 1 × CAP placed on WooCommerce" in demo.state()["events"][0]["text"]
    demo.wait(lambda: levels(demo, "CAP") == (7, 7, 7), "CAP mirrored to Shopify")

    # The forecast, from the seeded weeks of sales: BOTTLE (no restock planned) is at risk.
    assert "BOTTLE" in {r["sku"] for r in demo.state()["at_risk"]}

    # Supplier delay: TEE-M's restock (same reference, the SKU with least stock) a week later.
    # TEE-M (~9 days of cover) now runs out before it arrives: the forecast alert opens.
    def tee_alerts():
        return {a["condition"] for a in demo.state()["alerts"] if a["sku"] == "TEE-M"}

    alerts = importlib.util.find_spec("sync.alerts") is not None
    if alerts:
        assert "stockout before restock" not in tee_alerts()
    first = {r["reference"]: r for r in demo.state()["restocks"]}
    answer = demo.simulate("delay", token)
    assert answer.status_code == 200, answer.text
    assert "PO-1001" in answer.json()["message"]
    later = dt.date.fromisoformat(first["PO-1001"]["expected_on"]) + dt.timedelta(days=7)
    moved = {r["reference"]: r for r in demo.state()["restocks"]}
    assert moved["PO-1001"]["expected_on"] == later.isoformat()
    assert moved["PO-1002"] == first["PO-1002"]  # untouched
    if alerts:
        demo.wait(lambda: "stockout before restock" in tee_alerts(), "the stockout alert")

    # Viral spike: TEE-M down to its last unit; the ads selling it pause, the mug's stay on.
    answer = demo.simulate("spike", token)
    assert answer.status_code == 200, answer.text
    demo.wait(lambda: levels(demo, "TEE-M") == (1, 1, 1), "TEE-M sold down to 1")
    demo.wait(
        lambda: (
            demo.ads()
            == {"Meta/TEE-M": "PAUSED", "Google Ads/TEE-M": "PAUSED", "TikTok/MUG": "ACTIVE"}
        ),  # fmt: skip
        "the TEE-M ads paused",
    )
    demo.wait(lambda: badges(demo, "TEE-M") == ("low_stock", "low_stock"), "low-stock badges")
    state = demo.state()
    assert any("paused" in a["message"] and "TEE-M" in a["message"] for a in state["activity"])
    if alerts:
        assert "below threshold" in tee_alerts()
    # A second spike has nothing left to sell: refused, nothing placed.
    assert demo.simulate("spike", token).status_code == 409
    assert levels(demo, "TEE-M") == (1, 1, 1)

    # The last unit sells on WooCommerce: sold out everywhere; the badge gives the (delayed)
    # restock date.
    answer = demo.simulate("orders", token, store="woocommerce", sku="TEE-M", count="1")
    assert answer.status_code == 200, answer.text
    demo.wait(lambda: levels(demo, "TEE-M") == (0, 0, 0), "TEE-M sold out everywhere")
    po = {r["reference"]: r for r in demo.state()["restocks"]}["PO-1001"]
    assert po["sku"] == "TEE-M" and po["status"] == "open"
    demo.wait(
        lambda: (
            demo.sku("TEE-M")["badge_shopify"] == "out_of_stock"
            and demo.sku("TEE-M")["badge_woocommerce"] == "out_of_stock"
            and demo.sku("TEE-M")["eta"] == po["expected_on"]
        ),
        "sold-out badges with the restock date",
    )
    # Sold out: a further order is refused by the store itself, and says so.
    answer = demo.simulate("orders", token, store="shopify", sku="TEE-M", count="1")
    assert answer.status_code == 409 and "sold out" in answer.json()["error"]

    # Restock arrives (TEE-M's, the SKU with least stock): both stores get it, ads resume.
    answer = demo.simulate("restock", token)
    assert answer.status_code == 200, answer.text
    assert "TEE-M" in answer.json()["message"]
    demo.wait(lambda: levels(demo, "TEE-M") == (20, 20, 20), "TEE-M restocked everywhere")
    demo.wait(
        lambda: set(demo.ads().values()) == {"ACTIVE"},
        "the TEE-M ads resumed",
    )
    demo.wait(lambda: badges(demo, "TEE-M") == ("in_stock", "in_stock"), "in-stock badges")
    assert {r["reference"]: r["status"] for r in demo.state()["restocks"]}["PO-1001"] == "received"

    # Clean stop (this test runs last in the module): Ctrl-C → exit 0, nothing left running,
    # the demo's SQLite folder gone.
    data = Path(re.search(r"data \(SQLite\)\s+(\S+)", demo.output())[1])
    assert (data / "stockguard.db").exists()
    started = time.monotonic()
    assert demo.stop() == 0, demo.output()[-3000:]
    assert time.monotonic() - started < 15
    assert not data.exists()
    assert "StockGuard demo: stopped." in demo.output()
    assert not _alive(demo.proc.pid)
