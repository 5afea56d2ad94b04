"""TikTokConnector through the real ``business_api_client`` SDK against the loopback sandbox:
credentials, reads, status and budget writes. Faults are in ``test_ads_faults.py``."""

from __future__ import annotations

import pytest

from connectors.base import AD, AD_SET, CAMPAIGN, AdObjectInfo
from connectors.errors import InvalidRequest, Unauthorized

# --------------------------------------------------------------------------- credentials


def test_connector_is_registered_with_its_levels(connector):
    assert connector.platform == "tiktok"
    assert connector.display_name == "TikTok Ads"
    assert connector.levels == (CAMPAIGN, AD_SET, AD)
    assert connector.budget_changes_per_hour is None
    fields = {f.name: f for f in connector.credential_fields}
    assert set(fields) == {"advertiser_id", "access_token"}
    assert fields["access_token"].secret and not fields["advertiser_id"].secret


def test_parse_credentials_keeps_advertiser_as_ref_and_seals_the_token(connector):
    token = "ab12" * 10
    ref, sealed = connector.parse_credentials(
        {"advertiser_id": " 7012345678901234567 ", "access_token": f" {token}\n"}
    )
    assert ref == "7012345678901234567"
    assert sealed == {"access_token": token}


@pytest.mark.parametrize(
    ("form", "bad"),
    [
        ({"advertiser_id": "", "access_token": "ab12" * 10}, {"advertiser_id"}),
        ({"advertiser_id": "act_12345", "access_token": "ab12" * 10}, {"advertiser_id"}),
        ({"advertiser_id": "7012345678901234567", "access_token": ""}, {"access_token"}),
        ({"advertiser_id": "7012345678901234567", "access_token": "secret tok en123456"}, {"access_token"}),
        ({"advertiser_id": "7012345678901234567", "access_token": "short"}, {"access_token"}),
        ({}, {"advertiser_id", "access_token"}),
    ],
)  # fmt: skip
def test_parse_credentials_names_each_bad_field_without_echoing_it(connector, form, bad):
    with pytest.raises(InvalidRequest) as caught:
        connector.parse_credentials(form)
    assert {e["field"] for e in caught.value.errors} == bad
    told = str(caught.value) + repr(caught.value.errors)
    for value in form.values():
        if value:
            assert value not in told


# --------------------------------------------------------------------------- account


def test_test_connection_reads_the_advertiser(ctx, connector, creds, tiktok_sandbox):
    info = connector.test_connection(*creds)
    assert info.ref == tiktok_sandbox.account_ref
    assert info.name == "StockGuard Sandbox Shop"
    assert (info.currency, info.timezone) == ("USD", "Etc/GMT")
    (call,) = tiktok_sandbox.api_calls("/advertiser/info/")
    assert call["method"] == "GET"
    assert call["headers"]["Access-Token"] == tiktok_sandbox.access_token
    assert call["query"]["advertiser_ids"] == [tiktok_sandbox.account_ref]


def test_test_connection_for_an_advertiser_the_token_cannot_operate(ctx, connector, creds):
    _ref, sealed = creds
    with pytest.raises(Unauthorized) as caught:
        connector.test_connection("7000000000000000001", sealed)
    assert "40001" in str(caught.value)


def test_test_connection_without_a_stored_token_is_refused_before_any_call(
    ctx, connector, creds, tiktok_sandbox
):
    with pytest.raises(InvalidRequest):
        connector.test_connection(creds[0], {})
    assert tiktok_sandbox.api_calls() == []


# --------------------------------------------------------------------------- reads


def test_list_objects_reports_every_level_with_parents_budgets_and_urls(
    ctx, connector, creds, tree
):
    pages = list(connector.list_objects(*creds))
    objects = {o.ref: o for page in pages for o in page}
    campaign, group = objects[tree["campaign"]], objects[tree["ad_set"]]
    assert (campaign.level, campaign.name, campaign.status) == (CAMPAIGN, "Winter boots", "active")
    assert campaign.raw_status == "ENABLE"
    assert campaign.daily_budget == 5050 and campaign.parent_ref is None
    assert (group.level, group.parent_ref, group.daily_budget) == (AD_SET, tree["campaign"], 2000)
    ad1, ad2 = (objects[ref] for ref in tree["ads"])
    assert (ad1.level, ad1.parent_ref, ad1.daily_budget) == (AD, tree["ad_set"], None)
    assert ad1.destination_urls == ("https://shop.example/p/boots",)
    assert ad2.destination_urls == ("https://shop.example/p/b2",)
    assert len(objects) == 4


def test_list_objects_pages_through_each_level(ctx, connector, creds, tree, tiktok_sandbox):
    ctx.config["TIKTOK_PAGE_SIZE"] = 1
    for i in range(3):
        tiktok_sandbox.create_object("ad", f"extra {i}", parent=tree["ad_set"])
    pages = list(connector.list_objects(*creds))
    assert sum(len(p) for p in pages) == 7
    ad_pages = [c["query"]["page"] for c in tiktok_sandbox.api_calls("/ad/get/")]
    assert ad_pages == ["1", "2", "3", "4", "5"]
    assert all(c["query"]["page_size"] == "1" for c in tiktok_sandbox.api_calls("/get/"))


