"""The HTTP surface: ``/open_api/v1.3/...`` answered in TikTok's envelope, with faults and a log.

Wire facts it keeps (TikTok API for Business v1.3):
- every answer, failures included, is HTTP 200 with ``{"code", "message", "request_id", "data"}``
  and ``code`` 0 for success (Airbyte ``source-tiktok-marketing`` BEHAVIOR.md §6: rate limiting
  is ``code`` 40100 inside a 200; its tests answer a system error as 200 + ``{"code": 50000,
  "message": "System error."}``);
- the token travels in the ``Access-Token`` header (official SDK ``business_api_client``);
  ``GET`` parameters that are lists or objects are JSON strings (``filtering``, ``fields``,
  ``advertiser_ids``), as the SDK's ``parameters_to_tuples`` sends them;
- ``/<campaign|adgroup|ad>/status/update/`` takes 1-20 ids (``campaign_ids: Length must be
  between 1 and 20.`` otherwise) and cannot touch a deleted object;
- deleted objects are left out of ``/get/`` unless ``filtering.secondary_status`` asks for
  ``*_STATUS_ALL`` / ``*_STATUS_DELETE`` (Airbyte manifest ``include_deleted``).
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import time
from decimal import Decimal, InvalidOperation

from flask import Flask, Response, g, request

from .state import FIELDS, SECONDARY_PREFIX

BASE = "/open_api/v1.3"
IDS_PARAM = {"campaign": "campaign_ids", "adgroup": "adgroup_ids", "ad": "ad_ids"}
FILTERS = {
    "campaign": ("campaign_ids",),
    "adgroup": ("campaign_ids", "adgroup_ids"),
    "ad": ("campaign_ids", "adgroup_ids", "ad_ids"),
}
MAX_STATUS_IDS = 20
MAX_FILTER_IDS = 100
MAX_PAGE_SIZE = 1000

# (code, message) of the platform's refusals.
TOKEN_EMPTY = (40104, "Access token is null, please check.")
TOKEN_INVALID = (40105, "Access token is incorrect or has been revoked.")
THROTTLED = (40100, "Requests made too frequently.")
SYSTEM_ERROR = (50000, "System error.")


class TikTokError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def param_error(message: str) -> TikTokError:
    return TikTokError(40002, message)


def request_id() -> str:
    """Like TikTok's: a UTC timestamp followed by upper-case hex."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(11).upper()


def envelope(code: int, message: str, data: dict | None = None, status: int = 200) -> Response:
    rid = g.get("request_id") or request_id()
    body = {"code": code, "message": message, "request_id": rid, "data": data or {}}
    return Response(
        json.dumps(body),
        status,
        {"Content-Type": "application/json", "X-Tt-Logid": rid},
    )


