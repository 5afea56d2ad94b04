"""The Meta sandbox's HTTP surface: ``/v{N}.0/...`` Graph routes, auth on every call, faults,
and the request log.

Every call must carry the access token (``access_token`` parameter or an ``Authorization:
Bearer``/``OAuth`` header) and the ``appsecret_proof`` (hex HMAC-SHA256 of the token keyed with
the app secret), as an app with "Require App Secret" on demands. Reads: ``GET /{id}``,
``GET /{id}/{campaigns|adsets|ads}`` (cursor paging), ``GET /?ids=a,b`` (legacy multi-id
read); writes: ``POST /{id}`` and ``DELETE /{id}``. Anything else fails loudly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from . import graph

VERSIONED = re.compile(r"^/(v\d+\.\d+)(/.*)?$")
SECRET_PARAMS = ("access_token", "appsecret_proof")


def _json(status: int, body, headers: dict | None = None) -> Response:
    resp = Response(
        json.dumps(body, separators=(",", ":")),
        status,
        content_type="application/json; charset=UTF-8",
    )
    resp.headers["x-fb-trace-id"] = graph.trace_id()
    resp.headers["facebook-api-version"] = "v26.0"
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def _error(err: graph.GraphError) -> Response:
    return _json(err.status, err.body(), err.headers)


def _params(request: Request) -> dict:
    params = dict(request.args.items())
    if request.method in ("POST", "DELETE"):
        params.update(request.form.items())
    return params


def _token(request: Request, params: dict) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return params.get("access_token") or None


def _json_list(value) -> list | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = [v for v in str(value).split(",") if v]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


class GraphApp:
    """WSGI app over a ``MetaSandbox`` (its store, credentials, faults and logs)."""

    def __init__(self, sb):
        self.sb = sb

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    # ------------------------------------------------------------------ pipeline

    def handle(self, request: Request) -> Response:
        sb = self.sb
        params = _params(request)
        entry = {
            "method": request.method,
            "path": request.path,
            "version": None,
            "params": {k: v for k, v in params.items() if k not in SECRET_PARAMS},
            "token_in": "header" if request.headers.get("Authorization") else "query",
            "appsecret_proof": "appsecret_proof" in params,
            "auth": None,
            "status": None,
            "at": time.time(),
        }
        with sb.lock:
            sb.requests.append(entry)
        resp = self._answer(request, params, entry)
        entry["status"] = resp.status_code
        return resp

    def _answer(self, request: Request, params: dict, entry: dict) -> Response:
        sb = self.sb
        match = VERSIONED.match(request.path)
        if not match:
            return _error(graph.unknown_path(request.path))
        entry["version"] = match.group(1)
        fault = sb.take_fault()
        if fault is not None:
            return self._fault(fault)
        try:
            self._authenticate(request, params)
            entry["auth"] = "ok"
            return self._route(request, match.group(2) or "/", params)
        except graph.GraphError as err:
            if entry["auth"] is None:
                entry["auth"] = err.code
            return _error(err)

    def _fault(self, kind: str) -> Response:
        sb = self.sb
        if kind == "timeout":
            # Hold the request past the client's timeout, like a stuck Graph frontend.
            sb.release.wait(sb.hang_seconds)
            return _error(graph.server_error())
        if kind == "server_error":
            return _error(graph.server_error())
        return _error(graph.throttled(kind, sb.store.account_id, sb.throttle_regain_minutes))

    def _authenticate(self, request: Request, params: dict) -> None:
        sb = self.sb
        token = _token(request, params)
        if not token:
            raise graph.token_required()
        if not hmac.compare_digest(token.encode(), sb.access_token.encode()):
            raise graph.token_invalid()
        proof = params.get("appsecret_proof")
        if not proof:
            raise graph.proof_missing()
        expected = hmac.new(sb.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof.encode(), expected.encode()):
            raise graph.proof_invalid()
        if sb.expired_at is not None:
            raise graph.token_expired(sb.expired_at, time.time())

    # ------------------------------------------------------------------ routes

    def _route(self, request: Request, rest: str, params: dict) -> Response:
        parts = [p for p in rest.split("/") if p]
        method = request.method
        if not parts:
            if method == "GET" and "ids" in params:
                return self._read_many(params)
            raise graph.invalid_param("(#100) The sandbox answers no root request but ?ids=")
        if len(parts) == 1:
            ref = parts[0]
            if method == "GET":
                return self._ok(
                    self.sb.store.read_node(ref, graph.parse_fields(params.get("fields")))
                )
            if method == "POST":
                self.sb.store.update(ref, params)
                return self._ok({"success": True})
            if method == "DELETE":
                self.sb.store.update(ref, {"status": "DELETED"})
                return self._ok({"success": True})
        if len(parts) == 2 and method == "GET":
            return self._edge(request, parts[0], parts[1], params)
        raise graph.unknown_path("/" + "/".join(parts[1:]))

    def _ok(self, body) -> Response:
        store = self.sb.store
        usage = graph.business_use_case_usage(store.account_id, call_count=1, regain_minutes=0)
        return _json(200, body, {"x-business-use-case-usage": usage})

    def _read_many(self, params: dict) -> Response:
        # The legacy multi-id read: one unknown id fails the whole request (#803).
        fields = graph.parse_fields(params.get("fields"))
        ids = [i for i in params["ids"].split(",") if i]
        store = self.sb.store
        missing = [i for i in ids if store.get(i) is None and i != store.account_ref]
        if missing:
            raise graph.GraphError(
                400,
                f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}",
                code=803,
            )
        return self._ok({i: store.read_node(i, fields) for i in ids})

    def _edge(self, request: Request, ref: str, edge: str, params: dict) -> Response:
        store = self.sb.store
        fields = graph.parse_fields(params.get("fields"))
        try:
            limit = int(params.get("limit", 25))
        except ValueError:
            raise graph.invalid_param("(#100) Param limit must be an integer") from None
        with store.lock:
            objects = store.children(ref, edge, _json_list(params.get("effective_status")))
            rows, before, after, more = store.page(objects, fields, limit, params.get("after"))
        body: dict = {"data": rows, "paging": {"cursors": {"before": before, "after": after}}}
        if more:
            query = {k: v for k, v in request.args.items() if k != "after"}
            query["after"] = after
            base = (self.sb.base_url or request.host_url).rstrip("/")
            body["paging"]["next"] = f"{base}{request.path}?{urlencode(query)}"
        if str(params.get("summary", "")).lower() == "true":
            body["summary"] = {"total_count": len(objects)}
        return self._ok(body)
