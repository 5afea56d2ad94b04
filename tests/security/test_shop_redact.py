"""Shopify ``shop/redact``: nothing of the erased shop remains. Its pool goes with it when it was
the pool's last store (SKUs, ledger, restocks, suppliers, alerts, bundles, forecasts, ad
accounts and their tokens, ...); a pool other stores share keeps their data and loses only the
shop's own rows. Delivered signed through the real webhook endpoint and processed by the job."""

from __future__ import annotations

import json

from sqlalchemy import or_, select

from extensions import db
from models import (
    AdAccount,
    Alert,
    AlertDelivery,
    AlertSettings,
    Base,
    BundleComponent,
    ChannelOrderLine,
    Forecast,
    Installation,
    InstallState,
    Listing,
    Movement,
    Sku,
    StorefrontMark,
    WebhookDelivery,
)
from sync import ledger
from tests.connectors.shopify.helpers import post_webhook
from tests.security.conftest import Tenant, make_tenant, owned_rows


def _hold_everything(session, tenant: Tenant) -> None:
    """On top of make_tenant's rows: ledger movements, a bundle, a forecast, alert settings
    with recipients and an alert, an ad account no store is named on, a storefront mark, an
    order line, a pending "connect another store" nonce for the pool."""
    skus = ledger.lock_skus(session, [tenant.ids["sku_id"], tenant.ids["other_sku_id"]])
    tee, mug = skus[tenant.ids["sku_id"]], skus[tenant.ids["other_sku_id"]]
    ledger.record(session, tee, Movement.INITIAL, 7, f"{tenant.tag}:initial:tee")
    ledger.record(
        session,
        mug,
        Movement.SALE,
        -1,
        f"shopify:{tenant.installation_id}:1:line:1",
        installation_id=tenant.installation_id,
        listing_id=tenant.ids["linked_listing_id"],
        order_ref="1",
    )
    bundle = Sku(pool_id=tenant.pool_id, key=f"{tenant.tag}-kit", sku=f"{tenant.tag}-KIT")
    bundle.is_bundle = True
    session.add(bundle)
    session.flush()
    session.add_all(
        [
            BundleComponent(bundle_id=bundle.id, component_id=tee.id, quantity=2),
            Forecast(pool_id=tenant.pool_id, sku_id=tee.id, velocity=1.5, details={}),
            AlertSettings(
                pool_id=tenant.pool_id,
                email_recipients=[f"{tenant.private}-buyer@example.com"],
                conditions={},
            ),
            Alert(pool_id=tenant.pool_id, sku_id=tee.id, condition="below_threshold", details={}),
            StorefrontMark(
                installation_id=tenant.installation_id, listing_id=tenant.ids["linked_listing_id"]
            ),
            ChannelOrderLine(
                installation_id=tenant.installation_id,
                order_ref="1",
                line_ref="1",
                reduced=1,
                details={},
            ),
        ]
    )
    orphan = AdAccount(
        pool_id=tenant.pool_id,
        installation_id=None,  # its store's row went long ago (SET NULL)
        platform="tiktok",
        account_ref=f"adv_{tenant.tag}",
        name=f"TikTok {tenant.private}",
    )
    orphan.credentials = {"access_token": f"tiktok-{tenant.private}"}
    session.add(orphan)
    session.flush()
    alert = session.scalar(select(Alert).where(Alert.pool_id == tenant.pool_id))
    session.add(AlertDelivery(alert_id=alert.id, channel="email", status="sent"))
    InstallState.issue(session, "shopify", "next.myshopify.com", pool_id=tenant.pool_id)
    session.commit()


def _redact(app, client, shop: str) -> None:
    """Shopify's order of things: app/uninstalled, then shop/redact 48 hours later."""
    uninstalled = {"id": 1, "name": shop, "myshopify_domain": shop}
    assert post_webhook(client, "app/uninstalled", shop, uninstalled).status_code == 200
    assert app.extensions["jobs"].wait_idle(10)
    body = {"shop_id": 954889, "shop_domain": shop}
    assert post_webhook(client, "shop/redact", shop, body).status_code == 200
    assert app.extensions["jobs"].wait_idle(10)


def _left_of(installation_id: int, pool_id: int | None) -> dict[str, int]:
    """Rows still naming the installation or the pool, per table: every table with an
    ``installation_id`` or ``pool_id`` column (a table added later is covered too), plus the
    rows that hang off SKUs and alerts and the installation/pool rows themselves."""
    left: dict[str, int] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            c = table.c
            conditions = []
            if "installation_id" in c:
                conditions.append(c.installation_id == installation_id)
            if "pool_id" in c and pool_id is not None:
                conditions.append(c.pool_id == pool_id)
            if table.name == "installation":
                conditions.append(c.id == installation_id)
            if table.name == "stock_pool" and pool_id is not None:
                conditions.append(c.id == pool_id)
            if not conditions:
                continue
            rows = conn.execute(select(table).where(or_(*conditions))).all()
            if rows:
                left[table.name] = len(rows)
    return left


