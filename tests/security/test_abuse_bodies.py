"""Oversized and deeply nested bodies: 413 past MAX_CONTENT_LENGTH on every route that reads a
body (found in the app's URL map), 400 for JSON nested past 64 levels or carrying NUL, at the
webhooks, the admin API, the install callback and notify-me — never a 500, no row left."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

import inputs
from tests.connectors.shopify.helpers import signed_headers
from tests.security.conftest import (
    make_woo,
    panel_auth,
    table_counts,
    woo_headers,
)

LIMIT = 1024 * 1024
DEEP_LIST = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000

# Routes that take no body: they never read it, so its size cannot matter to them.
IGNORES_BODY = {
    "admin_api.start_import",
    "admin_api.start_reconcile",
    "admin_ads.test_account",
    "admin_ads.import_account",
    "admin_ads.disconnect_account",
    "admin_ads.delete_link",
    "admin_ads.judge_action",
    "admin_storefront.cancel_restock",
    "admin_alerts.send_test",  # sends to the channels saved in the settings
    "storefront.unsubscribe",  # the token in the address is all it needs
    "storefront.notify_preflight",
}


@pytest.fixture
def stores(app, db_session, tenants):
    a, _ = tenants
    woo = make_woo(db_session)
    app.config.update(NOTIFY_RATE_LIMIT=0, STOREFRONT_RATE_LIMIT=0)
    return a, woo.id


def _body_routes(app, a, woo_id):
    """(endpoint, method, path) of every route that may read a body, with A's own ids."""
    values = {
        **a.ids,
        "verdict": "approve",
        "token": "x",
        "installation_id": woo_id,
    }
    adapter = app.url_map.bind("stockguard.test")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            if rule.endpoint in IGNORES_BODY:
                continue
            args = {name: values[name] for name in rule.arguments if name != "platform"}
            platforms = ["shopify", "woocommerce"] if "platform" in rule.arguments else [None]
            for platform in platforms:
                # Shopify names the shop in a header, WooCommerce the installation in the URL.
                if platform and (platform == "shopify") == ("installation_id" in args):
                    continue
                built = {**args, **({"platform": platform} if platform else {})}
                yield rule.endpoint, method, adapter.build(rule.endpoint, built, method=method)


def test_every_route_that_reads_a_body_answers_413_past_the_limit(app, client, stores):
    a, woo_id = stores
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert endpoints >= IGNORES_BODY, IGNORES_BODY - endpoints  # the exemptions are current
    routes = list(_body_routes(app, a, woo_id))
    assert len(routes) >= 19
    body = b'{"pad":"' + b"x" * LIMIT + b'"}'
    before = table_counts()
    for endpoint, method, path in routes:
        headers = {"Content-Type": "application/json", **panel_auth(app, a)}
        if path == "/webhooks/shopify":
            headers.update(signed_headers("orders/create", a.shop, body))
        elif path.startswith("/webhooks/woocommerce"):
            headers.update(woo_headers(body))
        response = getattr(client, method.lower())(path, data=body, headers=headers)
        assert response.status_code == 413, (endpoint, method, path, response.get_data()[:200])
    # A file upload too (the restock CSV import reads multipart forms).
    upload = client.post(
        "/admin/api/restocks/import",
        data={"file": (io.BytesIO(b"sku,quantity,expected_on\n" * 50_000), "r.csv")},
        headers=panel_auth(app, a),
    )
    assert upload.status_code == 413
    assert table_counts() == before


def test_deeply_nested_json_is_400_everywhere_it_is_parsed(app, client, stores):
    before = table_counts()
    for deep in (DEEP_LIST, DEEP_OBJECT):
        _deep_is_400(app, client, *stores, deep)
    assert table_counts() == before
    _real_nesting_is_accepted(client, *stores)


