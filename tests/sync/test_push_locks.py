"""A push holds its store's listings while it writes to the platform. In that transaction it must
never wait on another store's listing: an order being recorded holds that one and waits on ours,
PostgreSQL breaks the deadlock by rolling the push back, and with it what the write taught us
(the level written, the units seen moving). The retry then takes our own write for a change made
on the channel, and a unit is counted twice (found by bench/load.py under mixed load)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import select

from extensions import db
from models import Listing, WebhookDelivery
from sync import mirror
from sync.jobs import process_delivery
from tests.sync.harness import SHOP

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _listings(app, sku_id: int) -> dict[int, Listing]:
    with app.app_context():
        db.session.remove()
        rows = db.session.scalars(select(Listing).where(Listing.sku_id == sku_id)).all()
        db.session.expunge_all()
        return {row.installation_id: row for row in rows}


def test_a_push_that_finds_a_sale_never_waits_on_another_stores_listing(stores, rq_workers):
    stores.converge({"TEE-M": 10, "TEE-L": 5, "MUG": 3})
    rq_workers.stop()  # from here on the test runs the push itself, against a chosen interleaving
    app, sku = stores.app, stores.sku("TEE-M")
    listings = _listings(app, sku.id)
    on_shopify, on_woo = listings[stores.shopify_id], listings[stores.woo_id]
    # A Shopify order, recorded (its webhook processed here): WooCommerce is to show 9 and 4 ...
    variants = stores.shopify_variants
    lines = [{"variant_id": variants[sku]["id"], "quantity": 1} for sku in ("TEE-M", "TEE-L")]
    stores.shopify.place_order(SHOP, lines)
    with app.app_context():
        db.session.remove()
        [delivery] = db.session.scalars(
            select(WebhookDelivery.id).where(
                WebhookDelivery.topic == "orders/create",
                WebhookDelivery.status == WebhookDelivery.PENDING,
            )
        ).all()
    with app.app_context():
        process_delivery(delivery)
    # ... but meanwhile one TEE-M went on WooCommerce, its webhook not processed yet: the push
    # writes TEE-L and finds 9 TEE-M where it last wrote 10.
    stores.woo.set_stock(stores.woo_products["TEE-M"]["id"], 9)
    url = app.config["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")

    # An order being recorded on Shopify: it holds the Shopify listing, then marks the others.
    order = psycopg.connect(url)
    order.execute("SET deadlock_timeout = '20s'")  # the push's check (1 s) runs first
    order.execute("SELECT id FROM listing WHERE id = %s FOR UPDATE", (on_shopify.id,))
    errors: list[BaseException] = []

    def push():
        try:
            with app.app_context():
                mirror.push_installation(stores.woo_id)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    pusher = threading.Thread(target=push)
    pusher.start()
    with psycopg.connect(url, autocommit=True) as watch:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and pusher.is_alive():
            waiting = watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> %s",
                (order.info.backend_pid,),
            ).fetchone()[0]
            if waiting:
                break  # the push waits on the order's listing
            time.sleep(0.02)
    order.execute("UPDATE listing SET push_pending = true WHERE id = %s", (on_woo.id,))
    order.commit()
    order.close()
    pusher.join(30)

    assert not pusher.is_alive()
    assert not errors, f"the push was rolled back after writing to WooCommerce: {errors[0]!r}"
    after = _listings(app, sku.id)
    # What the push wrote and learned is kept: TEE-L written, TEE-M's unit held back (9 - 1).
    assert after[stores.woo_id].channel_quantity == stores.woo_level("TEE-M") == 8
    assert after[stores.woo_id].unexplained == -1
    assert after[stores.shopify_id].push_pending  # told to hold the unit back too
    tee_l = _listings(app, stores.sku("TEE-L").id)[stores.woo_id]
    assert tee_l.channel_quantity == stores.woo_level("TEE-L") == 4
    # And the workers take it from there: the WooCommerce change is counted once, nothing else.
    rq_workers.start(1)
    stores.converge({"TEE-M": 8, "TEE-L": 4, "MUG": 3}, timeout=30)
    adjustments = [(m.installation_id, m.on_hand_delta) for m in stores.movements("adjustment")]
    assert adjustments == [(stores.woo_id, -1)]
