"""Shopify OAuth install end to end against the Shopify sandbox, and every way it must refuse."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import graphql
import pytest
import shopify
from sqlalchemy import func, select

from connectors.shopify import graphql as documents
from connectors.shopify.webhooks import SUBSCRIBED_TOPICS
from models import ActivityEntry, Installation, InstallState
from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET
from tests.connectors.shopify.helpers import (
    authorize,
    begin_install,
    callback_params,
    install,
    path_of,
)

SHOP = "teststore.myshopify.com"


@pytest.fixture(scope="module")
def schema():
    from sandbox.shopify.graphql_exec import admin_schema

    return admin_schema()


def test_every_document_we_send_validates_against_the_real_schema(schema):
    names = [n for n in dir(documents) if n.endswith("_DOCUMENT")]
    assert len(names) >= 5
    for name in names:
        errors = graphql.validate(schema, graphql.parse(getattr(documents, name)))
        assert errors == [], f"{name}: {errors}"
    # The check can fail: a field Shopify doesn't have is refused.
    bad = graphql.parse("query { shop { id notAField } }")
    assert graphql.validate(schema, bad)


def test_install_redirects_to_shopify_consent_with_state(client, shopify_sandbox):
    shopify_sandbox.create_shop(SHOP, name="Test Store")
    resp = begin_install(client, SHOP)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(f"https://{SHOP}/admin/oauth/authorize?")
    params = callback_params(location)
    assert params["client_id"] == SHOPIFY_API_KEY
    assert params["redirect_uri"] == "https://stockguard.test/auth/shopify/callback"
    assert "write_inventory" in params["scope"]
    assert len(params["state"]) >= 32


def test_full_install_exchanges_token_registers_webhooks_and_lands_in_admin(
    client, shopify_sandbox, db_session
):
    shopify_sandbox.create_shop(SHOP, name="Test Store", currency="EUR")
    resp = install(client, SHOP)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert resp.headers["Location"] == f"https://{SHOP}/admin/apps/{SHOPIFY_API_KEY}"

    inst = Installation.find(db_session, "shopify", SHOP)
    assert inst.status == "active" and inst.name == "Test Store"
    token = inst.credentials["access_token"]
    assert token in shopify_sandbox.shops[SHOP].access_tokens
    assert token not in (inst.credentials_sealed or "")
    assert inst.settings["currency"] == "EUR"

    subs = shopify_sandbox.shops[SHOP].webhook_subscriptions
    assert sorted(s.topic for s in subs) == sorted(SUBSCRIBED_TOPICS)
    assert {_uri(s) for s in subs} == {"https://stockguard.test/webhooks/shopify"}
    entry = db_session.scalar(select(ActivityEntry).where(ActivityEntry.kind == "install"))
    assert entry.message == "StockGuard was installed"

    # Shopify then opens the app inside its admin with a signed URL: the panel shows the store.
    params = {
        "shop": SHOP,
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdHN0b3Jl",
        "timestamp": str(int(time.time())),
        "embedded": "1",
    }
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params["hmac"] = shopify.Session.calculate_hmac(params)
    panel = client.get("/admin/shopify?" + urlencode(params))
    assert panel.status_code == 200
    html = panel.get_data(as_text=True)
    assert "Test Store" in html and 'data-test="status">active' in html


def _uri(sub):
    return getattr(sub, "uri", None) or getattr(sub, "callback_url", None)


def test_reinstall_replaces_token_and_keeps_one_subscription_per_topic(
    client, shopify_sandbox, db_session
):
    shopify_sandbox.create_shop(SHOP, name="Test Store")
    assert install(client, SHOP).status_code == 302
    first = Installation.find(db_session, "shopify", SHOP).credentials["access_token"]
    assert install(client, SHOP).status_code == 302
    db_session.expire_all()
    inst = Installation.find(db_session, "shopify", SHOP)
    assert inst.credentials["access_token"] != first
    assert db_session.scalar(select(func.count()).select_from(Installation)) == 1
    assert len(shopify_sandbox.shops[SHOP].webhook_subscriptions) == len(SUBSCRIBED_TOPICS)
    messages = [
        e.message
        for e in db_session.scalars(
            select(ActivityEntry).where(ActivityEntry.kind == "install").order_by(ActivityEntry.id)
        )
    ]
    assert messages == ["StockGuard was installed", "StockGuard was re-installed"]


@pytest.mark.parametrize(
    "shop",
    [
        "evil.com",
        "a.myshopify.com.evil.com",
        "javascript:alert(1)//a.myshopify.com",
        "https://a.myshopify.com/../evil",
        "-bad.myshopify.com",
        "a.myshopify.com%0d%0aLocation:%20evil.com",
        "",
        "x" * 300 + ".myshopify.com",
    ],
)
def test_install_refuses_shop_domains_that_are_not_shopify(client, db_session, shop):
    resp = begin_install(client, shop)
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert db_session.scalar(select(func.count()).select_from(InstallState)) == 0


def _approved_callback(client, sandbox):
    sandbox.create_shop(SHOP, name="Test Store")
    start = begin_install(client, SHOP)
    return authorize(start.headers["Location"])


def _no_installation(db_session):
    return db_session.scalar(select(func.count()).select_from(Installation)) == 0


def test_forged_hmac_is_refused(client, shopify_sandbox, db_session):
    back = _approved_callback(client, shopify_sandbox)
    params = callback_params(back)
    params["hmac"] = "0" * 64
    resp = client.get("/auth/shopify/callback?" + urlencode(params))
    assert resp.status_code == 401
    assert _no_installation(db_session)


def test_tampered_shop_in_signed_callback_is_refused(client, shopify_sandbox, db_session):
    back = _approved_callback(client, shopify_sandbox)
    params = callback_params(back)
    params["shop"] = "other.myshopify.com"  # hmac no longer matches
    resp = client.get("/auth/shopify/callback?" + urlencode(params))
    assert resp.status_code == 401
    assert _no_installation(db_session)


def _resign(params: dict) -> dict:
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params = {k: v for k, v in params.items() if k != "hmac"}
    params["hmac"] = shopify.Session.calculate_hmac(params)
    return params


def test_stale_timestamp_is_refused(client, shopify_sandbox, db_session):
    back = _approved_callback(client, shopify_sandbox)
    params = callback_params(back)
    params["timestamp"] = str(int(time.time()) - 3600)
    resp = client.get("/auth/shopify/callback?" + urlencode(_resign(params)))
    assert resp.status_code == 400
    assert "expired" in resp.get_data(as_text=True)
    assert _no_installation(db_session)


@pytest.mark.parametrize("state", [None, "forged-state-" + "x" * 30])
def test_missing_or_forged_state_is_refused(client, shopify_sandbox, db_session, state):
    back = _approved_callback(client, shopify_sandbox)
    params = callback_params(back)
    params.pop("state")
    if state:
        params["state"] = state
    resp = client.get("/auth/shopify/callback?" + urlencode(_resign(params)))
    assert resp.status_code == 403
    assert _no_installation(db_session)


def test_state_from_another_browser_is_refused(app, shopify_sandbox, db_session):
    merchant, attacker = app.test_client(), app.test_client()
    back = _approved_callback(merchant, shopify_sandbox)
    resp = attacker.get(path_of(back))  # same signed URL, but no state cookie in this browser
    assert resp.status_code == 403
    assert _no_installation(db_session)


def test_reused_state_is_refused(client, shopify_sandbox, db_session):
    back = _approved_callback(client, shopify_sandbox)
    with client.session_transaction() as sess:
        bound = dict(sess["shopify_oauth"])
    assert client.get(path_of(back)).status_code == 302
    with client.session_transaction() as sess:  # replay the cookie as well as the URL
        sess["shopify_oauth"] = bound
    resp = client.get(path_of(back))
    assert resp.status_code == 403
    assert "already used" in resp.get_data(as_text=True)


def test_token_exchange_refused_by_shopify_saves_nothing(client, shopify_sandbox, db_session):
    back = _approved_callback(client, shopify_sandbox)
    params = callback_params(back)
    params["code"] = "not-a-code-shopify-issued"
    resp = client.get("/auth/shopify/callback?" + urlencode(_resign(params)))
    assert resp.status_code == 502
    assert _no_installation(db_session)
    assert shopify_sandbox.shops[SHOP].webhook_subscriptions == []


def test_shopify_failing_during_setup_saves_nothing(client, shopify_sandbox, db_session):
    back = _approved_callback(client, shopify_sandbox)
    shopify_sandbox.fail_next(5, status=500, path_prefix="/admin/api")
    resp = client.get(path_of(back))
    assert resp.status_code == 502
    assert "nothing was saved" in resp.get_data(as_text=True)
    assert _no_installation(db_session)
