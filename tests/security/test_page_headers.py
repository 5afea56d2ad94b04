"""Clickjacking and leaking URLs: every admin and install page says who may frame it (Shopify's
embedded panel: its own store's admin and admin.shopify.com; anything else: nobody), and a page
opened with a credential in its URL is neither cached nor named in a Referer."""

from __future__ import annotations

import re

from connectors import registry
from connectors.woocommerce.auth import launch_link
from tests.panel.harness import shopify_launch
from tests.security.conftest import bearer, make_woo, panel_auth, session_token

NOBODY = "frame-ancestors 'none'"


def _frame_ancestors(response) -> str:
    policy = response.headers.get("Content-Security-Policy", "")
    found = re.findall(r"frame-ancestors[^;]*", policy)
    assert len(found) == 1, (response.request.url, policy)
    return found[0].strip()


def _urls(app, tenant) -> dict[str, list[str]]:
    """Every GET route under /admin and /auth, each argument filled in (every storefront
    platform for ``<platform>``, the tenant's ids for the rest), by endpoint."""
    values = {"platform": [c.platform for c in registry.storefronts()]}
    out: dict[str, list[str]] = {}
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not rule.rule.startswith(("/admin", "/auth")):
                continue
            choices = [{}]
            for arg in rule.arguments:
                given = values.get(arg) or [tenant.ids.get(arg, 1)]
                choices = [{**c, arg: v} for c in choices for v in given]
            out[rule.endpoint] = [url_for(rule.endpoint, **c) for c in choices]
    return out


def test_every_admin_and_install_page_says_who_may_frame_it(app, client, db_session, tenants):
    a, _ = tenants
    woo = make_woo(db_session)
    with app.test_request_context():
        woo_link = launch_link(woo.id)
    html_pages = set()
    credentials = {
        "none": {},
        "panel token": panel_auth(app, a),
        "session token": bearer(session_token(a.shop)),
    }
    for endpoint, urls in _urls(app, a).items():
        for url in urls:
            for name, headers in credentials.items():
                response = client.get(url, headers=headers)
                response.close()  # the CSV exports stream
                if response.mimetype == "text/html":
                    html_pages.add(endpoint)
                    assert _frame_ancestors(response), (url, name)
                    if name == "none":  # no store proven: nobody may frame it
                        assert _frame_ancestors(response) == NOBODY, url
    # The panel and the install pages are HTML; so are the admin's HTML error pages.
    assert {"admin.panel", "shopify.install", "woocommerce.installed"} <= html_pages
    for url in ("/admin/nowhere", woo_link, "/auth/shopify/install?shop=evil.com"):
        response = client.get(url)
        assert response.mimetype == "text/html" and _frame_ancestors(response), url


def test_the_shopify_panel_may_be_framed_by_its_store_and_shopify_admin_only(app, client, tenants):
    a, _ = tenants
    expected = f"frame-ancestors https://{a.shop} https://admin.shopify.com"
    by_token = client.get("/admin/shopify", query_string={"id_token": session_token(a.shop)})
    by_app_load = client.get("/admin/shopify?" + shopify_launch(a.shop))
    for response in (by_token, by_app_load):
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == expected
        # The URL carries a credential: kept out of caches and of the Referer.
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    # A session token that proves nothing (another app's secret) frames for nobody.
    forged = client.get(
        "/admin/shopify", query_string={"id_token": session_token(a.shop, secret="x" * 32)}
    )
    assert forged.status_code == 401 and _frame_ancestors(forged) == NOBODY
    assert forged.headers["Referrer-Policy"] == "no-referrer"


def test_the_woocommerce_panel_may_be_framed_by_nobody(app, client, db_session):
    woo = make_woo(db_session)
    with app.test_request_context():
        link = launch_link(woo.id)
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == NOBODY
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    altered = client.get(link[:-3] + "xyz")
    assert altered.status_code == 403 and _frame_ancestors(altered) == NOBODY
    assert altered.headers["Cache-Control"] == "no-store"


def test_pages_without_a_credential_in_their_url_keep_their_caching(client):
    response = client.get("/auth/shopify/install", query_string={"shop": "evil.com"})
    assert response.status_code == 400 and _frame_ancestors(response) == NOBODY
    assert "Referrer-Policy" not in response.headers
