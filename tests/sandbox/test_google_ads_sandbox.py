"""The Google Ads sandbox speaks the API's wire format: raw gRPC over TLS, not the connector.

Requests are built from the google-ads library's own message classes and sent through plain
``grpc`` stubs; errors are read from the trailing metadata the way the API sends them.
"""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
import requests
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.interceptors import ExceptionInterceptor
from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure
from google.ads.googleads.v26.services.services.google_ads_service import GoogleAdsServiceClient
from google.ads.googleads.v26.services.types import campaign_budget_service as budgets
from google.ads.googleads.v26.services.types import campaign_service as campaigns
from google.ads.googleads.v26.services.types import customer_service
from google.ads.googleads.v26.services.types import google_ads_service as gas

from sandbox.google_ads import GoogleAdsSandbox

SERVICES = "/google.ads.googleads.v26.services."
FAILURE_KEY = "google.ads.googleads.v26.errors.googleadsfailure-bin"
CID = "1234567890"
WHO = "SELECT customer.id FROM customer"


@pytest.fixture
def sb(pki):
    sandbox = GoogleAdsSandbox()
    sandbox.start(pki)
    yield sandbox
    sandbox.stop()
    assert not sandbox.internal_errors, sandbox.internal_errors[0]


@pytest.fixture
def channel(sb, pki):
    ch = grpc.secure_channel(sb.endpoint, grpc.ssl_channel_credentials(pki.ca_cert.read_bytes()))
    yield ch
    ch.close()


def refresh_form(sb, **changes) -> dict:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": sb.oauth.refresh_token,
        "client_id": sb.oauth.client_id,
        "client_secret": sb.oauth.client_secret,
    }
    return {**form, **changes}


def post_token(sb, **changes) -> requests.Response:
    return requests.post(
        sb.config()["GOOGLE_OAUTH_TOKEN_URI"], data=refresh_form(sb, **changes), timeout=5
    )


def token(sb) -> str:
    resp = post_token(sb)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


@pytest.fixture
def auth(sb):
    return (("authorization", f"Bearer {token(sb)}"),)


def stub(channel, path: str, request_cls, response_cls, stream: bool = False):
    factory = channel.unary_stream if stream else channel.unary_unary
    return factory(
        SERVICES + path,
        request_serializer=request_cls.serialize,
        response_deserializer=response_cls.deserialize,
    )


def search(channel, query: str, metadata, customer_id: str = CID, **fields):
    call = stub(channel, "GoogleAdsService/Search", gas.SearchGoogleAdsRequest,
                gas.SearchGoogleAdsResponse)  # fmt: skip
    request = gas.SearchGoogleAdsRequest(customer_id=customer_id, query=query, **fields)
    return call(request, metadata=metadata, timeout=5)


def mutate_campaigns(channel, metadata, operations, **fields):
    call = stub(channel, "CampaignService/MutateCampaigns", campaigns.MutateCampaignsRequest,
                campaigns.MutateCampaignsResponse)  # fmt: skip
    request = campaigns.MutateCampaignsRequest(customer_id=CID, operations=operations, **fields)
    return call(request, metadata=metadata, timeout=5)


def status_op(campaign_id, status="PAUSED", mask=("resource_name", "status")):
    return campaigns.CampaignOperation(
        update={"resource_name": f"customers/{CID}/campaigns/{campaign_id}", "status": status},
        update_mask={"paths": list(mask)},
    )


def failure_of(error: grpc.RpcError) -> tuple[GoogleAdsFailure, dict]:
    metadata = dict(error.trailing_metadata())
    return GoogleAdsFailure.deserialize(metadata[FAILURE_KEY]), metadata


def codes(failure: GoogleAdsFailure) -> list[tuple[str, str]]:
    """(``"mutate_error"``, ``"RESOURCE_NOT_FOUND"``) for each error of the failure."""
    out = []
    for raw, error in zip(GoogleAdsFailure.pb(failure).errors, failure.errors, strict=True):
        kind = raw.error_code.WhichOneof("error_code")
        out.append((kind, getattr(error.error_code, kind).name))
    return out


