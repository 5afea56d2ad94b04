"""Google Ads API v26 over gRPC with the official ``google-ads`` library (34.0.0).

v26 is the newest version the library ships (google/ads/googleads/v2x). One ``AdsSession`` per
connector call: it gets an OAuth access token from the refresh token (``google.oauth2``, token
endpoint ``GOOGLE_OAUTH_TOKEN_URI``), opens one TLS channel to ``GOOGLE_ADS_ENDPOINT`` and puts
the library's service clients on it.

Why not ``GoogleAdsClient.get_service``: it builds its channel with the system's root
certificates and has no way to pass channel credentials. The session does what it does —
``<Service>Client.get_transport_class("grpc").create_channel(...)`` (whose extra keyword
arguments go to ``google.api_core.grpc_helpers.create_channel``, which takes
``ssl_credentials``), the library's own Metadata/Logging/Exception interceptors with the
client's developer token and login customer id, then ``<Service>Client(transport=...)`` —
with ``grpc.ssl_channel_credentials(root_certificates=<GOOGLE_ADS_ROOT_CERTIFICATES>)``
(system roots when unset). Config: ``ADS_HTTP_TIMEOUT`` (seconds per RPC and token request,
default 10).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import google.ads.googleads
import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import grpc
from flask import current_app
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.interceptors import (
    ExceptionInterceptor,
    LoggingInterceptor,
    MetadataInterceptor,
)
from google.ads.googleads.v26.services.services.google_ads_service import GoogleAdsServiceClient
from google.api_core.gapic_v1.client_info import ClientInfo

from connectors.errors import ConnectorError, Transient, Unauthorized

from . import failures

VERSION = failures.VERSION
DEFAULT_TIMEOUT = 10.0
# The library's own channel options (google/ads/googleads/client.py _GRPC_CHANNEL_OPTIONS).
CHANNEL_OPTIONS = [
    ("grpc.max_metadata_size", 16 * 1024 * 1024),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
]
# Throttling: retry twice, waiting what QuotaErrorDetails.retry_delay asks (else these), never
# more than THROTTLE_BUDGET seconds in all; past that the job retries later (RateLimited).
THROTTLE_RETRIES = 2
THROTTLE_BACKOFF = (0.5, 1.0)
THROTTLE_BUDGET = 3.0

log = logging.getLogger(__name__)
_library_log = logging.getLogger("google.ads.googleads.client")
_CLIENT_INFO = ClientInfo(client_library_version=google.ads.googleads.VERSION)

# Access tokens by (token endpoint, client id, refresh token) digest: an access token lives an
# hour, so calls within it skip the token endpoint.
_tokens: dict[str, tuple[str, object]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop every cached access token."""
    with _tokens_lock:
        _tokens.clear()


class _TimedRequest(google.auth.transport.requests.Request):
    """google-auth's requests transport with StockGuard's timeout on every token call."""

    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        return super().__call__(url, method, body, headers, timeout=self._timeout, **kwargs)


