"""The Meta connector through the real facebook-business SDK against the Graph sandbox:
credentials, account read, listing, re-reading, pausing/resuming and budgets."""

from __future__ import annotations

import pytest
from facebook_business.api import FacebookAdsApi

from connectors.base import ACTIVE, AD, AD_SET, CAMPAIGN, PAUSED, REMOVED, AdObjectInfo
from connectors.errors import InvalidRequest, RateLimited, Unauthorized

# --------------------------------------------------------------------------- credentials


def test_connector_declares_meta(connector):
    assert connector.platform == "meta"
    assert connector.display_name == "Meta (Facebook & Instagram)"
    assert connector.levels == (CAMPAIGN, AD_SET, AD)
    assert connector.budget_changes_per_hour == 4
    fields = {f.name: f for f in connector.credential_fields}
    assert fields["access_token"].secret and fields["app_secret"].secret
    assert not fields["app_id"].required and not fields["ad_account_id"].secret


@pytest.mark.parametrize("typed", ["act_1234567890", "1234567890", "  act_1234567890 "])
def test_parse_credentials_accepts_both_account_spellings(connector, sb, typed):
    form = {**sb.connect_form(), "ad_account_id": typed, "app_id": ""}
    ref, creds = connector.parse_credentials(form)
    assert ref == "act_1234567890"
    assert creds == {"access_token": sb.access_token, "app_secret": sb.app_secret}


def test_parse_credentials_keeps_the_optional_app_id(connector, sb):
    ref, creds = connector.parse_credentials(sb.connect_form())
    assert ref == sb.account_ref
    assert creds["app_id"] == sb.app_id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ad_account_id", "act_12ab"),
        ("ad_account_id", ""),
        ("access_token", "EAA secret with spaces"),
        ("access_token", None),
        ("app_secret", "not-a-32-hex-secret-value-zzzzzz"),
        ("app_secret", "abc123"),
        ("app_id", "app-42"),
    ],
)
def test_parse_credentials_names_each_bad_field_without_echoing_it(connector, sb, field, value):
    form = {**sb.connect_form(), field: value}
    with pytest.raises(InvalidRequest) as e:
        connector.parse_credentials(form)
    assert [err["field"] for err in e.value.errors] == [field]
    shown = str(e.value) + repr(e.value.errors)
    for secret in (sb.access_token, sb.app_secret, value):
        if secret:
            assert secret not in shown


def test_parse_credentials_reports_every_bad_field_at_once(connector):
    with pytest.raises(InvalidRequest) as e:
        connector.parse_credentials({})
    assert {err["field"] for err in e.value.errors} == {
        "ad_account_id",
        "access_token",
        "app_secret",
    }


# --------------------------------------------------------------------------- account


def test_test_connection_reads_the_account_with_proof_on_v26(ctx, connector, sb, creds):
    info = connector.test_connection(*creds)
    assert (info.ref, info.name, info.currency, info.timezone) == (
        sb.account_ref,
        "Sandbox Store Ads",
        "EUR",
        "Europe/Paris",
    )
    [req] = sb.requests
    assert (req["method"], req["version"], req["auth"]) == ("GET", "v26.0", "ok")
    assert req["path"].rstrip("/") == f"/v26.0/{sb.account_ref}"
    assert req["params"]["fields"] == "name,currency,timezone_name"
    # The token rides in the Authorization header, never in the URL.
    assert req["token_in"] == "header" and "access_token" not in req["params"]


def test_test_connection_with_a_wrong_app_secret_is_unauthorized(ctx, connector, sb, creds):
    ref, good = creds
    with pytest.raises(Unauthorized, match="appsecret_proof"):
        connector.test_connection(ref, {**good, "app_secret": "0" * 32})


def test_test_connection_to_an_account_out_of_reach_is_unauthorized(ctx, connector, sb, creds):
    with pytest.raises(Unauthorized, match="act_999"):
        connector.test_connection("act_999", creds[1])


