"""The admin page's "Ads" cards (ad accounts, ad policy, campaigns and links, ad actions): what
the page carries, and a real browser driving the cards against the live app and the real ad
sandboxes (Meta, TikTok, Google Ads)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from models import AdAction, Listing
from sandbox.common import ServerThread
from sync.ads.policy import KEYS
from tests.ads.conftest import ad_sandboxes, ads_app  # noqa: F401  (fixtures)
from tests.ads.harness import Panel, build_campaigns, make_store, move
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, wait_for
from tests.test_admin_storefront_page import _Page, _shopify_launch

CARDS = ("ad-accounts", "ad-policy", "ad-objects", "ad-actions")
SCRIPTS = ("admin_ads.js", "admin_ads_policy.js", "admin_ads_campaigns.js")
SHARED = ("admin_panel.js",)
STATIC = Path(__file__).resolve().parent.parent / "static"
HOSTILE = "<img src=x onerror=alert(1)>"
SHOP = "ads-panel.myshopify.com"
TEE_PAGE = f"https://{SHOP}/products/winter-tee"
MUG_PAGE = f"https://{SHOP}/products/big-mug"


# --------------------------------------------------------------------------- the page


def test_page_has_the_ads_cards_and_loads_their_scripts(client, db_session):
    shop = "ads-page.myshopify.com"
    make_store(db_session, shop, {"TEE": 6})
    response = client.get("/admin/shopify?" + _shopify_launch(shop))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = _Page(html)
    assert '<h1 class="section-title" id="ads">Ads</h1>' in html
    cards = page.cards
    assert set(CARDS) <= set(cards)
    # In the order of the merchant's work (the Ads view of the panel shell; views are included
    # by name, so no longer after the Shoppers cards).
    assert [cards.index(c) for c in CARDS] == sorted(cards.index(c) for c in CARDS)
    # Each script once, after the panel's own (they run in order: the hub comes first).
    sources = re.findall(r'<script src="/static/([\w.]+)" defer></script>', html)
    assert sources[-3:] == list(SCRIPTS)

    # The policy form covers every policy setting, in plain words.
    names = {i["name"] for i in page.inputs if i.get("name")}
    assert set(KEYS) <= names
    combine = {i["value"] for i in page.inputs if i.get("name") == "combine"}
    assert combine == {"all", "any"}
    for words in ("Pause ads at or below", "Resume them at or above", "Lower it by"):
        assert words in html
    # The action filter offers every state an action can be in.
    block = re.search(r'<select id="ad-actions-state".*?</select>', html, re.S).group(0)
    states = set(re.findall(r'<option value="(\w*)">', block)) - {""}
    assert states == {
        AdAction.PLANNED,
        AdAction.AWAITING,
        AdAction.QUEUED,
        AdAction.SENDING,
        AdAction.DONE,
        AdAction.SKIPPED,
        AdAction.FAILED,
        AdAction.REJECTED,
        AdAction.SUPERSEDED,
    }


def test_scripts_never_build_markup_from_strings():
    # Campaign names come from the ad platforms: anything that parses HTML would run theirs.
    for name in SHARED + SCRIPTS:
        source = (STATIC / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (name, sink)


# --------------------------------------------------------------------------- in a browser


@dataclass
class Setup:
    panel: Panel  # the panel's API for this store (assertions, and the accounts set up by API)
    skus: dict[str, int]
    url: str  # the admin page, on the app's loopback HTTPS server


@pytest.fixture
def ads_page(ads_app, ad_sandboxes, pki):  # noqa: F811
    """A store with TEE and MUG (MUG has a product page the ads can land on), served over
    HTTPS with its ad connectors pointed at the sandboxes."""
    from extensions import db

    server = ServerThread(ads_app, ssl_context=pki.server_context()).start()
    ads_app.config["APP_URL"] = server.url
    with ads_app.app_context():
        inst, skus = make_store(db.session, SHOP, {"TEE": 6, "MUG": 20})
        db.session.add(
            Listing(
                installation_id=inst.id,
                pool_id=inst.pool_id,
                sku_id=skus["MUG"],
                external_id="gid://shopify/ProductVariant/2",
                level_ref="gid://shopify/InventoryItem/2",
                status=Listing.LINKED,
                url="/products/big-mug",
            )
        )
        db.session.commit()
        inst_id = inst.id
    yield Setup(
        Panel(ads_app, inst_id), skus, f"{server.url}/admin/shopify?{_shopify_launch(SHOP)}#/ads"
    )
    ads_app.extensions["jobs"].wait_idle(10)
    server.stop()


@pytest.fixture(scope="module")
def browser(playwright_driver):
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


def test_merchant_connects_links_and_watches_ads_follow_stock(ads_page, ad_sandboxes, browser):  # noqa: F811
    from playwright.sync_api import expect

    panel, app = ads_page.panel, ads_page.panel.app
    meta, tiktok, google = (ad_sandboxes[p] for p in ("meta", "tiktok", "google_ads"))
    refs = build_campaigns({p: ad_sandboxes[p] for p in ("meta", "tiktok")}, TEE_PAGE)
    # Google ad groups have no budget of their own (the campaign holds it).
    campaign = google.create_object("campaign", "google_ads winter", daily_budget=5000)
    refs["google_ads"] = {"campaign": campaign}
    # A campaign whose name is markup, selling mugs: StockGuard suggests linking it to MUG.
    hostile = meta.create_object("campaign", HOSTILE, daily_budget=1500)
    mugs = meta.create_object("ad_set", "mugs", parent=hostile)
    meta.create_object("ad", "mug ad", parent=mugs, url=MUG_PAGE)
    # Set up through the API: TikTok still in its dry run, Google Ads asking for approval.
    for platform in ("tiktok", "google_ads"):
        panel.connect(platform, ad_sandboxes[platform])
        panel.link(refs[platform]["campaign"], ads_page.skus["TEE"])
    panel.go_live("google_ads", "approve")

    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    page.set_default_timeout(15_000)
    page.goto(ads_page.url)

    accounts = page.locator("#ad-accounts")
    account_rows = accounts.locator('[data-test="accounts-table"] tbody tr')
    expect(account_rows).to_have_count(2)
    form = page.locator("#ad-connect-form")
    form.get_by_label("Platform").select_option("meta")
    fields = meta.connect_form()
    for name in fields:
        expect(form.locator(f'input[name="{name}"]')).to_have_count(1)
    for secret in ("access_token", "app_secret"):
        expect(form.locator(f'input[name="{secret}"]')).to_have_attribute("type", "password")
    expect(form.locator('input[name="ad_account_id"]')).to_have_attribute("type", "text")

    # An empty form: the API names the fields, and each message sits under its field.
    form.get_by_role("button", name="Connect").click()
    expect(form.locator('[data-error-for="ad_account_id"]')).not_to_be_empty()
    expect(form.locator('input[name="ad_account_id"]')).to_have_attribute("aria-invalid", "true")
    expect(form.locator('[data-test="connect-errors"]')).not_to_be_empty()

    # A token Meta refuses: said next to the form, nothing connected.
    for name, value in fields.items():
        form.locator(f'input[name="{name}"]').fill(value)
    form.locator('input[name="access_token"]').fill("EAA" + "x" * 60)
    form.get_by_role("button", name="Connect").click()
    expect(form.locator('[data-test="connect-errors"]')).to_contain_text("refused")
    expect(form.locator('[data-error-for="ad_account_id"]')).to_be_empty()
    expect(account_rows).to_have_count(2)

    # The real credentials: connected, imported with its progress shown, the form emptied.
    form.locator('input[name="access_token"]').fill(fields["access_token"])
    form.get_by_role("button", name="Connect").click()
    expect(accounts.locator('[data-test="ads-job-message"]')).to_contain_text(
        "done", timeout=30_000
    )
    expect(account_rows).to_have_count(3)
    for name in fields:
        expect(form.locator(f'input[name="{name}"]')).to_have_value("")
    [meta_account] = [
        a for a in panel.call("get", "").get_json()["accounts"] if a["platform"] == "meta"
    ]
    panel.accounts["meta"] = meta_account["id"]
    meta_row = accounts.locator(f'tr[data-account="{meta_account["id"]}"]')
    expect(meta_row.locator('[data-test="effective-mode"]')).to_contain_text("Dry run until")

    # Its campaigns, ad sets and ads, with their budgets in the account's currency.
    objects = panel.objects()
    section = page.locator("#ad-objects")

    def row(ref):
        return section.locator(f'tr[data-object="{objects[ref]["id"]}"]')

    ad_set = refs["meta"]["ad_set"]
    expect(row(refs["meta"]["campaign"])).to_contain_text("meta winter")
    expect(row(ad_set)).to_contain_text("Ad set")
    expect(row(ad_set)).to_contain_text("€20.00")
    expect(row(refs["meta"]["ad"])).to_contain_text("meta tee ad")
    expect(row(hostile)).to_contain_text(HOSTILE)  # as text: the name, not an image

    # The ad set linked to TEE by typing its code (any case, spaces around).
    row(ad_set).get_by_role("textbox").fill(" tee ")
    row(ad_set).get_by_role("button", name="Link", exact=True).click()
    expect(row(ad_set).locator(".sku-link")).to_have_text(["TEE×"])
    # A code the store doesn't have: the API's message in that row, nothing linked.
    row(refs["meta"]["campaign"]).get_by_role("textbox").fill("NOPE")
    row(refs["meta"]["campaign"]).get_by_role("button", name="Link", exact=True).click()
    expect(row(refs["meta"]["campaign"]).locator(".form-errors")).to_contain_text("NOPE")
    expect(row(refs["meta"]["campaign"]).locator(".sku-link")).to_have_count(0)

    # The mugs campaign lands on MUG's page: one click links it.
    suggestion = row(hostile).locator('[data-test="suggestion"]')
    expect(suggestion).to_contain_text("Suggested: link to")
    suggestion.get_by_role("button", name="Link", exact=True).click()
    expect(row(hostile).locator(".sku-link")).to_have_text(["MUG×"])
    expect(row(hostile).locator('[data-test="suggestion"]')).to_have_count(0)
    linked = {o["ref"]: [link["sku"] for link in o["links"]] for o in panel.objects().values()}
    assert linked[ad_set] == ["TEE"] and linked[hostile] == ["MUG"]
    assert linked[refs["meta"]["campaign"]] == []

    # A policy that would flap: the API's error under "Resume", nothing saved.
    policy = page.locator("#ad-policy-form")
    expect(policy.get_by_label("Pause ads at or below")).to_have_value("2")
    policy.get_by_label("Pause ads at or below").fill("5")
    policy.get_by_label("Resume them at or above").fill("5")
    policy.get_by_role("button", name="Save the policy").click()
    expect(policy.locator('[data-error-for="resume_at"]')).to_contain_text(
        "must be above “Pause ads at or below”"
    )
    expect(policy.get_by_label("Resume them at or above")).to_have_attribute("aria-invalid", "true")
    expect(policy.locator('[data-test="policy-status"]')).to_be_empty()
    assert panel.call("get", "").get_json()["policy"]["pause_at"] == 2
    # The merchant's policy: pause at 2, resume at 5, no minimum pause.
    policy.get_by_label("Pause ads at or below").fill("2")
    policy.get_by_label("Keep a paused ad off at least").fill("0")
    policy.get_by_role("button", name="Save the policy").click()
    expect(policy.locator('[data-test="policy-status"]')).to_contain_text("Saved")
    expect(policy.locator('[data-error-for="resume_at"]')).to_be_empty()
    saved = panel.call("get", "").get_json()["policy"]
    assert (saved["pause_at"], saved["resume_at"], saved["min_pause_minutes"]) == (2, 5, 0)

    # The dry run ended for Meta: StockGuard acts on it from now on.
    meta_row.get_by_role("button", name="End dry run now").click()
    expect(meta_row.locator('[data-test="effective-mode"]')).to_have_text("Automatic")
    expect(meta_row.get_by_role("button", name="End dry run now")).to_have_count(0)

    # TEE turns critical: Meta's ad set is paused for real, TikTok's dry run would pause,
    # Google Ads asks first.
    move(app, ads_page.skus["TEE"], -4)
    wait_for(lambda: not meta.is_active(ad_set), timeout=20, message="Meta ad set not paused")
    app.extensions["jobs"].wait_idle(10)
    page.reload()
    expect(row(ad_set).locator('[data-test="paused-by-stockguard"]')).to_have_text(
        "paused by StockGuard"
    )
    expect(
        row(refs["meta"]["campaign"]).locator('[data-test="paused-by-stockguard"]')
    ).to_have_count(0)
    log = page.locator("#ad-actions")
    expect(log.locator('[data-test="paused-total"]')).to_have_text("1")
    meta_pause = log.locator("tbody tr", has_text="meta tees")
    expect(meta_pause).to_have_count(1)
    expect(meta_pause.locator(".what")).to_have_text("Paused")
    expect(meta_pause.locator('[data-test="state"]')).to_have_text("done")
    expect(meta_pause.locator(".reason")).to_contain_text("stock critical (TEE at 2")
    expect(meta_pause.locator(".stock")).to_contain_text("TEE: 2 available")
    expect(meta_pause.locator(".change")).to_have_text("active → paused")
    dry = log.locator("tbody tr", has_text="tiktok winter")
    expect(dry.locator(".what")).to_have_text("Dry run: would pause")
    expect(dry.locator('[data-test="state"]')).to_have_text("dry run")
    assert tiktok.is_active(refs["tiktok"]["campaign"])

    # Google Ads waits for the merchant: approved in its row, carried out.
    asked = log.locator("tbody tr", has_text="google_ads winter")
    expect(asked.locator('[data-test="state"]')).to_have_text("waiting for your approval")
    assert google.is_active(refs["google_ads"]["campaign"])
    asked.get_by_role("button", name="Approve").click()
    expect(asked.get_by_role("button", name="Approve")).to_have_count(0)
    wait_for(lambda: not google.is_active(refs["google_ads"]["campaign"]), timeout=20)
    app.extensions["jobs"].wait_idle(10)
    log.get_by_role("button", name="Refresh").click()
    expect(asked.locator('[data-test="state"]')).to_have_text("done")
    expect(log.locator('[data-test="paused-total"]')).to_have_text("2")

    # Only the dry-run lines, through the filter.
    log.get_by_label("Show").select_option("planned")
    expect(log.locator("tbody tr .what")).to_have_text(["Dry run: would pause"])
    log.get_by_label("Show").select_option("")

    # Nothing from the platforms became markup, and no secret reached the page.
    assert page.locator("main img").count() == 0
    html = page.content()
    for secret in (fields["access_token"], fields["app_secret"], tiktok.access_token):
        assert secret not in html

    # The mode, per account: TikTok will ask first once its dry run is over.
    tiktok_row = accounts.locator(f'tr[data-account="{panel.accounts["tiktok"]}"]')
    tiktok_row.get_by_label("Mode").select_option("approve")
    expect(tiktok_row.locator('[data-test="effective-mode"]')).to_contain_text(
        "then approve each action"
    )
    modes = {a["id"]: a["mode"] for a in panel.call("get", "").get_json()["accounts"]}
    assert modes[panel.accounts["tiktok"]] == "approve"

    # Meta's token expires: "Test connection" says so, and the row asks for a reconnect.
    meta.expire_credentials()
    meta_row.get_by_role("button", name="Test connection").click()
    expect(accounts.locator('[data-test="accounts-error"]')).to_contain_text("reconnect")
    expect(meta_row).to_contain_text("Needs reconnect")
    warning = accounts.locator(f'tr[data-reconnect="{meta_account["id"]}"]')
    expect(warning).to_contain_text("Needs reconnect")
    expect(warning.locator(".last-error")).not_to_be_empty()
    page.screenshot(path="/tmp/ads-card.png", full_page=True)

    # Reconnecting is connecting again, with a token that works: the same account comes back.
    meta.restore_credentials()
    warning.get_by_role("button", name="Reconnect…").click()
    expect(form.get_by_label("Platform")).to_have_value("meta")
    for name, value in fields.items():
        form.locator(f'input[name="{name}"]').fill(value)
    form.get_by_role("button", name="Connect").click()
    expect(warning).to_have_count(0)
    expect(meta_row).to_contain_text("Connected")
    expect(account_rows).to_have_count(3)
    statuses = {a["id"]: a["status"] for a in panel.call("get", "").get_json()["accounts"]}
    assert statuses[meta_account["id"]] == "active"

    # Disconnecting Meta says which ads StockGuard leaves paused.
    meta_row.get_by_role("button", name="Disconnect").click()
    meta_row.get_by_role("button", name="Yes, disconnect").click()
    expect(accounts.locator('[data-test="left-paused"] li')).to_have_text(["meta tees"])
    expect(account_rows).to_have_count(2)
    expect(section.locator("tbody tr", has_text="meta tees")).to_have_count(0)
    assert not meta.is_active(ad_set)  # not resumed behind the merchant's back

    assert dialogs == [] and script_errors == []
    context.close()
