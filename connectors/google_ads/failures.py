"""What a failed Google Ads API call means, in StockGuard's typed errors.

The API fails a call with a gRPC status and a ``GoogleAdsFailure`` in the trailing metadata
(``google.ads.googleads.v26.errors.googleadsfailure-bin``). The library's ExceptionInterceptor
turns that into ``GoogleAdsException`` — except for INTERNAL and RESOURCE_EXHAUSTED, which it
re-raises as the plain RpcError (api_core then wraps it: ``ResourceExhausted``,
``InternalServerError``, ``DeadlineExceeded``...); for those the failure is read from the
trailing metadata here. References: https://developers.google.com/google-ads/api/docs/best-practices/error-types
(which errors to retry), .../docs/best-practices/quotas and QuotaErrorDetails.retry_delay
(https://developers.google.com/google-ads/api/reference/rpc/v26/QuotaErrorDetails),
.../docs/best-practices/partial-failures (per-operation errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.errors.types.errors import GoogleAdsError, GoogleAdsFailure
from google.api_core.exceptions import GoogleAPICallError

from connectors.errors import (
    ConnectorError,
    InvalidRequest,
    NotFound,
    RateLimited,
    Transient,
    Unauthorized,
)

VERSION = "v26"
FAILURE_KEY = f"google.ads.googleads.{VERSION}.errors.googleadsfailure-bin"

TRANSIENT_STATUSES = frozenset(
    {
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.DATA_LOSS,
    }
)
# An access token the API no longer takes: a fresh one from the refresh token may fix it.
STALE_TOKEN_CODES = frozenset(
    {"OAUTH_TOKEN_EXPIRED", "OAUTH_TOKEN_INVALID", "OAUTH_TOKEN_REVOKED", "OAUTH_TOKEN_DISABLED"}
)
# Per-operation errors that mean the object is not there (any more) to be changed.
GONE_CODES = frozenset(
    {
        ("mutate_error", "RESOURCE_NOT_FOUND"),
        ("request_error", "RESOURCE_NOT_FOUND"),
        ("request_error", "RESOURCE_NAME_MALFORMED"),
        ("request_error", "BAD_RESOURCE_ID"),
        ("operation_access_denied_error", "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE"),
        ("campaign_budget_error", "CAMPAIGN_BUDGET_REMOVED"),
    }
)


def code_of(error: GoogleAdsError) -> tuple[str, str]:
    """(``"mutate_error"``, ``"RESOURCE_NOT_FOUND"``) for one error."""
    kind = GoogleAdsError.pb(error).error_code.WhichOneof("error_code") or "unknown"
    value = getattr(error.error_code, kind, None) if kind != "unknown" else None
    return kind, getattr(value, "name", str(value))


def describe(errors: list[GoogleAdsError]) -> str:
    """``quota_error.RESOURCE_EXHAUSTED: Too many requests...``; never holds credentials."""
    return "; ".join(f"{'.'.join(code_of(e))}: {e.message}" for e in errors) or "no details"


def field_path(error: GoogleAdsError) -> str:
    parts = []
    for element in error.location.field_path_elements:
        index = f"[{element.index}]" if "index" in element else ""
        parts.append(f"{element.field_name}{index}")
    return ".".join(parts)


@dataclass
class Problem:
    """One failed call, read from whichever exception the library raised."""

    status: grpc.StatusCode | None
    errors: list[GoogleAdsError] = field(default_factory=list)
    request_id: str | None = None
    details: str = ""

    @property
    def codes(self) -> set[tuple[str, str]]:
        return {code_of(e) for e in self.errors}

    @property
    def throttled(self) -> bool:
        return (
            self.status == grpc.StatusCode.RESOURCE_EXHAUSTED
            and ("quota_error", "ACCESS_PROHIBITED") not in self.codes
        )

    @property
    def stale_token(self) -> bool:
        return self.status == grpc.StatusCode.UNAUTHENTICATED and any(
            kind == "authentication_error" and code in STALE_TOKEN_CODES
            for kind, code in self.codes
        )

    @property
    def retry_after(self) -> float | None:
        """The longest ``QuotaErrorDetails.retry_delay`` the API asked for, in seconds."""
        delays = [
            e.details.quota_error_details.retry_delay.total_seconds()
            for e in self.errors
            if "quota_error_details" in e.details and "retry_delay" in e.details.quota_error_details
        ]
        return max(delays) if delays else None

    def error(self, what: str, *, retry_after: float | None = None) -> ConnectorError:
        """The typed error for this failure of ``what``."""
        status = self.status.name if self.status else "ERROR"
        text = describe(self.errors) if self.errors else self.details or status
        message = f"Google Ads {what}: {status}: {text}"
        if self.request_id:
            message += f" (request-id {self.request_id})"
        body = describe(self.errors) if self.errors else None
        if self.status in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            return Unauthorized(message, body=body)
        if self.status == grpc.StatusCode.RESOURCE_EXHAUSTED:
            wait = retry_after if retry_after is not None else (self.retry_after or 1.0)
            return RateLimited(message, retry_after=max(wait, 0.1), body=body)
        if self.status in TRANSIENT_STATUSES or self.status is None:
            return Transient(message, body=body)
        if self.status == grpc.StatusCode.NOT_FOUND:
            return NotFound(message, body=body)
        return InvalidRequest(
            message,
            errors=[
                {"field": field_path(e) or "request", "message": e.message} for e in self.errors
            ],
            body=body,
        )


def failure_from_metadata(metadata) -> GoogleAdsFailure | None:
    for key, value in metadata or ():
        if key == FAILURE_KEY:
            try:
                return GoogleAdsFailure.deserialize(value)
            except Exception:  # noqa: BLE001 - an unreadable failure is just no details
                return None
    return None


def _metadata(call) -> tuple:
    try:
        return tuple(call.trailing_metadata() or ())
    except Exception:  # noqa: BLE001 - calls that never reached the server have none
        return ()


def problem_of(exc: BaseException) -> Problem | None:
    """Read a library/gRPC exception; None for anything else (a bug: let it raise)."""
    if isinstance(exc, GoogleAdsException):
        failure = exc.failure
        return Problem(exc.error.code(), list(failure.errors), exc.request_id, exc.error.details())
    if isinstance(exc, GoogleAPICallError):
        call = exc.response if isinstance(exc.response, grpc.Call) else None
        metadata = _metadata(call) if call is not None else ()
        failure = failure_from_metadata(metadata)
        return Problem(
            exc.grpc_status_code,
            list(failure.errors) if failure else [],
            failure.request_id if failure else None,
            exc.message,
        )
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
        failure = failure_from_metadata(_metadata(exc))
        return Problem(
            exc.code(),
            list(failure.errors) if failure else [],
            failure.request_id if failure else None,
            exc.details() or "",
        )
    return None


def operation_errors(partial_failure_error) -> dict[int, list[GoogleAdsError]]:
    """Errors of a partial-failure mutate, by operation index (``operations[i]`` location)."""
    found: dict[int, list[GoogleAdsError]] = {}
    if not partial_failure_error or not partial_failure_error.code:
        return found
    for detail in partial_failure_error.details:
        failure = GoogleAdsFailure.deserialize(detail.value)
        for error in failure.errors:
            elements = error.location.field_path_elements
            if elements and elements[0].field_name == "operations" and "index" in elements[0]:
                found.setdefault(elements[0].index, []).append(error)
            else:  # an error outside the operations fails every one of them
                found.setdefault(-1, []).append(error)
    return found


def gone(errors: list[GoogleAdsError]) -> bool:
    return any(code_of(e) in GONE_CODES for e in errors)
