"""French for the texts the panel's card scripts build at run time (Ads, Restocks, Notify me,
storefront settings, imports): every ``t("…")`` of those scripts has its French in the merged
tables (templates/admin/i18n/*.fr.json) with the same placeholders, and the panel opened with
Shopify's ``locale=fr`` shows the scripts' texts in French in Debian's Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.panel import harness
from tests.storefront_api.conftest import ORIGIN, SHOP

browser, panel_store = harness.browser, harness.panel_store

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = (
    "admin.js",
    "admin_ads.js",
    "admin_ads_campaigns.js",
    "admin_ads_policy.js",
    "admin_panel.js",
    "admin_storefront.js",
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _texts(name: str) -> set[str]:
    source = (ROOT / "static" / name).read_text("utf-8")
    return {json.loads(f'"{s}"') for s in re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', source)}


def _merged() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((ROOT / "templates/admin/i18n").glob("*.fr.json")):
        merged.update(json.loads(path.read_text("utf-8")))
    return merged


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_text_the_script_builds_has_its_french(name):
    texts = _texts(name)
    assert texts, name
    french = _merged()
    assert sorted(texts - set(french)) == []
    for text in texts:  # the same {placeholders}, and something actually French
        assert set(PLACEHOLDER.findall(french[text])) == set(PLACEHOLDER.findall(text)), text
        assert french[text].strip(), text


def test_cards_table_is_well_formed():
    cards = json.loads((ROOT / "templates/admin/i18n/cards.fr.json").read_text("utf-8"))
    used = set().union(*(_texts(n) for n in SCRIPTS))
    assert len(cards) > 100
    assert sorted(set(cards) - used) == []  # no leftovers
    for english, french in cards.items():
        assert isinstance(french, str) and french.strip(), english
        assert set(PLACEHOLDER.findall(french)) == set(PLACEHOLDER.findall(english)), english


def test_scripts_set_their_texts_as_text_only():
    for name in SCRIPTS:
        source = (ROOT / "static" / name).read_text("utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, (name, sink)


# --------------------------------------------------------------------------- in the browser


def _sign_up(shop, contact: str, sku: str) -> None:
    body = {"shop": SHOP, "variant": shop.vid(sku), "contact": contact, "consent": True}
    response = shop.client.post("/storefront/v1/notify", json=body, headers={"Origin": ORIGIN})
    assert response.status_code == 201, response.get_json()


def test_ads_view_in_french(panel_store, browser):
    from playwright.sync_api import expect

    page = panel_store.open(browser, "#/ads", locale="fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    accounts = page.locator("#ad-accounts")
    expect(accounts.locator('[data-test="accounts-table"] tbody tr')).to_have_text(
        ["Aucun compte publicitaire connecté pour l'instant."]
    )
    objects = page.locator("#ad-objects")
    expect(objects.locator('[data-test="objects-table"] tbody tr')).to_have_text(
        ["Connectez un compte publicitaire pour voir ses campagnes ici."]
    )
    expect(objects.locator('[data-test="objects-count"]')).to_have_text(
        "0 campagnes, ensembles de publicités et publicités"
    )
    actions = page.locator("#ad-actions")
    expect(actions.locator('[data-test="actions-table"] tbody tr')).to_have_text(
        [
            "Aucune action publicitaire pour l'instant. Liez des publicités à des SKU : "
            "StockGuard agit quand leur stock baisse."
        ]
    )
    totals = actions.locator('[data-test="ads-totals"]')
    expect(totals).to_contain_text("En pause par StockGuard actuellement")
    expect(totals.locator('[data-test="avoided-total"]')).to_have_text("aucun pour l'instant")
    # A search that finds nothing: said in French, the query quoted the French way.
    search = page.locator("#ad-search")
    search.locator('input[name="q"]').fill("hiver")
    search.locator('button[type="submit"]').click()
    expect(objects.locator('[data-test="objects-table"] tbody tr')).to_have_text(
        ["Aucun nom ne ressemble à « hiver »."]
    )
    assert panel_store.errors == []


def test_storefront_and_restocks_views_in_french(panel_store, browser):
    from playwright.sync_api import expect

    shop = panel_store.shop
    _sign_up(shop, "ada@example.com", "TEE-L")  # TEE-L is sold out
    answer = panel_store.api(
        "post", "/suppliers", json={"name": "Textiles Dupont", "lead_time_days": 10}
    )
    assert answer.status_code in (200, 201), answer.get_json()

    page = panel_store.open(browser, "#/storefront", locale="fr")
    notify = page.locator("#notify")
    expect(notify.locator('[data-count="waiting"]')).to_have_text("1 en attente")
    expect(notify.locator('[data-count="sent"]')).to_have_text("0 envoyés")
    expect(notify.locator('[data-test="notify-table"] tbody tr td').nth(2)).to_have_text(
        "en attente"
    )

    # The Restocks view: the supplier's lead time and the empty list in French, then a
    # restock cancelled from its row.
    page.evaluate("window.StockGuardPanel.go('#/restocks')")
    restocks = page.locator("#restocks")
    expect(restocks.locator('[data-test="suppliers-table"] tbody tr')).to_have_text(
        [re.compile(r"Textiles Dupont\s*10 jours")]
    )
    rows = restocks.locator('[data-test="restocks-table"] tbody tr')
    expect(rows).to_have_text(["Aucun réassort en route."])
    answer = panel_store.api(
        "post", "/restocks", json={"sku": "TEE-L", "quantity": 12, "expected_on": "2099-01-15"}
    )
    assert answer.status_code in (200, 201), answer.get_json()
    page.reload()
    page.evaluate("window.StockGuardPanel.go('#/restocks')")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("15 janv. 2099")
    rows.first.get_by_role("button", name="Annuler").click()
    expect(rows.first).to_contain_text("Annuler ce réassort ?")
    rows.first.get_by_role("button", name="Oui, l'annuler").click()
    expect(restocks.locator('[data-test="restocks-status"]')).to_have_text(
        "Réassort de 12 × TEE-L annulé."
    )
    expect(rows).to_have_text(["Aucun réassort en route."])
    assert panel_store.errors == []
