"""The sandbox's HTTP surface: one Flask app that plays every ``*.myshopify.com`` store.

The store is chosen by the Host header, as on Shopify; an unknown store answers 404. Every
request is logged to ``sandbox.requests_log`` before anything else happens, then injected
faults get their turn, then the route.
"""

from __future__ import annotations

import json
import re
import traceback
import uuid
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import oauth, storefront_pages, tokens
from .graphql_exec import admin_schema, run_graphql
from .registry import RequestContext
from .state import API_VERSION, ReceivedRequest

if TYPE_CHECKING:
    from .sandbox import ShopifySandbox

VERSION_RE = re.compile(r"^(\d{4}-\d{2}|unstable)$")
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
TOO_MANY_REQUESTS = (
    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted "
    "service."
)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _not_found() -> Response:
    return _json({"errors": "Not Found"}, 404)


def _record(sb: ShopifySandbox) -> ReceivedRequest:
    body = request.get_data(cache=True)
    parsed_json = request.get_json(silent=True, cache=True) if request.is_json else None
    form = request.form.to_dict(flat=True) if request.form else None
    entry = ReceivedRequest(
        method=request.method,
        host=request.host.split(":", 1)[0].lower(),
        path=request.path,
        query=request.args.to_dict(flat=False),
        headers=dict(request.headers),
        body=body,
        json=parsed_json,
        form=form,
    )
    if isinstance(parsed_json, dict) and request.path.endswith("/graphql.json"):
        entry.graphql_query = parsed_json.get("query")
        entry.graphql_variables = parsed_json.get("variables")
        entry.graphql_operation_name = parsed_json.get("operationName")
    elif request.mimetype == "application/graphql":
        entry.graphql_query = body.decode("utf-8", "replace")
    with sb.lock:
        sb.requests_log.append(entry)
    return entry


def create_app(sb: ShopifySandbox) -> Flask:
    # The Admin schema (built once per process from the SDL) takes seconds on a loaded machine:
    # built lazily, the first request could outlast the client's 10 s time-out (an install's
    # first GraphQL call failing now and then). Build it with the server instead.
    admin_schema()
    app = Flask("shopify_sandbox")

    @app.before_request
    def identify_shop_and_inject_faults():
        g.entry = _record(sb)
        shop = sb.shops.get(g.entry.host)
        if shop is None:
            return _not_found()
        g.shop = shop
        fault = sb.faults.take(request.path)
        if fault is None:
            return None
        g.entry.fault = str(fault.status)
        if fault.status == "timeout":
            # Hold the connection so the client's own timeout fires; then give up like a proxy.
            sb.faults.hang(fault.hang_seconds)
            return _json({"errors": "Gateway Timeout"}, 504)
        if fault.status == 429:
            return _json(
                {"errors": TOO_MANY_REQUESTS}, 429, {"Retry-After": f"{fault.retry_after:.1f}"}
            )
        request_id = str(uuid.uuid4())
        return _json(
            {"errors": "Internal Server Error"}, int(fault.status), {"X-Request-Id": request_id}
        )

    @app.after_request
    def remember_status(response: Response) -> Response:
        entry = g.get("entry")
        if entry is not None:
            entry.status = response.status_code
        return response

    @app.errorhandler(Exception)
    def sandbox_bug(error: Exception):
        if isinstance(error, HTTPException):
            return error
        # A crash here is a sandbox bug: keep it visible to the test that caused it.
        sb.internal_errors.append(traceback.format_exc())
        return _json({"errors": f"sandbox internal error: {error!r}"}, 500)

    @app.get("/admin/oauth/authorize")
    def authorize():
        outcome = oauth.authorize(sb, g.shop, request.args)
        if outcome.location:
            return Response("", status=outcome.status, headers={"Location": outcome.location})
        return Response(outcome.html, status=outcome.status, mimetype="text/html")

    @app.post("/admin/oauth/access_token")
    def access_token():
        params: dict[str, Any] = dict(request.args.to_dict())
        params.update(request.form.to_dict())
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            params.update(body)
        grant = str(params.get("grant_type") or "")
        with sb.lock:
            if grant == "refresh_token":
                status, payload = oauth.client_checked(sb, params, tokens.refresh, g.shop)
            elif grant == tokens.TOKEN_EXCHANGE:
                status, payload = oauth.client_checked(sb, params, tokens.exchange, g.shop)
            else:
                status, payload = oauth.exchange_code(sb, g.shop, params)
            if grant == "refresh_token" and status == 200 and sb.lose_refresh_responses > 0:
                sb.lose_refresh_responses -= 1
                g.entry.fault = "lost response"
                return _json({"errors": "Gateway Timeout"}, 504)
        return _json(payload, status)

    @app.post("/admin/api/<version>/graphql.json")
    def graphql(version: str):
        if not VERSION_RE.match(version):
            return _not_found()
        token = request.headers.get("X-Shopify-Access-Token", "")
        with sb.lock:
            refused = token not in g.shop.access_tokens or tokens.admin_refusal(sb, token)
        if refused:  # unknown, revoked, expired, or non-expiring past 1 Jan 2027
            return _json({"errors": INVALID_TOKEN}, 401)
        if request.mimetype == "application/graphql":
            query, variables, operation_name = request.get_data(as_text=True), None, None
        else:
            body = request.get_json(silent=True, force=True)
            if not isinstance(body, dict):
                return _json({"errors": {"query": "Required parameter missing or invalid"}}, 400)
            query = body.get("query")
            variables = body.get("variables")
            operation_name = body.get("operationName")
        ctx = RequestContext(sandbox=sb, shop=g.shop, access_token=token, api_version=API_VERSION)
        # Each request sees one consistent store: resolvers run under the sandbox lock.
        with sb.lock:
            result = run_graphql(ctx, sb.bucket(g.shop), query, variables, operation_name)
        # Webhooks go out after the lock is released (an app that calls back from its webhook
        # handler must not deadlock us) and before this answer, so they may beat it, as on
        # Shopify where delivery is asynchronous.
        if ctx.events and sb.async_webhooks:
            sb.send_events_later(g.shop, ctx.events)
        else:
            sb.send_events(g.shop, ctx.events)
        # Shopify serves the version it actually used in this header (we only speak 2026-04).
        return _json(result, 200, {"X-Shopify-API-Version": API_VERSION})

    storefront_pages.register(app, sb)  # the shoppers' theme pages

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def unhandled(path: str):
        # Not modelled: answer like Shopify's 404 but keep it visible to the test.
        sb.unexpected_requests.append(g.entry)
        return _not_found()

    return app
