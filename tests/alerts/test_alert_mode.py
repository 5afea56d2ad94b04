"""Alert mode end to end: the panel's switch pauses every linked Meta / TikTok / Google Ads object
(through the real SDKs against the three ad sandboxes) and puts a notice in the storefront's
availability answer; the same switch takes the notice away and resumes only what StockGuard
paused for the crisis and stock allows. Bad input and other stores' tokens change nothing. And a
shopper's Chromium shows the notice as a banner, as text."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from models import ActivityEntry, AdAction, StockPool
from tests.ads.conftest import ad_config, ad_sandboxes  # noqa: F401 (fixture)
from tests.ads.harness import (
    LINKED_LEVEL,
    PLATFORMS,
    Panel,
    ad_object,
    build_campaigns,
    make_store,
    move,
    rows,
)
from tests.browser.conftest import browser_proxy, chromium, shopper, storefront  # noqa: F401
from tests.conftest import wait_for
from tests.panel.harness import browser, panel_store  # noqa: F401 (fixtures)

DOMAIN = "crisis-store.myshopify.com"
URL = f"https://{DOMAIN}/products/winter-tee"
MESSAGE = "Closed for the holidays: orders ship from 5 January."


@pytest.fixture(autouse=True)
def fresh_storefront_cache():
    """Each test's stores are new: no shop view cached by an earlier test's (same address)."""
    from views.storefront import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def crisis_app(make_app, ad_sandboxes):  # noqa: F811
    """In-process jobs, the ad connectors on the sandboxes, no storefront rate limit (the tests
    poll the availability answer)."""
    return make_app(**ad_config(ad_sandboxes), STOREFRONT_RATE_LIMIT=0)


def open_store(app, domain: str = DOMAIN, skus: dict | None = None) -> tuple[Panel, dict]:
    from extensions import db

    with app.app_context():
        inst, ids = make_store(db.session, domain, skus or {"TEE": 6})
        return Panel(app, inst.id), ids


def switch(panel: Panel, headers: dict | None = None, **body):
    return panel.client.put(
        "/admin/api/alert-mode", headers=panel.headers if headers is None else headers, json=body
    )


def notice(app, domain: str = DOMAIN) -> tuple[str | None, str]:
    answer = app.test_client().get(
        "/storefront/v1/availability", query_string={"shop": domain, "variants": "1"}
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["notice"], answer.headers["ETag"]


def status_writes(sb, ref: str) -> list[dict]:
    return [w for w in sb.writes if w["ref"] == ref and w["field"] == "status"]


def alert_state(app, pool_id: int) -> dict | None:
    [pool] = rows(app, StockPool, StockPool.id == pool_id)
    return (pool.settings or {}).get("alert_mode")


def pool_of(app, panel: Panel) -> int:
    from extensions import db
    from models import Installation

    with app.app_context():
        return db.session.get(Installation, panel.installation_id).pool_id


def idle(app) -> None:
    assert app.extensions["jobs"].wait_idle(15)


def test_one_switch_pauses_every_linked_ad_and_ends_it_resuming_only_ours(
    crisis_app,
    ad_sandboxes,  # noqa: F811
):
    app = crisis_app
    panel, skus = open_store(app, skus={"TEE": 6, "MUG": 20, "CAP": 9, "SOCK": 10})
    refs = build_campaigns(ad_sandboxes, URL)
    meta, tiktok, google = (ad_sandboxes[p] for p in PLATFORMS)
    # Beside the three objects selling TEE: a Meta campaign the merchant paused, a Google
    # campaign StockGuard will pause for critical stock, a TikTok campaign whose stock turns
    # critical during the crisis.
    merchant = meta.create_object(
        "campaign", "meta mugs (paused by the merchant)", daily_budget=3000
    )
    meta.merchant_set_active(merchant, False)
    caps = google.create_object("campaign", "google caps", daily_budget=4000)
    socks = tiktok.create_object("campaign", "tiktok socks", daily_budget=1000)
    tee = {p: refs[p][LINKED_LEVEL[p]] for p in PLATFORMS}
    for platform, sb in ad_sandboxes.items():
        panel.connect(platform, sb)
        panel.link(tee[platform], skus["TEE"])
    panel.link(merchant, skus["MUG"])
    panel.link(caps, skus["CAP"])
    panel.link(socks, skus["SOCK"])
    for platform in PLATFORMS:
        panel.go_live(platform)
    # The 60-minute minimum pause stays: alert mode's resume does not wait for it.
    panel.policy(pause_at=2, resume_at=5)
    move(app, skus["CAP"], -8)  # 9 → 1: paused for stock before the crisis
    wait_for(lambda: not google.is_active(caps), timeout=15, message="caps not paused for stock")
    idle(app)
    assert notice(app)[0] is None
    etag_before = notice(app)[1]

    answer = switch(panel, on=True, message=f"  {MESSAGE}\n")
    assert answer.status_code == 200, answer.get_json()
    state = answer.get_json()["alert_mode"]
    assert state["on"] is True and state["message"] == MESSAGE and state["since"]
    running = [(ad_sandboxes[p], tee[p]) for p in PLATFORMS] + [(tiktok, socks)]
    for sb, ref in running:
        wait_for(lambda sb=sb, ref=ref: not sb.is_active(ref), timeout=15, message=ref)
    idle(app)
    # What each platform received: one pause per running linked object, nothing for the
    # merchant's paused campaign, nothing more for the one already paused for stock.
    for sb, ref in running:
        assert len(status_writes(sb, ref)) == 1, ref
        [pause] = rows(
            app,
            AdAction,
            AdAction.ad_object_id == ad_object(app, ref).id,
            AdAction.state == AdAction.DONE,
        )
        assert (pause.kind, pause.reason, pause.status_after) == ("pause", "alert mode", "paused")
    assert status_writes(meta, merchant) == [] and not meta.is_active(merchant)
    assert len(status_writes(google, caps)) == 1
    for platform in PLATFORMS:  # the ads under the linked objects keep their own status
        assert ad_sandboxes[platform].is_active(refs[platform]["ad"]), platform
    # The storefront answer carries the notice (within the storefront cache's few seconds),
    # under a new ETag.
    wait_for(lambda: notice(app)[0] == MESSAGE, timeout=10, message="no notice")
    assert notice(app)[1] != etag_before
    assert [e.message for e in rows(app, ActivityEntry, ActivityEntry.kind == "alert_mode_on")]

    # Switching on again (same message) changes nothing: no second pause, no second entry.
    writes = {id(sb): len(sb.writes) for sb in ad_sandboxes.values()}
    again = switch(panel, on=True, message=MESSAGE)
    assert again.status_code == 200 and again.get_json()["alert_mode"] == state
    idle(app)
    assert {id(sb): len(sb.writes) for sb in ad_sandboxes.values()} == writes
    assert len(rows(app, ActivityEntry, ActivityEntry.kind.like("alert_mode%"))) == 1

    # During the crisis stock moves: back up for nothing (no resume), critical for SOCK.
    move(app, skus["CAP"], +20)  # 21: stock would resume the caps, the crisis holds them
    move(app, skus["SOCK"], -9)  # 10 → 1
    idle(app)
    assert not google.is_active(caps) and len(status_writes(google, caps)) == 1

    off = switch(panel, on=False)
    assert off.status_code == 200, off.get_json()
    assert off.get_json()["alert_mode"]["on"] is False
    assert off.get_json()["alert_mode"]["message"] is None
    for platform in PLATFORMS:
        sb, ref = ad_sandboxes[platform], tee[platform]
        wait_for(lambda sb=sb, ref=ref: sb.is_active(ref), timeout=15, message=ref)
    idle(app)
    for platform in PLATFORMS:
        resume = rows(
            app,
            AdAction,
            AdAction.ad_object_id == ad_object(app, tee[platform]).id,
            AdAction.kind == "resume",
        )
        assert [(a.state, a.reason) for a in resume] == [("done", "alert mode ended")]
    # The merchant's pause stays theirs; SOCK is critical now: its campaign stays paused.
    assert not meta.is_active(merchant) and status_writes(meta, merchant) == []
    assert not tiktok.is_active(socks) and len(status_writes(tiktok, socks)) == 1
    # The caps were paused for stock, not for the crisis: their stock rules (60-minute
    # minimum pause) decide, the end of alert mode does not resume them.
    assert not google.is_active(caps) and len(status_writes(google, caps)) == 1
    wait_for(lambda: notice(app)[0] is None, timeout=10, message="notice still shown")

    # Off again: nothing more.
    writes = {id(sb): len(sb.writes) for sb in ad_sandboxes.values()}
    assert switch(panel, on=False).status_code == 200
    idle(app)
    assert {id(sb): len(sb.writes) for sb in ad_sandboxes.values()} == writes
    kinds = [e.kind for e in rows(app, ActivityEntry, ActivityEntry.kind.like("alert_mode%"))]
    assert kinds == ["alert_mode_on", "alert_mode_off"]

    # SOCK restocked: the campaign the crisis paused comes back once stock allows.
    move(app, skus["SOCK"], +9)
    wait_for(lambda: tiktok.is_active(socks), timeout=15, message="socks not resumed")
    assert len(status_writes(tiktok, socks)) == 2


def test_dry_run_accounts_only_plan_the_crisis(crisis_app, ad_sandboxes):  # noqa: F811
    app = crisis_app
    panel, skus = open_store(app)
    refs = build_campaigns(ad_sandboxes, URL)
    for platform, sb in ad_sandboxes.items():
        panel.connect(platform, sb)
        panel.link(refs[platform][LINKED_LEVEL[platform]], skus["TEE"])
    assert switch(panel, on=True, message=MESSAGE).status_code == 200
    idle(app)
    planned = panel.actions(state="planned")
    assert sorted((a["kind"], a["reason"]) for a in planned) == [("pause", "alert mode")] * 3
    assert switch(panel, on=False).status_code == 200
    idle(app)
    planned = panel.actions(state="planned")
    assert sorted(a["kind"] for a in planned) == ["pause"] * 3 + ["resume"] * 3
    for platform, sb in ad_sandboxes.items():
        assert sb.writes == [], platform


BAD = [
    ("not json", 400),
    ([True], 400),
    ({"on": "yes", "message": MESSAGE}, 400),
    ({"message": MESSAGE}, 400),
    ({"on": True}, 400),
    ({"on": True, "message": ""}, 400),
    ({"on": True, "message": " \n\t "}, 400),
    ({"on": True, "message": "\u200b\x00"}, 400),  # only invisible characters
    ({"on": True, "message": "x" * 281}, 400),
    ({"on": True, "message": 42}, 400),
    ({"on": True, "message": MESSAGE, "since": "2020-01-01"}, 400),
]


@pytest.mark.parametrize("body,status", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_is_refused_and_changes_nothing(app, body, status):
    panel, _ = open_store(app)
    pool_id = pool_of(app, panel)
    if body == "not json":
        answer = panel.client.put(
            "/admin/api/alert-mode", headers=panel.headers, data="on=1", content_type="text/plain"
        )
    else:
        answer = panel.client.put("/admin/api/alert-mode", headers=panel.headers, json=body)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["error"]
    assert alert_state(app, pool_id) is None
    assert rows(app, ActivityEntry) == []
    assert (
        panel.client.get("/admin/api/alert-mode", headers=panel.headers).get_json()["alert_mode"][
            "on"
        ]
        is False
    )


def test_a_bad_message_while_on_keeps_the_message_shown(app):
    panel, _ = open_store(app)
    assert switch(panel, on=True, message=MESSAGE).status_code == 200
    answer = switch(panel, on=True, message="y" * 400)
    assert answer.status_code == 400 and answer.get_json()["field"] == "message"
    assert alert_state(app, pool_of(app, panel))["message"] == MESSAGE
    changed = switch(panel, on=True, message="Back on Monday.")
    assert changed.get_json()["alert_mode"]["message"] == "Back on Monday."
    kinds = [e.kind for e in rows(app, ActivityEntry, ActivityEntry.kind.like("alert_mode%"))]
    assert kinds == ["alert_mode_on", "alert_mode_message"]


@pytest.mark.postgres
def test_switches_at_the_same_moment_turn_it_on_once(app, postgres_url):
    panel, _ = open_store(app)
    start = threading.Barrier(4)

    def press(_):
        client = app.test_client()
        start.wait()
        answer = client.put(
            "/admin/api/alert-mode", headers=panel.headers, json={"on": True, "message": MESSAGE}
        )
        return answer.status_code

    with ThreadPoolExecutor(4) as workers:
        assert list(workers.map(press, range(4))) == [200] * 4
    kinds = [e.kind for e in rows(app, ActivityEntry, ActivityEntry.kind.like("alert_mode%"))]
    assert kinds == ["alert_mode_on"]
    assert alert_state(app, pool_of(app, panel))["message"] == MESSAGE


def test_another_stores_token_cannot_switch_this_pool(app):
    ours, _ = open_store(app)
    theirs, _ = open_store(app, "other-store.myshopify.com")
    assert switch(theirs, on=True, message="Their crisis").status_code == 200
    assert alert_state(app, pool_of(app, ours)) is None
    mine = ours.client.get("/admin/api/alert-mode", headers=ours.headers).get_json()
    assert mine["alert_mode"]["on"] is False
    assert notice(app)[0] is None
    # Their switching off leaves ours on.
    assert switch(ours, on=True, message=MESSAGE).status_code == 200
    assert switch(theirs, on=False).status_code == 200
    assert alert_state(app, pool_of(app, ours))["message"] == MESSAGE
    # No token, or a forged one: refused, nothing changed.
    for headers in ({}, {"Authorization": "Bearer forged.token.value"}):
        answer = switch(ours, headers=headers, on=False)
        assert answer.status_code == 401
        assert ours.client.get("/admin/api/alert-mode", headers=headers).status_code == 401
    assert alert_state(app, pool_of(app, ours))["on"] is True
    with app.app_context():
        from extensions import db

        entries = db.session.scalars(select(ActivityEntry.installation_id)).all()
    assert sorted(entries) == sorted([theirs.installation_id] * 2 + [ours.installation_id])


# --------------------------------------------------------------------------- panel switch

ROOT = Path(__file__).resolve().parents[2]
SWITCH_JS = ROOT / "static" / "admin_alert_mode.js"
FRENCH = ROOT / "templates" / "admin" / "i18n" / "alert_mode.fr.json"


def test_the_switch_script_sets_text_only_and_every_text_has_its_french():
    source = SWITCH_JS.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink
    assert "http://" not in source and "https://" not in source
    texts = set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', source))
    assert len(texts) >= 8
    french = json.loads(FRENCH.read_text(encoding="utf-8"))
    assert sorted(texts - set(french)) == []
    assert all(french[text] and french[text] != text for text in texts)


def test_the_panel_switch_turns_alert_mode_on_and_off(panel_store, browser):  # noqa: F811
    page = panel_store.open(browser, "#/alerts")
    toggle = page.wait_for_selector("#alert-mode-slot [data-test=alert-mode-switch]")
    status = page.locator("[data-test=alert-mode-status]")
    page.wait_for_function(
        "document.querySelector('[data-test=alert-mode]').textContent.includes('is off')"
    )
    assert not toggle.is_checked()
    # No message: the API's refusal is shown, the switch stays off, nothing saved.
    toggle.click()
    page.wait_for_function(
        "document.querySelector('[data-test=alert-mode-status]').textContent.includes('required')"
    )
    assert not toggle.is_checked()
    assert panel_store.api("get", "/alert-mode").get_json()["alert_mode"]["on"] is False
    page.fill("[data-test=alert-mode-message]", HOSTILE)
    toggle.click()
    page.wait_for_function("document.querySelector('[data-test=alert-mode-switch]').checked")
    page.wait_for_function(
        "document.querySelector('[data-test=alert-mode-status]').textContent.includes('paused')"
    )
    state = panel_store.api("get", "/alert-mode").get_json()["alert_mode"]
    assert state["on"] is True and state["message"] == HOSTILE
    assert status.text_content() == "Alert mode is on: ads are being paused."
    # Opened again (in French): the switch shows the mode as saved, the message as text.
    page = panel_store.open(browser, "#/alerts", locale="fr")
    page.wait_for_function(
        "document.querySelector('[data-test=alert-mode]').textContent.includes('est activé')"
    )
    toggle = page.wait_for_selector("[data-test=alert-mode-switch]")
    assert toggle.is_checked()
    assert page.input_value("[data-test=alert-mode-message]") == HOSTILE
    assert page.locator("#alert-mode-slot img, #alert-mode-slot script").count() == 0
    toggle.click()
    page.wait_for_function("!document.querySelector('[data-test=alert-mode-switch]').checked")
    page.wait_for_function(
        "document.querySelector('[data-test=alert-mode-status]').textContent.includes('relance')"
    )
    assert panel_store.api("get", "/alert-mode").get_json()["alert_mode"]["on"] is False
    assert panel_store.errors == []


# --------------------------------------------------------------------------- browser

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script> Closed & <b>back</b> Monday'


def test_the_badge_script_shows_the_notice_as_a_text_banner(storefront, shopper):  # noqa: F811
    store = storefront.open("crisis-banner.myshopify.com", {"tee": ("Tee", "Shirts", [("CB", 8)])})
    page = shopper.open(store.product_url("tee"))
    assert page.locator(".sg-n").count() == 0  # no alert mode: no banner
    answer = store.admin("put", "/alert-mode", json={"on": True, "message": HOSTILE})
    assert answer.status_code == 200, answer.get_json()
    raw = {}

    def noticed():
        response = store.availability(products=[store.pid("tee")])
        raw["body"] = response.get_data(as_text=True)
        return response.get_json()["notice"] == HOSTILE

    wait_for(noticed, timeout=10, message="the answer never carried the notice")
    assert "<" not in raw["body"] and ">" not in raw["body"]  # escaped in the bytes too

    page = shopper.open(store.product_url("tee"))
    banner = page.wait_for_selector(".sg-n", timeout=10_000)
    assert banner.text_content() == HOSTILE
    assert banner.get_attribute("role") == "status"
    assert page.eval_on_selector(".sg-n", "el => el.children.length") == 0  # text, no markup
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("getComputedStyle(document.querySelector('.sg-n')).position") == "fixed"
    assert shopper.layout_shift() < 0.1
    assert shopper.dialogs == [] and shopper.errors == []
    assert shopper.lines()[0] == "In stock"

    assert store.admin("put", "/alert-mode", json={"on": False}).status_code == 200
    wait_for(
        lambda: store.availability(products=[store.pid("tee")]).get_json()["notice"] is None,
        timeout=10,
    )
    page = shopper.open(store.product_url("tee"))
    assert page.locator(".sg-n").count() == 0
