"""The Reports view in Debian's Chromium (Playwright) against the live app: figures in the
pool's currency, the period selector, a CSV export really downloaded (and read back), and the
cost import showing every bad line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import render_template_string

from sandbox.common import ServerThread
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"

# Until the panel shell (templates/admin/panel.html) carries the view, the test serves it in a
# page made of the same parts: base.html, the panel token, admin_panel.js and the view's script.
PAGE = """{% extends "base.html" %}
{% block head %}<meta name="stockguard-token" content="{{ token }}">{% endblock %}
{% block main %}{% include "admin/views/reports.html" %}
<script src="/static/admin_panel.js" defer></script>
<script src="/static/admin_view_reports.js" defer></script>{% endblock %}"""


def test_scripts_never_build_markup_from_strings():
    source = (STATIC / "admin_view_reports.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink


@pytest.fixture
def view_url(app, shop):
    main, _ = shop
    from tests.test_admin_storefront_page import _shopify_launch

    if (ROOT / "templates/admin/panel.html").exists():
        path = f"/admin/shopify?{_shopify_launch('main.myshopify.com')}#/reports"
    else:

        def page():
            translate = app.jinja_env.globals.get("_", lambda text: text)
            return render_template_string(PAGE, token=main.token, _=translate)

        app.add_url_rule("/_test/reports-view", "reports_view_page", page)
        path = "/_test/reports-view"
    server = ServerThread(app).start()
    yield server.url + path
    server.stop()


@pytest.fixture(scope="module")
def browser(playwright_driver):
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


def test_reports_export_and_cost_import_in_the_browser(view_url, browser, shop):
    from playwright.sync_api import expect

    context = browser.new_context(accept_downloads=True, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(15_000)
    page.goto(view_url)
    view = page.locator('[data-view="reports"]')
    expect(view).to_be_visible()

    # Figures from the known ledger (tests/reports/conftest.py), in euros via Intl.
    expect(view.locator('[data-test="stock-value"]')).to_have_text("€850.00")
    expect(view.locator('[data-test="stock-without-cost"]')).to_contain_text("1 SKUs holding 36")
    expect(view.locator('[data-test="days-of-inventory"]')).to_have_text("117 days")
    best = view.locator('[data-test="best-sellers-table"] tbody tr')
    expect(best).to_have_count(2)
    expect(best.nth(0)).to_contain_text("€625.00")
    slow = view.locator('[data-test="slow-movers-table"] tbody tr')
    expect(slow.nth(0)).to_contain_text("B")
    expect(slow.nth(1)).to_contain_text("no cost")

    # The period selector: over 7 days A sold 10 and had 5 cancelled.
    view.locator('[data-test="reports-period"]').select_option("7")
    expect(best.nth(0).locator("td").nth(2)).to_have_text("5")

    # A CSV export, downloaded for real through fetch + Blob (the token stays in a header).
    with page.expect_download() as info:
        view.locator('[data-test="export-skus"]').click()
    download = info.value
    assert download.suggested_filename.startswith("stockguard-skus-")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = {r["sku"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    assert set(rows) == {"A", "B", "C", "D"}
    assert (rows["A"]["on_hand"], rows["A"]["unit_cost"]) == ("75", "10.00")
    expect(view.locator('[data-test="export-status"]')).to_contain_text(
        "Downloaded stockguard-skus-"
    )

    # A cost file with mistakes: every bad line shown, nothing saved.
    bad = b"sku,unit_cost\nA,9.99\nC,abc\nNOPE,1\nA,2\n"
    view.locator('[data-test="costs-file"]').set_input_files(
        files=[{"name": "costs.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    view.locator('[data-test="costs-import"]').click()
    lines = view.locator('[data-test="costs-errors"] li')
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("line 3")
    expect(lines.nth(1)).to_contain_text("unknown SKU 'NOPE'")
    expect(lines.nth(2)).to_contain_text("already on line 2")
    expect(view.locator('[data-test="costs-status"]')).to_contain_text("Nothing was imported: 3")
    expect(view.locator('[data-test="stock-value"]')).to_have_text("€850.00")

    # Fixed, it goes in whole and the reports follow.
    good = b'sku,unit_cost\nC,"2,50"\n'
    view.locator('[data-test="costs-file"]').set_input_files(
        files=[{"name": "costs.csv", "mimeType": "text/csv", "buffer": good}]
    )
    view.locator('[data-test="costs-import"]').click()
    expect(view.locator('[data-test="costs-status"]')).to_have_text("Costs imported for 1 SKUs.")
    expect(lines).to_have_count(0)
    expect(view.locator('[data-test="stock-value"]')).to_have_text("€940.00")
    assert errors == []
    context.close()