def test_each_call_builds_its_own_api_for_its_merchant(ctx, connector, make_meta, creds):
    first = connector.test_connection(*creds)
    other = make_meta()  # a second merchant's account, now answering on the same URL
    second = connector.test_connection(*connector.parse_credentials(other.connect_form()))
    assert first.ref != second.ref and second.ref == other.account_ref
    with pytest.raises(Unauthorized):  # the first merchant's token does not open the second's
        connector.test_connection(other.account_ref, creds[1])
    assert FacebookAdsApi.get_default_api() is None


# --------------------------------------------------------------------------- listing


def _all(connector, creds):
    pages = list(connector.list_objects(*creds))
    return pages, {o.ref: o for page in pages for o in page}


def test_list_objects_maps_levels_parents_budgets_and_landing_pages(
    ctx, connector, sb, creds, shop
):
    _, found = _all(connector, creds)
    assert set(found) == set(shop.values())
    c, s1, s2 = found[shop["campaign"]], found[shop["s1"]], found[shop["s2"]]
    assert (c.level, c.name, c.status, c.raw_status) == (CAMPAIGN, "Winter boots", ACTIVE, "ACTIVE")
    assert (c.daily_budget, c.parent_ref) == (5000, None)
    assert (s1.level, s1.parent_ref, s1.daily_budget) == (AD_SET, shop["campaign"], 2000)
    assert (s2.status, s2.raw_status, s2.daily_budget) == (PAUSED, "PAUSED", None)
    a1, a3 = found[shop["a1"]], found[shop["a3"]]
    assert (a1.level, a1.parent_ref, a1.daily_budget) == (AD, shop["s1"], None)
    assert a1.destination_urls == ("https://shop.example/products/red",)
    assert a3.destination_urls == ()
    ads_req = [r for r in sb.requests if r["path"].endswith("/ads")]
    assert "creative{object_story_spec,asset_feed_spec}" in ads_req[0]["params"]["fields"]


def test_list_objects_follows_cursors_page_by_page(ctx, connector, sb, creds):
    sb.max_page_size = 2
    made = {sb.create_object("campaign", f"C{i}") for i in range(5)}
    pages, found = _all(connector, creds)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert set(found) == made
    edge_calls = [r for r in sb.requests if r["path"].endswith("/campaigns")]
    assert [("after" in r["params"]) for r in edge_calls] == [False, True, True]


def test_list_objects_leaves_out_deleted_and_archived(ctx, connector, sb, creds, shop):
    sb.delete_object(shop["a2"])
    sb.archive_object(shop["s2"])
    _, found = _all(connector, creds)
    assert shop["a2"] not in found and shop["s2"] not in found
    assert shop["a1"] in found


# --------------------------------------------------------------------------- re-reading


def test_read_objects_gives_current_state_and_none_for_gone(ctx, connector, sb, creds, shop):
    sb.merchant_set_active(shop["a1"], False)
    sb.delete_object(shop["a2"])
    sb.archive_object(shop["s2"])
    got = connector.read_objects(
        *creds,
        [
            (AD, shop["a1"]),
            (AD, shop["a2"]),
            (AD_SET, shop["s2"]),
            (CAMPAIGN, shop["campaign"]),
            (AD, "120999999999999999"),
        ],
    )
    assert got[shop["a1"]].status == PAUSED and got[shop["a1"]].raw_status == "PAUSED"
    assert got[shop["a2"]] is None  # DELETED: readable on Meta, but can never run again
    assert (got[shop["s2"]].status, got[shop["s2"]].raw_status) == (REMOVED, "ARCHIVED")
    assert got[shop["campaign"]].daily_budget == 5000
    assert got["120999999999999999"] is None  # unknown id: 100/33


# --------------------------------------------------------------------------- writes


def test_set_status_pauses_and_resumes_what_it_is_asked(ctx, connector, sb, creds, shop):
    results = connector.set_status(*creds, AD, [shop["a1"], shop["a2"]], False)
    assert [(r.ref, r.ok, r.gone) for r in results] == [
        (shop["a1"], True, False),
        (shop["a2"], True, False),
    ]
    assert not sb.is_active(shop["a1"]) and sb.raw_status(shop["a2"]) == "PAUSED"
    [back] = connector.set_status(*creds, AD, [shop["a1"]], True)
    assert back.ok and sb.is_active(shop["a1"]) and not sb.is_active(shop["a2"])
    assert [(w["ref"], w["field"], w["value"]) for w in sb.writes] == [
        (shop["a1"], "status", "PAUSED"),
        (shop["a2"], "status", "PAUSED"),
        (shop["a1"], "status", "ACTIVE"),
    ]