def fails(fn, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        fn(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------------- OAuth


def test_token_endpoint_exchanges_the_refresh_token(sb):
    resp = post_token(sb)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["scope"] == "https://www.googleapis.com/auth/adwords"


def test_token_endpoint_refusals(sb):
    resp = post_token(sb, client_secret="nope")
    assert (resp.status_code, resp.json()["error"]) == (401, "invalid_client")
    resp = post_token(sb, refresh_token="1//other")
    assert resp.status_code == 400
    assert resp.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    sb.expire_credentials()
    assert post_token(sb).json()["error"] == "invalid_grant"
    sb.restore_credentials()
    assert post_token(sb).status_code == 200


# --------------------------------------------------------------------------- transport and auth


def test_tls_only(sb):
    with grpc.insecure_channel(sb.endpoint) as plain:
        error = fails(search, plain, WHO, (("authorization", "x"),))
    assert error.code() == grpc.StatusCode.UNAVAILABLE


def test_calls_without_a_token_are_unauthenticated(sb, channel):
    error = fails(search, channel, WHO, ())
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    failure, metadata = failure_of(error)
    assert codes(failure) == [("authentication_error", "AUTHENTICATION_ERROR")]
    assert metadata["request-id"] == failure.request_id and len(failure.request_id) == 22


def test_an_expired_access_token_is_refused(sb, channel, auth):
    assert search(channel, WHO, auth).results
    sb.expire_credentials()
    error = fails(search, channel, WHO, auth)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert codes(failure_of(error)[0]) == [("authentication_error", "OAUTH_TOKEN_EXPIRED")]
    error = fails(search, channel, WHO, (("authorization", "Bearer x"),))
    assert codes(failure_of(error)[0]) == [("authentication_error", "OAUTH_TOKEN_INVALID")]


def test_customer_ids(sb, channel, auth):
    error = fails(search, channel, WHO, auth, customer_id="5555555555")
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert codes(failure_of(error)[0]) == [("authentication_error", "CUSTOMER_NOT_FOUND")]
    error = fails(search, channel, WHO, auth, customer_id="123-456-7890")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert codes(failure_of(error)[0]) == [("request_error", "INVALID_CUSTOMER_ID")]


def test_manager_access_needs_login_customer_id(pki):
    sb = GoogleAdsSandbox(manager_id="9998887776").start(pki)
    try:
        with grpc.secure_channel(
            sb.endpoint, grpc.ssl_channel_credentials(pki.ca_cert.read_bytes())
        ) as ch:
            auth = (("authorization", f"Bearer {token(sb)}"),)
            error = fails(search, ch, WHO, auth)
            assert error.code() == grpc.StatusCode.PERMISSION_DENIED
            assert codes(failure_of(error)[0]) == [
                ("authorization_error", "USER_PERMISSION_DENIED")
            ]
            login = auth + (("login-customer-id", "9998887776"),)
            assert search(ch, WHO, login).results
            error = fails(
                search,
                ch,
                WHO,
                auth + (("login-customer-id", "99-9"),),
            )
            assert codes(failure_of(error)[0]) == [("header_error", "INVALID_LOGIN_CUSTOMER_ID")]
            listed = stub(ch, "CustomerService/ListAccessibleCustomers",
                          customer_service.ListAccessibleCustomersRequest,
                          customer_service.ListAccessibleCustomersResponse)  # fmt: skip
            names = listed(customer_service.ListAccessibleCustomersRequest(), metadata=auth)
            assert list(names.resource_names) == ["customers/9998887776", "customers/1234567890"]
    finally:
        sb.stop()


def test_the_developer_token_is_ignored_unless_required(sb, channel, auth):
    assert search(channel, WHO, auth).results
    sb.require_developer_token = True  # the API before the 2026-09-09 sunset
    error = fails(search, channel, WHO, auth)
    assert codes(failure_of(error)[0]) == [("request_error", "DEVELOPER_TOKEN_PARAMETER_MISSING")]
    wrong = auth + (("developer-token", "x" * 22),)
    error = fails(search, channel, WHO, wrong)
    assert codes(failure_of(error)[0]) == [("authentication_error", "DEVELOPER_TOKEN_INVALID")]
    right = auth + (("developer-token", sb.developer_token),)
    assert search(channel, WHO, right).results
    assert sb.requests[-1]["metadata"]["developer-token"] == sb.developer_token


# --------------------------------------------------------------------------- GAQL


@pytest.fixture
def shop(sb):
    c1 = sb.create_object("campaign", "Tents", daily_budget=5000)
    c2 = sb.create_object("campaign", "Stoves", active=False)
    g1 = sb.create_object("ad_set", "Tents", parent=c1)
    a1 = sb.create_object("ad", "Tent", parent=g1, url="https://shop.example/tent")
    removed = sb.create_object("campaign", "Old")
    sb.delete_object(removed)
    return c1, c2, g1, a1, removed


def test_search_returns_the_selected_fields_only(sb, channel, auth, shop):
    c1, c2, *_ = shop
    response = search(
        channel,
        "SELECT campaign.id, campaign.status, campaign_budget.amount_micros, "
        "customer.currency_code FROM campaign WHERE campaign.status != 'REMOVED' "
        "ORDER BY campaign.id DESC",
        auth,
    )
    assert list(response.field_mask.paths) == [
        "campaign.id",
        "campaign.status",
        "campaign_budget.amount_micros",
        "customer.currency_code",
    ]
    first = response.results[0]
    assert [str(r.campaign.id) for r in response.results] == [c2, c1]
    assert first.campaign.resource_name == f"customers/{CID}/campaigns/{c2}"
    assert first.campaign.status.name == "PAUSED"
    assert first.campaign.name == ""  # not selected, not sent
    assert response.results[1].campaign_budget.amount_micros == 50_000_000
    assert first.customer.currency_code == "USD"
    assert not response.next_page_token


def test_search_filters_by_ids_and_resource_names(sb, channel, auth, shop):
    c1, _, g1, a1, removed = shop
    rows = search(
        channel, f"SELECT campaign.status FROM campaign WHERE campaign.id IN ({removed}, 7)", auth
    ).results
    assert [r.campaign.status.name for r in rows] == ["REMOVED"]
    name = f"customers/{CID}/adGroupAds/{a1}"
    rows = search(
        channel,
        "SELECT ad_group_ad.ad.final_urls, ad_group_ad.status, ad_group.id, campaign.id "
        f"FROM ad_group_ad WHERE ad_group_ad.resource_name IN ('{name}')",
        auth,
    ).results
    (row,) = rows
    assert list(row.ad_group_ad.ad.final_urls) == ["https://shop.example/tent"]
    assert (str(row.ad_group.id), str(row.campaign.id)) == (g1, c1)
    assert row.ad_group_ad.resource_name == name


def test_search_pages_have_a_fixed_size(sb, channel, auth, shop):
    sb.page_size = 2
    query = "SELECT campaign.id FROM campaign"
    first = search(channel, query, auth)
    assert len(first.results) == 2 and first.next_page_token
    second = search(channel, query, auth, page_token=first.next_page_token)
    assert len(second.results) == 1 and not second.next_page_token
    error = fails(search, channel, query, auth, page_size=2)
    assert codes(failure_of(error)[0]) == [("request_error", "PAGE_SIZE_NOT_SUPPORTED")]
    error = fails(
        search, channel, "SELECT ad_group.id FROM ad_group", auth, page_token=first.next_page_token
    )
    assert codes(failure_of(error)[0]) == [("request_error", "INVALID_PAGE_TOKEN")]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT campaign.budget_amount FROM campaign", "UNRECOGNIZED_FIELD"),
        ("SELECT campaign.id FROM campaigns", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        ("SELECT campaign.id", "EXPECTED_FROM"),
        ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
        ("SELECT campaign.id FROM campaign WHERE campaign.id IN (1,", "UNEXPECTED_END_OF_QUERY"),
    ],
)
def test_bad_queries_are_query_errors(sb, channel, auth, query, code):
    error = fails(search, channel, query, auth)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "Request contains an invalid argument."
    assert codes(failure_of(error)[0]) == [("query_error", code)]


def test_search_stream(sb, channel, auth, shop):
    call = stub(channel, "GoogleAdsService/SearchStream", gas.SearchGoogleAdsStreamRequest,
                gas.SearchGoogleAdsStreamResponse, stream=True)  # fmt: skip
    request = gas.SearchGoogleAdsStreamRequest(
        customer_id=CID, query="SELECT ad_group.id FROM ad_group"
    )
    (batch,) = list(call(request, metadata=auth, timeout=5))
    assert [str(r.ad_group.id) for r in batch.results] == [shop[2]]
    assert batch.request_id and list(batch.field_mask.paths) == ["ad_group.id"]


# --------------------------------------------------------------------------- mutates


def test_update_with_a_field_mask(sb, channel, auth, shop):
    c1 = shop[0]
    response = mutate_campaigns(channel, auth, [status_op(c1)])
    assert [r.resource_name for r in response.results] == [f"customers/{CID}/campaigns/{c1}"]
    assert response.partial_failure_error.code == 0
    assert sb.raw_status(c1) == "PAUSED"
    assert [(w["ref"], w["field"], w["value"]) for w in sb.writes] == [(c1, "status", "PAUSED")]
    call = sb.requests[-1]
    assert call["path"] == SERVICES + "CampaignService/MutateCampaigns"
    assert call["operations"][0]["update_mask"] == ["resource_name", "status"]
    response = mutate_campaigns(
        channel, auth, [status_op(c1, "ENABLED")], response_content_type="MUTABLE_RESOURCE"
    )
    assert response.results[0].campaign.status.name == "ENABLED"


def test_updates_are_atomic_without_partial_failure(sb, channel, auth, shop):
    c1 = shop[0]
    error = fails(mutate_campaigns, channel, auth, [status_op(c1), status_op(4242)])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    failure, _ = failure_of(error)
    assert codes(failure) == [("mutate_error", "RESOURCE_NOT_FOUND")]
    assert failure.errors[0].message == "Resource was not found."
    path = [
        (p.field_name, p.index if "index" in p else None)
        for p in failure.errors[0].location.field_path_elements
    ]
    assert path == [("operations", 1), ("update", None), ("resource_name", None)]
    assert sb.is_active(c1) and not sb.writes


def test_partial_failure_applies_the_good_operations(sb, channel, auth, shop):
    c1, c2, _, _, removed = shop
    ops = [status_op(4242), status_op(c2, "ENABLED"), status_op(removed), status_op(c1, mask=())]
    response = mutate_campaigns(channel, auth, ops, partial_failure=True)
    assert [bool(r.resource_name) for r in response.results] == [False, True, False, False]
    assert sb.is_active(c2)
    status = response.partial_failure_error
    assert status.code == 3
    assert status.message.startswith(
        "Multiple errors in 'details'. First error: Resource was not found."
    )
    (detail,) = status.details
    assert detail.type_url == "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure"
    failure = GoogleAdsFailure.deserialize(detail.value)
    indexes = [e.location.field_path_elements[0].index for e in failure.errors]
    found = dict(zip(indexes, codes(failure), strict=True))
    assert found == {
        0: ("mutate_error", "RESOURCE_NOT_FOUND"),
        2: ("operation_access_denied_error", "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE"),
        3: ("field_mask_error", "FIELD_MASK_MISSING"),
    }


def test_budget_amounts_must_be_whole_cents(sb, channel, auth, shop):
    call = stub(channel, "CampaignBudgetService/MutateCampaignBudgets",
                budgets.MutateCampaignBudgetsRequest, budgets.MutateCampaignBudgetsResponse)  # fmt: skip
    budget = sb.budget_ref(shop[0])

    def op(micros):
        return budgets.CampaignBudgetOperation(
            update={"resource_name": budget, "amount_micros": micros},
            update_mask={"paths": ["resource_name", "amount_micros"]},
        )

    request = budgets.MutateCampaignBudgetsRequest(customer_id=CID, operations=[op(12_345_678)])
    error = fails(call, request, metadata=auth, timeout=5)
    assert codes(failure_of(error)[0]) == [
        ("campaign_budget_error", "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT")
    ]
    request = budgets.MutateCampaignBudgetsRequest(customer_id=CID, operations=[op(12_340_000)])
    assert call(request, metadata=auth, timeout=5).results[0].resource_name == budget
    assert sb.daily_budget(shop[0]) == 1234
    assert sb.writes[-1] == {
        "ref": shop[0],
        "field": "daily_budget",
        "value": 1234,
        "budget_ref": budget,
        "at": sb.writes[-1]["at"],
    }


# --------------------------------------------------------------------------- faults


def test_throttle_fault_is_a_quota_error_with_a_retry_delay(sb, channel, auth):
    sb.throttle_retry_delay = 2
    sb.inject_faults("throttle", 1)
    error = fails(search, channel, WHO, auth)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.details() == "Resource has been exhausted (e.g. check quota)."
    failure, _ = failure_of(error)
    assert codes(failure) == [("quota_error", "RESOURCE_TEMPORARILY_EXHAUSTED")]
    details = failure.errors[0].details.quota_error_details
    assert details.retry_delay == dt.timedelta(seconds=2)
    assert details.rate_scope.name == "ACCOUNT"
    assert search(channel, WHO, auth).results  # one call only


def test_server_error_fault(sb, channel, auth):
    sb.inject_faults("server_error", 1)
    error = fails(search, channel, WHO, auth)
    assert error.code() == grpc.StatusCode.INTERNAL
    assert codes(failure_of(error)[0]) == [("internal_error", "INTERNAL_ERROR")]


def test_timeout_fault_outlasts_the_client_deadline(sb, channel, auth):
    sb.inject_faults("timeout", 1)
    call = stub(channel, "GoogleAdsService/Search", gas.SearchGoogleAdsRequest,
                gas.SearchGoogleAdsResponse)  # fmt: skip
    request = gas.SearchGoogleAdsRequest(customer_id=CID, query=WHO)
    error = fails(call, request, metadata=auth, timeout=0.3)
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_the_library_reads_the_failures_as_google_ads_exceptions(sb, pki, auth):
    """google-ads' own ExceptionInterceptor finds the GoogleAdsFailure in our trailers."""
    raw = grpc.secure_channel(sb.endpoint, grpc.ssl_channel_credentials(pki.ca_cert.read_bytes()))
    channel = grpc.intercept_channel(raw, ExceptionInterceptor("v26", use_proto_plus=True))
    transport = GoogleAdsServiceClient.get_transport_class("grpc")(channel=channel)
    service = GoogleAdsServiceClient(transport=transport)
    with pytest.raises(GoogleAdsException) as info:
        service.search(customer_id=CID, query="SELECT campaign.nope FROM campaign", metadata=auth)
    assert info.value.error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.failure.errors[0].error_code.query_error.name == "UNRECOGNIZED_FIELD"
    assert info.value.request_id == info.value.failure.request_id
    raw.close()


def test_answers_carry_a_request_id_header(sb, channel, auth):
    call = stub(channel, "GoogleAdsService/Search", gas.SearchGoogleAdsRequest,
                gas.SearchGoogleAdsResponse)  # fmt: skip
    request = gas.SearchGoogleAdsRequest(customer_id=CID, query=WHO)
    _, rpc = call.with_call(request, metadata=auth, timeout=5)
    headers, trailers = dict(rpc.initial_metadata()), dict(rpc.trailing_metadata())
    assert len(headers["request-id"]) == 22 and trailers["request-id"] == headers["request-id"]
