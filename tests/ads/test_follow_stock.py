"""Ads follow stock on one machine (in-process jobs): the Meta ad set, TikTok campaign and
Google Ads campaign linked to a SKU are paused when it turns critical and resumed on restock —
only what StockGuard paused — through the real SDKs against the sandboxes."""

from __future__ import annotations

import datetime as dt

from models import ActivityEntry, AdAction
from tests.ads.harness import (
    LINKED_LEVEL,
    PLATFORMS,
    ad_object,
    build_campaigns,
    done_actions,
    move,
    rows,
)
from tests.conftest import wait_for

URL = "https://ads-store.myshopify.com/products/winter-tee"


def linked_world(shop, ad_sandboxes, *, live=True, mode="automatic"):
    panel, skus = shop
    refs = build_campaigns(ad_sandboxes, URL)
    for platform, sb in ad_sandboxes.items():
        panel.connect(platform, sb)
        panel.link(refs[platform][LINKED_LEVEL[platform]], skus["TEE"])
        if live:
            panel.go_live(platform, mode)
    panel.policy(pause_at=2, resume_at=5, min_pause_minutes=0)
    return panel, skus, refs


def linked(refs, platform):
    return refs[platform][LINKED_LEVEL[platform]]


def status_writes(sb, ref):
    return [w for w in sb.writes if w["ref"] == ref and w["field"] == "status"]


def test_import_lists_every_level_and_suggests_links_from_landing_pages(shop, ad_sandboxes):
    panel, skus = shop
    refs = build_campaigns(ad_sandboxes, URL)
    for platform, sb in ad_sandboxes.items():
        panel.connect(platform, sb)
    objects = panel.objects()
    for platform in PLATFORMS:
        assert objects[refs[platform]["campaign"]]["level"] == "campaign"
        assert objects[refs[platform]["ad_set"]]["level"] == "ad_set"
        assert objects[refs[platform]["campaign"]]["daily_budget"] == 5000
        assert objects[refs[platform]["ad_set"]]["daily_budget"] == (
            None if platform == "google_ads" else 2000
        )
    # The ad lands on the product page of TEE: the ad (and what it belongs to) is suggested.
    from extensions import db
    from models import Installation, Listing

    with panel.app.app_context():
        inst = db.session.get(Installation, panel.installation_id)
        db.session.add(
            Listing(
                installation_id=inst.id,
                pool_id=inst.pool_id,
                sku_id=skus["TEE"],
                external_id="gid://shopify/ProductVariant/1",
                level_ref="gid://shopify/InventoryItem/1",
                status=Listing.LINKED,
                url="/products/winter-tee",
            )
        )
        db.session.commit()
    body = panel.call("get", "/objects").get_json()
    suggested = {s["object_id"]: s["sku_ids"] for s in body["suggestions"]}
    meta_ad_set = objects[refs["meta"]["ad_set"]]["id"]
    assert suggested[meta_ad_set] == [skus["TEE"]]
    assert skus["MUG"] not in sum(suggested.values(), [])


def test_dry_run_shows_the_plan_and_changes_nothing(shop, ad_sandboxes):
    panel, skus, refs = linked_world(shop, ad_sandboxes, live=False)
    assert {
        panel.call("get", "").get_json()["accounts"][i]["effective_mode"] for i in range(3)
    } == {"dry_run"}
    move(panel.app, skus["TEE"], -5)  # 6 → 1: critical
    panel.app.extensions["jobs"].wait_idle(10)
    planned = panel.actions(state="planned")
    assert sorted(a["kind"] for a in planned) == ["pause"] * 3
    assert planned[0]["stock"][0]["available"] == 1
    assert "stock critical" in planned[0]["reason"]
    move(panel.app, skus["TEE"], +9)  # back to 10: the dry run would resume
    panel.app.extensions["jobs"].wait_idle(10)
    assert (
        sorted(a["kind"] for a in panel.actions(state="planned")) == ["pause"] * 3 + ["resume"] * 3
    )
    for platform, sb in ad_sandboxes.items():
        assert sb.writes == [], platform
        assert sb.is_active(linked(refs, platform))


