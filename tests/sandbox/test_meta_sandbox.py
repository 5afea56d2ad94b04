"""The Meta sandbox answers raw HTTP as Graph API v26.0 does: auth on every call (token +
appsecret_proof), the error envelope and Meta's real error codes, edges with cursor paging,
field expansion, writes, the ad set budget limit and injected faults."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests

from sandbox.common import Dispatcher, ServerThread
from sandbox.meta import MetaSandbox


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(scope="module")
def server():
    dispatcher = Dispatcher()  # one server per module: stopping one per test costs ~0.5 s
    thread = ServerThread(dispatcher).start()
    yield dispatcher, thread.url
    thread.stop()


@pytest.fixture
def sb(server, clock):
    dispatcher, url = server
    sandbox = MetaSandbox(clock=clock)
    sandbox.base_url = url
    dispatcher.target = sandbox.wsgi_app
    yield sandbox
    sandbox.reset_faults()
    dispatcher.target = None


def proof(sb, token=None):
    token = token or sb.access_token
    return hmac.new(sb.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def graph(sb, method, path, *, auth=True, **params):
    """A raw call; ``auth`` signs it the way the docs show (access_token + appsecret_proof)."""
    if auth:
        params.setdefault("access_token", sb.access_token)
        params.setdefault("appsecret_proof", proof(sb))
    url = f"{sb.base_url}/v26.0/{path.lstrip('/')}"
    if method == "GET":
        return requests.get(url, params=params, timeout=5)
    return requests.request(method, url, data=params, timeout=5)


def error_of(resp):
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["fbtrace_id"]
    return body["error"]


@pytest.fixture
def tree(sb):
    c = sb.create_object("campaign", "Boots", daily_budget=5000)
    s = sb.create_object("ad_set", "Boots FR", parent=c, daily_budget=2000)
    a = sb.create_object("ad", "Red boots", parent=s, url="https://shop.example/p/red")
    return c, s, a


# --------------------------------------------------------------------------- auth


def test_the_account_reads_with_token_and_proof(sb):
    resp = graph(sb, "GET", sb.account_ref, fields="name,currency,timezone_name")
    assert resp.status_code == 200
    assert resp.json() == {
        "name": "Sandbox Store Ads",
        "currency": "EUR",
        "timezone_name": "Europe/Paris",
        "id": sb.account_ref,
    }
    usage = json.loads(resp.headers["x-business-use-case-usage"])
    assert usage[sb.store.account_id][0]["type"] == "ads_management"


def test_a_bearer_header_carries_the_token_too(sb):
    resp = requests.get(
        f"{sb.base_url}/v26.0/{sb.account_ref}",
        params={"fields": "name", "appsecret_proof": proof(sb)},
        headers={"Authorization": f"Bearer {sb.access_token}"},
        timeout=5,
    )
    assert resp.status_code == 200 and resp.json()["name"] == "Sandbox Store Ads"


def test_no_token(sb):
    err = error_of(graph(sb, "GET", sb.account_ref, auth=False))
    assert (err["code"], err["type"]) == (104, "OAuthException")
    assert err["message"] == "An access token is required to request this resource."


def test_an_unknown_token(sb):
    resp = graph(sb, "GET", sb.account_ref, access_token="EAAnotarealtoken1234567")
    err = error_of(resp)
    assert (resp.status_code, err["code"]) == (400, 190)
    assert "invalid_token" in resp.headers["WWW-Authenticate"]


def test_a_missing_or_wrong_appsecret_proof(sb):
    missing = graph(sb, "GET", sb.account_ref, auth=False, access_token=sb.access_token)
    err = error_of(missing)
    assert (err["code"], err["type"]) == (100, "GraphMethodException")
    assert "require an appsecret_proof" in err["message"]
    wrong = graph(sb, "GET", sb.account_ref, appsecret_proof="0" * 64)
    err = error_of(wrong)
    assert (wrong.status_code, err["code"], err["type"]) == (400, 100, "GraphMethodException")
    assert err["message"] == "Invalid appsecret_proof provided in the API argument"


def test_an_expired_token_answers_190_463_until_restored(sb):
    sb.expire_credentials()
    err = error_of(graph(sb, "GET", sb.account_ref))
    assert (err["code"], err["error_subcode"], err["type"]) == (190, 463, "OAuthException")
    assert err["message"].startswith("Error validating access token: Session has expired on ")
    sb.restore_credentials()
    assert graph(sb, "GET", sb.account_ref).status_code == 200


def test_calls_are_logged_without_secrets(sb):
    graph(sb, "GET", sb.account_ref, fields="name")
    [entry] = sb.requests
    assert entry["params"] == {"fields": "name"} and entry["auth"] == "ok"
    assert entry["appsecret_proof"] and entry["version"] == "v26.0"


# --------------------------------------------------------------------------- reads


def test_unknown_ids_answer_100_33(sb):
    get = error_of(graph(sb, "GET", "120000000000000042", fields="id"))
    assert (get["code"], get["error_subcode"], get["type"]) == (100, 33, "GraphMethodException")
    assert get["message"].startswith(
        "Unsupported get request. Object with ID '120000000000000042' does not exist"
    )
    post = error_of(graph(sb, "POST", "120000000000000042", status="PAUSED"))
    assert post["message"].startswith("Unsupported post request.")


def test_nodes_expand_fields_and_send_budgets_as_strings(sb, tree):
    c, s, a = tree
    ad = graph(sb, "GET", a, fields="name,status,adset_id,creative{object_story_spec}").json()
    assert ad == {
        "name": "Red boots",
        "status": "ACTIVE",
        "adset_id": s,
        "creative": {
            "object_story_spec": {
                "page_id": "104000000000001",
                "link_data": {"link": "https://shop.example/p/red", "message": "Red boots"},
            },
            "id": ad["creative"]["id"],
        },
        "id": a,
    }
    adset = graph(sb, "GET", s, fields="campaign_id,daily_budget,effective_status").json()
    assert adset == {
        "campaign_id": c,
        "daily_budget": "2000",
        "effective_status": "ACTIVE",
        "id": s,
    }
    assert graph(sb, "GET", c).json() == {"id": c}


def test_a_field_the_node_lacks_is_an_error(sb, tree):
    err = error_of(graph(sb, "GET", tree[0], fields="id,adset_id"))
    assert err["code"] == 100
    assert err["message"] == (
        "(#100) Tried accessing nonexisting field (adset_id) on node type (AdCampaignGroup)"
    )


def test_edges_page_with_cursors_and_next(sb):
    made = [sb.create_object("campaign", f"C{i}") for i in range(5)]
    first = graph(sb, "GET", f"{sb.account_ref}/campaigns", fields="name", limit=2).json()
    assert [r["id"] for r in first["data"]] == made[::-1][:2]  # newest first
    assert set(first["paging"]["cursors"]) == {"before", "after"}
    seen = [r["id"] for r in first["data"]]
    nxt = first["paging"]["next"]
    while nxt:
        page = requests.get(nxt, timeout=5).json()  # next keeps the query, token included
        seen += [r["id"] for r in page["data"]]
        nxt = page["paging"].get("next")
    assert sorted(seen) == sorted(made)
    again = graph(
        sb, "GET", f"{sb.account_ref}/campaigns", limit=2, after=first["paging"]["cursors"]["after"]
    ).json()
    assert [r["id"] for r in again["data"]] == made[::-1][2:4]


def test_edges_leave_out_deleted_and_archived_unless_filtered(sb, tree):
    c, s, a = tree
    other = sb.create_object("ad", "Blue boots", parent=s)
    sb.delete_object(a)
    sb.archive_object(other)
    listed = graph(sb, "GET", f"{sb.account_ref}/ads").json()["data"]
    assert listed == []
    archived = graph(
        sb, "GET", f"{sb.account_ref}/ads", effective_status=json.dumps(["ARCHIVED"])
    ).json()["data"]
    assert archived == [{"id": other}]
    # A deleted object is still there by its own id.
    assert graph(sb, "GET", a, fields="status").json() == {"status": "DELETED", "id": a}
    assert graph(sb, "GET", f"{c}/adsets").json()["data"] == [{"id": s}]


def test_unknown_edges_and_paths(sb):
    err = error_of(graph(sb, "GET", f"{sb.account_ref}/pixels"))
    assert (err["code"], err["message"]) == (2500, "Unknown path components: /pixels")


def test_multi_id_reads_and_their_all_or_nothing_failure(sb, tree):
    c, s, _ = tree
    both = graph(sb, "GET", "", ids=f"{c},{s}", fields="name").json()
    assert both == {c: {"name": "Boots", "id": c}, s: {"name": "Boots FR", "id": s}}
    err = error_of(graph(sb, "GET", "", ids=f"{c},120000000000000042", fields="name"))
    assert err["code"] == 803


# --------------------------------------------------------------------------- writes


def test_status_writes_answer_success_and_are_recorded(sb, tree):
    c, _, a = tree
    resp = graph(sb, "POST", a, status="PAUSED")
    assert (resp.status_code, resp.json()) == (200, {"success": True})
    assert sb.raw_status(a) == "PAUSED" and not sb.is_active(a)
    graph(sb, "POST", c, status="PAUSED")
    sb.merchant_set_active(a, True)  # by hand in Ads Manager: not an API write
    assert graph(sb, "GET", a, fields="effective_status").json()["effective_status"] == (
        "CAMPAIGN_PAUSED"
    )
    assert [(w["ref"], w["field"], w["value"]) for w in sb.writes] == [
        (a, "status", "PAUSED"),
        (c, "status", "PAUSED"),
    ]


def test_bad_status_and_edits_of_deleted_objects_are_refused(sb, tree):
    _, s, a = tree
    err = error_of(graph(sb, "POST", a, status="OFF"))
    assert err["code"] == 100 and "ACTIVE, PAUSED, DELETED, ARCHIVED" in err["message"]
    assert graph(sb, "DELETE", a).json() == {"success": True}
    assert error_of(graph(sb, "POST", a, status="ACTIVE"))["code"] == 100
    assert sb.raw_status(a) == "DELETED"
    assert error_of(graph(sb, "POST", a, daily_budget="100"))["code"] == 100


def test_the_fifth_budget_change_within_an_hour_answers_613_1487632(sb, tree, clock):
    _, s, _ = tree
    for amount in (1900, 1800, 1700):
        assert graph(sb, "POST", s, daily_budget=str(amount)).json() == {"success": True}
    sb.merchant_set_daily_budget(s, 1650)  # a change in Ads Manager counts too
    clock.now += 1800
    err = error_of(graph(sb, "POST", s, daily_budget="1600"))
    assert (err["code"], err["error_subcode"]) == (613, 1487632)
    assert err["message"] == (
        "You can only change your ad set budget 4 times per hour. Please wait to make more changes."
    )
    assert sb.daily_budget(s) == 1650
    assert graph(sb, "POST", s, status="PAUSED").json() == {"success": True}  # status is free
    clock.now += 1801  # the first change is now over an hour old
    assert graph(sb, "POST", s, daily_budget="1600").json() == {"success": True}
    assert sb.daily_budget(s) == 1600


def test_budgets_only_where_the_object_has_one(sb, tree):
    c, _, a = tree
    s2 = sb.create_object("ad_set", "Under campaign budget", parent=c)
    assert error_of(graph(sb, "POST", a, daily_budget="500"))["code"] == 100
    assert error_of(graph(sb, "POST", s2, daily_budget="500"))["code"] == 100
    assert error_of(graph(sb, "POST", c, daily_budget="-5"))["code"] == 100
    assert graph(sb, "POST", c, daily_budget="4500").json() == {"success": True}


# --------------------------------------------------------------------------- faults


def test_server_errors_are_500_code_2_transient(sb):
    sb.inject_faults("server_error", 2)
    for _ in range(2):
        resp = graph(sb, "GET", sb.account_ref)
        err = error_of(resp)
        assert (resp.status_code, err["code"], err["is_transient"]) == (500, 2, True)
    assert graph(sb, "GET", sb.account_ref).status_code == 200


@pytest.mark.parametrize(
    ("kind", "code", "subcode"),
    [
        ("throttle", 80004, 2446079),
        ("throttle_user", 17, 2446079),
        ("throttle_account", 613, 1487742),
    ],
)
def test_throttles_carry_meta_codes_and_the_usage_header(sb, kind, code, subcode):
    sb.throttle_regain_minutes = 3
    sb.inject_faults(kind, 1)
    resp = graph(sb, "GET", sb.account_ref)
    err = error_of(resp)
    assert (resp.status_code, err["code"], err["error_subcode"]) == (400, code, subcode)
    usage = json.loads(resp.headers["x-business-use-case-usage"])
    assert usage[sb.store.account_id][0]["estimated_time_to_regain_access"] == 3
    assert graph(sb, "GET", sb.account_ref).status_code == 200


def test_a_timeout_fault_holds_the_request(sb):
    sb.hang_seconds = 3
    sb.inject_faults("timeout", 1)
    with pytest.raises(requests.Timeout):
        requests.get(f"{sb.base_url}/v26.0/{sb.account_ref}", timeout=0.3)
    sb.release.set()


def test_unversioned_paths_fail_loudly(sb):
    resp = requests.get(f"{sb.base_url}/{sb.account_ref}", timeout=5)
    assert error_of(resp)["code"] == 2500
