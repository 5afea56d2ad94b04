"""Managed installation (Shopify installs the app, then opens the panel with an id_token),
app/scopes_update, the one list of scopes in shopify.app.toml, and shop-bound webhook bodies."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import shopify
from sqlalchemy import func, select

from connectors.shopify import app_toml
from connectors.shopify.webhooks import SUBSCRIBED_TOPICS
from models import ActivityEntry, Installation, WebhookDelivery
from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET
from tests.connectors.shopify.conftest import for_shop, load_fixture
from tests.connectors.shopify.helpers import begin_install, callback_params, install, post_webhook

SHOP = "teststore.myshopify.com"
OTHER = "otherstore.myshopify.com"


def _deploy(sandbox, app):
    """``shopify app deploy``: the project's shopify.app.toml, at this test's app address."""
    sandbox.deploy_app_config(app_toml.config(), origin=app.config["APP_URL"])


def test_panel_opened_with_an_id_token_installs_the_store(app, client, shopify_sandbox, db_session):
    _deploy(shopify_sandbox, app)
    shopify_sandbox.create_shop(SHOP, name="Managed Store", currency="EUR")
    id_token = shopify_sandbox.id_token(SHOP)
    resp = client.get("/admin/shopify?" + urlencode({"id_token": id_token, "shop": SHOP}))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Managed Store" in resp.get_data(as_text=True)

    (exchange,) = [r for r in shopify_sandbox.requests_log if r.path == "/admin/oauth/access_token"]
    assert exchange.json["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert exchange.json["subject_token"] == id_token
    assert exchange.json["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    assert exchange.json["requested_token_type"] == (
        "urn:shopify:params:oauth:token-type:offline-access-token"
    )
    assert exchange.json["expiring"] == "1"
    inst = Installation.find(db_session, "shopify", SHOP)
    assert inst.status == "active" and inst.settings["currency"] == "EUR"
    assert inst.credentials["refresh_token"] and inst.credentials["expires_at"]
    assert inst.credentials["access_token"] in shopify_sandbox.shops[SHOP].access_tokens
    assert app_toml.missing_scopes(inst.scopes) == []
    subs = shopify_sandbox.shops[SHOP].webhook_subscriptions
    assert sorted(s.topic for s in subs) == sorted(SUBSCRIBED_TOPICS)
    entry = db_session.scalar(select(ActivityEntry).where(ActivityEntry.kind == "install"))
    assert entry.message == "StockGuard was installed"
    # Opening it again installs nothing more.
    again = client.get("/admin/shopify?" + urlencode({"id_token": id_token, "shop": SHOP}))
    assert again.status_code == 200
    assert len([r for r in shopify_sandbox.requests_log if "oauth" in r.path]) == 1


def test_id_token_not_signed_with_the_app_secret_installs_nothing(
    app, client, shopify_sandbox, db_session
):
    _deploy(shopify_sandbox, app)
    shopify_sandbox.create_shop(SHOP)
    forged = shopify_sandbox.id_token(SHOP, secret="someone-elses-secret-" + "0" * 16)
    resp = client.get("/admin/shopify?" + urlencode({"id_token": forged, "shop": SHOP}))
    assert resp.status_code == 401
    assert db_session.scalar(select(func.count()).select_from(Installation)) == 0
    assert not [r for r in shopify_sandbox.requests_log if "oauth" in r.path]


def test_shopify_refusing_the_exchange_saves_nothing(app, client, shopify_sandbox, db_session):
    _deploy(shopify_sandbox, app)
    shopify_sandbox.create_shop(SHOP)
    id_token = shopify_sandbox.id_token(SHOP)
    shopify_sandbox.api_secret = "rotated-" + "1" * 24  # Shopify no longer knows our secret
    resp = client.get("/admin/shopify?" + urlencode({"id_token": id_token, "shop": SHOP}))
    assert resp.status_code == 502
    assert db_session.scalar(select(func.count()).select_from(Installation)) == 0


def test_app_toml_is_the_one_list_of_scopes_and_topics(client, shopify_sandbox):
    shopify_sandbox.create_shop(SHOP)
    asked = callback_params(begin_install(client, SHOP).headers["Location"])["scope"]
    assert asked.split(",") == app_toml.scopes()
    assert (
        tuple(t.replace("/", "_").upper() for t in app_toml.webhook_topics()) == SUBSCRIBED_TOPICS
    )
    assert "app/scopes_update" in app_toml.webhook_topics()
    assert set(app_toml.compliance_topics()) == {
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    }
    import config

    assert not hasattr(config, "DEFAULT_SHOPIFY_SCOPES")


def _signed_launch(shop: str) -> str:
    params = {"shop": shop, "timestamp": str(int(time.time())), "embedded": "1"}
    shopify.Session.setup(api_key=SHOPIFY_API_KEY, secret=SHOPIFY_API_SECRET)
    params["hmac"] = shopify.Session.calculate_hmac(params)
    return "/admin/shopify?" + urlencode(params)


def test_scopes_update_is_recorded_and_the_next_launch_asks_for_what_is_missing(
    app, client, shopify_sandbox, db_session
):
    shopify_sandbox.create_shop(SHOP, name="Test Store")
    assert install(client, SHOP).status_code == 302
    assert app.extensions["jobs"].wait_idle(15)
    inst = Installation.find(db_session, "shopify", SHOP)
    assert client.get(_signed_launch(SHOP)).status_code == 200
    # The merchant revokes write_publications: Shopify sends app/scopes_update.
    shop_gid = shopify_sandbox.shops[SHOP].id
    reduced = [s for s in app_toml.scopes() if s != "write_publications"]
    payload = {
        "id": 1,
        "previous": app_toml.scopes(),
        "current": reduced,
        "updated_at": "2026-12-01T10:00:00.000Z",
        "shop_id": shop_gid,
    }
    assert post_webhook(client, "app/scopes_update", SHOP, payload).status_code == 200
    assert app.extensions["jobs"].wait_idle(5)
    db_session.expire_all()
    inst = db_session.get(Installation, inst.id)
    assert inst.scopes.split(",") == reduced
    entry = db_session.scalar(
        select(ActivityEntry).where(ActivityEntry.kind == "access").order_by(ActivityEntry.id)
    )
    assert "write_publications" in entry.message
    launch = client.get(_signed_launch(SHOP))
    assert launch.status_code == 302
    assert launch.headers["Location"].endswith(f"/auth/shopify/install?shop={SHOP}")
    # Granting them again (the OAuth install) records the full list; the panel opens.
    assert install(client, SHOP).status_code == 302
    db_session.expire_all()
    assert app_toml.missing_scopes(db_session.get(Installation, inst.id).scopes) == []
    assert client.get(_signed_launch(SHOP)).status_code == 200


def _two_installed(db_session):
    found = {}
    for shop in (SHOP, OTHER):
        inst = Installation(platform="shopify", shop_domain=shop, name=shop, status="active")
        inst.credentials = {"access_token": "shpat_" + "b" * 32}
        inst.settings = {"shop_id": f"gid://shopify/Shop/{len(found) + 1}"}
        db_session.add(inst)
        found[shop] = inst
    db_session.commit()
    return found


def test_body_signed_for_one_shop_sent_as_another_is_refused(app, client, db_session):
    stores = _two_installed(db_session)
    uninstall_a = for_shop(load_fixture("app_uninstalled"), SHOP)
    uninstall_a["domain"] = SHOP
    # Correctly signed with the app secret (Shopify signs every shop's bodies with it), but the
    # header names the other store.
    resp = post_webhook(client, "app/uninstalled", OTHER, uninstall_a)
    assert resp.status_code == 401
    for shop, topic, payload in (
        (OTHER, "shop/redact", for_shop(load_fixture("shop_redact"), SHOP)),
        (OTHER, "customers/redact", for_shop(load_fixture("customers_redact"), SHOP)),
        (OTHER, "customers/data_request", for_shop(load_fixture("customers_data_request"), SHOP)),
        (
            OTHER,
            "app/uninstalled",
            {k: v for k, v in uninstall_a.items() if k != "myshopify_domain"},
        ),
        (
            OTHER,
            "app/scopes_update",
            {
                "id": 2,
                "previous": [],
                "current": [],
                "updated_at": "2026-12-01T10:00:00Z",
                "shop_id": "gid://shopify/Shop/1",
            },
        ),
    ):
        assert post_webhook(client, topic, shop, payload).status_code == 401, topic
    assert app.extensions["jobs"].wait_idle(5)
    db_session.expire_all()
    other = db_session.get(Installation, stores[OTHER].id)
    assert other.status == "active" and other.credentials
    assert db_session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    # The same body with its own shop's header is accepted.
    assert post_webhook(client, "app/uninstalled", SHOP, uninstall_a).status_code == 200
    assert json.loads(json.dumps(uninstall_a))["myshopify_domain"] == SHOP
