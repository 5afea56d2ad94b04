"""The admin panel shell (templates/admin/panel.html, static/admin_panel.js): every view in one
page, routed by hash; its language (the merchant's choice, Shopify's ``locale``, the browser's);
the Settings view saving through the API; the Activity view paging through
``/admin/api/activity`` (one store's entries only); LCP and CLS of the Settings view. Real
Chromium, the real app on HTTPS loopback, the Shopify sandbox behind it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from extensions import db
from models import Installation, StockPool, record_activity
from tests.panel import harness
from tests.panel.harness import shopify_launch, vitals
from tests.test_admin_storefront_page import _store

ROOT = Path(__file__).resolve().parents[2]
VIEWS = sorted(p.stem for p in (ROOT / "templates/admin/views").glob("*.html"))
NAV = (
    "overview",
    "products",
    "restocks",
    "storefront",
    "ads",
    "alerts",
    "reports",
    "settings",
    "activity",
    "imports",
)
# The harness's fixtures, used here.
browser, panel_store = harness.browser, harness.panel_store

MINE = ("imports", "restocks", "storefront", "ads", "activity", "settings")


def _token(app, installation_id: int) -> dict:
    from views.admin_api import panel_token

    with app.test_request_context():
        return {"Authorization": f"Bearer {panel_token(installation_id)}"}


def _page(client, shop: str, headers=None, **launch) -> str:
    response = client.get(f"/admin/shopify?{shopify_launch(shop, **launch)}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _nav_labels(html: str) -> dict[str, str]:
    return dict(re.findall(r'<a href="#/\w+" data-nav="(\w+)">([^<]*)</a>', html))


# --------------------------------------------------------------------------- the page


def test_the_shell_carries_every_view_its_script_and_the_nav(client, db_session):
    inst = _store(db_session, "shell.myshopify.com")
    html = _page(client, inst.shop_domain)
    views = re.findall(r'<section class="view" data-view="(\w+)" hidden>', html)
    assert views == VIEWS  # every file there now, by name
    assert list(_nav_labels(html)) == list(NAV)
    scripts = re.findall(r'<script src="/static/([\w.]+)" defer></script>', html)
    # The shell before every view's script: views register with it.
    first_view = min(i for i, s in enumerate(scripts) if s.startswith("admin_view_"))
    assert scripts.index("admin_panel.js") < first_view
    for name in VIEWS:
        if (ROOT / f"static/admin_view_{name}.js").exists():
            assert scripts.count(f"admin_view_{name}.js") == 1, name
    assert 'name="stockguard-token" content="' in html
    # Nothing served from elsewhere but the App Bridge script Shopify's admin frame requires.
    outside = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', html)
    assert outside == ["https://cdn.shopify.com/shopifycloud/app-bridge.js"]
    table = json.loads(html.split('id="sg-i18n">')[1].split("</script>")[0])
    assert table == {}  # English: the texts are the keys
    assert '<html lang="en">' in html


def test_the_language_is_the_merchants_then_shopifys_then_the_browsers(client, db_session):
    inst = _store(db_session, "lang.myshopify.com")
    assert _nav_labels(_page(client, inst.shop_domain))["settings"] == "Settings"
    # Shopify's locale (sent on the app-load URL, signed with the rest).
    html = _page(client, inst.shop_domain, locale="fr")
    assert _nav_labels(html)["settings"] == "Paramètres"
    assert '<html lang="fr">' in html
    table = json.loads(html.split('id="sg-i18n">')[1].split("</script>")[0])
    assert table["Activity"] == "Activité"
    assert _nav_labels(_page(client, inst.shop_domain, locale="fr-CA"))["settings"] == "Paramètres"
    assert _nav_labels(_page(client, inst.shop_domain, locale="de"))["settings"] == "Settings"
    # The browser's, when Shopify says nothing.
    accept = {"Accept-Language": "de-DE,fr;q=0.8,en;q=0.5"}
    assert _nav_labels(_page(client, inst.shop_domain, headers=accept))["settings"] == "Paramètres"
    # The merchant's choice wins over both.
    pool = db_session.get(StockPool, inst.pool_id)
    pool.settings = {"panel_language": "en"}
    db_session.commit()
    html = _page(client, inst.shop_domain, headers=accept, locale="fr")
    assert _nav_labels(html)["settings"] == "Settings"
    pool.settings = {"panel_language": "fr"}
    db_session.commit()
    assert _nav_labels(_page(client, inst.shop_domain))["activity"] == "Activité"


def test_every_text_of_the_shells_views_has_french():
    catalog = json.loads((ROOT / "templates/admin/i18n/panel.fr.json").read_text("utf-8"))
    texts = set()
    for name in ("panel.html", *(f"views/{v}.html" for v in MINE)):
        source = (ROOT / "templates/admin" / name).read_text("utf-8")
        for double, single in re.findall(r"""_\((?:"([^"]*)"|'([^']*)')[,)]""", source):
            texts.add(double or single)
    for name in ("admin.js", "admin_panel.js", "admin_view_settings.js", "admin_view_activity.js"):
        source = (ROOT / "static" / name).read_text("utf-8")
        texts |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', source))
    from views.admin import NAV as nav
    from views.admin import TEXT_LABELS

    texts |= {label for _, label in nav} | set(TEXT_LABELS.values())  # given to _() by name
    assert len(texts) > 40
    assert sorted(texts - set(catalog)) == []
    for english, french in catalog.items():
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", french)), english