def test_critical_stock_pauses_each_platform_and_restock_resumes_them(shop, ad_sandboxes):
    panel, skus, refs = linked_world(shop, ad_sandboxes)
    move(panel.app, skus["TEE"], -4)  # 6 → 2: at the critical level
    for platform, sb in ad_sandboxes.items():
        ref = linked(refs, platform)
        wait_for(lambda ref=ref: done_actions(panel.app, ref), timeout=15, message=platform)
        assert not sb.is_active(ref)
        # Only the linked object was touched: the ad under it keeps its own status.
        assert sb.is_active(refs[platform]["ad"]), platform
    for platform in PLATFORMS:
        [pause] = done_actions(panel.app, linked(refs, platform))
        assert (pause.kind, pause.status_before, pause.status_after) == (
            "pause",
            "active",
            "paused",
        )
        assert pause.stock[0]["available"] == 2
    assert ad_object(panel.app, linked(refs, "meta")).paused_by_us

    move(panel.app, skus["TEE"], +3)  # 5: the resume threshold
    for platform, sb in ad_sandboxes.items():
        ref = linked(refs, platform)
        wait_for(
            lambda ref=ref: len(done_actions(panel.app, ref)) == 2, timeout=15, message=platform
        )
        assert sb.is_active(ref)
        assert len(status_writes(sb, ref)) == 2
        resume = done_actions(panel.app, ref)[-1]
        assert resume.kind == "resume" and resume.spend_avoided is not None
    entries = rows(panel.app, ActivityEntry, ActivityEntry.kind.in_(["ads_pause", "ads_resume"]))
    assert len(entries) == 6


def test_an_ad_the_merchant_paused_stays_paused(shop, ad_sandboxes):
    panel, skus, refs = linked_world(shop, ad_sandboxes)
    for platform, sb in ad_sandboxes.items():
        sb.merchant_set_active(linked(refs, platform), False)
    # StockGuard last read them running: it decides to pause, reads them first, and leaves
    # the merchant's pause alone (nor will it ever resume them).
    move(panel.app, skus["TEE"], -5)
    panel.app.extensions["jobs"].wait_idle(10)
    move(panel.app, skus["TEE"], +10)
    panel.app.extensions["jobs"].wait_idle(10)
    for platform, sb in ad_sandboxes.items():
        ref = linked(refs, platform)
        assert not sb.is_active(ref), platform
        assert status_writes(sb, ref) == [], platform
        assert not ad_object(panel.app, ref).paused_by_us


def test_an_ad_the_merchant_reenabled_after_our_pause_is_left_alone(shop, ad_sandboxes):
    panel, skus, refs = linked_world(shop, ad_sandboxes)
    move(panel.app, skus["TEE"], -5)
    for platform in ad_sandboxes:
        ref = linked(refs, platform)
        wait_for(lambda ref=ref: done_actions(panel.app, ref), timeout=15, message=platform)
    # The merchant turns the Meta ad set back on by hand, and pauses nothing else.
    meta = ad_sandboxes["meta"]
    meta.merchant_set_active(linked(refs, "meta"), True)
    writes_before = len(status_writes(meta, linked(refs, "meta")))
    move(panel.app, skus["TEE"], +10)
    panel.app.extensions["jobs"].wait_idle(10)
    [skipped] = rows(
        panel.app,
        AdAction,
        AdAction.ad_object_id == ad_object(panel.app, linked(refs, "meta")).id,
        AdAction.kind == "resume",
    )
    assert skipped.state == "skipped" and "changed since StockGuard paused it" in skipped.note
    assert len(status_writes(meta, linked(refs, "meta"))) == writes_before
    assert ad_sandboxes["tiktok"].is_active(linked(refs, "tiktok"))


