"""Ads under bad input and failing platforms: refused credentials, an expired token mid-way, an
unknown or deleted object, platform 5xx, throttling and time-outs, bad policies, other stores'
ids. Each gets a clear answer and leaves nothing half-written; nothing queued is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import ActivityEntry, AdAccount, AdAction, AdLink, StockPool
from tests.ads.harness import (
    LINKED_LEVEL,
    PLATFORMS,
    Panel,
    account,
    ad_object,
    build_campaigns,
    done_actions,
    make_store,
    move,
    rows,
)
from tests.conftest import wait_for

URL = "https://ads-store.myshopify.com/products/winter-tee"


def count(app, model) -> int:
    from extensions import db

    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count()).select_from(model))


def live_link(panel, skus, sandboxes, platform):
    sb = sandboxes[platform]
    refs = build_campaigns({platform: sb}, URL)[platform]
    panel.connect(platform, sb)
    panel.go_live(platform)
    panel.policy(pause_at=2, resume_at=5, min_pause_minutes=0)
    ref = refs[LINKED_LEVEL[platform]]
    panel.link(ref, skus["TEE"])
    return sb, ref


# --------------------------------------------------------------------------- connecting


def test_unknown_platform_and_missing_fields_are_refused_and_store_nothing(shop, ad_sandboxes):
    panel, _ = shop
    answer = panel.call("post", "/accounts", json={"platform": "myspace"})
    assert answer.status_code == 400 and "platform must be one of" in answer.get_json()["error"]
    for platform, sb in ad_sandboxes.items():
        from connectors import registry

        form = sb.connect_form()
        first = next(f.name for f in registry.ad_platform(platform).credential_fields if f.required)
        answer = panel.call("post", "/accounts", json={"platform": platform, **form, first: ""})
        assert answer.status_code == 400, platform
        assert first in {e["field"] for e in answer.get_json()["errors"]}, platform
    assert panel.call("post", "/accounts", data="not json").status_code == 400
    assert count(panel.app, AdAccount) == 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_credentials_the_platform_refuses_store_nothing(shop, ad_sandboxes, platform):
    panel, _ = shop
    sb = ad_sandboxes[platform]
    sb.expire_credentials()
    answer = panel.call("post", "/accounts", json={"platform": platform, **sb.connect_form()})
    assert answer.status_code == 400
    assert "refused these credentials" in answer.get_json()["error"]
    assert count(panel.app, AdAccount) == 0


def test_credentials_never_come_back_out(shop, ad_sandboxes):
    panel, _ = shop
    secrets = []
    for platform, sb in ad_sandboxes.items():
        panel.connect(platform, sb)
        secrets += [v for k, v in sb.connect_form().items() if len(str(v)) > 12 and "id" not in k]
    text = panel.call("get", "").get_data(as_text=True) + panel.call("get", "/objects").get_data(
        as_text=True
    )
    assert secrets and not [s for s in secrets if s in text]
    for row in rows(panel.app, AdAccount):  # sealed at rest
        assert not [s for s in secrets if s in row.credentials_sealed]


# --------------------------------------------------------------------------- failing platforms


@pytest.mark.parametrize("platform", PLATFORMS)
def test_expired_token_tells_the_merchant_and_keeps_the_actions(shop, ad_sandboxes, platform):
    panel, skus = shop
    sb, ref = live_link(panel, skus, ad_sandboxes, platform)
    sb.expire_credentials()
    move(panel.app, skus["TEE"], -5)
    panel.app.extensions["jobs"].wait_idle(10)
    assert account(panel.app, panel.accounts[platform]).status == "needs_reconnect"
    [queued] = rows(panel.app, AdAction, AdAction.kind == "pause")
    assert queued.state == "queued" and "reconnected" in queued.note
    [told] = rows(panel.app, ActivityEntry, ActivityEntry.kind == "ads_needs_reconnect")
    assert "Reconnect" in told.message
    assert sb.is_active(ref)
    # The merchant reconnects (here: the same token works again) and tests the account.
    sb.restore_credentials()
    answer = panel.call("post", f"/accounts/{panel.accounts[platform]}/test")
    assert answer.status_code == 200 and answer.get_json()["account"]["status"] == "active"
    wait_for(lambda: done_actions(panel.app, ref), timeout=15)
    assert not sb.is_active(ref)
    [pause] = done_actions(panel.app, ref)
    assert pause.kind == "pause"


@pytest.mark.parametrize("kind", ["server_error", "throttle", "timeout"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform_failures_are_retried_until_the_pause_lands(shop, ad_sandboxes, platform, kind):
    panel, skus = shop
    sb, ref = live_link(panel, skus, ad_sandboxes, platform)
    sb.inject_faults(kind, 1)
    move(panel.app, skus["TEE"], -5)
    wait_for(lambda: done_actions(panel.app, ref), timeout=30, message=f"{platform} {kind}")
    assert not sb.is_active(ref)
    [pause] = done_actions(panel.app, ref)
    assert pause.kind == "pause" and pause.status_before == "active"
    assert len([w for w in sb.writes if w["ref"] == ref and w["field"] == "status"]) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_link_to_an_ad_deleted_on_the_platform(shop, ad_sandboxes, platform):
    panel, skus = shop
    sb, ref = live_link(panel, skus, ad_sandboxes, platform)
    sb.delete_object(ref)
    move(panel.app, skus["TEE"], -5)
    panel.app.extensions["jobs"].wait_idle(10)
    [failed] = rows(panel.app, AdAction, AdAction.kind == "pause")
    assert failed.state == "failed" and "deleted on the platform" in failed.note
    obj = ad_object(panel.app, ref)
    assert obj.gone and not obj.paused_by_us
    again = panel.call("post", "/links", json={"object_id": obj.id, "sku_ids": [skus["MUG"]]})
    assert again.status_code == 409
    # A gone object is no longer evaluated: more stock moves add no action.
    move(panel.app, skus["TEE"], +10)
    move(panel.app, skus["TEE"], -10)
    panel.app.extensions["jobs"].wait_idle(10)
    assert len(rows(panel.app, AdAction)) == 1


# --------------------------------------------------------------------------- ids and policy


def test_unknown_and_foreign_ids_are_refused(shop, ad_sandboxes):
    panel, skus = shop
    sb, ref = live_link(panel, skus, ad_sandboxes, "meta")
    from extensions import db

    with panel.app.app_context():
        other, other_skus = make_store(db.session, "other.myshopify.com", {"TEE": 3})
        other_id = other.id
    other_panel = Panel(panel.app, other_id)
    obj = ad_object(panel.app, ref)
    links_before = count(panel.app, AdLink)
    cases = [
        (panel, {"object_id": 999999, "sku_ids": [skus["TEE"]]}, 404),
        (panel, {"object_id": "1; DROP TABLE ad_link", "sku_ids": [skus["TEE"]]}, 400),
        (panel, {"object_id": obj.id, "sku_ids": [other_skus["TEE"]]}, 404),
        (panel, {"object_id": obj.id, "sku_ids": []}, 400),
        (panel, {"object_id": obj.id, "sku_ids": ["TEE"]}, 400),
        (panel, {"object_id": obj.id, "sku_ids": [skus["MUG"], 10**9]}, 404),
        (other_panel, {"object_id": obj.id, "sku_ids": [other_skus["TEE"]]}, 404),
    ]
    for who, body, status in cases:
        assert who.call("post", "/links", json=body).status_code == status, body
    assert count(panel.app, AdLink) == links_before
    account_id = panel.accounts["meta"]
    assert other_panel.call("post", f"/accounts/{account_id}/import").status_code == 404
    assert other_panel.call("delete", f"/accounts/{account_id}").status_code == 404
    assert other_panel.call("get", "/objects").get_json()["objects"] == []
    assert other_panel.call("post", "/actions/1/approve").status_code == 404
    assert panel.call("post", "/actions/999/approve").status_code == 404
    assert panel.call("get", "/actions", query_string={"state": "x'--"}).status_code == 400
    assert panel.client.get("/admin/api/ads").status_code == 401


def test_bad_policy_is_refused_whole(shop, ad_sandboxes):
    panel, skus = shop
    panel.policy(pause_at=1, resume_at=4)
    for body in (
        {"pause_at": 5, "resume_at": 3},
        {"pause_at": 1, "resume_at": 4, "combine": "sometimes"},
        {"pause_at": "<script>", "resume_at": 4},
        {"low_budget_pct": 30},
        {"resume_at": 4, "unknown": 1},
    ):
        answer = panel.call("put", "/policy", json=body)
        assert answer.status_code == 400, body
        assert answer.get_json()["field"]
    [pool] = rows(panel.app, StockPool)
    assert {k: pool.settings["ads"][k] for k in ("pause_at", "resume_at")} == {
        "pause_at": 1,
        "resume_at": 4,
    }
    sb, ref = live_link(panel, skus, ad_sandboxes, "tiktok")
    obj = ad_object(panel.app, ref)
    answer = panel.call("put", f"/objects/{obj.id}/policy", json={"resume_at": 0})
    assert answer.status_code == 400 and answer.get_json()["field"] == "resume_at"
    assert ad_object(panel.app, ref).policy == {}
    ok = panel.call("put", f"/objects/{obj.id}/policy", json={"pause_at": 0, "resume_at": 2})
    assert ok.status_code == 200 and ok.get_json()["policy"]["pause_at"] == 0


def test_receiving_a_restock_with_an_unreadable_body_receives_nothing(shop):
    """An unreadable body is a 400, not "receive every unit" (no body does mean all of them)."""
    from models import Movement, Restock, Sku

    panel, skus = shop
    headers = panel.headers
    made = panel.client.post(
        "/admin/api/restocks",
        headers=headers,
        json={"sku": "TEE", "quantity": 10, "expected_on": "2030-01-01"},
    )
    assert made.status_code in (200, 201), made.get_json()
    [restock] = rows(panel.app, Restock)
    for body in ("{not json", "[" * 5000 + "]" * 5000, '"ten"'):
        answer = panel.client.post(
            f"/admin/api/restocks/{restock.id}/receive",
            headers={**headers, "Content-Type": "application/json"},
            data=body,
        )
        assert answer.status_code == 400, body[:20]
    assert rows(panel.app, Movement) == []
    [tee] = rows(panel.app, Sku, Sku.id == skus["TEE"])
    assert tee.on_hand == 6
    assert rows(panel.app, Restock)[0].status == restock.status
