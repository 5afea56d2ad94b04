"""Disconnecting a WooCommerce store from the panel, and a key revoked in WooCommerce, against
the WooCommerce sandbox."""

from __future__ import annotations

from sqlalchemy import func, select

from models import ActivityEntry, Installation, JobRun, Listing, WebhookDelivery
from tests.conftest import wait_for
from tests.connectors.woocommerce.helpers import connect as woo_connect


def _install(app, woo_sandbox, db_session) -> Installation:
    _install.product = woo_sandbox.create_product("Mug", sku="MUG", stock_quantity=4)
    client = app.test_client()
    assert "success=1" in woo_connect(client, woo_sandbox)
    inst = Installation.find(db_session, "woocommerce", woo_sandbox.base_url)

    def imported():
        db_session.expire_all()
        run = db_session.scalar(
            select(JobRun).where(JobRun.installation_id == inst.id, JobRun.kind == "import")
        )
        return run is not None and run.status == JobRun.DONE

    wait_for(imported, timeout=20, message="catalog import did not finish")
    return inst


def _disconnect(app, installation_id: int, body: dict):
    from views.admin_api import panel_token

    with app.test_request_context():
        token = panel_token(installation_id)
    return app.test_client().post(
        "/admin/api/store/disconnect", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def _listings(session, installation_id: int) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count(Listing.id)).where(Listing.installation_id == installation_id)
    )


def test_disconnect_removes_the_webhooks_forgets_the_key_and_keeps_the_data(
    live_app, woo_sandbox, db_session
):
    inst = _install(live_app, woo_sandbox, db_session)
    assert len(woo_sandbox.webhooks) == 4
    assert _listings(db_session, inst.id) == 1
    woo_sandbox.set_stock(_install.product["id"], 3)
    woo_sandbox.wait_for_deliveries()
    signed = [d for d in woo_sandbox.deliveries if "X-WC-Webhook-Signature" in dict(d.headers)]
    assert signed

    answer = _disconnect(live_app, inst.id, {"erase": False})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    data = answer.get_json()
    assert data["status"] == "uninstalled" and data["erased"] is False
    assert sorted(data["webhooks_removed"]) == sorted(
        ["product.updated", "product.deleted", "order.created", "order.updated"]
    )
    assert "WooCommerce → Settings → Advanced → REST API" in data["steps"]
    assert woo_sandbox.webhooks == []  # DELETE webhooks/{id}?force=true reached the store

    db_session.expire_all()
    inst = db_session.get(Installation, inst.id)
    assert inst.status == Installation.UNINSTALLED and inst.credentials == {}
    assert _listings(db_session, inst.id) == 1
    kinds = db_session.scalars(
        select(ActivityEntry.kind).where(ActivityEntry.installation_id == inst.id)
    ).all()
    assert "uninstall" in kinds

    # A delivery still on its way (sent before the webhooks went) is refused: no secret left.
    before = db_session.scalar(select(func.count(WebhookDelivery.id)))
    assert woo_sandbox.redeliver(signed[-1]) == 401
    db_session.expire_all()
    assert db_session.scalar(select(func.count(WebhookDelivery.id))) == before
    # And the panel's API is closed to it.
    assert _disconnect(live_app, inst.id, {}).status_code == 403


def test_disconnect_with_erase_removes_what_stockguard_held(live_app, woo_sandbox, db_session):
    inst = _install(live_app, woo_sandbox, db_session)
    inst_id = inst.id
    answer = _disconnect(live_app, inst_id, {"erase": True, "locale": "fr"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["erased"] is True
    assert "Réglages → Avancé → API REST" in answer.get_json()["steps"]
    assert woo_sandbox.webhooks == []
    db_session.expire_all()
    assert db_session.get(Installation, inst_id) is None
    assert _listings(db_session, inst_id) == 0
    assert (
        db_session.scalar(
            select(func.count(ActivityEntry.id)).where(ActivityEntry.installation_id == inst_id)
        )
        == 0
    )


def test_disconnect_refuses_a_bad_erase_value(live_app, woo_sandbox, db_session):
    inst = _install(live_app, woo_sandbox, db_session)
    assert _disconnect(live_app, inst.id, {"erase": "yes"}).status_code == 400
    assert len(woo_sandbox.webhooks) == 4


def test_a_shopify_store_is_told_to_uninstall_from_shopify_admin(app, db_session):
    inst = Installation(
        platform="shopify", shop_domain="dc-store.myshopify.com", name="DC", status="active"
    )
    inst.credentials = {"access_token": "shpat_x"}
    db_session.add(inst)
    db_session.commit()
    answer = _disconnect(app, inst.id, {"erase": False})
    assert answer.status_code == 409
    assert "Settings → Apps → StockGuard → Uninstall" in answer.get_json()["steps"]
    db_session.expire_all()
    assert db_session.get(Installation, inst.id).status == "active"


def test_a_revoked_key_gets_woocommerces_401_while_its_webhooks_keep_delivering(woo_sandbox, pki):
    from woocommerce import API

    from sandbox.common import ServerThread

    # The same store over HTTPS too, where the key travels as HTTP Basic.
    https = ServerThread(woo_sandbox.wsgi_app, ssl_context=pki.server_context()).start()
    try:
        key = woo_sandbox.create_api_key()
        signed, basic = (
            API(
                url=url,
                consumer_key=key.consumer_key,
                consumer_secret=key.consumer_secret,
                version="wc/v3",
                verify_ssl=str(pki.bundle),
            )
            for url in (woo_sandbox.base_url, https.url)
        )
        created = signed.post(
            "webhooks",
            {"topic": "product.updated", "delivery_url": "https://hooks.example/x", "secret": "s"},
        )
        assert created.status_code == 201
        assert basic.get("products").status_code == 200
        product = woo_sandbox.create_product("Cap", sku="CAP", stock_quantity=2)
        woo_sandbox.revoke_api_key(key.key_id)

        # Basic auth with a deleted key authenticates no one: the route's permission check
        # answers, as WooCommerce 10.0.2 did (captures/10.0.2/auth-basic-over-http.json).
        refused = basic.get("products")
        assert refused.status_code == 401
        assert refused.json() == {
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        }
        # OAuth 1.0a names the key itself (class-wc-rest-authentication.php).
        refused = signed.get("products")
        assert refused.status_code == 401
        assert refused.json()["code"] == "woocommerce_rest_authentication_error"
    finally:
        https.stop()
    assert [w.status for w in woo_sandbox.webhooks] == ["active"]
    sent = len(woo_sandbox.deliveries)
    woo_sandbox.set_stock(product["id"], 1)
    woo_sandbox.wait_for_deliveries()
    assert len(woo_sandbox.deliveries) > sent  # still sent after the key is gone
