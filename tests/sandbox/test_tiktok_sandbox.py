"""The TikTok sandbox answers in the API for Business v1.3 wire format: raw HTTP, no SDK.

Envelope ``{"code", "message", "request_id", "data"}`` on HTTP 200 (failures included), the
``Access-Token`` header and advertiser checked on every call, JSON-encoded list parameters,
``page_info`` paging, 1-20 ids per status update, deleted objects hidden by default.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from sandbox.common import Dispatcher, ServerThread
from sandbox.tiktok import TikTokSandbox

API = "/open_api/v1.3"


@pytest.fixture(scope="module")
def server():
    dispatcher = Dispatcher()
    srv = ServerThread(dispatcher).start()
    yield srv, dispatcher
    srv.stop()


@pytest.fixture
def sb(server):
    srv, dispatcher = server
    sandbox = TikTokSandbox()
    sandbox.base_url = srv.url
    dispatcher.target = sandbox.wsgi_app
    yield sandbox
    dispatcher.target = None
    sandbox.close()


def get(sb, path, token=None, **params):
    params = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
    headers = {"Access-Token": sb.access_token if token is None else token}
    return requests.get(f"{sb.base_url}{API}{path}", params=params, headers=headers, timeout=5)


def post(sb, path, body, token=None):
    headers = {"Access-Token": sb.access_token if token is None else token}
    return requests.post(f"{sb.base_url}{API}{path}", json=body, headers=headers, timeout=5)


def envelope(response, code=0):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "request_id", "data"}
    assert re.fullmatch(r"\d{14}[0-9A-F]{22}", body["request_id"])
    assert response.headers["X-Tt-Logid"] == body["request_id"]
    assert body["code"] == code, body
    return body


@pytest.fixture
def tree(sb):
    campaign = sb.create_object("campaign", "C", daily_budget=5000)
    group = sb.create_object("ad_set", "G", parent=campaign, daily_budget=2050)
    ad = sb.create_object("ad", "A", parent=group, url="https://shop.example/p/1")
    return campaign, group, ad


# --------------------------------------------------------------------------- auth


def test_advertiser_info_lists_the_account(sb):
    body = envelope(get(sb, "/advertiser/info/", advertiser_ids=[sb.account_ref]))
    assert body["message"] == "OK"
    (info,) = body["data"]["list"]
    assert info["advertiser_id"] == sb.account_ref and info["currency"] == "USD"


def test_missing_token_is_40104_and_a_wrong_one_40105(sb):
    envelope(get(sb, "/advertiser/info/", token="", advertiser_ids=[sb.account_ref]), 40104)
    wrong = envelope(get(sb, "/campaign/get/", token="0" * 40, advertiser_id=sb.account_ref), 40105)
    assert wrong["message"] == "Access token is incorrect or has been revoked."
    assert wrong["data"] == {}


def test_expired_then_restored_token(sb):
    sb.expire_credentials()
    envelope(get(sb, "/campaign/get/", advertiser_id=sb.account_ref), 40105)
    sb.restore_credentials()
    envelope(get(sb, "/campaign/get/", advertiser_id=sb.account_ref))


def test_every_call_checks_the_advertiser(sb, tree):
    envelope(get(sb, "/campaign/get/", advertiser_id="7000000000000000001"), 40001)
    envelope(get(sb, "/advertiser/info/", advertiser_ids=["7000000000000000001"]), 40001)
    body = {"advertiser_id": "7000000000000000001", "campaign_ids": [tree[0]],
            "operation_status": "DISABLE"}  # fmt: skip
    envelope(post(sb, "/campaign/status/update/", body), 40001)
    missing = envelope(get(sb, "/ad/get/"), 40002)
    assert missing["message"] == "advertiser_id: Missing data for required field."
    assert sb.is_active(tree[0])


# --------------------------------------------------------------------------- reads


def test_get_lists_objects_with_page_info(sb, tree):
    campaign, group, ad = tree
    body = envelope(get(sb, "/ad/get/", advertiser_id=sb.account_ref))
    (row,) = body["data"]["list"]
    assert (row["ad_id"], row["adgroup_id"], row["campaign_id"]) == (ad, group, campaign)
    assert row["landing_page_url"] == "https://shop.example/p/1"
    assert (row["operation_status"], row["secondary_status"]) == ("ENABLE", "AD_STATUS_DELIVERY_OK")
    assert body["data"]["page_info"] == {"page": 1, "page_size": 10, "total_number": 1,
                                         "total_page": 1}  # fmt: skip
    group_row = envelope(get(sb, "/adgroup/get/", advertiser_id=sb.account_ref))["data"]["list"][0]
    assert (group_row["budget"], group_row["budget_mode"]) == (20.5, "BUDGET_MODE_DAY")


def test_paging_filtering_and_fields(sb, tree):
    campaign, group, _ad = tree
    ads = [sb.create_object("ad", f"A{i}", parent=group) for i in range(4)]
    page = envelope(get(sb, "/ad/get/", advertiser_id=sb.account_ref, page=2, page_size=2))
    assert page["data"]["page_info"] == {"page": 2, "page_size": 2, "total_number": 5,
                                         "total_page": 3}  # fmt: skip
    assert len(page["data"]["list"]) == 2
    chosen = envelope(get(sb, "/ad/get/", advertiser_id=sb.account_ref,
                          filtering={"ad_ids": ads[:2]}, fields=["ad_id", "operation_status"]))  # fmt: skip
    assert sorted(r["ad_id"] for r in chosen["data"]["list"]) == sorted(ads[:2])
    assert all(set(r) == {"ad_id", "operation_status"} for r in chosen["data"]["list"])
    bad = envelope(get(sb, "/ad/get/", advertiser_id=sb.account_ref, fields=["budget"]), 40002)
    assert "fields" in bad["message"]
    too_big = envelope(get(sb, "/ad/get/", advertiser_id=sb.account_ref, page_size=1001), 40002)
    assert too_big["message"].startswith("page_size:")
    by_campaign = get(sb, "/adgroup/get/", advertiser_id=sb.account_ref,
                      filtering={"campaign_ids": [campaign]})  # fmt: skip
    assert [r["adgroup_id"] for r in envelope(by_campaign)["data"]["list"]] == [group]


def test_deleted_objects_are_hidden_unless_asked_for(sb, tree):
    campaign, group, ad = tree
    sb.delete_object(campaign)  # takes its ad group and ad with it
    assert sb.raw_status(ad) == "DELETE"
    assert envelope(get(sb, "/ad/get/", advertiser_id=sb.account_ref))["data"]["list"] == []
    every = get(sb, "/adgroup/get/", advertiser_id=sb.account_ref,
                filtering={"secondary_status": "ADGROUP_STATUS_ALL"})  # fmt: skip
    (row,) = envelope(every)["data"]["list"]
    assert (row["adgroup_id"], row["secondary_status"]) == (group, "ADGROUP_STATUS_DELETE")


# --------------------------------------------------------------------------- writes


def test_status_update_changes_status_and_is_logged(sb, tree):
    campaign, group, ad = tree
    body = {"advertiser_id": sb.account_ref, "campaign_ids": [campaign],
            "operation_status": "DISABLE"}  # fmt: skip
    data = envelope(post(sb, "/campaign/status/update/", body))["data"]
    assert data == {"campaign_ids": [campaign], "status": "DISABLE",
                    "campaign_list": [{"campaign_id": campaign, "status": "DISABLE"}]}  # fmt: skip
    assert not sb.is_active(campaign) and sb.is_active(ad)
    assert sb.secondary_status(group) == "ADGROUP_STATUS_CAMPAIGN_DISABLE"
    assert [(w["ref"], w["field"], w["value"], w["active"]) for w in sb.writes] == [
        (campaign, "status", "DISABLE", False)
    ]
    sb.merchant_set_active(campaign, True)  # by hand in Ads Manager: not an API write
    assert sb.is_active(campaign) and len(sb.writes) == 1


def test_status_update_takes_1_to_20_ids_all_known(sb, tree):
    _c, group, ad = tree
    ads = [sb.create_object("ad", f"A{i}", parent=group) for i in range(21)]
    base = {"advertiser_id": sb.account_ref, "operation_status": "DISABLE"}
    too_many = envelope(post(sb, "/ad/status/update/", {**base, "ad_ids": ads}), 40002)
    assert too_many["message"] == "ad_ids: Length must be between 1 and 20."
    envelope(post(sb, "/ad/status/update/", {**base, "ad_ids": []}), 40002)
    unknown = envelope(post(sb, "/ad/status/update/", {**base, "ad_ids": [ad, "17"]}), 40002)
    assert "17" in unknown["message"]
    assert sb.is_active(ad) and sb.writes == []  # the whole call was refused
    bad_op = {**base, "ad_ids": [ad], "operation_status": "PAUSED"}
    envelope(post(sb, "/ad/status/update/", bad_op), 40002)


def test_budget_updates(sb, tree):
    campaign, group, _ad = tree
    body = {"advertiser_id": sb.account_ref, "campaign_id": campaign, "budget": 75.25}
    row = envelope(post(sb, "/campaign/update/", body))["data"]
    assert (row["campaign_id"], row["budget"]) == (campaign, 75.25)
    body = {"advertiser_id": sb.account_ref, "budget": [{"adgroup_id": group, "budget": 30}]}
    assert envelope(post(sb, "/adgroup/budget/update/", body))["data"] == {}
    assert (sb.daily_budget(campaign), sb.daily_budget(group)) == (7525, 3000)
    assert [(w["field"], w["value"]) for w in sb.writes] == [("daily_budget", 7525),
                                                              ("daily_budget", 3000)]  # fmt: skip
    sb.set_budget(group, None, mode="BUDGET_MODE_INFINITE")
    envelope(post(sb, "/adgroup/budget/update/", body), 40002)
    gone = {"advertiser_id": sb.account_ref, "campaign_id": "17", "budget": 60}
    envelope(post(sb, "/campaign/update/", gone), 40002)


# --------------------------------------------------------------------------- faults and log


def test_faults_use_the_platform_errors(sb):
    sb.inject_faults("throttle", 1)
    sb.inject_faults("system_error", 1)
    sb.inject_faults("server_error", 1)
    throttled = envelope(get(sb, "/campaign/get/", advertiser_id=sb.account_ref), 40100)
    assert throttled["message"] == "Requests made too frequently."
    envelope(get(sb, "/campaign/get/", advertiser_id=sb.account_ref), 50000)
    outage = get(sb, "/campaign/get/", advertiser_id=sb.account_ref)
    assert outage.status_code == 500 and outage.json()["code"] == 50000
    envelope(get(sb, "/campaign/get/", advertiser_id=sb.account_ref))
    assert [r["fault"] for r in sb.requests] == ["throttle", "system_error", "server_error", None]


def test_timeout_fault_holds_the_request(sb):
    sb.hang_seconds = 5
    sb.inject_faults("timeout", 1)
    with pytest.raises(requests.Timeout):
        requests.get(f"{sb.base_url}{API}/campaign/get/", timeout=0.3)
    sb.close()


def test_unknown_routes_fail_loudly_and_everything_is_logged(sb):
    response = requests.get(f"{sb.base_url}{API}/campaign/list/", timeout=5)
    assert response.status_code == 404 and response.json()["code"] == 40400
    get(sb, "/campaign/get/", advertiser_id=sb.account_ref, page=1)
    assert [(r["method"], r["path"]) for r in sb.requests] == [
        ("GET", f"{API}/campaign/list/"),
        ("GET", f"{API}/campaign/get/"),
    ]
    assert sb.requests[1]["query"] == {"advertiser_id": sb.account_ref, "page": "1"}
    assert sb.config() == {"TIKTOK_API_URL": sb.base_url}
    assert sb.connect_form() == {"advertiser_id": sb.account_ref, "access_token": sb.access_token}
