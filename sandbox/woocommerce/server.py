"""The Flask app: ``/wp-json/wc/v3/...`` REST routes, ``/wc-auth/v1/...``, request log, faults."""

from __future__ import annotations

import json
import time

from flask import Flask, g, request
from flask import Response as FlaskResponse
from werkzeug.datastructures import Headers

from . import routes_data, routes_orders, routes_products
from .auth import Authenticator
from .models import WCError
from .rest import PERMISSION_ERRORS, RestRequest, RestResponse, encode, php_headers, rest_headers
from .serialize import php_parse_str


class Response(FlaskResponse):
    """Send headers untouched: Werkzeug would percent-encode the ``(?P<product_id>[\\d]+)``
    that WooCommerce leaves in a variation's ``Location`` header."""

    def get_wsgi_headers(self, environ) -> Headers:
        headers = Headers(self.headers)
        if "Content-Length" not in headers and isinstance(self.response, list):
            headers["Content-Length"] = str(sum(len(chunk) for chunk in self.response))
        return headers


CRITICAL_ERROR = {
    "code": "internal_server_error",
    "message": "<p>There has been a critical error on this website.</p><p>"
    '<a href="https://wordpress.org/documentation/article/faq-troubleshooting/">'
    "Learn more about troubleshooting WordPress.</a></p>",
    "data": {"status": 500},
    "additional_errors": [],
}
REST_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _fault_response(sb, fault, host: str) -> Response:
    if fault.status == "timeout":
        # Hold the connection like a hung PHP worker; the client's timeout fires first.
        sb.release.wait(sb.fault_hang_seconds)
        headers = php_headers(host) + [("Content-Type", "text/html; charset=UTF-8")]
        return Response(b"<h1>504 Gateway Timeout</h1>", 504, headers)
    status = int(fault.status)
    if status == 500 and request.path.startswith("/wp-json"):
        headers = php_headers(host) + [("Content-Type", "application/json; charset=UTF-8")]
        return Response(encode(CRITICAL_ERROR), 500, headers)
    headers = php_headers(host) + [("Content-Type", "text/html; charset=UTF-8")]
    if status == 429:
        headers.append(("Retry-After", str(sb.fault_retry_after)))
    return Response(f"<h1>{status}</h1>".encode(), status, headers)


def _body_params(raw: bytes, content_type: str) -> dict:
    if not raw:
        return {}
    if "application/json" in content_type:
        try:
            data = json.loads(raw)
        except ValueError:
            raise WCError(
                "rest_invalid_json",
                "Invalid JSON body passed.",
                400,
                json_error_code=4,
                json_error_message="Syntax error",
            ) from None
        return data if isinstance(data, dict) else {}
    return {}


