"""The sandbox's gRPC surface: Google Ads API v26 services on a TLS ``grpc.server``.

google-ads ships client stubs only (no ``*_pb2_grpc`` servicers), so each method is registered
with ``grpc.method_handlers_generic_handler`` under the library's own service and method names
(the paths its transports call, e.g. ``/google.ads.googleads.v26.services.CampaignService/
MutateCampaigns``) and (de)serialized with the library's own message classes.

Every call is recorded, may meet an injected fault, and is authenticated as the API does:
``authorization: Bearer <access token>`` (AuthenticationError.OAUTH_TOKEN_* otherwise), the
optional ``login-customer-id`` (HeaderError / AuthorizationError.USER_PERMISSION_DENIED), and
the customer id (AuthenticationError.CUSTOMER_NOT_FOUND). ``developer-token`` is recorded and,
as the API has done since developer tokens were sunset on 9 Sep 2026, ignored unless the
sandbox is told to require it (https://developers.google.com/google-ads/api/docs/api-policy/
developer-token).
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import traceback
from concurrent import futures

import grpc
from google.ads.googleads.v26.services.types import (
    ad_group_service,
    campaign_budget_service,
    campaign_service,
    customer_service,
)
from google.ads.googleads.v26.services.types import google_ads_service as gas
from google.protobuf import field_mask_pb2

from . import gaql, mutate
from .failures import VERSION, ApiError, ads_error, invalid, request_id

_DIGITS10 = re.compile(r"^\d{10}$")
PAGE_SIZE = 10_000  # fixed since v17: "Search Responses will have fixed page size of 10000 rows"


def _unauthenticated(code: str, message: str) -> ApiError:
    return ApiError(
        grpc.StatusCode.UNAUTHENTICATED, ads_error("authentication_error", code, message)
    )


class AdsServer:
    """The RPC handlers of one sandbox; ``start(pki)`` serves them on 127.0.0.1."""

    def __init__(self, sandbox):
        self.sb = sandbox
        self._server: grpc.Server | None = None
        self.port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self, pki) -> int:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        server.add_generic_rpc_handlers(self._handlers())
        creds = grpc.ssl_server_credentials([(pki.key.read_bytes(), pki.cert.read_bytes())])
        self.port = server.add_secure_port("127.0.0.1:0", creds)
        server.start()
        self._server = server
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=0).wait(5)
            self._server = None

    def _handlers(self):
        unary, stream = grpc.unary_unary_rpc_method_handler, grpc.unary_stream_rpc_method_handler
        table = [
            ("GoogleAdsService", "Search", unary, self.search, gas.SearchGoogleAdsRequest,
             gas.SearchGoogleAdsResponse),
            ("GoogleAdsService", "SearchStream", stream, self.search_stream,
             gas.SearchGoogleAdsStreamRequest, gas.SearchGoogleAdsStreamResponse),
            ("CampaignService", "MutateCampaigns", unary, self.mutate_campaigns,
             campaign_service.MutateCampaignsRequest, campaign_service.MutateCampaignsResponse),
            ("AdGroupService", "MutateAdGroups", unary, self.mutate_ad_groups,
             ad_group_service.MutateAdGroupsRequest, ad_group_service.MutateAdGroupsResponse),
            ("CampaignBudgetService", "MutateCampaignBudgets", unary, self.mutate_budgets,
             campaign_budget_service.MutateCampaignBudgetsRequest,
             campaign_budget_service.MutateCampaignBudgetsResponse),
            ("CustomerService", "ListAccessibleCustomers", unary, self.list_accessible,
             customer_service.ListAccessibleCustomersRequest,
             customer_service.ListAccessibleCustomersResponse),
        ]  # fmt: skip
        by_service: dict[str, dict] = {}
        for service, method, factory, fn, req, resp in table:
            by_service.setdefault(service, {})[method] = factory(
                self._wrap(service, method, fn, streaming=factory is stream),
                request_deserializer=req.deserialize,
                response_serializer=resp.serialize,
            )
        return [
            grpc.method_handlers_generic_handler(
                f"google.ads.googleads.{VERSION}.services.{name}", m
            )
            for name, m in by_service.items()
        ]

    # ------------------------------------------------------------------ plumbing

    def _wrap(self, service: str, method: str, fn, streaming: bool):
        path = f"/google.ads.googleads.{VERSION}.services.{service}/{method}"
        # ListAccessibleCustomers is the one call made before knowing a customer id.
        needs_customer = method != "ListAccessibleCustomers"

        def prepare(request, context, req_id: str) -> None:
            # Google answers with the request id in the headers (the library logs it from
            # there) and, on failure, in the trailers beside the GoogleAdsFailure.
            context.send_initial_metadata((("request-id", req_id),))
            metadata = {k: v for k, v in context.invocation_metadata() if not k.endswith("-bin")}
            self.sb.record_request(service, method, path, request, metadata)
            self.sb.take_fault(context)
            self.authenticate(metadata, request, needs_customer)

        def fail(context, req_id, exc: Exception):
            if isinstance(exc, ApiError):
                exc.abort(context, req_id)
            self.sb.internal_errors.append(traceback.format_exc())
            ApiError(
                grpc.StatusCode.INTERNAL,
                ads_error("internal_error", "INTERNAL_ERROR", "An internal error has occurred."),
            ).abort(context, req_id)

        if streaming:

            def run_stream(request, context):
                req_id = request_id()
                try:
                    prepare(request, context, req_id)
                    responses = list(fn(request, context, req_id))
                except Exception as exc:  # noqa: BLE001 - every failure becomes an RPC status
                    fail(context, req_id, exc)
                context.set_trailing_metadata((("request-id", req_id),))
                yield from responses

            return run_stream

        def run(request, context):
            req_id = request_id()
            try:
                prepare(request, context, req_id)
                response = fn(request, context)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an RPC status
                fail(context, req_id, exc)
            context.set_trailing_metadata((("request-id", req_id),))
            return response

        return run

    def authenticate(self, metadata: dict, request, needs_customer: bool) -> None:
        sb = self.sb
        header = metadata.get("authorization")
        if not header:
            raise _unauthenticated("AUTHENTICATION_ERROR", "Authentication of the request failed.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthenticated(
                "OAUTH_TOKEN_HEADER_INVALID", "OAuth token HTTP header is malformed."
            )
        problem = sb.oauth.check(token)
        if problem == "expired":
            raise _unauthenticated("OAUTH_TOKEN_EXPIRED", "OAuth token in the header has expired.")
        if problem:
            raise _unauthenticated("OAUTH_TOKEN_INVALID", "OAuth token in the header is not valid.")
        if sb.require_developer_token:
            given = metadata.get("developer-token")
            if not given:
                raise invalid(
                    ads_error(
                        "request_error",
                        "DEVELOPER_TOKEN_PARAMETER_MISSING",
                        "Developer token is not provided.",
                    )
                )
            if given != sb.developer_token:
                raise _unauthenticated(
                    "DEVELOPER_TOKEN_INVALID", "The developer token is not valid."
                )
        login = metadata.get("login-customer-id")
        if login is not None and not _DIGITS10.match(login):
            raise invalid(
                ads_error(
                    "header_error",
                    "INVALID_LOGIN_CUSTOMER_ID",
                    "The login customer ID provided is not valid.",
                )
            )
        if not needs_customer:
            return
        customer = request.customer_id
        if not _DIGITS10.match(customer):
            raise invalid(
                ads_error(
                    "request_error",
                    "INVALID_CUSTOMER_ID",
                    "Invalid customer ID '" + customer + "'.",
                    location=[("customer_id", None)],
                )
            )
        if customer != sb.account.customer_id:
            raise _unauthenticated(
                "CUSTOMER_NOT_FOUND", "No customer found for the provided customer id."
            )
        # Access through a manager needs its id in login-customer-id; direct access may name the
        # account itself (or nothing).
        allowed = {sb.manager_id} if sb.manager_id else {None, customer}
        if login not in allowed:
            raise ApiError(
                grpc.StatusCode.PERMISSION_DENIED,
                ads_error(
                    "authorization_error",
                    "USER_PERMISSION_DENIED",
                    "User doesn't have permission to access customer. Note: If you're accessing "
                    "a client customer, the manager's customer id must be set in the "
                    "'login-customer-id' header. See "
                    "https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
                ),
            )

    # ------------------------------------------------------------------ services

    def search(self, request, context):
        """GoogleAdsService.Search: pages of PAGE_SIZE rows (sb.page_size in tests)."""
        if request.page_size:
            raise invalid(
                ads_error(
                    "request_error",
                    "PAGE_SIZE_NOT_SUPPORTED",
                    "Setting the page size is not supported. Search Responses will have fixed "
                    "page size of '10000' rows.",
                    location=[("page_size", None)],
                )
            )
        query = gaql.parse(request.query)
        rows = [] if request.validate_only else gaql.run(self.sb.account, query)
        offset = self._page_offset(request)
        size = self.sb.page_size
        page = rows[offset : offset + size]
        response = gas.SearchGoogleAdsResponse(
            results=page, field_mask=field_mask_pb2.FieldMask(paths=query.fields)
        )
        if offset + size < len(rows):
            response.next_page_token = _page_token(request.query, offset + size)
        return response

    def search_stream(self, request, context, req_id):
        query = gaql.parse(request.query)
        rows = gaql.run(self.sb.account, query)
        mask = field_mask_pb2.FieldMask(paths=query.fields)
        for start in range(0, max(len(rows), 1), PAGE_SIZE):
            yield gas.SearchGoogleAdsStreamResponse(
                results=rows[start : start + PAGE_SIZE], field_mask=mask, request_id=req_id
            )

    def _page_offset(self, request) -> int:
        if not request.page_token:
            return 0
        try:
            raw = base64.urlsafe_b64decode(request.page_token.encode()).decode()
            digest, _, offset = raw.partition(":")
            if digest != _digest(request.query):
                raise ValueError(digest)
            return int(offset)
        except ValueError:
            raise invalid(
                ads_error(
                    "request_error",
                    "INVALID_PAGE_TOKEN",
                    "Page token is invalid.",
                    location=[("page_token", None)],
                )
            ) from None

    def mutate_campaigns(self, request, context):
        return mutate.mutate(
            self.sb,
            mutate.CAMPAIGN,
            request,
            campaign_service.MutateCampaignsResponse,
            campaign_service.MutateCampaignResult,
        )

    def mutate_ad_groups(self, request, context):
        return mutate.mutate(
            self.sb,
            mutate.AD_GROUP,
            request,
            ad_group_service.MutateAdGroupsResponse,
            ad_group_service.MutateAdGroupResult,
        )

    def mutate_budgets(self, request, context):
        return mutate.mutate(
            self.sb,
            mutate.BUDGET,
            request,
            campaign_budget_service.MutateCampaignBudgetsResponse,
            campaign_budget_service.MutateCampaignBudgetResult,
        )

    def list_accessible(self, request, context):
        names = [self.sb.account.customer_resource_name]
        if self.sb.manager_id:
            names.insert(0, f"customers/{self.sb.manager_id}")
        return customer_service.ListAccessibleCustomersResponse(resource_names=names)


def _digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:16]


def _page_token(query: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_digest(query)}:{offset}".encode()).decode()


def sleep_until(event, seconds: float) -> None:
    """Hold a request (the "timeout" fault) until released or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not event.is_set() and time.monotonic() < deadline:
        event.wait(min(0.05, max(0.0, deadline - time.monotonic())))
