"""A store whose key the merchant revoked on the platform: StockGuard notices the refusals,
marks it, tells the merchant everywhere, keeps the other store going, and catches up once it is
reconnected. End to end: real HTTP, PostgreSQL, Redis and RQ worker processes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ActivityEntry, Alert, AlertDelivery, Installation, Listing
from models.alert import STORE_DISCONNECTED
from tests.conftest import wait_for
from tests.connectors.woocommerce.helpers import connect as woo_connect
from tests.sync.harness import SHOP

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _status(stores) -> str:
    with stores.app.app_context():
        return stores.session().get(Installation, stores.woo_id).status


def _revoke_woo_key(stores) -> None:
    with stores.app.app_context():
        ck = stores.session().get(Installation, stores.woo_id).credentials["consumer_key"]
    [key] = [k for k in stores.woo.api_keys if k.consumer_key == ck]
    stores.woo.revoke_api_key(key.key_id)


def _panel_token(stores, installation_id: int) -> str:
    from views.admin_api import panel_token

    with stores.app.test_request_context():
        return panel_token(installation_id)


def _store_alerts(stores) -> list[Alert]:
    with stores.app.app_context():
        session = stores.session()
        rows = session.scalars(
            select(Alert).where(
                Alert.installation_id == stores.woo_id, Alert.condition == STORE_DISCONNECTED
            )
        ).all()
        session.expunge_all()
        return rows


def test_a_revoked_key_marks_the_store_and_a_reinstall_catches_it_up(stores):
    from extensions import db
    from sync.alerts import Settings, save

    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 3})
    with stores.app.app_context():
        save(db.session, stores.pool_id, Settings(email_recipients=["owner@shop.example"]))
        db.session.commit()
    _revoke_woo_key(stores)

    # An order on the other store: the push to WooCommerce is refused.
    stores.shopify.place_order(
        SHOP, [{"variant_id": stores.shopify_variants["TEE-M"]["id"], "quantity": 2}]
    )
    wait_for(lambda: _status(stores) == Installation.NEEDS_RECONNECT, timeout=30)
    stores.idle()
    assert stores.available("TEE-M") == 8
    assert stores.shopify_level("TEE-M") == 8
    assert stores.woo_level("TEE-M") == 10  # nothing could be written there
    with stores.app.app_context():
        session = stores.session()
        kinds = session.scalars(
            select(ActivityEntry.kind).where(ActivityEntry.installation_id == stores.woo_id)
        ).all()
        assert "needs_reconnect" in kinds
        waiting = session.scalars(
            select(Listing.sku).where(
                Listing.installation_id == stores.woo_id, Listing.push_pending.is_(True)
            )
        ).all()
        assert waiting  # kept for the reconnect, not retried meanwhile
    [alert] = _store_alerts(stores)
    assert alert.cleared_at is None and alert.pool_id == stores.pool_id
    with stores.app.app_context():
        [delivery] = (
            stores.session()
            .scalars(select(AlertDelivery).where(AlertDelivery.alert_id == alert.id))
            .all()
        )
        assert delivery.channel == "email"

    # Both panels say so, with a way to reconnect.
    client = stores.app.test_client()
    for installation_id, this_store in ((stores.woo_id, True), (stores.shopify_id, False)):
        token = _panel_token(stores, installation_id)
        answer = client.get(
            "/admin/api/store/connection", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        [banner] = answer.get_json()["disconnected"]
        assert banner["id"] == stores.woo_id and banner["this_store"] is this_store
        assert "/auth/woocommerce/install?store_url=" in banner["reconnect_url"]
    # (Its key is gone, so the plugin cannot sign a launch: the page is opened by a link of ours.)
    from connectors.woocommerce.auth import launch_link

    with stores.app.test_request_context():
        link = launch_link(stores.woo_id)
    page = client.get(link).get_data(as_text=True)
    assert 'data-test="store-disconnected"' in page
    assert "This store is disconnected: reconnect it." in page

    # Its webhooks still deliver, and the other store still gets its push.
    stores.woo.place_order(
        line_items=[{"product_id": stores.woo_products["MUG"]["id"], "quantity": 1}]
    )
    wait_for(lambda: stores.shopify_level("MUG") == 2, timeout=30)
    assert stores.available("MUG") == 2

    # Reconnect: the connection flow again (the merchant approves a new key).
    assert "success=1" in woo_connect(client, stores.woo)
    assert _status(stores) == Installation.ACTIVE
    stores.converge({"TEE-M": 8, "TEE-L": 5, "MUG": 2}, timeout=40)
    [alert] = _store_alerts(stores)
    assert alert.cleared_at is not None
    with stores.app.app_context():
        kinds = (
            stores.session()
            .scalars(
                select(ActivityEntry.kind).where(ActivityEntry.installation_id == stores.woo_id)
            )
            .all()
        )
        assert "reconnected" in kinds
    token = _panel_token(stores, stores.shopify_id)
    answer = client.get("/admin/api/store/connection", headers={"Authorization": f"Bearer {token}"})
    assert answer.get_json()["disconnected"] == []
