"""GoogleAdsConnector against the sandbox: the real google-ads library over gRPC/TLS."""

from __future__ import annotations

import pytest

from connectors.base import AD, AD_SET, CAMPAIGN, AdObjectInfo
from connectors.errors import InvalidRequest, Unauthorized
from connectors.google_ads import GoogleAdsConnector
from sandbox.google_ads import GoogleAdsSandbox


def api_calls(sb, method: str | None = None) -> list[dict]:
    return [r for r in sb.requests if method is None or r["method"] == method]


def flatten(pages) -> list[AdObjectInfo]:
    return [obj for page in pages for obj in page]


# --------------------------------------------------------------------------- form


def test_registry_names_the_connector(connector):
    assert isinstance(connector, GoogleAdsConnector)
    assert connector.platform == "google_ads"
    assert connector.display_name == "Google Ads"
    assert connector.levels == (CAMPAIGN, AD_SET)
    assert connector.budget_changes_per_hour is None
    fields = {f.name: f for f in connector.credential_fields}
    assert set(fields) == {
        "developer_token",
        "client_id",
        "client_secret",
        "refresh_token",
        "customer_id",
        "login_customer_id",
    }
    assert {n for n, f in fields.items() if f.secret} == {
        "developer_token",
        "client_secret",
        "refresh_token",
    }
    assert {n for n, f in fields.items() if not f.required} == {
        "developer_token",
        "login_customer_id",
    }


@pytest.fixture
def offline():
    """A sandbox's state only: its connect form needs no server."""
    return GoogleAdsSandbox()


def test_parse_credentials_accepts_dashed_and_plain_ids(connector, offline):
    gads = offline
    form = gads.connect_form()
    ref, creds = connector.parse_credentials(form)
    assert ref == gads.account_ref == "1234567890"
    assert creds == {
        "client_id": gads.oauth.client_id,
        "client_secret": gads.oauth.client_secret,
        "refresh_token": gads.oauth.refresh_token,
        "developer_token": gads.developer_token,
    }
    form.update(customer_id=" 1234567890 ", login_customer_id="111-222-3333", developer_token="")
    ref, creds = connector.parse_credentials(form)
    assert ref == "1234567890"
    assert creds["login_customer_id"] == "1112223333"
    assert "developer_token" not in creds


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_id", ""),
        ("customer_id", "987-654-321"),
        ("customer_id", "12345678901"),
        ("customer_id", "abc-def-ghij"),
        ("login_customer_id", "42"),
        ("client_id", ""),
        ("client_id", "GOCSPX-pasted-the-secret-here"),
        ("client_secret", ""),
        ("client_secret", "sec ret with spaces"),
        ("refresh_token", ""),
        ("refresh_token", "1//short"[:5]),
        ("developer_token", "dev token!"),
    ],
)
def test_parse_credentials_names_the_bad_field_without_echoing_it(connector, offline, field, value):
    gads = offline
    form = gads.connect_form()
    form[field] = value
    with pytest.raises(InvalidRequest) as info:
        connector.parse_credentials(form)
    assert [e["field"] for e in info.value.errors] == [field]
    shown = str(info.value) + repr(info.value.errors)
    for secret in (gads.oauth.client_secret, gads.oauth.refresh_token, gads.developer_token):
        assert secret not in shown
    if len(value) > 3:
        assert value not in shown


# --------------------------------------------------------------------------- reads


def test_connection_reads_the_customer_with_the_oauth_token(connector, gads, account, ctx):
    info = connector.test_connection(*account)
    assert (info.ref, info.name, info.currency, info.timezone) == (
        "1234567890",
        "Acme Outdoor (Google Ads)",
        "USD",
        "America/New_York",
    )
    (call,) = api_calls(gads)
    assert call["path"] == "/google.ads.googleads.v26.services.GoogleAdsService/Search"
    assert call["customer_id"] == "1234567890"
    assert "FROM customer" in call["query"]
    assert call["metadata"]["authorization"].startswith("Bearer ya29.")
    assert call["metadata"]["developer-token"] == gads.developer_token
    assert "login-customer-id" not in call["metadata"]
    assert [t["grant_type"] for t in gads.token_requests] == ["refresh_token"]
    # The access token is good for an hour: the next call skips the token endpoint.
    connector.test_connection(*account)
    assert len(gads.token_requests) == 1
    assert len(api_calls(gads)) == 2


def test_connection_through_a_manager_sends_login_customer_id(connector, pki, make_app):
    sb = GoogleAdsSandbox(manager_id="9998887776").start(pki)
    try:
        app = make_app(**sb.config())
        form = sb.connect_form()
        assert form["login_customer_id"] == "999-888-7776"
        with app.app_context():
            assert (
                connector.test_connection(*connector.parse_credentials(form)).ref == sb.account_ref
            )
            assert sb.requests[-1]["metadata"]["login-customer-id"] == "9998887776"
            form["login_customer_id"] = ""
            with pytest.raises(Unauthorized, match="USER_PERMISSION_DENIED"):
                connector.test_connection(*connector.parse_credentials(form))
    finally:
        sb.stop()


