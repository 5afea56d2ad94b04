"""The Alerts view: its texts all have French, it follows the panel contract (one hidden
section, the alert-mode slot first, no markup built from strings), and in Debian's Chromium
through the panel shell it lists the open alerts, refuses bad settings naming the field,
saves good ones and sends a test alert through the real SMTP server and webhook receiver."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from extensions import db
from models import Installation
from sync import alerts
from tests.alerts.conftest import configure
from tests.panel.harness import browser, panel_store  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates/admin/views/alerts.html"
SCRIPT = ROOT / "static/admin_view_alerts.js"


def test_every_text_has_its_french():
    french = json.loads((ROOT / "templates/admin/i18n/alerts.fr.json").read_text("utf-8"))
    texts = set(re.findall(r'_\("((?:[^"\\]|\\.)*)"[,)]', TEMPLATE.read_text("utf-8")))
    texts |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', SCRIPT.read_text("utf-8")))
    from sync.alerts.deliver import TITLES  # shown through t(a.title)

    texts |= set(TITLES.values())
    assert len(texts) > 40
    assert sorted(texts - set(french)) == []
    for english, fr in french.items():
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", fr)), english


def test_the_view_is_one_hidden_section_with_the_alert_mode_slot_first():
    html = TEMPLATE.read_text("utf-8").strip()
    assert html.startswith('<section class="view" data-view="alerts" hidden>')
    assert html.endswith("</section>")
    body = re.sub(r"\{#.*?#\}", "", html).split("\n", 1)[1].lstrip()
    # The view's title, then the alert-mode switch before the open alerts.
    title, rest = body.split("\n", 1)
    assert title.startswith('<h1 class="section-title">')
    assert rest.lstrip().startswith('<div id="alert-mode-slot"></div>')


def test_the_script_never_builds_markup_from_strings():
    source = SCRIPT.read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink
    assert "http://" not in source and "https://" not in source


def _pool(app, domain: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Installation.pool_id).where(Installation.shop_domain == domain)
        )


def test_alerts_view_in_the_browser(live_app, panel_store, browser, mailbox, receiver):  # noqa: F811
    from playwright.sync_api import expect

    pool_id = _pool(live_app, panel_store.domain)
    with live_app.app_context():
        store = type("S", (), {"pool_id": pool_id})()
        configure(db.session, store, threshold_units=1_000_000)  # every SKU is "low"
        result = alerts.sweep(db.session, pool_id)
    assert result["opened"] >= 1

    page = panel_store.open(browser, "#/alerts")
    view = page.locator('[data-view="alerts"]')
    expect(view).to_be_visible()
    expect(page.locator('[data-nav="alerts"]')).to_have_attribute("aria-current", "page")
    assert view.locator("#alert-mode-slot").count() == 1
    rows = view.locator('[data-test="alert-row"]')
    expect(rows).to_have_count(result["opened"])
    expect(rows.first).to_contain_text("Low stock")
    expect(rows.first).to_contain_text("available (alert at 1,000,000 or fewer)")
    expect(view.locator('[data-test="alerts-threshold"]')).to_have_value("1000000")

    # A plain-http webhook: refused, the field named, nothing saved.
    view.locator('[data-test="alerts-webhook"]').fill("http://hooks.example.com/x")
    view.locator('[data-test="alerts-save"]').click()
    expect(view.locator('[data-error-for="webhook_url"]')).to_contain_text("https://")
    expect(view.locator('[data-test="alerts-settings-status"]')).to_have_text("Nothing was saved.")
    assert panel_store.api("get", "/alerts/settings").get_json()["webhook_url"] is None

    # Good settings, then a test alert on both channels.
    view.locator('[data-test="alerts-webhook"]').fill(receiver.url)
    view.locator('[data-test="alerts-emails"]').fill("owner@example.com")
    view.locator('[data-test="alerts-cond-sales_spike"]').uncheck()
    view.locator('[data-test="alerts-digest"]').select_option("08:00")
    view.locator('[data-test="alerts-save"]').click()
    expect(view.locator('[data-test="alerts-settings-status"]')).to_have_text("Saved.")
    saved = panel_store.api("get", "/alerts/settings").get_json()
    assert saved["webhook_url"] == receiver.url
    assert saved["email_recipients"] == ["owner@example.com"]
    assert saved["conditions"]["sales_spike"] is False and saved["digest"] == "08:00"

    view.locator('[data-test="alerts-test"]').click()
    expect(view.locator('[data-test="alerts-test-email"]')).to_have_text("e-mail: sent")
    expect(view.locator('[data-test="alerts-test-webhook"]')).to_have_text("webhook: sent")
    assert mailbox.count() == 1 and receiver.count() == 1

    # In French.
    fr = panel_store.open(browser, "#/alerts", locale="fr")
    fr_view = fr.locator('[data-view="alerts"]')
    expect(fr_view.locator("h1.section-title")).to_have_text("Alertes")
    expect(fr_view.locator('[data-test="alert-row"]').first).to_contain_text("Stock faible")
    assert panel_store.errors == []