def _deep_is_400(app, client, a, woo_id, deep):
    shopify = client.post(
        "/webhooks/shopify",
        data=deep,
        headers=signed_headers("inventory_levels/update", a.shop, deep),
    )
    assert shopify.status_code == 400, shopify.get_data()[:200]
    woo = client.post(f"/webhooks/woocommerce/{woo_id}", data=deep, headers=woo_headers(deep))
    assert woo.status_code == 400, woo.get_data()[:200]
    callback = client.post("/auth/woocommerce/callback", data=deep, content_type="application/json")
    assert callback.status_code == 400
    # Notify-me takes 4 KB at most: 2,000 levels fit (Python's parser gives up near 1,000).
    small = deep[:2000] + deep[-2000:] if deep is DEEP_LIST else b'{"a":' * 650 + b"1" + b"}" * 650
    notify = client.post("/storefront/v1/notify", data=small, content_type="application/json")
    assert notify.status_code == 400, notify.get_data()[:200]
    # Receiving a restock reads its optional body leniently (unreadable means "all units"), and
    # the restock CSV import reads CSV: every other admin route parses JSON.
    lenient = {"admin_storefront.receive_restock", "admin_storefront.import_restocks"}
    for endpoint, method, path in _body_routes(app, a, woo_id):
        if not path.startswith("/admin/api") or endpoint in lenient:
            continue
        response = getattr(client, method.lower())(
            path, data=deep, content_type="application/json", headers=panel_auth(app, a)
        )
        assert response.status_code == 400, (endpoint, path, response.get_data()[:200])


def _real_nesting_is_accepted(client, a, woo_id):
    """As deep as the limit allows: deliveries are still taken (the limit costs no real one)."""
    nested = {"a": 1}
    for _ in range(inputs.MAX_JSON_DEPTH - 2):
        nested = {"a": nested}
    body = json.dumps(
        {"inventory_item_id": 1, "location_id": 1, "available": 3, "extra": nested}
    ).encode()
    response = client.post(
        "/webhooks/shopify",
        data=body,
        headers=signed_headers("inventory_levels/update", a.shop, body),
    )
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    body = json.dumps({"id": 5, "extra": nested}).encode()
    assert (
        client.post(
            f"/webhooks/woocommerce/{woo_id}", data=body, headers=woo_headers(body)
        ).status_code
        == 200
    )


def test_the_parser_limits_depth_and_nul_and_never_recurses():
    ok = "[" * inputs.MAX_JSON_DEPTH + "]" * inputs.MAX_JSON_DEPTH
    assert inputs.loads(ok) is not None
    for bad in (
        "[" * (inputs.MAX_JSON_DEPTH + 1) + "]" * (inputs.MAX_JSON_DEPTH + 1),
        DEEP_LIST,
        DEEP_OBJECT,
        '{"name": "a\\u0000b"}',
        '{"a\\u0000": 1}',
        '[["\\u0000"]]',
    ):
        with pytest.raises(ValueError):
            inputs.loads(bad)
    assert inputs.loads('{"name": "a\\u0000b"}', allow_nul=True) == {"name": "a\x00b"}


def _streamed(app, path: str, body: bytes, headers: dict):
    """POST ``body`` as gunicorn hands a chunked request to the app: no Content-Length, the
    stream marked as terminated by the server (``wsgi.input_terminated``)."""
    environ = EnvironBuilder(
        path=path,
        method="POST",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers=headers,
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input_terminated"] = True
    chunks, status, _ = run_wsgi_app(app, environ)
    return int(status.split()[0]), b"".join(chunks)


def test_a_streamed_body_without_content_length_is_held_to_the_limits(app, stores):
    a, woo_id = stores
    before = table_counts()
    big = b'{"pad":"' + b"x" * (2 * LIMIT) + b'"}'
    # Read no further than the limit: what is left is not JSON, nor what was signed.
    status, _ = _streamed(app, "/admin/api/bundles", big, panel_auth(app, a))
    assert status == 400
    status, _ = _streamed(
        app, "/webhooks/shopify", big, signed_headers("orders/create", a.shop, big)
    )
    assert status == 401
    status, _ = _streamed(app, f"/webhooks/woocommerce/{woo_id}", big, woo_headers(big))
    assert status == 401
    # Notify-me's own 4 KB limit holds without a Content-Length too.
    sign_up = {"shop": a.shop, "variant": a.ids["variant"], "contact": "c@example.com"}
    padded = json.dumps({**sign_up, "consent": True, "pad": "x" * 8000}).encode()
    status, answer = _streamed(app, "/storefront/v1/notify", padded, {})
    assert status == 400, answer
    assert table_counts() == before
    # The same sign-up under the limit is taken (the check is about size, not streaming).
    status, answer = _streamed(
        app, "/storefront/v1/notify", json.dumps({**sign_up, "consent": True}).encode(), {}
    )
    assert status == 201, answer
