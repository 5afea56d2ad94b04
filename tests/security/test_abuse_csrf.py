"""Cross-site requests: what a page on another site can make a merchant's or a shopper's browser
send. The admin API trusts a header only (never a cookie, so a forged form or fetch carries no
credential); the one HTML form that POSTs (unsubscribe) is bound to an unguessable token in its
own address; every other form in the templates is driven by script against that API.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import shopify
from sqlalchemy import select

from extensions import db
from models import NotifySubscription
from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET
from tests.security.conftest import owned_rows, session_token
from tests.security.test_abuse_tenants import _calls

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FORM = re.compile(r"<form\b[^>]*>", re.I)
EVIL = "https://evil.example"


def _forms() -> dict[str, list[str]]:
    return {
        str(path.relative_to(TEMPLATES)): FORM.findall(path.read_text(encoding="utf-8"))
        for path in sorted(TEMPLATES.rglob("*.html"))
    }


def test_the_only_forms_that_post_are_unsubscribe_and_connect_confirmation(client):
    posting = {
        name: tag
        for name, tags in _forms().items()
        for tag in tags
        if re.search(r"method\s*=\s*[\"']?post", tag, re.I)
    }
    # A new POST form must come with its own cross-site protection (and a test here).
    assert sorted(posting) == ["install_confirm.html", "storefront/unsubscribe.html"], posting
    assert (
        "url_for('storefront.unsubscribe', token=token)" in posting["storefront/unsubscribe.html"]
    )
    # The connection's confirmation carries a token bound to the browser's session: posted
    # from another site (no token, or another browser's) it is refused.
    page = TEMPLATES.joinpath("install_confirm.html").read_text(encoding="utf-8")
    assert 'name="form_token"' in page
    for form in ({}, {"form_token": "another-browsers-token"}):
        answer = client.post(
            "/auth/woocommerce/install",
            data={"store_url": "https://93.184.216.34", **form},
            headers={"Origin": EVIL},
        )
        assert answer.status_code == 403 and "Location" not in answer.headers
    # The panel's forms post nowhere themselves: no method, no action (script sends them).
    # The panel: its shell and every view in it.
    panel = [
        tag
        for name, tags in _forms().items()
        if name == "admin/panel.html" or name.startswith("admin/views/")
        for tag in tags
    ]
    assert len(panel) >= 5
    for tag in panel:
        assert not re.search(r"\b(method|action)\s*=", tag, re.I), tag


def _logged_in_panel(app, client, tenant) -> str:
    """Open the panel as Shopify admin does (signed app-load URL); the page's token."""
    params = {"shop": tenant.shop, "timestamp": str(int(time.time()))}
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params["hmac"] = shopify.Session.calculate_hmac(params)
    page = client.get("/admin/shopify", query_string=params)
    assert page.status_code == 200
    return page.get_data(as_text=True).split('name="stockguard-token" content="')[1].split('"')[0]


def test_the_admin_api_ignores_cookies_and_a_forged_request_has_nothing_else(app, client, tenants):
    a, b = tenants
    token = _logged_in_panel(app, client, a)
    # Whatever the browser holds as cookies (its session, even the token itself as a cookie),
    # and the token in the query or a form field: without the header it proves nothing.
    client.set_cookie("session", "forged", domain="localhost")
    client.set_cookie("stockguard-token", token, domain="localhost")
    client.set_cookie("id_token", session_token(a.shop), domain="localhost")
    before = owned_rows(a), owned_rows(b)
    for _, method, path, kwargs, _ in _calls(app, a, b):
        for variant in (
            {"headers": {"Origin": EVIL, "Cookie": f"token={token}"}},
            {"query_string": {"token": token, "access_token": token}},
            {"headers": {"Authorization": token}},  # no "Bearer": not the scheme we accept
            {"headers": {"Authorization": f"Basic {token}"}},
        ):
            merged = {**kwargs, **variant}
            if "query_string" in kwargs and "query_string" in variant:
                merged["query_string"] = {**kwargs["query_string"], **variant["query_string"]}
            response = getattr(client, method.lower())(path, **merged)
            assert response.status_code == 401, (method, path, variant)
        # A preflight from another site is never granted (a header-carrying request needs one).
        preflight = client.options(
            path,
            headers={
                "Origin": EVIL,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert "Access-Control-Allow-Origin" not in preflight.headers, path
        assert "Access-Control-Allow-Headers" not in preflight.headers, path
    assert (owned_rows(a), owned_rows(b)) == before
    # The answers to real calls from another site are checked on every route by
    # test_abuse_tenants.py::test_a_stores_credentials_never_reach_another_stores_data.


def test_a_cross_site_post_to_unsubscribe_needs_the_token_of_that_sign_up(app, client, tenants):
    from sync.notify import unsubscribe_token

    a, b = tenants
    with app.app_context():
        signup = db.session.scalar(
            select(NotifySubscription).where(
                NotifySubscription.installation_id == b.installation_id
            )
        )
        real = unsubscribe_token(signup)
        other = unsubscribe_token(
            db.session.scalar(
                select(NotifySubscription).where(
                    NotifySubscription.installation_id == a.installation_id
                )
            )
        )
    before = owned_rows(b)
    for guess in ("", "1", "MQ", real[:-2] + "xx", real.split(".")[0], "x" * 300):
        response = client.post(
            f"/storefront/v1/unsubscribe/{guess}",
            headers={"Origin": EVIL, "Referer": EVIL + "/page"},
            data={"token": real},  # the right token in the body does not count: only the address
        )
        assert response.status_code in (404, 405), guess
    # Another shopper's link stops that shopper's notices only.
    assert (
        client.post(f"/storefront/v1/unsubscribe/{other}", headers={"Origin": EVIL}).status_code
        == 200
    )
    assert owned_rows(b) == before
    # RFC 8058 one-click: the mail provider POSTs from its own origin with the link's token, and
    # that must work (so no Origin check can stand in for the token).
    done = client.post(
        f"/storefront/v1/unsubscribe/{real}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": "https://mail.example"},
    )
    assert done.status_code == 200 and 'data-test="unsubscribed"' in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(NotifySubscription, signup.id).status == "unsubscribed"


def test_a_launch_link_opens_the_panel_page_never_the_api(app, client, db_session):
    """A WooCommerce launch link in the query (it ends up in browser history and Referer
    headers) is no API credential, whatever Authorization header comes with it."""
    from models import Installation, StockPool

    pool = StockPool(name="w", settings={})
    db_session.add(pool)
    db_session.flush()
    inst = Installation(
        platform="woocommerce",
        shop_domain="https://shop.example",
        status="active",
        pool_id=pool.id,
        settings={},
    )
    db_session.add(inst)
    db_session.commit()
    with app.test_request_context():
        from connectors.woocommerce.auth import launch_link

        link = launch_link(inst.id)
    launch = link.split("launch=", 1)[1]
    for headers in ({}, {"Authorization": "Bearer junk"}):
        answer = client.get(f"/admin/api/jobs?launch={launch}", headers=headers)
        assert answer.status_code == 401, headers
    assert client.get(link).status_code == 200  # the page itself still opens
