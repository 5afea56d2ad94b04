"""What the fuzzers found, pinned: a signed delivery whose payload can't be used is settled
once as ``rejected`` with its reason, moves nothing, and is never put back in line.

Before: the parse error (or the database refusing a value) was retried, left the delivery
``pending`` for the sweeper to enqueue again every minute, forever, and kept every settle of
that store waiting behind it (``mirror._inbox_busy``).
"""

from __future__ import annotations

import json
import uuid

from models import WebhookDelivery
from sync.jobs import sweep_inbox
from tests.connectors.shopify.helpers import post_webhook
from tests.fuzz.conftest import assert_ledger_consistent, deliveries, fixture, sweepable
from tests.fuzz.test_woocommerce_webhooks import _stamp, poster
from tests.sync.harness import SHOP


def _shopify_order(world, quantity):
    line = {**fixture("shopify", "orders_create")["line_items"][0], "id": 71, "quantity": quantity}
    line["variant_id"] = world.ids["shopify"][0][0]
    return {**fixture("shopify", "orders_create"), "id": 7, "line_items": [line]}


def _woo_order(world, **changes):
    line = {**fixture("woocommerce", "order_created")["line_items"][0], "id": 81}
    line.update(product_id=world.ids["woocommerce"][0][0], variation_id=0, quantity=1)
    line["meta_data"] = [{"id": 1, "key": "_reduced_stock", "value": "1"}]
    payload = {**fixture("woocommerce", "order_created"), "id": 8, "line_items": [line]}
    payload["date_modified_gmt"] = payload["date_created_gmt"] = _stamp(8)
    return {**payload, **changes}


CASES = {
    # topic, payload builder, what the reason names
    "products/delete without its id": ("products/delete", lambda w: {}, "KeyError: 'id'"),
    "refunds/create without its order": (
        "refunds/create",
        lambda w: {
            k: v for k, v in fixture("shopify", "refunds_create").items() if k != "order_id"
        },
        "order_id",
    ),
    "a quantity past a 32-bit integer": (
        "orders/create",
        lambda w: _shopify_order(w, 2**31),
        "not a number of units",
    ),
    "a line id PostgreSQL can't store": (
        "orders/create",
        lambda w: {**_shopify_order(w, 1), "id": "7\u0000"},
        "is not an id",
    ),
    "a level that is not a number": (
        "inventory_levels/update",
        lambda w: {**fixture("shopify", "inventory_levels_update"), "available": "lots"},
        "not a number of units",
    ),
    "a WooCommerce version that is not a stamp": (
        "order.created",
        lambda w: _woo_order(w, date_modified_gmt=[["2026-11-22T00:00:00"]]),
        "order version",
    ),
    "a WooCommerce version longer than its column": (
        "order.created",
        lambda w: _woo_order(w, date_modified_gmt="2026-11-22T00:00:00" + "0" * 60),
        "order version",
    ),
}


def test_unusable_payloads_are_rejected_once_and_never_swept(world, subtests):
    for case, (topic, build, reason) in CASES.items():
        with subtests.test(case):
            body = json.dumps(build(world)).encode()
            if "." in topic:
                response = poster(world, topic)(body)
            else:
                response = post_webhook(world.client, topic, SHOP, body, event_id=str(uuid.uuid4()))
            assert response.status_code == 200  # signed, well-formed JSON: the platform is done
            before = assert_ledger_consistent(world.app)
            world.idle()
            [row] = [d for d in deliveries(world.app) if d.body == body]
            assert row.status == WebhookDelivery.REJECTED, (row.status, row.last_error)
            assert reason in row.last_error and row.attempts == 1
            assert assert_ledger_consistent(world.app) == before  # nothing moved
            assert row.id not in sweepable(world.app)
            with world.app.app_context():
                sweep_inbox(0)
            world.idle()
            assert [d.attempts for d in deliveries(world.app) if d.id == row.id] == [1]
