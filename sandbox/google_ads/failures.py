"""Google Ads API failures as the real API sends them: a gRPC status, and a serialized
``GoogleAdsFailure`` in the trailing metadata under
``google.ads.googleads.<version>.errors.googleadsfailure-bin``, plus ``request-id``.

That key and format are what the google-ads library's ExceptionInterceptor reads to raise
``GoogleAdsException`` (google/ads/googleads/interceptors/interceptor.py); the status messages are
Google's standard ones (google.rpc), the error messages the API's own (see the references named
in the connector's docstrings).
"""

from __future__ import annotations

import datetime as dt
import secrets

import grpc
from google.ads.googleads.v26.errors.types import errors as err

VERSION = "v26"
FAILURE_KEY = f"google.ads.googleads.{VERSION}.errors.googleadsfailure-bin"

STATUS_MESSAGES = {
    grpc.StatusCode.UNAUTHENTICATED: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    grpc.StatusCode.PERMISSION_DENIED: "The caller does not have permission",
    grpc.StatusCode.INVALID_ARGUMENT: "Request contains an invalid argument.",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "Resource has been exhausted (e.g. check quota).",
    grpc.StatusCode.INTERNAL: "Internal error encountered.",
    grpc.StatusCode.UNAVAILABLE: "The service is currently unavailable.",
}


def request_id() -> str:
    """A request id shaped like Google's (22 url-safe characters)."""
    return secrets.token_urlsafe(16)[:22]


def ads_error(
    kind: str,
    code: str,
    message: str,
    *,
    location: list[tuple[str, int | None]] | None = None,
    trigger: str | None = None,
    retry_delay: float | None = None,
) -> err.GoogleAdsError:
    """One ``GoogleAdsError``: ``kind`` is the ErrorCode oneof (``"mutate_error"``), ``code``
    its enum name (``"RESOURCE_NOT_FOUND"``), ``location`` the field path."""
    enum = err.ErrorCode.meta.fields[kind].enum
    error = err.GoogleAdsError(
        error_code=err.ErrorCode(**{kind: getattr(enum, code)}), message=message
    )
    if location:
        error.location = err.ErrorLocation(
            field_path_elements=[
                err.ErrorLocation.FieldPathElement(field_name=name)
                if index is None
                else err.ErrorLocation.FieldPathElement(field_name=name, index=index)
                for name, index in location
            ]
        )
    if trigger is not None:
        error.trigger.string_value = trigger
    if retry_delay is not None:
        error.details = err.ErrorDetails(
            quota_error_details=err.QuotaErrorDetails(
                rate_scope=err.QuotaErrorDetails.QuotaRateScope.ACCOUNT,
                rate_name="Requests per account per second",
                retry_delay=dt.timedelta(seconds=retry_delay),
            )
        )
    return error


class ApiError(Exception):
    """A whole-request failure: abort the RPC with ``status`` and these errors."""

    def __init__(self, status: grpc.StatusCode, *errors: err.GoogleAdsError):
        super().__init__(f"{status.name}: " + "; ".join(e.message for e in errors))
        self.status = status
        self.errors = list(errors)

    def failure(self, req_id: str) -> err.GoogleAdsFailure:
        return err.GoogleAdsFailure(errors=self.errors, request_id=req_id)

    def abort(self, context: grpc.ServicerContext, req_id: str) -> None:
        """Send the status with the failure in the trailing metadata (raises, as abort does)."""
        context.set_trailing_metadata(
            (
                (FAILURE_KEY, err.GoogleAdsFailure.serialize(self.failure(req_id))),
                ("request-id", req_id),
            )
        )
        context.abort(self.status, STATUS_MESSAGES.get(self.status, self.status.name))


def invalid(*errors: err.GoogleAdsError) -> ApiError:
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, *errors)


def query_error(code: str, message: str, trigger: str | None = None) -> ApiError:
    return invalid(ads_error("query_error", code, message, trigger=trigger))