def test_the_panel_scripts_never_build_markup_from_strings():
    for name in ("admin_panel.js", "admin_view_settings.js", "admin_view_activity.js"):
        source = (ROOT / "static" / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (name, sink)


# --------------------------------------------------------------------------- the activity API


def test_activity_pages_back_and_never_shows_another_stores(app, client, db_session):
    mine = _store(db_session, "act-a.myshopify.com")
    theirs = _store(db_session, "act-b.myshopify.com")
    for i in range(1, 61):
        record_activity(db_session, mine, "test", f"mine {i}")
    for i in range(1, 4):
        record_activity(db_session, theirs, "test", f"theirs {i}")
    db_session.commit()

    first = client.get("/admin/api/activity", headers=_token(app, mine.id))
    assert first.status_code == 200
    page = first.get_json()
    assert [e["message"] for e in page["entries"]] == [f"mine {i}" for i in range(60, 10, -1)]
    assert page["more"] is True
    oldest = page["entries"][-1]["id"]
    second = client.get(f"/admin/api/activity?before={oldest}", headers=_token(app, mine.id))
    page = second.get_json()
    assert [e["message"] for e in page["entries"]] == [f"mine {i}" for i in range(10, 0, -1)]
    assert page["more"] is False
    assert set(page["entries"][0]) == {"id", "kind", "message", "created_at"}

    # The other store's token: its own entries, whatever `before` names.
    for query in ("", f"?before={oldest}", "?before=999999999"):
        answer = client.get(f"/admin/api/activity{query}", headers=_token(app, theirs.id))
        assert answer.status_code == 200
        messages = [e["message"] for e in answer.get_json()["entries"]]
        assert all(m.startswith("theirs") for m in messages), messages
    assert (
        len(client.get("/admin/api/activity", headers=_token(app, theirs.id)).json["entries"]) == 3
    )

    # No token, a bad `before`: refused, clearly.
    assert client.get("/admin/api/activity").status_code == 401
    for bad in ("abc", "0", "-1", "1.5", " 5", "99999999999999999999999", ""):
        answer = client.get(
            "/admin/api/activity", query_string={"before": bad}, headers=_token(app, mine.id)
        )
        assert answer.status_code == 400, bad
        assert "before must be" in answer.get_json()["error"]


def test_panel_language_is_saved_and_any_other_value_refused(panel_store):
    def pool_settings():
        with panel_store.shop.app.app_context():
            inst = db.session.get(Installation, panel_store.shop.installation_id)
            return dict(db.session.get(StockPool, inst.pool_id).settings or {})

    for bad in ("de", "FR", "", 1, ["fr"], {"fr": True}, True):
        answer = panel_store.api(
            "put", "/settings", json={"panel_language": bad, "safety_buffer": 7}
        )
        assert answer.status_code == 400, bad
        assert answer.get_json()["error"] == "panel_language must be one of: en, fr"
        assert "panel_language" not in pool_settings() and pool_settings().get("safety_buffer") != 7
    answer = panel_store.api("put", "/settings", json={"panel_language": "fr"})
    assert answer.status_code == 200
    assert answer.get_json()["pool"]["panel_language"] == "fr"
    assert pool_settings()["panel_language"] == "fr"
    answer = panel_store.api("put", "/settings", json={"panel_language": None})
    assert answer.status_code == 200 and answer.get_json()["pool"]["panel_language"] is None


# --------------------------------------------------------------------------- in the browser


def _visible_views(page) -> list[str]:
    return page.eval_on_selector_all(
        "section.view[data-view]", "(s) => s.filter((e) => !e.hidden).map((e) => e.dataset.view)"
    )


def test_every_nav_link_shows_its_view_and_only_it(panel_store, browser):
    from playwright.sync_api import expect

    page = panel_store.open(browser, "#/imports")
    expect(page.locator('[data-view="imports"]')).to_be_visible()
    nav = page.locator('[data-test="panel-nav"] a')
    expect(nav).to_have_count(len(NAV))
    for name in NAV:
        page.locator(f'[data-nav="{name}"]').click()
        assert page.evaluate("location.hash") == f"#/{name}"
        expect(page.locator('[data-nav][aria-current="page"]')).to_have_attribute("data-nav", name)
        expect(page.locator('[aria-current="page"]')).to_have_count(1)
        if name in VIEWS:
            expect(page.locator(f'[data-view="{name}"]')).to_be_visible()
            assert _visible_views(page) == [name]
        else:  # a view another part of the work has not delivered yet
            expect(page.locator('[data-test="view-missing"]')).to_be_visible()
            assert _visible_views(page) == [""]

    # An address naming no view: the overview, and the address says so.
    for wrong in ("#/no-such-view", "#nothing", "#/"):
        page.evaluate("(h) => { location.hash = h; }", wrong)
        page.wait_for_function("location.hash === '#/overview'")
        expect(page.locator('[data-nav="overview"]')).to_have_attribute("aria-current", "page")
        if "overview" in VIEWS:
            assert _visible_views(page) == ["overview"]

    # go() and a view's argument; the view's show() gets it, its hide() runs on leaving.
    page.evaluate("""() => {
        window.seen = [];
        StockGuardPanel.view("activity", {
            show: (arg, root) => seen.push(["show", arg, root.dataset.view]),
            hide: (root) => seen.push(["hide", root.dataset.view]),
        });
        StockGuardPanel.go("#/activity/42");
    }""")
    page.wait_for_function("seen.length === 1")
    page.evaluate("StockGuardPanel.go('#/settings')")
    page.wait_for_function("seen.length === 2")
    assert page.evaluate("seen") == [["show", "42", "activity"], ["hide", "activity"]]
    expect(page.locator('[data-view="settings"]')).to_be_visible()
    # Back: the browser's history follows the views.
    page.go_back()
    page.wait_for_function("location.hash === '#/activity/42'")
    assert _visible_views(page) == ["activity"]
    assert panel_store.errors == []


def test_french_from_shopifys_locale_in_the_browser(panel_store, browser):
    from playwright.sync_api import expect

    page = panel_store.open(browser, "#/settings", locale="fr")
    expect(page.locator('[data-nav="settings"]')).to_have_text("Paramètres")
    expect(page.locator('[data-nav="settings"]')).to_have_attribute("aria-current", "page")
    assert page.evaluate("StockGuardPanel.lang") == "fr"
    assert page.evaluate("StockGuardPanel.t('Saved.')") == "Enregistré."
    assert page.evaluate("StockGuardPanel.t('Not a known text {n}', {n: 3})") == (
        "Not a known text 3"
    )
    assert page.evaluate("StockGuardPanel.number(1234.5, 1)") == "1\u202f234,5"
    assert page.evaluate("StockGuardPanel.money(123456, 'EUR', 2)") == "1\u202f234,56\u00a0€"
    assert page.evaluate("StockGuardPanel.date('2026-12-03')") == "3 déc. 2026"
    assert panel_store.errors == []


def test_settings_are_saved_from_the_browser_and_a_bad_value_saves_nothing(panel_store, browser):
    from playwright.sync_api import expect

    page = panel_store.open(browser, "#/settings")
    view = page.locator('[data-view="settings"]')
    form = view.locator("#store-settings-form")
    buffer = form.get_by_label("Units held back from this store")
    expect(buffer).to_have_value("0")
    expect(form.get_by_label("Location whose stock feeds StockGuard")).not_to_have_value("")
    expect(form.get_by_label("Language of this panel")).to_have_value("")

    buffer.fill("2")
    form.get_by_label("Safety buffer for new SKUs (units)").fill("1")
    form.get_by_role("button", name="Save settings").click()
    expect(view.locator('[data-test="store-settings-status"]')).to_have_text("Saved.")
    saved = panel_store.api("get", "/settings").get_json()
    assert saved["store"]["channel_buffer"] == 2 and saved["pool"]["safety_buffer"] == 1
    page.reload()
    expect(buffer).to_have_value("2")
    expect(form.get_by_label("Safety buffer for new SKUs (units)")).to_have_value("1")

    # A value the API refuses: its message under that field, nothing saved.
    buffer.fill("-5")
    form.get_by_label("Safety buffer for new SKUs (units)").fill("3")
    form.get_by_role("button", name="Save settings").click()
    error = form.locator('[data-error-for="channel_buffer"]')
    expect(error).to_have_text("channel_buffer must be a number from 0 to 100000")
    expect(buffer).to_have_attribute("aria-invalid", "true")
    expect(view.locator('[data-test="store-settings-status"]')).to_be_empty()
    after = panel_store.api("get", "/settings").get_json()
    assert after["store"]["channel_buffer"] == 2 and after["pool"]["safety_buffer"] == 1
    page.reload()
    expect(buffer).to_have_value("2")

    # The panel's language: saved, and the panel comes back in it.
    form.get_by_label("Language of this panel").select_option("fr")
    form.get_by_role("button", name="Save settings").click()
    expect(page.locator('[data-nav="settings"]')).to_have_text("Paramètres")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(form.get_by_label("Langue de ce panneau")).to_have_value("fr")
    assert panel_store.api("get", "/settings").get_json()["pool"]["panel_language"] == "fr"

    # The links to the settings kept with their views.
    links = view.locator('[data-test="settings-links"] a')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == ["#/storefront", "#/alerts", "#/ads"]
    links.first.click()
    expect(page.locator('[data-view="storefront"]')).to_be_visible()
    assert panel_store.errors == []


def test_the_activity_view_lists_entries_and_loads_more(panel_store, browser):
    from playwright.sync_api import expect

    app = panel_store.shop.app
    with app.app_context():
        mine = db.session.get(Installation, panel_store.shop.installation_id)
        other = _store(db.session, "elsewhere.myshopify.com")
        record_activity(db.session, other, "test", "not this store's")
        for i in range(1, 71):
            record_activity(db.session, mine, "test", f"step {i} <b>bold</b>")
        db.session.commit()

    page = panel_store.open(browser, "#/activity")
    view = page.locator('[data-view="activity"]')
    rows = view.locator('[data-test="activity-table"] tbody tr')
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("step 70 <b>bold</b>")  # newest first, as text
    total = _count_entries(panel_store)  # ours and the install's own (import, webhooks)
    assert 70 < total <= 100
    more = view.get_by_role("button", name="Load more")
    more.click()
    expect(rows).to_have_count(total)
    expect(more).to_be_hidden()
    texts = rows.all_text_contents()
    steps = [int(m.group(1)) for t in texts if (m := re.search(r"step (\d+)", t))]
    assert steps == list(range(70, 0, -1))
    assert not any("not this store's" in t for t in texts)
    assert view.locator("b").count() == 0
    assert panel_store.errors == []


def _count_entries(store) -> int:
    """Every activity entry of the store, read page by page through the API."""
    total, before = 0, ""
    while True:
        answer = store.api("get", f"/activity{before}")
        assert answer.status_code == 200
        page = answer.get_json()
        total += len(page["entries"])
        if not page["more"]:
            return total
        before = f"?before={page['entries'][-1]['id']}"


def test_the_settings_view_paints_fast_and_does_not_shift(panel_store, browser):
    from playwright.sync_api import expect

    page = panel_store.open(browser, "#/settings")
    form = page.locator("#store-settings-form")
    expect(form.get_by_label("Units held back from this store")).to_have_value("0")
    figures = vitals(page)
    assert 0 < figures["lcp_ms"] < 2500, figures
    assert figures["cls"] < 0.1, figures
    assert panel_store.errors == []