def test_connection_refuses_a_manager_account(connector, gads, account, ctx):
    gads.account.manager = True
    with pytest.raises(InvalidRequest) as info:
        connector.test_connection(*account)
    assert info.value.errors[0]["field"] == "customer_id"


def test_connection_to_an_unknown_customer_is_unauthorized(connector, gads, account, ctx):
    with pytest.raises(Unauthorized, match="CUSTOMER_NOT_FOUND"):
        connector.test_connection("5555555555", account[1])


def test_list_objects_campaigns_ad_groups_ads(connector, gads, account, ctx, shop):
    objects = {o.ref: o for o in flatten(connector.list_objects(*account))}
    assert shop["gone"] not in objects  # removed objects are not listed
    assert len(objects) == 9
    c1, c2 = objects[shop["c1"]], objects[shop["c2"]]
    assert (c1.level, c1.name, c1.status, c1.raw_status) == (CAMPAIGN, "Tents", "active", "ENABLED")
    assert (c2.status, c2.raw_status) == ("paused", "PAUSED")
    assert (c1.daily_budget, c2.daily_budget) == (5000, 1250)  # $50.00 = 50,000,000 micros
    assert c1.budget_ref == gads.budget_ref(shop["c1"])
    assert c1.budget_ref.startswith("customers/1234567890/campaignBudgets/")
    assert c1.destination_urls == ("https://shop.example/tent-2p", "https://shop.example/tent-4p")
    assert c2.destination_urls == ("https://shop.example/stove",)
    g1, g2 = objects[shop["g1"]], objects[shop["g2"]]
    assert (g1.level, g1.parent_ref, g1.status, g1.daily_budget) == (
        AD_SET,
        shop["c1"],
        "active",
        None,
    )
    assert g2.status == "paused"
    assert g1.destination_urls == ("https://shop.example/tent-2p", "https://shop.example/tent-4p")
    assert g2.destination_urls == ("https://shop.example/tent-2p",)
    ad = objects[shop["a2"]]
    assert shop["a2"] == f"{shop['g1']}~{shop['a2'].split('~')[1]}"
    assert (ad.level, ad.parent_ref, ad.name, ad.status) == (AD, shop["g1"], "Tent 4p", "active")
    assert ad.destination_urls == ("https://shop.example/tent-4p",)
    assert [o.level for o in flatten(connector.list_objects(*account))][:2] == [CAMPAIGN] * 2
    queries = [r["query"] for r in api_calls(gads, "Search")]
    assert all("REMOVED" in q for q in queries)


def test_list_objects_follows_pages(connector, gads, account, ctx, shop):
    gads.page_size = 2
    pages = list(connector.list_objects(*account))
    assert len({o.ref for o in flatten(pages)}) == 9
    assert all(len(page) <= 2 for page in pages[:-1])
    searches = api_calls(gads, "Search")
    assert len(searches) == 2 + 1 + 2  # ads (4 rows), campaigns (2), ad groups (3)


def test_budgets_follow_the_currency_exponent(connector, pki, make_app):
    sb = GoogleAdsSandbox(currency="JPY").start(pki)
    try:
        ref = sb.create_object("campaign", "Tents", daily_budget=3000)  # ¥3,000
        assert sb.account.budgets[min(sb.account.budgets)].amount_micros == 3_000_000_000
        with make_app(**sb.config()).app_context():
            account = connector.parse_credentials(sb.connect_form())
            (campaign,) = flatten(connector.list_objects(*account))
            assert campaign.daily_budget == 3000
            assert connector.set_daily_budget(*account, campaign, 2500).ok
        assert sb.daily_budget(ref) == 2500
    finally:
        sb.stop()


def test_read_objects_current_state_removed_and_unknown(connector, gads, account, ctx, shop):
    gads.merchant_set_active(shop["c1"], False)
    gads.delete_object(shop["g3"])
    gads.purge_object(shop["a4"])
    found = connector.read_objects(
        *account,
        [
            (CAMPAIGN, shop["c1"]),
            (CAMPAIGN, shop["gone"]),
            (CAMPAIGN, "4242424242"),
            (CAMPAIGN, "1 OR 1=1"),
            (AD_SET, shop["g1"]),
            (AD_SET, shop["g3"]),
            (AD, shop["a1"]),
            (AD, shop["a4"]),
        ],
    )
    assert found[shop["c1"]].status == "paused"
    assert found[shop["c1"]].daily_budget == 5000
    assert found[shop["c1"]].destination_urls == (
        "https://shop.example/tent-2p",
        "https://shop.example/tent-4p",
    )
    assert found[shop["gone"]].status == "removed"  # Google keeps removed objects readable
    assert found["4242424242"] is None
    assert found["1 OR 1=1"] is None
    assert found[shop["g1"]].parent_ref == shop["c1"]
    assert found[shop["g3"]].raw_status == "REMOVED"
    assert found[shop["a1"]].destination_urls == ("https://shop.example/tent-2p",)
    assert found[shop["a4"]] is None
    assert not any("1=1" in r["query"] for r in api_calls(gads))