def create_app(sb) -> Flask:
    app = Flask("sandbox.tiktok")
    account = sb.account

    # ------------------------------------------------------------------ plumbing

    @app.before_request
    def log_and_fault():
        g.request_id = request_id()
        raw = request.get_data(cache=True)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        g.entry = {
            "method": request.method,
            "path": request.path,
            "query": {k: _maybe_json(v) for k, v in request.args.items()},
            "headers": dict(request.headers),
            "body": body,
            "status": None,
            "code": None,
            "fault": None,
            "at": time.time(),
        }
        sb.requests.append(g.entry)
        if not request.path.startswith(BASE + "/"):
            return None
        kind = sb.take_fault()
        if kind is None:
            return None
        g.entry["fault"] = kind
        if kind == "timeout":
            # Hold the request past the client's timeout, like a stuck gateway.
            sb.release.wait(sb.hang_seconds)
            return envelope(*SYSTEM_ERROR, status=504)
        if kind == "throttle":
            return envelope(*THROTTLED)
        if kind == "system_error":
            return envelope(*SYSTEM_ERROR)
        return envelope(*SYSTEM_ERROR, status=500)  # "server_error"

    @app.after_request
    def record(response: Response) -> Response:
        entry = g.get("entry")
        if entry is not None:
            entry["status"] = response.status_code
            with contextlib.suppress(ValueError, AttributeError):
                entry["code"] = json.loads(response.get_data()).get("code")
        return response

    @app.errorhandler(TikTokError)
    def refused(e: TikTokError):
        return envelope(e.code, e.message)

    @app.errorhandler(404)
    def unknown_route(_e):
        return envelope(40400, f"Route {request.path} not found.", status=404)

    @app.errorhandler(405)
    def wrong_method(_e):
        return envelope(
            40400, f"Method {request.method} not allowed for {request.path}.", status=405
        )

    def authenticate() -> None:
        token = request.headers.get("Access-Token")
        if not token:
            raise TikTokError(*TOKEN_EMPTY)
        if not sb.token_valid(token):
            raise TikTokError(*TOKEN_INVALID)

    def authorized_advertiser(value) -> None:
        if value in (None, ""):
            raise param_error("advertiser_id: Missing data for required field.")
        if str(value) != account.advertiser.advertiser_id:
            raise TikTokError(
                40001,
                f"No permission to operate advertiser {value}. "
                "Please check whether the advertiser is authorized.",
            )

    def json_body() -> dict:
        if "json" not in (request.content_type or ""):
            raise param_error("Content-Type must be application/json.")
        body = g.entry["body"]
        if not isinstance(body, dict):
            raise param_error("Request body must be a JSON object.")
        return body

    def ok(data: dict) -> Response:
        return envelope(0, "OK", data)

    # ------------------------------------------------------------------ reads

    @app.get(f"{BASE}/advertiser/info/")
    def advertiser_info():
        authenticate()
        ids = _json_param("advertiser_ids", required=True)
        if not isinstance(ids, list) or not ids:
            raise param_error("advertiser_ids: Length must be between 1 and 100.")
        for value in ids:
            authorized_advertiser(value)
        fields = _json_param("fields")
        with account.lock:
            info = account.advertiser_json()
        if fields:
            info = {k: v for k, v in info.items() if k in fields or k == "advertiser_id"}
        return ok({"list": [info]})

    def get_objects(kind: str) -> Response:
        authenticate()
        authorized_advertiser(request.args.get("advertiser_id"))
        filtering = _json_param("filtering") or {}
        if not isinstance(filtering, dict):
            raise param_error("filtering: Not a valid mapping type.")
        fields = _json_param("fields")
        if fields is not None:
            unknown = [f for f in fields if f not in FIELDS[kind]]
            if not isinstance(fields, list) or unknown:
                raise param_error(f"fields: Invalid field(s) {unknown}.")
        page = _int_param("page", 1, 1, 10**6)
        page_size = _int_param("page_size", 10, 1, MAX_PAGE_SIZE)
        with account.lock:
            rows = [o for o in account.objects.values() if o.kind == kind]
            rows = _filter(account, kind, rows, filtering)
            rows.sort(key=lambda o: o.id, reverse=True)  # newest first, as TikTok lists them
            total = len(rows)
            chunk = rows[(page - 1) * page_size : page * page_size]
            items = [account.to_json(o) for o in chunk]
        if fields:
            items = [{k: v for k, v in item.items() if k in fields} for item in items]
        page_info = {
            "page": page,
            "page_size": page_size,
            "total_number": total,
            "total_page": math.ceil(total / page_size),
        }
        return ok({"list": items, "page_info": page_info})

    app.add_url_rule(f"{BASE}/campaign/get/", "campaign_get", lambda: get_objects("campaign"))
    app.add_url_rule(f"{BASE}/adgroup/get/", "adgroup_get", lambda: get_objects("adgroup"))
    app.add_url_rule(f"{BASE}/ad/get/", "ad_get", lambda: get_objects("ad"))

    # ------------------------------------------------------------------ writes

    def status_update(kind: str) -> Response:
        authenticate()
        body = json_body()
        authorized_advertiser(body.get("advertiser_id"))
        key = IDS_PARAM[kind]
        ids = body.get(key)
        if ids is None:
            raise param_error(f"{key}: Missing data for required field.")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_STATUS_IDS:
            raise param_error(f"{key}: Length must be between 1 and {MAX_STATUS_IDS}.")
        op = body.get("operation_status")
        if op not in ("ENABLE", "DISABLE", "DELETE"):
            raise param_error("operation_status: Must be one of: ENABLE, DISABLE, DELETE.")
        with account.lock:
            missing = [str(i) for i in ids if account.live(kind, str(i)) is None]
            if missing:
                # The whole call is refused; a deleted object's status cannot change either.
                raise param_error(
                    f"{key}: The {kind} {', '.join(missing)} does not exist or has been deleted."
                )
            changed = []
            for object_id in dict.fromkeys(str(i) for i in ids):
                obj = account.live(kind, object_id)
                if op == "DELETE":
                    account.delete(obj)
                else:
                    obj.operation_status = op
                    obj.modify_time = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
                sb.record_write(object_id, "status", op)
                changed.append(object_id)
        data = {key: changed, "status": op}
        if kind == "campaign":
            data["campaign_list"] = [{"campaign_id": i, "status": op} for i in changed]
        return ok(data)

    for kind in ("campaign", "adgroup", "ad"):
        app.add_url_rule(
            f"{BASE}/{kind}/status/update/",
            f"{kind}_status_update",
            (lambda k: lambda: status_update(k))(kind),
            methods=["POST"],
        )

    @app.post(f"{BASE}/campaign/update/")
    def campaign_update():
        authenticate()
        body = json_body()
        authorized_advertiser(body.get("advertiser_id"))
        campaign_id = body.get("campaign_id")
        if campaign_id in (None, ""):
            raise param_error("campaign_id: Missing data for required field.")
        with account.lock:
            obj = account.live("campaign", str(campaign_id))
            if obj is None:
                raise param_error(f"campaign_id: The campaign {campaign_id} does not exist.")
            if "budget" in body:
                obj.budget = _budget(obj, body["budget"], "budget")
                sb.record_write(obj.id, "daily_budget", _minor(obj.budget))
            if "campaign_name" in body:
                obj.name = str(body["campaign_name"])
            obj.modify_time = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
            return ok(account.to_json(obj))

    @app.post(f"{BASE}/adgroup/budget/update/")
    def adgroup_budget_update():
        authenticate()
        body = json_body()
        authorized_advertiser(body.get("advertiser_id"))
        entries = body.get("budget")
        if not isinstance(entries, list) or not entries:
            raise param_error("budget: Missing data for required field.")
        with account.lock:
            targets = []
            for entry in entries:
                if not isinstance(entry, dict) or "adgroup_id" not in entry:
                    raise param_error("budget.adgroup_id: Missing data for required field.")
                obj = account.live("adgroup", str(entry["adgroup_id"]))
                if obj is None:
                    raise param_error(
                        f"adgroup_id: The adgroup {entry['adgroup_id']} does not exist."
                    )
                targets.append((obj, _budget(obj, entry.get("budget"), "budget.budget")))
            for obj, amount in targets:  # all or nothing
                obj.budget = amount
                sb.record_write(obj.id, "daily_budget", _minor(amount))
        return ok({})

    return app


