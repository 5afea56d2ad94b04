"""Graph API wire pieces the Meta sandbox shares: the error envelope, the errors Meta really
sends, field-expansion parsing and projection.

Error shapes and texts come from Meta's own pages (Marketing API "Error Codes" and "Rate
Limiting") and from real responses quoted in public issues:

- expired token: ``{"error": {"message": "Error validating access token: Session has expired
  on …", "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": …}}``
- wrong ``appsecret_proof``: ``GraphMethodException`` code 100 "Invalid appsecret_proof provided
  in the API argument" (facebook/facebook-python-business-sdk#528)
- unknown id: code 100, subcode 33, "Unsupported get request. Object with ID '…' does not
  exist, cannot be loaded due to missing permissions, or does not support this operation. …"
- throttling: 17/2446079, 613/1487742 and the Business Use Case code 80004 (Marketing API
  "Rate Limiting" page), with the ``x-business-use-case-usage`` header
- ad set budget changes: 613/1487632 "You can only change your ad set budget 4 times per hour.
  Please wait to make more changes." (same page, "Ad Set Level Limits")
- server faults: HTTP 500, code 2, ``is_transient: true``.
"""

from __future__ import annotations

import json
import secrets
import time

GRAPH_DOCS = "https://developers.facebook.com/docs/graph-api"


def trace_id() -> str:
    """An ``fbtrace_id``-looking token (Meta's are ~11-27 url-safe characters)."""
    return secrets.token_urlsafe(16)[:22]


class GraphError(Exception):
    """An error Graph answers with: HTTP ``status`` and the ``{"error": {...}}`` envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int,
        type_: str = "OAuthException",
        subcode: int | None = None,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.type = type_
        self.subcode = subcode
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict:
        error = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error.update(self.extra)
        error["fbtrace_id"] = trace_id()
        return {"error": error}


# --------------------------------------------------------------------------- the real errors


def token_required() -> GraphError:
    return GraphError(400, "An access token is required to request this resource.", code=104)


def token_invalid() -> GraphError:
    return _with_www_authenticate(
        GraphError(400, "Invalid OAuth access token - Cannot parse access token", code=190)
    )


def _pdt(when: float) -> str:
    # Meta words expiry in Pacific time: "Monday, 24-Oct-16 21:00:00 PDT".
    return time.strftime("%A, %d-%b-%y %H:%M:%S PDT", time.gmtime(when - 7 * 3600))


def token_expired(expired_at: float, now: float) -> GraphError:
    message = (
        f"Error validating access token: Session has expired on {_pdt(expired_at)}. "
        f"The current time is {_pdt(now)}."
    )
    return _with_www_authenticate(GraphError(400, message, code=190, subcode=463))


def _with_www_authenticate(error: GraphError) -> GraphError:
    error.headers["WWW-Authenticate"] = (
        f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'
    )
    return error


def proof_missing() -> GraphError:
    return GraphError(
        400,
        "API calls from the server require an appsecret_proof argument",
        code=100,
        type_="GraphMethodException",
    )


def proof_invalid() -> GraphError:
    return GraphError(
        400,
        "Invalid appsecret_proof provided in the API argument",
        code=100,
        type_="GraphMethodException",
    )


def unknown_object(ref: str, method: str) -> GraphError:
    verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(method, method.lower())
    return GraphError(
        400,
        f"Unsupported {verb} request. Object with ID '{ref}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the "
        f"Graph API documentation at {GRAPH_DOCS}",
        code=100,
        subcode=33,
        type_="GraphMethodException",
    )


def unknown_path(components: str) -> GraphError:
    return GraphError(400, f"Unknown path components: {components}", code=2500)


def nonexisting_field(field: str, node_type: str) -> GraphError:
    return GraphError(
        400,
        f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})",
        code=100,
    )


def invalid_param(message: str, user_msg: str | None = None) -> GraphError:
    extra = {"error_user_msg": user_msg} if user_msg else None
    return GraphError(400, message, code=100, extra=extra)


def server_error() -> GraphError:
    return GraphError(
        500,
        "An unexpected error has occurred. Please retry your request later.",
        code=2,
        extra={"is_transient": True},
    )


def business_use_case_usage(account_id: str, *, call_count: int, regain_minutes: int) -> str:
    """The ``x-business-use-case-usage`` header: per business (here the ad account) a list of
    use cases with percentages and minutes until access comes back."""
    return json.dumps(
        {
            account_id: [
                {
                    "type": "ads_management",
                    "call_count": call_count,
                    "total_cputime": min(call_count, 100),
                    "total_time": min(call_count, 100),
                    "estimated_time_to_regain_access": regain_minutes,
                    "ads_api_access_tier": "development_access",
                }
            ]
        },
        separators=(",", ":"),
    )


THROTTLES = {
    # kind: (code, subcode, message)
    "throttle": (
        80004,
        2446079,
        "There have been too many calls to this ad-account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
        "rate-limiting#ads-management.",
    ),
    "throttle_user": (17, 2446079, "User request limit reached"),
    "throttle_account": (
        613,
        1487742,
        "There have been too many calls from this ad-account. Please wait a bit and try again.",
    ),
}


def throttled(kind: str, account_id: str, regain_minutes: int) -> GraphError:
    code, subcode, message = THROTTLES[kind]
    header = business_use_case_usage(account_id, call_count=100, regain_minutes=regain_minutes)
    return GraphError(
        400, message, code=code, subcode=subcode, headers={"x-business-use-case-usage": header}
    )


def budget_change_limit() -> GraphError:
    return GraphError(
        400,
        "You can only change your ad set budget 4 times per hour. Please wait to make more "
        "changes.",
        code=613,
        subcode=1487632,
    )


# --------------------------------------------------------------------------- fields


def parse_fields(spec: str) -> list[tuple[str, list | None]]:
    """``"id,creative{id,object_story_spec},insights.limit(2){clicks}"`` →
    ``[("id", None), ("creative", [("id", None), ...]), ("insights", [("clicks", None)])]``."""
    out: list[tuple[str, list | None]] = []
    depth, start = 0, 0
    spec = spec or ""
    for i, ch in enumerate(spec + ","):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
            if depth < 0:
                raise invalid_param(f"(#100) Syntax error in the fields parameter near '{ch}'")
        elif ch == "," and depth == 0:
            token = spec[start:i].strip()
            start = i + 1
            if token:
                out.append(_field(token))
    if depth != 0:
        raise invalid_param("(#100) Syntax error in the fields parameter: unbalanced braces")
    return out


def _field(token: str) -> tuple[str, list | None]:
    brace = token.find("{")
    head = token if brace < 0 else token[:brace]
    name = head.split(".", 1)[0].strip()
    sub = parse_fields(token[brace + 1 : token.rindex("}")]) if brace >= 0 else None
    return name, sub


def project(view: dict, fields, node_type: str, allowed: frozenset, nested: dict) -> dict:
    """The requested ``fields`` of a node ``view`` (absent values are left out, as Graph does);
    ``nested`` maps a field to (node type, allowed fields) for field expansion."""
    out = {}
    for name, sub in fields:
        if name not in allowed:
            raise nonexisting_field(name, node_type)
        value = view.get(name)
        if value is None:
            continue
        if name in nested and isinstance(value, dict):
            sub_type, sub_allowed = nested[name]
            value = project(value, sub or [("id", None)], sub_type, sub_allowed, {})
        elif sub and isinstance(value, dict):
            value = {k: value[k] for k, _ in sub if k in value}
        out[name] = value
    out.setdefault("id", view["id"])
    return out