class AdsSession:
    """One call's connection to one Google Ads customer (10-digit ``customer_id``)."""

    def __init__(self, customer_id: str, credentials: dict):
        cfg = current_app.config
        self.customer_id = customer_id
        self.timeout = float(cfg.get("ADS_HTTP_TIMEOUT", DEFAULT_TIMEOUT))
        self._endpoint = cfg["GOOGLE_ADS_ENDPOINT"]
        self._roots = cfg.get("GOOGLE_ADS_ROOT_CERTIFICATES")
        token_uri = cfg["GOOGLE_OAUTH_TOKEN_URI"]
        self._oauth = google.oauth2.credentials.Credentials(
            None,
            refresh_token=credentials["refresh_token"],
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
            token_uri=token_uri,
        )
        self._token_key = hashlib.sha256(
            "\n".join((token_uri, credentials["client_id"], credentials["refresh_token"])).encode()
        ).hexdigest()
        self._token_cached = False
        self._ensure_token()
        self.client = GoogleAdsClient(
            credentials=self._oauth,
            developer_token=credentials.get("developer_token") or None,
            endpoint=self._endpoint,
            login_customer_id=credentials.get("login_customer_id") or None,
            version=VERSION,
            use_proto_plus=True,
        )
        self._raw_channel: grpc.Channel | None = None
        self._channel: grpc.Channel | None = None

    def __repr__(self) -> str:  # never shows credentials
        return f"<AdsSession customer {self.customer_id} at {self._endpoint}>"

    def __enter__(self) -> AdsSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._raw_channel is not None:
            self._raw_channel.close()
            self._raw_channel = self._channel = None

    # ------------------------------------------------------------------ OAuth

    def _ensure_token(self, force: bool = False) -> None:
        """A valid access token on the credentials: the cached one, else a refresh grant."""
        if not force:
            with _tokens_lock:
                cached = _tokens.get(self._token_key)
            if cached:
                self._oauth.token, self._oauth.expiry = cached
                if self._oauth.valid:
                    self._token_cached = True
                    return
        try:
            self._oauth.refresh(_TimedRequest(self.timeout))
        except google.auth.exceptions.RefreshError as e:
            # invalid_grant ("Token has been expired or revoked."), invalid_client...; 5xx
            # from the token endpoint come back retryable after google-auth's own retries.
            if getattr(e, "retryable", False):
                raise Transient("Google's OAuth token endpoint failed") from e
            reason = str(e.args[0]).split(":", 1)[0] if e.args else "refused"
            raise Unauthorized(f"Google refused the refresh token ({reason}); reconnect") from e
        except google.auth.exceptions.TransportError as e:
            raise Transient("Google's OAuth token endpoint unreachable") from e
        with _tokens_lock:
            _tokens[self._token_key] = (self._oauth.token, self._oauth.expiry)
        self._token_cached = False

    def _drop_token(self) -> None:
        with _tokens_lock:
            _tokens.pop(self._token_key, None)

    # ------------------------------------------------------------------ channel and services

    @property
    def channel(self) -> grpc.Channel:
        if self._channel is None:
            roots = None
            if self._roots:
                try:
                    roots = Path(self._roots).read_bytes()
                except OSError as e:
                    raise ConnectorError("GOOGLE_ADS_ROOT_CERTIFICATES is not readable") from e
            transport = GoogleAdsServiceClient.get_transport_class("grpc")
            self._raw_channel = transport.create_channel(
                host=self._endpoint,
                credentials=self._oauth,
                ssl_credentials=grpc.ssl_channel_credentials(root_certificates=roots),
                options=CHANNEL_OPTIONS,
            )
            client = self.client
            self._channel = grpc.intercept_channel(
                self._raw_channel,
                MetadataInterceptor(
                    client.developer_token, client.login_customer_id, client.linked_customer_id
                ),
                LoggingInterceptor(_library_log, VERSION, self._endpoint),
                ExceptionInterceptor(VERSION, use_proto_plus=client.use_proto_plus),
            )
        return self._channel

    def service(self, client_cls):
        """A library service client (``CampaignServiceClient``...) on this session's channel."""
        transport_cls = client_cls.get_transport_class("grpc")
        return client_cls(transport=transport_cls(channel=self.channel, client_info=_CLIENT_INFO))

    # ------------------------------------------------------------------ calls

    def call(self, what: str, fn: Callable):
        """Run one RPC: throttling retried (≤ THROTTLE_BUDGET s), a stale access token
        refreshed once, every other failure raised as a typed error."""
        waited, retries, refreshed = 0.0, 0, False
        while True:
            try:
                return fn()
            except (failures.GoogleAdsException, failures.GoogleAPICallError, grpc.RpcError) as e:
                problem = failures.problem_of(e)
                if problem is None:
                    raise
                error = e
            if problem.stale_token and self._token_cached and not refreshed:
                self._drop_token()
                self._ensure_token(force=True)
                refreshed = True
                continue
            if problem.throttled:
                hint = problem.retry_after
                delay = hint if hint is not None else THROTTLE_BACKOFF[min(retries, 1)]
                if retries < THROTTLE_RETRIES and waited + delay <= THROTTLE_BUDGET:
                    log.info("Google Ads throttled %s; retrying in %.1fs", what, delay)
                    time.sleep(delay)
                    waited += delay
                    retries += 1
                    continue
                raise problem.error(what, retry_after=delay) from error
            raise problem.error(what) from error

    def search(self, query: str, what: str) -> Iterator[list]:
        """GoogleAdsService.Search, a page (GoogleAdsRow list) at a time."""
        service = self.service(GoogleAdsServiceClient)
        token = ""
        while True:
            request = self.client.get_type("SearchGoogleAdsRequest")
            request.customer_id = self.customer_id
            request.query = query
            request.page_token = token
            page = self.call(
                what,
                lambda r=request: next(iter(service.search(request=r, timeout=self.timeout).pages)),
            )
            yield list(page.results)
            token = page.next_page_token
            if not token:
                return

    def rows(self, query: str, what: str) -> list:
        return [row for page in self.search(query, what) for row in page]

    def mutate(self, client_cls, method: str, operations: list, what: str):
        """One partial-failure mutate (``mutate_campaigns``...) of ``operations``."""
        service = self.service(client_cls)
        request_type = {
            "mutate_campaigns": "MutateCampaignsRequest",
            "mutate_ad_groups": "MutateAdGroupsRequest",
            "mutate_campaign_budgets": "MutateCampaignBudgetsRequest",
        }[method]
        request = self.client.get_type(request_type)
        request.customer_id = self.customer_id
        request.operations.extend(operations)
        request.partial_failure = True
        return self.call(
            what, lambda: getattr(service, method)(request=request, timeout=self.timeout)
        )