def test_set_status_on_campaigns_and_ad_sets(ctx, connector, sb, creds, shop):
    connector.set_status(*creds, CAMPAIGN, [shop["campaign"]], False)
    connector.set_status(*creds, AD_SET, [shop["s2"]], True)
    assert sb.raw_status(shop["campaign"]) == "PAUSED" and sb.is_active(shop["s2"])
    assert sb.effective_status(shop["a1"]) == "CAMPAIGN_PAUSED"


def test_set_status_reports_unknown_and_deleted_objects_gone(ctx, connector, sb, creds, shop):
    sb.delete_object(shop["a2"])
    results = connector.set_status(
        *creds, AD, ["120999999999999999", shop["a2"], shop["a1"]], False
    )
    assert [(r.ok, r.gone) for r in results] == [(False, True), (False, True), (True, False)]
    assert sb.raw_status(shop["a2"]) == "DELETED"
    assert [w["ref"] for w in sb.writes] == [shop["a1"]]


def _info(connector, creds, level, ref):
    return connector.read_objects(*creds, [(level, ref)])[ref]


def test_set_daily_budget_writes_minor_units(ctx, connector, sb, creds, shop):
    result = connector.set_daily_budget(*creds, _info(connector, creds, AD_SET, shop["s1"]), 1250)
    assert result.ok and result.ref == shop["s1"]
    assert sb.daily_budget(shop["s1"]) == 1250
    assert sb.writes[-1] == {
        **sb.writes[-1],
        "ref": shop["s1"],
        "field": "daily_budget",
        "value": 1250,
    }
    posted = [r for r in sb.requests if r["method"] == "POST"]
    assert posted[-1]["params"] == {"daily_budget": "1250"}


def test_campaign_budgets_change_too(ctx, connector, sb, creds, shop):
    info = _info(connector, creds, CAMPAIGN, shop["campaign"])
    assert connector.set_daily_budget(*creds, info, 4000).ok
    assert sb.daily_budget(shop["campaign"]) == 4000


def test_a_fifth_budget_change_within_the_hour_is_rate_limited(ctx, connector, sb, creds, shop):
    info = _info(connector, creds, AD_SET, shop["s1"])
    for amount in (1900, 1800, 1700, 1600):
        assert connector.set_daily_budget(*creds, info, amount).ok
    before = len(sb.requests)
    with pytest.raises(RateLimited) as e:
        connector.set_daily_budget(*creds, info, 1500)
    assert e.value.retry_after == 3600
    assert "4 times per hour" in str(e.value)
    assert len(sb.requests) == before + 1  # an hour-long block is not retried
    assert sb.daily_budget(shop["s1"]) == 1600


def test_budget_on_objects_without_one(ctx, connector, sb, creds, shop):
    ad = _info(connector, creds, AD, shop["a1"])
    assert not connector.set_daily_budget(*creds, ad, 1000).ok
    s2 = _info(connector, creds, AD_SET, shop["s2"])  # spends from the campaign budget
    result = connector.set_daily_budget(*creds, s2, 1000)
    assert (result.ok, result.gone) == (False, False) and "no daily budget" in result.error
    sb.delete_object(shop["s1"])
    s1 = AdObjectInfo(
        level=AD_SET, ref=shop["s1"], name="Boots FR", status=ACTIVE, daily_budget=2000
    )
    gone = connector.set_daily_budget(*creds, s1, 1000)
    assert (gone.ok, gone.gone) == (False, True)
    assert not [w for w in sb.writes if w["field"] == "daily_budget"]


def test_every_call_is_signed_with_the_app_secret_proof(ctx, connector, sb, creds, shop):
    list(connector.list_objects(*creds))
    connector.set_status(*creds, AD, [shop["a1"]], False)
    # The sandbox checks token and HMAC-SHA256 proof on every call ("ok" = both matched).
    assert len(sb.requests) == 4  # three edges, one write
    assert all(r["appsecret_proof"] and r["auth"] == "ok" for r in sb.requests)