# --------------------------------------------------------------------------- helpers


def _maybe_json(value: str):
    """A JSON list/object parameter decoded (for the request log); anything else as sent."""
    if value[:1] not in ("[", "{"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _json_param(name: str, required: bool = False):
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise param_error(f"{name}: Missing data for required field.")
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise param_error(f"{name}: Not a valid JSON.") from None


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise param_error(f"{name}: Not a valid integer.") from None
    if not low <= value <= high:
        raise param_error(f"{name}: Must be greater than or equal to {low} and less than or "
                          f"equal to {high}.")  # fmt: skip
    return value


def _filter(account, kind: str, rows: list, filtering: dict) -> list:
    prefix = SECONDARY_PREFIX[kind]
    wanted = filtering.get("secondary_status") or f"{prefix}_NOT_DELETE"
    for key in FILTERS[kind]:
        if key not in filtering:
            continue
        ids = filtering[key]
        if not isinstance(ids, list) or len(ids) > MAX_FILTER_IDS:
            raise param_error(f"filtering.{key}: Length must be between 0 and {MAX_FILTER_IDS}.")
        ids = {str(i) for i in ids}
        if key == "campaign_ids":
            rows = [o for o in rows if account.campaign_of(o).id in ids]
        elif key == "adgroup_ids":
            rows = [o for o in rows if (o.id if kind == "adgroup" else o.parent_id) in ids]
        else:
            rows = [o for o in rows if o.id in ids]
    if wanted == f"{prefix}_ALL":
        return rows
    if wanted == f"{prefix}_NOT_DELETE":
        return [o for o in rows if not o.deleted]
    return [o for o in rows if account.secondary_status(o) == wanted]


def _budget(obj, value, field: str) -> Decimal:
    if obj.budget_mode in (None, "BUDGET_MODE_INFINITE"):
        raise param_error(f"{field}: Budget cannot be set when budget_mode is "
                          "BUDGET_MODE_INFINITE.")  # fmt: skip
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise param_error(f"{field}: Not a valid number.") from None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise param_error(f"{field}: Must be a positive amount with at most 2 decimals.")
    return amount


def _minor(amount: Decimal) -> int:
    return int(amount * 100)