def test_paused_lifetime_and_unbudgeted_objects(ctx, connector, creds, tiktok_sandbox):
    sb = tiktok_sandbox
    lifetime = sb.create_object("campaign", "Lifetime", active=False)
    sb.set_budget(lifetime, 100_000, mode="BUDGET_MODE_TOTAL")
    open_ended = sb.create_object("ad_set", "No budget", parent=lifetime)
    objects = {o.ref: o for page in connector.list_objects(*creds) for o in page}
    assert (objects[lifetime].status, objects[lifetime].raw_status) == ("paused", "DISABLE")
    assert objects[lifetime].daily_budget is None  # a lifetime budget is not a daily one
    assert objects[open_ended].daily_budget is None
    assert objects[open_ended].status == "active"  # its own status; the campaign is off


def test_read_objects_answers_by_ref_with_none_for_deleted_and_unknown(
    ctx, connector, creds, tree, tiktok_sandbox
):
    ad1, ad2 = tree["ads"]
    tiktok_sandbox.delete_object(ad2)
    tiktok_sandbox.merchant_set_active(ad1, False)
    got = connector.read_objects(
        *creds,
        [(AD, ad1), (AD, ad2), (AD, "1799999999999999999"), (CAMPAIGN, tree["campaign"])],
    )
    assert set(got) == {ad1, ad2, "1799999999999999999", tree["campaign"]}
    assert got[ad1].status == "paused" and got[ad1].raw_status == "DISABLE"
    assert got[ad2] is None and got["1799999999999999999"] is None
    assert got[tree["campaign"]].daily_budget == 5050
    filters = [c["query"]["filtering"] for c in tiktok_sandbox.api_calls("/ad/get/")]
    assert filters == [{"ad_ids": [ad1, ad2, "1799999999999999999"]}]


def test_read_objects_splits_long_lists_into_filters_of_100(
    ctx, connector, creds, tree, tiktok_sandbox
):
    refs = [
        tiktok_sandbox.create_object("ad", f"ad {i}", parent=tree["ad_set"]) for i in range(130)
    ]
    got = connector.read_objects(*creds, [(AD, ref) for ref in refs])
    assert all(got[ref] is not None for ref in refs)
    sizes = [len(c["query"]["filtering"]["ad_ids"]) for c in tiktok_sandbox.api_calls("/ad/get/")]
    assert sizes == [100, 30]


def test_unknown_level_is_refused(ctx, connector, creds):
    with pytest.raises(InvalidRequest):
        connector.read_objects(*creds, [("keyword", "1")])
    with pytest.raises(InvalidRequest):
        connector.set_status(*creds, "keyword", ["1"], active=False)


# --------------------------------------------------------------------------- status


@pytest.mark.parametrize("level", [CAMPAIGN, AD_SET, AD])
def test_pause_then_resume_changes_the_object_on_tiktok(
    ctx, connector, creds, tree, tiktok_sandbox, level
):
    ref = tree["ads"][0] if level == AD else tree[level]
    paused = connector.set_status(*creds, level, [ref], active=False)
    assert [(r.ref, r.ok, r.gone) for r in paused] == [(ref, True, False)]
    assert not tiktok_sandbox.is_active(ref) and tiktok_sandbox.raw_status(ref) == "DISABLE"
    resumed = connector.set_status(*creds, level, [ref], active=True)
    assert resumed[0].ok and tiktok_sandbox.is_active(ref)
    assert [(w["ref"], w["field"], w["value"]) for w in tiktok_sandbox.writes] == [
        (ref, "status", "DISABLE"),
        (ref, "status", "ENABLE"),
    ]
    kind = {CAMPAIGN: "campaign", AD_SET: "adgroup", AD: "ad"}[level]
    first = tiktok_sandbox.api_calls(f"/{kind}/status/update/")[0]["body"]
    assert first["advertiser_id"] == tiktok_sandbox.account_ref
    assert (first[f"{kind}_ids"], first["operation_status"]) == ([ref], "DISABLE")


def test_pausing_a_campaign_leaves_its_ads_own_status(ctx, connector, creds, tree, tiktok_sandbox):
    connector.set_status(*creds, CAMPAIGN, [tree["campaign"]], active=False)
    ad = tree["ads"][0]
    assert tiktok_sandbox.is_active(ad)
    assert tiktok_sandbox.secondary_status(ad) == "AD_STATUS_CAMPAIGN_DISABLE"


def test_more_than_20_ids_go_in_batches_of_20(ctx, connector, creds, tree, tiktok_sandbox):
    refs = [tiktok_sandbox.create_object("ad", f"ad {i}", parent=tree["ad_set"]) for i in range(25)]
    results = connector.set_status(*creds, AD, refs, active=False)
    assert [r.ref for r in results] == refs and all(r.ok for r in results)
    assert not any(tiktok_sandbox.is_active(ref) for ref in refs)
    sizes = [len(c["body"]["ad_ids"]) for c in tiktok_sandbox.api_calls("/ad/status/update/")]
    assert sizes == [20, 5]