def create_app(sb) -> Flask:
    app = Flask("sandbox.woocommerce")
    authenticator = Authenticator(sb.store)
    routes = routes_products.build(sb) + routes_orders.build(sb) + routes_data.build(sb)

    @app.before_request
    def log_and_inject_faults():
        sb.remember_host(request.host_url)
        g.entry = {
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("utf-8", "replace"),
            "headers": list(request.headers.items()),
            "body": request.get_data(cache=True),
            "status": None,
            "time": time.time(),
        }
        sb.requests_log.append(g.entry)
        fault = sb.take_fault(request.path)
        if fault is not None:
            return _fault_response(sb, fault, request.headers.get("Host", ""))
        for action in sb.take_before(request.method, request.path):
            action()
        return None

    @app.after_request
    def record_status(response: Response) -> Response:
        if "entry" in g:
            g.entry["status"] = response.status_code
        return response

    @app.get("/wp-json/")
    @app.get("/wp-json")
    def rest_index() -> Response:
        """The REST API index (``WP_REST_Server::get_index``): the site title as ``name``, public,
        no key needed; ``_fields`` keeps only the fields asked for."""
        home = sb.home
        data = {
            "name": sb.site_title,
            "description": sb.site_tagline,
            "url": home,
            "home": home,
            "gmt_offset": "0",
            "timezone_string": "",
            "namespaces": ["oembed/1.0", "wc/store/v1", "wc/v1", "wc/v2", "wc/v3", "wp/v2"],
            "authentication": [],
            "routes": {},
        }
        fields = [f.strip() for f in request.args.get("_fields", "").split(",") if f.strip()]
        if fields:
            data = {k: v for k, v in data.items() if k in fields}
        host = request.headers.get("Host", "")
        headers = rest_headers(host, home, logged_in=False, method="GET", allow=None)
        return Response(encode(data), 200, headers)

    @app.route("/wp-json/wc/v3/<path:path>", methods=REST_METHODS)
    def rest(path: str) -> Response:
        method = request.method
        host = request.headers.get("Host", "")
        home = sb.home
        raw = request.get_data(cache=True)
        query = php_parse_str(request.query_string.decode("utf-8", "replace"))
        is_form = request.mimetype == "application/x-www-form-urlencoded"
        form = php_parse_str(raw.decode("utf-8", "replace")) if is_form else {}
        raw_uri = (
            request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.path
        )
        logged_in, allow = False, None

        def reply(status: int, data, response: RestResponse | None = None) -> Response:
            headers = rest_headers(
                host, home, logged_in=logged_in, method=method, allow=allow, response=response
            )
            return Response(encode(data), status, headers)

        auth = authenticator.authenticate(
            method=method,
            is_ssl=request.scheme == "https",
            home_url=home,
            raw_path=raw_uri.split("?", 1)[0],
            get=query,
            post=form,
            authorization=request.headers.get("Authorization", ""),
        )
        if auth.error is not None:
            headers = rest_headers(host, home, logged_in=False, method=method, allow=None)
            if auth.method == "basic_auth":
                headers.append(
                    (
                        "WWW-Authenticate",
                        'Basic realm="WooCommerce API. Use a consumer key in the username field '
                        'and a consumer secret in the password field."',
                    )
                )
            return Response(encode(auth.error.body()), 401, headers)
        key = auth.key
        logged_in = key is not None
        try:
            if key is not None:
                denied = authenticator.check_permissions(key, method)
                if denied is not None:
                    raise denied
            path = path.strip("/")
            verb = "GET" if method == "HEAD" else method  # WordPress serves HEAD as GET
            for candidate in routes:
                match = candidate.pattern.match(path)
                if match and verb in candidate.handlers:
                    break
            else:
                raise WCError(
                    "rest_no_route", "No route was found matching the URL and request method.", 404
                )
            allow = candidate.allow
            body = _body_params(raw, request.mimetype or "") or form
            req = RestRequest(method, path, match.groupdict(), query, body, home, key)
            if key is None:
                kind = candidate.kinds.get(verb, "view")
                found = candidate.exists is None or candidate.exists(req)
                if kind in ("list", "create", "batch") or found:
                    code, message = PERMISSION_ERRORS[kind]
                    raise WCError(code, message, 401)
            response = candidate.handlers[verb](req)
        except WCError as exc:
            return reply(exc.status, exc.body())
        return reply(response.status, response.data, response)

    @app.route("/wc-auth/v<int:version>/<path:route>", methods=["GET", "POST"])
    def wc_auth(version: int, route: str) -> Response:
        host = request.headers.get("Host", "")
        if version != 1:  # the rewrite rule is ^wc-auth/v([1]{1})/(.*)?
            headers = php_headers(host) + [("Content-Type", "text/html; charset=UTF-8")]
            return Response(b"<h1>Page not found</h1>", 404, headers)
        params = {**php_parse_str(request.query_string.decode("utf-8", "replace"))}
        if request.mimetype == "application/x-www-form-urlencoded":
            params.update(php_parse_str(request.get_data(cache=True).decode("utf-8", "replace")))
        status, headers, body = sb.wcauth.handle(route, params, host)
        return Response(body, status, headers)

    return app
