"""TikTok API for Business v1.3 through the official SDK (``business_api_client`` 1.1.3).

One ``Session`` per connector call: its own ``Configuration`` (host from ``TIKTOK_API_URL``) and
``ApiClient``, the access token passed per request as the ``Access-Token`` header, nothing
global, so merchants' credentials never meet. (The SDK's ``Configuration()`` hands out shallow
copies of one class-wide default, so its shared ``api_key`` dict is never touched here.)

Every TikTok answer is HTTP 200 with ``{"code", "message", "request_id", "data"}``; a non-zero
``code`` is the error (SDK ``ApiClient.call_api`` raises ``TiktokSDKError`` for it, keeping only
a formatted string, so the code is read back from ``api_client.last_response``). Codes relied
on (return codes page https://business-api.tiktok.com/portal/docs?id=1737172488964097 as quoted
by PostHog's and Airbyte's TikTok sources, and the SDK's ``tiktok_code.NumericErrorCodes``):

- 40104 empty / 40105 incorrect or revoked access token → ``Unauthorized``;
- 40001 no permission (advertiser or object) → ``NoPermission`` (an ``Unauthorized``);
- 40016, 40100, 40101, 40102 "requests made too frequently" → retried, then ``RateLimited``;
- 40200-40202 task / write conflict, 40700, 50000, 50002, 51xxx, 60001 → ``Transient``;
- anything else (40002 parameter error, 40007 not found, ...) → ``TikTokRefused``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import urllib3
from business_api_client import AccountManagementApi, AdApi, AdgroupApi, CampaignCreationApi
from business_api_client.api_client import ApiClient
from business_api_client.configuration import Configuration
from business_api_client.models import (
    AdgroupStatusUpdateBody,
    AdStatusUpdateBody,
    CampaignStatusUpdateBody,
    CampaignUpdateBody,
)
from business_api_client.rest import ApiException
from business_api_client.tiktok_business.tiktok_exceptions import TiktokSDKError
from flask import current_app

from connectors.errors import InvalidRequest, RateLimited, Transient, Unauthorized

log = logging.getLogger(__name__)

# App config: seconds to wait for TikTok to connect and to answer (each). Default 10.
TIMEOUT_KEY = "ADS_HTTP_TIMEOUT"
# App config: rows per /get/ page (TikTok allows 1-1000). Default 1000.
PAGE_SIZE_KEY = "TIKTOK_PAGE_SIZE"

UNAUTHORIZED_CODES = frozenset({40104, 40105})
NO_PERMISSION_CODE = 40001
THROTTLE_CODES = frozenset({40016, 40100, 40101, 40102})
TRANSIENT_CODES = frozenset({40200, 40201, 40202, 40700, 50000, 50002, 60001})
# Waits between attempts after a throttle answer (TikTok sends no retry hint in the body; an
# HTTP 429 from a gateway may carry Retry-After, honoured up to the same cap).
BACKOFF = (0.5, 1.0)
MAX_HINT = 1.5
# What we tell the engine after the last attempt: TikTok's QPS/QPM windows are short but a
# QPM block can last minutes.
RETRY_AFTER = 60.0


class TikTokRefused(InvalidRequest):
    """TikTok answered with an error ``code`` that is neither auth, throttle nor outage."""

    def __init__(self, message: str, *, code: int | None, request_id: str | None, **kw):
        super().__init__(message, **kw)
        self.code = code
        self.request_id = request_id


class NoPermission(Unauthorized):
    """Code 40001: the token may not operate this advertiser (or one of the objects named)."""

    def __init__(self, message: str, *, request_id: str | None = None, **kw):
        super().__init__(message, **kw)
        self.code = NO_PERMISSION_CODE
        self.request_id = request_id


@dataclass(frozen=True)
class Level:
    """How one neutral level is spelled on TikTok."""

    kind: str  # campaign | adgroup | ad
    id_field: str
    name_field: str
    ids_param: str  # in filtering and in status updates
    fields: tuple[str, ...]


LEVELS = {
    "campaign": Level(
        "campaign", "campaign_id", "campaign_name", "campaign_ids",
        ("campaign_id", "campaign_name", "operation_status", "secondary_status", "budget",
         "budget_mode"),
    ),
    "ad_set": Level(
        "adgroup", "adgroup_id", "adgroup_name", "adgroup_ids",
        ("adgroup_id", "adgroup_name", "campaign_id", "operation_status", "secondary_status",
         "budget", "budget_mode"),
    ),
    "ad": Level(
        "ad", "ad_id", "ad_name", "ad_ids",
        ("ad_id", "ad_name", "adgroup_id", "campaign_id", "operation_status",
         "secondary_status", "landing_page_url", "landing_page_urls"),
    ),
}  # fmt: skip


class Session:
    """One advertiser's credentials and one SDK client, for the length of one connector call."""

    def __init__(self, advertiser_id: str, access_token: str):
        config = Configuration()
        config.host = current_app.config["TIKTOK_API_URL"].rstrip("/")
        self.advertiser_id = str(advertiser_id)
        self._token = access_token
        timeout = float(current_app.config.get(TIMEOUT_KEY, 10))
        # The SDK ignores a float timeout (it only honours an int or a (connect, read) pair).
        self._timeout = (timeout, timeout)
        self.page_size = int(current_app.config.get(PAGE_SIZE_KEY, 1000))
        self.api = ApiClient(config)
        # urllib3 would retry a timed-out GET three more times on its own; retries are ours.
        self.api.rest_client.pool_manager.connection_pool_kw["retries"] = False

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.api.rest_client.pool_manager.clear()
        self.api.pool.close()
        self.api.pool.join()

    # ------------------------------------------------------------------ endpoints

    def advertiser_info(self) -> dict:
        """GET /advertiser/info/ (https://business-api.tiktok.com/portal/docs?id=1739593083610113)."""
        api = AccountManagementApi(self.api)
        return self._call(
            "advertiser/info",
            api.advertiser_info,
            [self.advertiser_id],
            self._token,
            fields=["advertiser_id", "name", "currency", "timezone", "display_timezone"],
        )

    def get_page(self, level: str, page: int, filtering: dict | None = None) -> dict:
        """GET /<campaign|adgroup|ad>/get/ (docs ids 1739315828649986, 1739314558673922,
        1735735588640770): ``{"list": [...], "page_info": {...}}``."""
        spec = LEVELS[level]
        api, fn = {
            "campaign": (CampaignCreationApi, "campaign_get"),
            "adgroup": (AdgroupApi, "adgroup_get"),
            "ad": (AdApi, "ad_get"),
        }[spec.kind]
        kwargs = {"page": page, "page_size": self.page_size, "fields": list(spec.fields)}
        if filtering:
            kwargs["filtering"] = filtering
        method = getattr(api(self.api), fn)
        return self._call(f"{spec.kind}/get", method, self.advertiser_id, self._token, **kwargs)

    def status_update(self, level: str, ids: list[str], operation_status: str) -> dict:
        """POST /<campaign|adgroup|ad>/status/update/ with 1-20 ids (docs ids
        1739320994354178, 1739591716326402, 1739953422970882)."""
        spec = LEVELS[level]
        common = {"advertiser_id": self.advertiser_id, "operation_status": operation_status}
        if spec.kind == "campaign":
            body = CampaignStatusUpdateBody(campaign_ids=ids, **common)
            method = CampaignCreationApi(self.api).campaign_status_update
        elif spec.kind == "adgroup":
            body = AdgroupStatusUpdateBody(adgroup_ids=ids, **common)
            method = AdgroupApi(self.api).adgroup_status_update
        else:
            body = AdStatusUpdateBody(ad_ids=ids, **common)
            method = AdApi(self.api).ad_status_update
        return self._call(f"{spec.kind}/status/update", method, self._token, body=body)

    def campaign_budget(self, campaign_id: str, amount: float) -> dict:
        """POST /campaign/update/ with ``budget`` (docs id 1739320422086657)."""
        body = CampaignUpdateBody(
            advertiser_id=self.advertiser_id, campaign_id=campaign_id, budget=amount
        )
        api = CampaignCreationApi(self.api)
        return self._call("campaign/update", api.campaign_update, self._token, body=body)

    def adgroup_budget(self, adgroup_id: str, amount: float) -> dict:
        """POST /adgroup/budget/update/ (docs id 1739591133130817): the v1.3 endpoint made for
        budget changes. SDK 1.1.3 has no wrapper for it, so it goes through the SDK's own
        ``ApiClient.call_api`` exactly as the generated methods do."""
        body = {
            "advertiser_id": self.advertiser_id,
            "budget": [{"adgroup_id": adgroup_id, "budget": amount}],
        }
        headers = {
            "Access-Token": self._token,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        return self._call(
            "adgroup/budget/update",
            self.api.call_api,
            "/open_api/v1.3/adgroup/budget/update/",
            "POST",
            {},
            [],
            headers,
            body=body,
            post_params=[],
            files={},
            response_type="InlineResponse200",
            auth_settings=[],
            _return_http_data_only=True,
            collection_formats={},
        )

    # ------------------------------------------------------------------ plumbing

    def _call(self, op: str, fn, *args, **kwargs) -> dict:
        """``data`` of a successful answer; typed errors otherwise (throttles retried)."""
        waits = list(BACKOFF)
        while True:
            try:
                result = fn(*args, _request_timeout=self._timeout, **kwargs)
                return (result or {}).get("data") or {}
            except TiktokSDKError as e:
                error = self._from_envelope(op)
                cause = e
            except ApiException as e:
                error = self._from_http(op, e)
                cause = e
            except urllib3.exceptions.HTTPError as e:  # timeouts, refused connections
                raise Transient(f"TikTok {op}: {type(e).__name__}") from e
            if isinstance(error, RateLimited) and waits:
                wait = waits.pop(0)
                hint = getattr(error, "hint", None)  # Retry-After of an HTTP 429
                if hint is not None:
                    wait = min(hint, MAX_HINT)
                log.warning("TikTok %s throttled; retrying in %.1fs", op, wait)
                time.sleep(wait)
                continue
            raise error from cause

    def _envelope(self) -> tuple[int | None, str, str | None, str]:
        raw = getattr(self.api, "last_response", None)
        text = raw.data.decode("utf-8", "replace") if raw is not None else ""
        try:
            body = json.loads(text)
        except ValueError:
            return None, "unreadable answer", None, text[:2000]
        if not isinstance(body, dict):
            return None, "unreadable answer", None, text[:2000]
        return body.get("code"), str(body.get("message") or ""), body.get("request_id"), text

    def _from_envelope(self, op: str) -> Exception:
        code, message, request_id, text = self._envelope()
        return classify(op, code, message, request_id, status=200, body=text[:2000])

    def _from_http(self, op: str, e: ApiException) -> Exception:
        status = e.status or 0
        text = (e.body or b"").decode("utf-8", "replace") if isinstance(e.body, bytes) else ""
        if status == 0:  # TLS failure reported by the SDK
            return Transient(f"TikTok {op}: {e.reason}")
        if status == 429:
            hint = _retry_after(e.headers)
            error = RateLimited(
                f"TikTok {op}: HTTP 429",
                retry_after=RETRY_AFTER if hint is None else hint,
                status=429,
                body=text[:2000],
            )
            error.hint = hint
            return error
        if status >= 500:
            return Transient(f"TikTok {op}: HTTP {status}", status=status, body=text[:2000])
        if status in (401, 403):
            return Unauthorized(f"TikTok {op}: HTTP {status}", status=status, body=text[:2000])
        return TikTokRefused(
            f"TikTok {op}: HTTP {status}", code=None, request_id=None, status=status, body=text
        )


def classify(op: str, code, message: str, request_id, *, status: int, body: str) -> Exception:
    """The typed error for TikTok's envelope ``code``."""
    text = f"TikTok {op}: {message} (code {code}, request_id {request_id})"
    kw = {"status": status, "body": body}
    if code in UNAUTHORIZED_CODES:
        return Unauthorized(text, **kw)
    if code == NO_PERMISSION_CODE:
        return NoPermission(text, request_id=request_id, **kw)
    if code in THROTTLE_CODES:
        return RateLimited(text, retry_after=RETRY_AFTER, **kw)
    if code in TRANSIENT_CODES or (isinstance(code, int) and 51000 <= code < 52000):
        return Transient(text, **kw)
    if code is None:
        return Transient(f"TikTok {op}: {message}", **kw)
    return TikTokRefused(text, code=code, request_id=request_id, **kw)


def _retry_after(headers) -> float | None:
    try:
        return max(0.0, float((headers or {}).get("Retry-After")))
    except (TypeError, ValueError):
        return None