def test_unknown_and_deleted_ids_are_gone_and_the_others_still_change(
    ctx, connector, creds, tree, tiktok_sandbox
):
    ad1, ad2 = tree["ads"]
    tiktok_sandbox.delete_object(ad2)
    unknown = "1799999999999999999"
    results = {r.ref: r for r in connector.set_status(*creds, AD, [ad1, ad2, unknown], False)}
    assert results[ad1].ok and not results[ad1].gone
    assert results[ad2].gone and not results[ad2].ok
    assert results[unknown].gone and not results[unknown].ok
    assert not tiktok_sandbox.is_active(ad1)
    assert [(w["ref"], w["value"]) for w in tiktok_sandbox.writes] == [(ad1, "DISABLE")]


def test_only_gone_ids_write_nothing(ctx, connector, creds, tree, tiktok_sandbox):
    tiktok_sandbox.delete_object(tree["campaign"])  # its ad groups and ads go with it
    results = connector.set_status(*creds, AD_SET, [tree["ad_set"]], active=True)
    assert [(r.ok, r.gone) for r in results] == [(False, True)]
    assert tiktok_sandbox.writes == []


def test_duplicate_refs_are_written_once(ctx, connector, creds, tree, tiktok_sandbox):
    ad = tree["ads"][0]
    results = connector.set_status(*creds, AD, [ad, ad], active=False)
    assert [r.ok for r in results] == [True, True]
    assert tiktok_sandbox.api_calls("/ad/status/update/")[0]["body"]["ad_ids"] == [ad]


# --------------------------------------------------------------------------- budgets


def _info(connector, creds, level, ref) -> AdObjectInfo:
    return connector.read_objects(*creds, [(level, ref)])[ref]


def test_set_daily_budget_of_a_campaign(ctx, connector, creds, tree, tiktok_sandbox):
    obj = _info(connector, creds, CAMPAIGN, tree["campaign"])
    result = connector.set_daily_budget(*creds, obj, 3333)
    assert result.ok and tiktok_sandbox.daily_budget(tree["campaign"]) == 3333
    (call,) = tiktok_sandbox.api_calls("/campaign/update/")
    assert call["body"] == {
        "advertiser_id": tiktok_sandbox.account_ref,
        "campaign_id": tree["campaign"],
        "budget": 33.33,
    }
    assert [(w["ref"], w["field"], w["value"]) for w in tiktok_sandbox.writes] == [
        (tree["campaign"], "daily_budget", 3333)
    ]


def test_set_daily_budget_of_an_ad_group(ctx, connector, creds, tree, tiktok_sandbox):
    obj = _info(connector, creds, AD_SET, tree["ad_set"])
    assert connector.set_daily_budget(*creds, obj, 12_000).ok
    assert tiktok_sandbox.daily_budget(tree["ad_set"]) == 12_000
    (call,) = tiktok_sandbox.api_calls("/adgroup/budget/update/")
    assert call["body"]["budget"] == [{"adgroup_id": tree["ad_set"], "budget": 120.0}]
    assert call["headers"]["Access-Token"] == tiktok_sandbox.access_token


def test_budget_of_a_deleted_object_is_gone(ctx, connector, creds, tree, tiktok_sandbox):
    obj = _info(connector, creds, AD_SET, tree["ad_set"])
    tiktok_sandbox.delete_object(tree["ad_set"])
    result = connector.set_daily_budget(*creds, obj, 3000)
    assert (result.ok, result.gone) == (False, True)
    assert tiktok_sandbox.writes == []


def test_no_budget_write_where_there_is_no_daily_budget(
    ctx, connector, creds, tree, tiktok_sandbox
):
    tiktok_sandbox.set_budget(tree["campaign"], 100_000, mode="BUDGET_MODE_TOTAL")
    lifetime = _info(connector, creds, CAMPAIGN, tree["campaign"])
    ad = _info(connector, creds, AD, tree["ads"][0])
    assert not connector.set_daily_budget(*creds, lifetime, 5000).ok
    assert not connector.set_daily_budget(*creds, ad, 5000).ok
    assert tiktok_sandbox.api_calls("/update/") == []
    with pytest.raises(InvalidRequest):
        connector.set_daily_budget(*creds, _info(connector, creds, AD_SET, tree["ad_set"]), 0)


def test_a_refused_budget_is_a_failed_result_not_gone(ctx, connector, creds, tree, tiktok_sandbox):
    group = _info(connector, creds, AD_SET, tree["ad_set"])
    tiktok_sandbox.set_budget(tree["ad_set"], None, mode="BUDGET_MODE_INFINITE")  # changed since
    result = connector.set_daily_budget(*creds, group, 3000)
    assert (result.ok, result.gone) == (False, False)
    assert "40002" in result.error