def test_approve_mode_waits_for_the_merchant(shop, ad_sandboxes):
    panel, skus, refs = linked_world(shop, ad_sandboxes, mode="approve")
    move(panel.app, skus["TEE"], -5)
    panel.app.extensions["jobs"].wait_idle(10)
    waiting = {a["account_id"]: a for a in panel.actions(state="awaiting_approval")}
    assert len(waiting) == 3
    for sb in ad_sandboxes.values():
        assert sb.writes == []
    meta_action = waiting[panel.accounts["meta"]]
    assert panel.call("post", f"/actions/{meta_action['id']}/approve").status_code == 200
    tiktok_action = waiting[panel.accounts["tiktok"]]
    assert panel.call("post", f"/actions/{tiktok_action['id']}/reject").status_code == 200
    wait_for(lambda: not ad_sandboxes["meta"].is_active(linked(refs, "meta")), timeout=15)
    assert ad_sandboxes["tiktok"].is_active(linked(refs, "tiktok"))
    # Approving twice, or an action that was rejected, is refused.
    assert panel.call("post", f"/actions/{meta_action['id']}/approve").status_code == 409
    assert panel.call("post", f"/actions/{tiktok_action['id']}/approve").status_code == 409
    # Stock back before the Google action was approved: it is withdrawn, never sent.
    move(panel.app, skus["TEE"], +10)
    panel.app.extensions["jobs"].wait_idle(10)
    google = rows(panel.app, AdAction, AdAction.account_id == panel.accounts["google_ads"])
    assert [a.state for a in google][0] == "superseded"
    assert ad_sandboxes["google_ads"].writes == []


def test_budget_step_and_metas_four_changes_an_hour(shop, ad_sandboxes):
    panel, skus = shop
    meta = ad_sandboxes["meta"]
    refs = build_campaigns({"meta": meta}, URL)
    panel.connect("meta", meta)
    panel.go_live("meta")
    panel.policy(pause_at=2, resume_at=5, low_at=12, low_budget_pct=50, min_pause_minutes=0)
    ad_set = refs["meta"]["ad_set"]
    panel.link(ad_set, skus["MUG"])  # MUG: 20
    jobs = panel.app.extensions["jobs"]
    for delta in (-10, +10, -10, +10, -10):  # 10 (low), 20 (back), 10, 20, 10
        move(panel.app, skus["MUG"], delta)
        jobs.wait_idle(10)
    budgets = [
        w["value"] for w in meta.writes if w["ref"] == ad_set and w["field"] == "daily_budget"
    ]
    assert budgets == [1000, 2000, 1000, 2000]  # the fifth change waits for the hour to pass
    assert meta.daily_budget(ad_set) == 2000
    [waiting] = rows(panel.app, AdAction, AdAction.state == "queued")
    assert waiting.kind == "lower_budget" and "4 budget changes an hour" in waiting.note
    restores = [a for a in done_actions(panel.app, ad_set) if a.kind == "restore_budget"]
    assert all(a.spend_avoided is not None for a in restores)


def test_a_simulated_day_of_flapping_stock_pauses_at_most_once_an_hour(shop, ad_sandboxes):
    """Stock oscillates around the threshold every five minutes for a day (the clock is the
    jobs' own ``now``); each object sees at most one pause/resume pair an hour."""
    from sync.ads.decide import evaluate_pool

    panel, skus, refs = linked_world(shop, ad_sandboxes)
    panel.policy(pause_at=2, resume_at=5, min_pause_minutes=60)
    pool_id = rows(panel.app, type(ad_object(panel.app, linked(refs, "meta"))))[0].pool_id
    jobs = panel.app.extensions["jobs"]
    start = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    level = 6
    for step in range(24 * 12):
        target = [1, 3, 5, 7][step % 4]
        move(panel.app, skus["TEE"], target - level, push=False)
        level = target
        with panel.app.app_context():
            evaluate_pool(pool_id, (start + dt.timedelta(minutes=5 * step)).isoformat())
        jobs.wait_idle(10)
    for platform, sb in ad_sandboxes.items():
        ref = linked(refs, platform)
        done = done_actions(panel.app, ref)
        assert len(done) >= 24, platform  # it did act on every real shortage it could
        assert len(status_writes(sb, ref)) == len(done), platform
        for kind in ("pause", "resume"):
            times = [a.executed_at for a in done if a.kind == kind]
            gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
            assert min(gaps) >= dt.timedelta(hours=1), (platform, kind, min(gaps))
