"""WordPress REST server behaviour shared by every ``wc/v3`` route.

Order of checks, as ``WP_REST_Server::serve_request``/``dispatch`` does them: authentication
errors (401) -> key read/write permission (401) -> route match (404 ``rest_no_route``) ->
argument validation (400 ``rest_invalid_param``) -> the route's permission callback (401 when
nobody is logged in) -> the handler. Headers follow the captures: PHP's built-in server headers,
the REST headers, pagination/Location, then ``Allow`` and no-cache headers for a logged-in user,
or ``Vary: Origin`` for an anonymous GET.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .models import WCError
from .serialize import add_query_arg, build_query, wp_json_encode

NOCACHE = [
    ("Expires", "Wed, 11 Jan 1984 05:00:00 GMT"),
    ("Cache-Control", "no-cache, must-revalidate, max-age=0, no-store, private"),
]

PERMISSION_ERRORS = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": (
        "woocommerce_rest_cannot_delete",
        "Sorry, you are not allowed to delete this resource.",
    ),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}


@dataclass
class RestRequest:
    method: str
    route: str  # e.g. "products/10"
    url_params: dict
    query: dict  # $_GET as PHP parsed it
    body: dict  # JSON (or form) body params
    home: str
    key: object = None

    @property
    def params(self) -> dict:
        """``$request->get_params()``: JSON body wins over GET, which wins over URL params."""
        return {**self.url_params, **self.query, **self.body}

    def get(self, name: str, default=None):
        return self.params.get(name, default)


@dataclass
class RestResponse:
    data: object
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    total: int | None = None
    pages: int | None = None
    links: str | None = None  # pagination Link header value


@dataclass
class Route:
    pattern: re.Pattern
    handlers: dict[str, Callable[[RestRequest], RestResponse]]
    allow: str
    # permission kind per method, and for item routes a callable telling whether the object
    # exists (WooCommerce only refuses an anonymous caller when the object is found).
    kinds: dict[str, str]
    exists: Callable[[RestRequest], bool] | None = None


def route(path: str, handlers: dict, kinds: dict, exists=None) -> Route:
    methods = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in handlers]
    return Route(re.compile(f"^{path}$"), handlers, ", ".join(methods), kinds, exists)


def item_methods(get, update, delete) -> dict:
    return {"GET": get, "POST": update, "PUT": update, "PATCH": update, "DELETE": delete}


ITEM_KINDS = {"GET": "view", "POST": "edit", "PUT": "edit", "PATCH": "edit", "DELETE": "delete"}
COLLECTION_KINDS = {"GET": "list", "POST": "create"}
BATCH_KINDS = {"POST": "batch", "PUT": "batch", "PATCH": "batch"}


# --------------------------------------------------------------------------- argument checks


def _list_words(items: list[str]) -> str:
    """``wp_sprintf('%l')``: "a and b", "a, b, and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def invalid_param(name: str, message: str, code: str) -> WCError:
    return WCError(
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        400,
        params={name: message},
        details={name: {"code": code, "message": message, "data": None}},
    )


def int_arg(req: RestRequest, name: str, default: int, minimum=None, maximum=None) -> int:
    raw = req.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw)) if not isinstance(raw, int) else raw
    except ValueError:
        raise invalid_param(name, f"{name} is not of type integer.", "rest_invalid_type") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            msg = f"{name} must be greater than or equal to {minimum}"
        else:
            msg = f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
        raise invalid_param(name, msg, "rest_out_of_bounds")
    return value


def enum_arg(req: RestRequest, name: str, default: str | None, choices: list[str]) -> str | None:
    raw = req.get(name)
    if raw is None:
        return default
    if str(raw) not in choices:
        unique = list(dict.fromkeys(choices))
        msg = f"{name} is not one of {_list_words(unique)}."
        raise invalid_param(name, msg, "rest_not_in_enum")
    return str(raw)


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$", re.I
)


def date_arg(req: RestRequest, name: str) -> int | None:
    """A ``date-time`` argument (``rest_parse_date``) as a Unix time; the site runs on UTC, so
    a time without an offset is UTC whether or not ``dates_are_gmt`` is set."""
    raw = req.get(name)
    if raw in (None, ""):
        return None
    text = str(raw)
    if not _RFC3339.match(text):
        raise invalid_param(name, "Invalid date.", "rest_invalid_date")
    try:
        parsed = dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise invalid_param(name, "Invalid date.", "rest_invalid_date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp())


def id_list(raw) -> list[int]:
    """``wp_parse_id_list``."""
    if raw in (None, ""):
        return []
    values = raw.values() if isinstance(raw, dict) else re.split(r"[\s,]+", str(raw))
    return [int(v) for v in values if str(v).strip().isdigit()]


def paginate(req: RestRequest, items: list, serialize: Callable, per_page: int, page: int):
    """Slice ``items`` and add the X-WP-Total / X-WP-TotalPages / Link headers."""
    offset = req.get("offset")
    start = int(offset) if offset not in (None, "") else (page - 1) * per_page
    total = len(items)
    pages = math.ceil(total / per_page) if per_page else 0
    data = [serialize(x) for x in items[start : start + per_page]]
    base = f"{req.home}/wp-json/wc/v3/{req.route}"
    query = {k: v for k, v in req.query.items() if not isinstance(v, dict)}
    base = f"{base}?{build_query(query)}" if query else base
    links = []
    if page > 1:
        links.append(f'<{add_query_arg(base, {"page": min(page - 1, pages)})}>; rel="prev"')
    if pages > page:
        links.append(f'<{add_query_arg(base, {"page": page + 1})}>; rel="next"')
    return RestResponse(data, total=total, pages=pages, links=", ".join(links) or None)


# --------------------------------------------------------------------------- responses


def php_headers(host: str) -> list[tuple[str, str]]:
    """What ``php -S`` put first on every captured response.

    The captures also show ``Date`` and ``Connection: close`` here; the WSGI server
    (``ServerThread``) always writes its own ``Date`` first and ``Connection: close`` last, so
    they are left to it rather than sent twice.
    """
    return [("Host", host), ("X-Powered-By", "PHP/8.2.36")]


def rest_headers(
    host: str,
    home: str,
    *,
    logged_in: bool,
    method: str,
    allow: str | None,
    response: RestResponse | None = None,
) -> list[tuple[str, str]]:
    headers = php_headers(host) + [
        ("Content-Type", "application/json; charset=UTF-8"),
        ("X-Robots-Tag", "noindex"),
        ("Link", f'<{home}/wp-json/>; rel="https://api.w.org/"'),
        ("X-Content-Type-Options", "nosniff"),
        ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
        (
            "Access-Control-Allow-Headers",
            "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
        ),
    ]
    if response is not None:
        if response.total is not None:
            headers.append(("X-WP-Total", str(response.total)))
            headers.append(("X-WP-TotalPages", str(response.pages)))
        if response.links:
            # header('Link: ...') replaces the api.w.org Link and moves it to the end.
            headers = [h for h in headers if h[0] != "Link"]
            headers.append(("Link", response.links))
        headers.extend(response.headers)
    if logged_in:
        if allow:
            headers.append(("Allow", allow))
        headers.extend(NOCACHE)
    elif method == "GET":
        headers.append(("Vary", "Origin"))
    return headers


def encode(data) -> bytes:
    return wp_json_encode(data)
