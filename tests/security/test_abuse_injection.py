"""SQL metacharacters, NUL bytes, huge numbers and very long strings in every string parameter
of the admin API, the storefront API and the webhook headers: a 4xx or a correct (empty)
answer, never a 500, and every table still there with the rows it had."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from extensions import db
from models import Supplier
from tests.connectors.shopify.helpers import signed_headers
from tests.security.conftest import panel_auth, table_counts

HOSTILE = [
    "' OR 1=1 --",
    '"; DROP TABLE sku; --',
    "%",
    "_",
    "\\",
    "\x00",
    "a\x00' OR '1'='1",
    "İ\u202e<>&",
    "9" * 40,
    "x" * 20_000,
]
HUGE_NUMBERS = [2**31, 2**63, 10**30, -(2**63) - 1]


def _admin_queries(a):
    """(method, path, request kwargs) with ``V`` where the hostile value goes."""
    return [
        ("get", "/admin/api/listings", {"query_string": {"status": "V"}}),
        ("get", "/admin/api/listings", {"query_string": {"page": "V"}}),
        ("get", "/admin/api/ads/objects", {"query_string": {"q": "V"}}),
        ("get", "/admin/api/ads/objects", {"query_string": {"account": "V"}}),
        ("get", "/admin/api/ads/objects", {"query_string": {"page": "V", "linked": "V"}}),
        ("get", "/admin/api/ads/actions", {"query_string": {"state": "V"}}),
        ("get", "/admin/api/ads/actions", {"query_string": {"object": "V", "page": "V"}}),
        ("get", "/admin/api/restocks", {"query_string": {"status": "V"}}),
        ("get", "/admin/api/products/visibility", {"query_string": {"product": "V"}}),
        ("put", "/admin/api/skus/V/restock-plan", {"json": {"reorder_planned": True}}),
        ("get", "/admin/api/jobs/V", {}),
        ("post", "/admin/api/listings/V/resolve", {"json": {"action": "ignore"}}),
        (
            "post",
            f"/admin/api/listings/{a.ids['listing_id']}/resolve",
            {"json": {"action": "link", "sku": "V"}},
        ),
        (
            "post",
            "/admin/api/bundles",
            {"json": {"sku": "V", "components": [{"sku": "V", "quantity": 1}]}},
        ),
        (
            "post",
            "/admin/api/ads/links",
            {"json": {"object_id": a.ids["object_id"], "skus": ["V"]}},
        ),
        ("post", "/admin/api/ads/accounts", {"json": {"platform": "V"}}),
        ("patch", f"/admin/api/ads/accounts/{a.ids['account_id']}", {"json": {"mode": "V"}}),
        ("put", "/admin/api/ads/policy", {"json": {"pause_at": "V", "when": "V"}}),
        ("put", "/admin/api/products/visibility", {"json": {"product": "V", "mode": "badge"}}),
        (
            "put",
            "/admin/api/products/visibility",
            {"json": {"product": a.ids["product"], "mode": "V"}},
        ),
        (
            "post",
            "/admin/api/restocks",
            {
                "json": {
                    "sku": "V",
                    "quantity": "V",
                    "expected_on": "V",
                    "reference": "V",
                    "supplier": "V",
                }
            },
        ),
        ("post", "/admin/api/suppliers", {"json": {"name": "V", "email": "V@example.com"}}),
        (
            "put",
            "/admin/api/storefront",
            {"json": {"texts": {"en": {"in_stock": "V"}}, "origins": ["V"]}},
        ),
        (
            "post",
            "/admin/api/restocks/import",
            {
                "data": "sku,quantity,expected_on,supplier,reference\nV,1,2031-01-01,V,V\n",
                "content_type": "text/csv",
            },
        ),
    ]


def _storefront_queries(a):
    return [
        ("get", "/storefront/v1/availability", {"query_string": {"shop": "V", "variants": "1"}}),
        ("get", "/storefront/v1/availability", {"query_string": {"shop": a.shop, "variants": "V"}}),
        ("get", "/storefront/v1/availability", {"query_string": {"shop": a.shop, "products": "V"}}),
        (
            "options",
            "/storefront/v1/notify",
            {"query_string": {"shop": "V"}, "headers": {"Origin": "V"}},
        ),
        (
            "post",
            "/storefront/v1/notify",
            {"json": {"shop": "V", "variant": "1", "contact": "a@b.co", "consent": True}},
        ),
        (
            "post",
            "/storefront/v1/notify",
            {"json": {"shop": a.shop, "variant": "V", "contact": "a@b.co", "consent": True}},
        ),
        (
            "post",
            "/storefront/v1/notify",
            {
                "json": {
                    "shop": a.shop,
                    "variant": a.ids["variant"],
                    "contact": "V",
                    "consent": True,
                }
            },
        ),
        (
            "post",
            "/storefront/v1/notify",
            {
                "json": {
                    "shop": a.shop,
                    "variant": a.ids["variant"],
                    "contact": "x@example.com",
                    "consent": True,
                    "locale": "V",
                    "consent_text": "V",
                }
            },
        ),
        ("get", "/storefront/v1/unsubscribe/V", {}),
        ("post", "/storefront/v1/unsubscribe/V", {}),
    ]


def _fill(value, hostile: str):
    if isinstance(value, str):
        return value.replace("V", hostile) if value != "V" else hostile
    if isinstance(value, dict):
        return {_fill(k, hostile): _fill(v, hostile) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, hostile) for v in value]
    return value


def _request(client, method, path, kwargs, hostile, headers):
    from urllib.parse import quote

    kwargs = _fill(dict(kwargs), hostile)
    path = path.replace("V", quote(hostile, safe=""))
    if "data" in kwargs:
        kwargs["data"] = kwargs["data"].encode()
    kwargs["headers"] = {**headers, **kwargs.get("headers", {})}
    return getattr(client, method)(path, **kwargs)


# Calls that legitimately store the hostile text (verbatim: proof it went in as a parameter).
CREATES = {
    "/admin/api/suppliers": "supplier",
    "/admin/api/storefront": "activity_entry",
    "/storefront/v1/notify": "notify_subscription",  # a valid sign-up with a hostile consent text
}


@pytest.fixture
def quiet_app(app):
    app.config.update(STOREFRONT_RATE_LIMIT=0, NOTIFY_RATE_LIMIT=0)
    return app


def test_metacharacters_in_every_string_parameter(quiet_app, client, tenants):
    a, _ = tenants
    admin = panel_auth(quiet_app, a)
    queries = [(q, admin) for q in _admin_queries(a)] + [(q, {}) for q in _storefront_queries(a)]
    for hostile in HOSTILE:
        for (method, path, kwargs), headers in queries:
            before = table_counts()
            response = _request(client, method, path, kwargs, hostile, headers)
            what = (method, path, kwargs, hostile[:30])
            assert response.status_code < 500, (what, response.get_data()[:300])
            after = table_counts()
            grown = {t for t in after if after[t] != before[t]}
            allowed = {CREATES[path]} if path in CREATES and "\x00" not in hostile else set()
            assert grown <= allowed, (what, response.status_code, grown)
            if "\x00" in hostile and method != "options":
                assert 400 <= response.status_code < 500, what
    # LIKE wildcards are matched literally: no ad object has "%" or "_" in its name.
    for wildcard in ("%", "_"):
        body = client.get(
            "/admin/api/ads/objects",
            query_string={"q": wildcard},
            headers=panel_auth(quiet_app, a),
        ).get_json()
        assert body["total"] == 0 and body["objects"] == []
    with quiet_app.app_context():
        names = set(db.session.scalars(select(Supplier.name)))
    # Stored as typed, quotes and all: bound parameters, never SQL text.
    assert {"' OR 1=1 --", '"; DROP TABLE sku; --', "%", "_"} <= names


def _nul_bytes_are_400(quiet_app, client, a, headers):
    cases = [
        ("get", "/admin/api/products/visibility?product=gid%00x", {}),
        ("get", "/admin/api/ads/objects?q=%00", {}),
        ("put", "/admin/api/skus/alpha%00tee/restock-plan", {"json": {"reorder_planned": True}}),
        ("post", "/admin/api/suppliers", {"json": {"name": "Acme\x00", "lead_time_days": 3}}),
        ("put", "/admin/api/storefront", {"json": {"texts": {"en": {"in_stock": "ok\x00"}}}}),
        (
            "post",
            "/admin/api/restocks",
            {
                "json": {
                    "sku": a.ids["sku"],
                    "quantity": 1,
                    "expected_on": "2031-01-01",
                    "reference": "PO\x00",
                }
            },
        ),
    ]
    for method, path, kwargs in cases:
        response = getattr(client, method)(path, headers=headers, **kwargs)
        assert response.status_code == 400, (path, kwargs, response.get_data()[:200])
    notify = client.post(
        "/storefront/v1/notify",
        json={
            "shop": a.shop,
            "variant": a.ids["variant"],
            "contact": "nul@example.com",
            "consent": True,
            "consent_text": "I agree\x00",
        },
    )
    assert notify.status_code == 400, notify.get_json()


def _number_cases(a, number):
    positive = abs(number)
    return [
        ("get", f"/admin/api/jobs/{positive}", {}),
        ("post", f"/admin/api/restocks/{positive}/cancel", {}),
        ("post", f"/admin/api/ads/actions/{positive}/approve", {}),
        ("delete", f"/admin/api/ads/links/{positive}", {}),
        ("post", f"/webhooks/woocommerce/{positive}", {"data": b'{"id":1}'}),
        ("get", "/admin/api/ads/objects", {"query_string": {"account": number, "page": number}}),
        ("get", "/admin/api/ads/actions", {"query_string": {"object": number, "page": number}}),
        ("get", "/admin/api/listings", {"query_string": {"page": number}}),
        ("post", "/admin/api/ads/links", {"json": {"object_id": number, "sku_ids": [1]}}),
        (
            "post",
            "/admin/api/ads/links",
            {"json": {"object_id": a.ids["object_id"], "sku_ids": [number]}},
        ),
        ("put", f"/admin/api/skus/{a.ids['sku']}/restock-plan", {"json": {"supplier_id": number}}),
        (
            "put",
            f"/admin/api/ads/objects/{a.ids['object_id']}/policy",
            {"json": {"pause_at": number}},
        ),
        (
            "post",
            f"/admin/api/restocks/{a.ids['restock_id']}/receive",
            {"json": {"quantity": number}},
        ),
        (
            "post",
            "/admin/api/restocks",
            {"json": {"sku": a.ids["sku"], "quantity": number, "expected_on": "2031-01-01"}},
        ),
        (
            "post",
            "/storefront/v1/notify",
            {
                "json": {
                    "shop": a.shop,
                    "variant": number,
                    "contact": "n@example.com",
                    "consent": True,
                }
            },
        ),
    ]


def test_nul_bytes_and_numbers_the_database_cannot_hold_are_4xx(quiet_app, client, tenants):
    a, _ = tenants
    headers = panel_auth(quiet_app, a)
    before = table_counts()
    _nul_bytes_are_400(quiet_app, client, a, headers)
    for number in HUGE_NUMBERS:
        for method, path, kwargs in _number_cases(a, number):
            response = getattr(client, method)(path, headers=headers, **kwargs)
            what = (number, path, kwargs, response.get_data()[:200])
            assert response.status_code < 500, what
            if method != "get":
                assert response.status_code >= 400, what
    assert table_counts() == before


def test_hostile_webhook_headers_are_refused_or_acknowledged(client, tenants):
    a, _ = tenants
    body = b'{"id": 1, "inventory_item_id": 1, "location_id": 1, "available": 1}'
    before = table_counts()
    for hostile in HOSTILE:
        for header in ("X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Event-Id"):
            headers = signed_headers("inventory_levels/update", a.shop, body)
            headers[header] = hostile.replace("\x00", "%00")[:8000]
            response = client.post("/webhooks/shopify", data=body, headers=headers)
            assert response.status_code < 500, (header, hostile[:30])
            if header == "X-Shopify-Shop-Domain":
                assert response.status_code == 400
    grown = {t for t, n in table_counts().items() if n != before[t]}
    # Only well-signed deliveries for A's own shop were recorded (hostile event ids are text).
    assert grown <= {"webhook_delivery", "activity_entry", "storefront_mark"}


def test_a_store_that_cannot_be_reached_is_a_502_not_a_500(client, tenants):
    """The settings routes ask the store for its locations; these stores exist in the database
    only, so the store is unreachable (the suite's proxy knows no route to it)."""
    a, _ = tenants
    headers = panel_auth(client.application, a)
    before = table_counts()
    for method, kwargs in (("get", {}), ("put", {"json": {"location_ref": "' OR 1=1 --"}})):
        response = getattr(client, method)("/admin/api/settings", headers=headers, **kwargs)
        assert response.status_code == 502, response.get_data()[:200]
        assert "did not answer" in response.get_json()["error"]
    assert table_counts() == before