# --------------------------------------------------------------------------- writes


def test_pause_and_resume_campaigns(connector, gads, account, ctx, shop):
    results = connector.set_status(*account, CAMPAIGN, [shop["c1"], shop["c2"]], False)
    assert [(r.ref, r.ok) for r in results] == [(shop["c1"], True), (shop["c2"], True)]
    assert not gads.is_active(shop["c1"])
    assert gads.raw_status(shop["c1"]) == "PAUSED"
    (call,) = api_calls(gads, "MutateCampaigns")
    assert call["partial_failure"] is True
    assert [op["update_mask"] for op in call["operations"]] == [["resource_name", "status"]] * 2
    assert [(w["ref"], w["field"], w["value"]) for w in gads.writes] == [
        (shop["c1"], "status", "PAUSED"),
        (shop["c2"], "status", "PAUSED"),
    ]
    (result,) = connector.set_status(*account, CAMPAIGN, [shop["c1"]], True)
    assert result.ok and gads.is_active(shop["c1"])
    assert gads.writes[-1]["value"] == "ENABLED"


def test_pause_ad_groups(connector, gads, account, ctx, shop):
    (result,) = connector.set_status(*account, AD_SET, [shop["g1"]], False)
    assert result.ok
    assert gads.raw_status(shop["g1"]) == "PAUSED"
    assert gads.is_active(shop["c1"])  # only the ad group changed
    assert api_calls(gads)[-1]["path"].endswith("AdGroupService/MutateAdGroups")


def test_unknown_removed_and_malformed_ids_are_gone(connector, gads, account, ctx, shop):
    refs = [shop["c1"], "4242424242", shop["gone"], "not-an-id", shop["c1"]]
    results = connector.set_status(*account, CAMPAIGN, refs, False)
    assert [r.ref for r in results] == refs
    ok, unknown, removed, malformed, again = results
    assert ok.ok and again.ok and not ok.gone
    assert (unknown.ok, unknown.gone) == (False, True)
    assert "RESOURCE_NOT_FOUND" in unknown.error
    assert (removed.ok, removed.gone) == (False, True)
    assert "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE" in removed.error
    assert (malformed.ok, malformed.gone) == (False, True)
    assert gads.raw_status(shop["c1"]) == "PAUSED"  # the good one still went through
    (call,) = api_calls(gads, "MutateCampaigns")
    assert len(call["operations"]) == 3  # deduplicated, the malformed one never sent


def test_status_of_ads_is_not_changed(connector, gads, account, ctx, shop):
    with pytest.raises(InvalidRequest):
        connector.set_status(*account, AD, [shop["a1"]], False)
    assert not api_calls(gads)


def test_set_daily_budget(connector, gads, account, ctx, shop):
    (campaign,) = [o for o in flatten(connector.list_objects(*account)) if o.ref == shop["c1"]]
    result = connector.set_daily_budget(*account, campaign, 2599)
    assert (result.ref, result.ok) == (shop["c1"], True)
    assert gads.daily_budget(shop["c1"]) == 2599
    budget = gads.account.budgets[min(gads.account.budgets)]
    assert budget.amount_micros == 25_990_000
    assert gads.writes == [
        {
            "ref": shop["c1"],
            "field": "daily_budget",
            "value": 2599,
            "budget_ref": campaign.budget_ref,
            "at": gads.writes[0]["at"],
        }
    ]
    (call,) = api_calls(gads, "MutateCampaignBudgets")
    assert call["operations"] == [
        {"resource_name": campaign.budget_ref, "update_mask": ["resource_name", "amount_micros"]}
    ]


def test_budget_refusals(connector, gads, account, ctx, shop):
    info = {o.ref: o for o in flatten(connector.list_objects(*account))}
    gads.share_budget(shop["c1"], shop["c2"])
    shared = connector.set_daily_budget(*account, info[shop["c1"]], 100)
    assert not shared.ok and not shared.gone and "shared by 2" in shared.error
    assert gads.daily_budget(shop["c1"]) == 5000
    group = connector.set_daily_budget(*account, info[shop["g1"]], 100)
    assert not group.ok and not group.gone
    missing = AdObjectInfo(level=CAMPAIGN, ref="4242424242", name="?", status="active")
    assert connector.set_daily_budget(*account, missing, 100).gone
    removed = AdObjectInfo(level=CAMPAIGN, ref=shop["gone"], name="Old", status="removed")
    assert connector.set_daily_budget(*account, removed, 100).gone
    assert not api_calls(gads, "MutateCampaignBudgets")
