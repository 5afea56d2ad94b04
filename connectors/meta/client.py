"""Graph API v26.0 calls through the official ``facebook-business`` SDK, with typed errors.

Each ``GraphClient`` builds its own ``FacebookSession`` + ``FacebookAdsApi`` (never the SDK's
process-wide default from ``FacebookAdsApi.init``, which would also switch on its crash
reporter), so two merchants' credentials never meet. The base URL is the session's ``GRAPH``
attribute, which ``FacebookAdsApi.call`` reads per instance (facebook_business/api.py:
``url_override or self._session.GRAPH``).

The token travels in an ``Authorization: Bearer`` header (accepted by Graph, as Meta's own
curl examples show) instead of the SDK's default ``access_token`` query parameter, so it never
appears in a URL (proxy logs, connection-error messages). ``appsecret_proof`` stays a parameter
on every call: https://developers.facebook.com/docs/graph-api/securing-requests

Errors (https://developers.facebook.com/docs/marketing-api/error-reference and
.../marketing-api/overview/rate-limiting):
190 / 102 / 104 / 10 / 200-299, and 100 "Invalid appsecret_proof" → ``Unauthorized``;
4 / 17 / 32 / 613 / 80000-80014 → throttled: retried with a short backoff that honours
``x-business-use-case-usage`` ``estimated_time_to_regain_access`` (minutes) and
``x-ad-account-usage`` ``reset_time_duration`` (seconds), then ``RateLimited``;
613/1487632 (a 5th ad set budget change within the hour) → ``RateLimited`` for an hour, never
retried; 100/33 (unknown id) → ``NotFound``; HTTP 5xx, code 1/2 or ``is_transient`` → ``Transient``
(not retried here: a write may have gone through and budget changes are counted).
"""

from __future__ import annotations

import json
import time

import requests
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookError, FacebookRequestError
from facebook_business.session import FacebookSession

from connectors.errors import (
    ConnectorError,
    InvalidRequest,
    NotFound,
    RateLimited,
    Transient,
    Unauthorized,
)

API_VERSION = "v26.0"
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
AUTH_CODES = frozenset({10, 102, 104, 190, *range(200, 300)})
BUDGET_LIMIT = (613, 1487632)  # "You can only change your ad set budget 4 times per hour"
SPEND_CAP_LIMIT = (17, 1885172)  # "You can only change your account spending limit 10 times…"
RETRY_DELAYS = (0.5, 1.0)  # seconds before the 2nd and 3rd try of a throttled call
MAX_WAIT = 3.0  # never sleep longer than this in total inside one call
DEFAULT_RETRY_AFTER = 60.0  # Meta blocks a throttled account for 60 s (300 s in dev tier)


class BudgetChangeLimit(RateLimited):
    """Meta refused a 5th budget change within the hour on this ad set."""


def graph_session(graph_url: str, access_token: str, app_secret: str, app_id, timeout: float):
    session = FacebookSession(app_id, app_secret, access_token, timeout=timeout)
    session.GRAPH = graph_url.rstrip("/")
    session.requests.params.pop("access_token", None)
    session.requests.headers["Authorization"] = f"Bearer {access_token}"
    return session


class GraphClient:
    """One merchant's calls: ``call(what, fn)`` runs ``fn(api)`` with retries and typed errors."""

    def __init__(
        self,
        graph_url: str,
        *,
        access_token: str,
        app_secret: str,
        app_id: str | None = None,
        timeout: float = 10.0,
        sleep=time.sleep,
    ):
        self.graph_url = graph_url
        self.timeout = float(timeout)
        self._sleep = sleep
        self.api = FacebookAdsApi(
            graph_session(graph_url, access_token, app_secret, app_id, self.timeout),
            api_version=API_VERSION,
        )

    def __repr__(self) -> str:  # never shows the token or the secret
        return f"<GraphClient {self.graph_url} {API_VERSION}>"

    def call(self, what: str, fn):
        """``fn(api)``; throttled calls are tried up to ``1 + len(RETRY_DELAYS)`` times."""
        waited = 0.0
        for attempt in range(len(RETRY_DELAYS) + 1):
            try:
                return self._once(what, fn)
            except BudgetChangeLimit:
                raise
            except RateLimited as e:
                last = attempt == len(RETRY_DELAYS)
                delay = max(
                    RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)], getattr(e, "hint", 0) or 0
                )
                if last or waited + delay > MAX_WAIT:
                    raise
                self._sleep(delay)
                waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, what: str, fn):
        try:
            return fn(self.api)
        except FacebookRequestError as e:
            raise translate(e, what) from e
        except requests.Timeout as e:
            raise Transient(f"Meta did not answer {what} within {self.timeout:g} s") from e
        except requests.RequestException as e:
            raise Transient(f"Meta unreachable for {what}: {type(e).__name__}") from e
        except FacebookError as e:
            raise InvalidRequest(f"Meta SDK refused {what}: {type(e).__name__}") from e


# --------------------------------------------------------------------------- errors


def error_fields(e: FacebookRequestError) -> tuple[int | None, int | None, str]:
    return e.api_error_code(), e.api_error_subcode(), e.api_error_message() or ""


def retry_hint(headers) -> float | None:
    """Seconds until access comes back, from Meta's usage headers (None: not told)."""
    headers = {str(k).lower(): v for k, v in dict(headers or {}).items()}
    hints: list[float] = []
    try:
        buc = json.loads(headers.get("x-business-use-case-usage") or "{}")
        for entries in buc.values() if isinstance(buc, dict) else ():
            for entry in entries or ():
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float):
                    hints.append(float(minutes) * 60)
    except (ValueError, AttributeError):
        pass
    try:
        account = json.loads(headers.get("x-ad-account-usage") or "{}")
        seconds = account.get("reset_time_duration") if isinstance(account, dict) else None
        if isinstance(seconds, int | float):
            hints.append(float(seconds))
    except ValueError:
        pass
    return max(hints) if hints else None


def translate(e: FacebookRequestError, what: str) -> ConnectorError:
    """The typed error for a Graph error answer (message: Meta's words, never our secrets)."""
    code, subcode, message = error_fields(e)
    status = e.http_status()
    parsed = e.body() if isinstance(e.body(), dict) else {}
    kw = {"status": status, "body": json.dumps(parsed) if parsed else None}
    if (code, subcode) == BUDGET_LIMIT:
        err = BudgetChangeLimit(f"Meta: {message}", retry_after=3600.0, **kw)
        err.hint = None
        return err
    if (code, subcode) == SPEND_CAP_LIMIT:
        return InvalidRequest(f"Meta refused {what}: {message}", **kw)
    if code in AUTH_CODES or (code == 100 and "appsecret_proof" in message):
        return Unauthorized(f"Meta refused the credentials for {what}: {message}", **kw)
    if code in THROTTLE_CODES:
        hint = retry_hint(e.http_headers())
        err = RateLimited(
            f"Meta throttled {what} (code {code}): {message}",
            retry_after=hint if hint else DEFAULT_RETRY_AFTER,
            **kw,
        )
        err.hint = hint
        return err
    if code == 100 and subcode == 33:
        return NotFound(f"Meta: {message}", **kw)
    if (status or 0) >= 500 or code in (1, 2) or e.api_transient_error():
        return Transient(f"Meta failed {what} (HTTP {status}, code {code}): {message}", **kw)
    user_message = (parsed.get("error") or {}).get("error_user_msg")
    return InvalidRequest(
        f"Meta refused {what}: {user_message or message}",
        errors=[{"field": None, "message": user_message or message}],
        **kw,
    )