def _all_text(skip: tuple[str, ...] = ()) -> str:
    """Every row of every table but ``skip``, as text (to look for a shop's words anywhere)."""
    with db.engine.connect() as conn:
        return json.dumps(
            [
                [str(v) for v in row]
                for table in Base.metadata.sorted_tables
                if table.name not in skip
                for row in conn.execute(select(table))
            ]
        )


def test_shop_redact_of_a_pools_last_store_erases_the_pool_and_all_it_holds(
    app, client, db_session
):
    gone = make_tenant(db_session, "erased")
    kept = make_tenant(db_session, "zzkept")  # another merchant, another pool
    for tenant in (gone, kept):
        _hold_everything(db_session, tenant)
    kept_before = owned_rows(kept)
    # The shop's own webhook deliveries, recorded through the endpoint.
    order = {"id": 1, "line_items": [], "email": f"{gone.private}-shopper@example.com"}
    assert post_webhook(client, "orders/create", gone.shop, order).status_code == 200
    assert app.extensions["jobs"].wait_idle(10)
    assert _left_of(gone.installation_id, gone.pool_id).keys() >= {
        "sku",
        "movement",
        "restock",
        "supplier",
        "alert_settings",
        "alert",
        "forecast",
        "ad_account",
        "ad_object",
        "ad_link",
        "ad_action",
        "notify_subscription",
        "job_run",
        "activity_entry",
        "webhook_delivery",
        "install_state",
    }

    _redact(app, client, gone.shop)

    assert _left_of(gone.installation_id, gone.pool_id) == {}
    with app.app_context():
        session = db.session
        session.expire_all()
        # Rows reached through a SKU or an alert only: none left of the erased pool.
        bundles = session.scalars(select(BundleComponent.bundle_id)).all()
        assert set(bundles) <= set(
            session.scalars(select(Sku.id).where(Sku.pool_id == kept.pool_id))
        )
        deliveries = session.scalars(select(AlertDelivery.alert_id)).all()
        assert set(deliveries) <= set(
            session.scalars(select(Alert.id).where(Alert.pool_id == kept.pool_id))
        )
    # Not a word of the erased shop anywhere: its name, its e-mails, its sealed tokens' rows.
    text = _all_text()
    assert gone.private not in text and gone.shop not in text
    # The other merchant's rows are untouched.
    assert owned_rows(kept) == kept_before


def test_shop_redact_in_a_shared_pool_keeps_the_other_stores_data(app, client, db_session):
    first = make_tenant(db_session, "erased")
    # A second store of the same merchant, sharing the first one's pool.
    second = Installation(
        platform="shopify",
        shop_domain="zzsister.myshopify.com",
        name="Sister store",
        status="active",
        pool_id=first.pool_id,
        settings={},
    )
    second.credentials = {"access_token": "shpat_" + "s" * 32}
    db_session.add(second)
    db_session.flush()
    db_session.add(
        Listing(
            installation_id=second.id,
            pool_id=first.pool_id,
            sku_id=first.ids["sku_id"],
            external_id="gid://shopify/ProductVariant/sister-1",
            level_ref="gid://shopify/InventoryLevel/sister-1",
            status=Listing.LINKED,
            details={},
        )
    )
    db_session.commit()
    _hold_everything(db_session, first)
    pool_before = {
        name: rows
        for name, rows in owned_rows(
            Tenant(installation_id=second.id, pool_id=first.pool_id, shop="", tag="", private="")
        ).items()
        if name
        in (
            "sku",
            "restock",
            "supplier",
            "alert_settings",
            "alert",
            "forecast",
            "ad_object",
            "ad_link",
            "ad_action",
            "install_state",
        )
    }

    _redact(app, client, first.shop)

    # Nothing names the erased store any more ...
    assert _left_of(first.installation_id, None) == {}
    # (The pool's ads keep the landing pages they advertise, as the ad platform reports them.)
    assert first.shop not in _all_text(skip=("ad_object",))
    with app.app_context():
        session = db.session
        session.expire_all()
        # ... its listings, sign-ups, storefront rows and deliveries are gone ...
        assert session.scalars(select(Listing.installation_id)).all() == [second.id]
        assert session.scalar(select(WebhookDelivery.id)) is None
        # ... the pool and the other store's data stay: SKUs, stock, ledger, suppliers, ads.
        assert session.get(Installation, second.id).credentials["access_token"]
        tee = session.get(Sku, first.ids["sku_id"])
        assert tee is not None and tee.pool_id == first.pool_id
        moves = session.scalars(select(Movement).where(Movement.pool_id == first.pool_id)).all()
        assert len(moves) == 2 and all(m.installation_id is None for m in moves)
        accounts = session.scalars(
            select(AdAccount).where(AdAccount.pool_id == first.pool_id).order_by(AdAccount.id)
        ).all()
        # The account the erased store connected now tells its story to the remaining store.
        assert [(a.platform, a.installation_id) for a in accounts] == [
            ("meta", second.id),
            ("tiktok", None),
        ]
        assert accounts[0].credentials["access_token"] == f"meta-{first.private}"
    after = owned_rows(
        Tenant(installation_id=second.id, pool_id=first.pool_id, shop="", tag="", private="")
    )
    assert {name: after[name] for name in pool_before} == pool_before
