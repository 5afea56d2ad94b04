"""Fuzzing Shopify webhooks end to end: real payload shapes, mutated, validly signed, sent to
the real endpoint, processed by the in-process job runner against a store linked to the pool.

Whatever the payload: never a 5xx, recorded once, and processing either applies all of a
delivery's movements or none, keeps every SKU equal to the sum of its movements, and settles a
payload it can't use with a reason instead of retrying it forever. A failure prints the topic,
the mutations and the body (Hypothesis ``note``) and a ``@reproduce_failure`` blob.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from models import WebhookDelivery
from tests.connectors.shopify.helpers import post_webhook
from tests.fuzz.conftest import fixture, fresh_random
from tests.fuzz.mutate import mutated
from tests.fuzz.webhook_checks import deliver, last_movement, order_units
from tests.sync.harness import SHOP

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)),  # FUZZ_EXAMPLES=1000: a deeper hunt
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOT_OURS = 4242424242  # a variant no store of the pool sells


def _lines(world, data, n, count=3):
    variants = [v for v, _, _ in world.ids["shopify"]] + [NOT_OURS, None]
    base = fixture("shopify", "orders_create")["line_items"]
    lines = []
    for i in range(count):
        line = dict(base[i % len(base)])
        line["id"] = n * 10 + i
        line["variant_id"] = data.draw(st.sampled_from(variants), label=f"variant {i}")
        line["quantity"] = data.draw(st.integers(1, 3), label=f"quantity {i}")
        lines.append(line)
    return lines


def _refund(world, data, n, order_id, restock_types):
    refund = fixture("shopify", "refunds_create")
    refund["id"], refund["order_id"] = n * 10 + 7, order_id
    items = []
    for i, line in enumerate(_lines(world, data, n, count=2)):
        item = dict(refund["refund_line_items"][0])
        item["id"] = n * 10 + 5 + i
        item["quantity"] = line["quantity"]
        item["restock_type"] = data.draw(st.sampled_from(restock_types), label="restock_type")
        item["line_item"] = {
            **item["line_item"],
            "id": line["id"],
            "variant_id": line["variant_id"],
        }
        items.append(item)
    refund["refund_line_items"] = items
    return refund


def order_created(world, data, n):
    payload = fixture("shopify", "orders_create")
    payload["id"], payload["line_items"] = n, _lines(world, data, n)
    hot = [("id",), ("line_items",), ("payment_gateway_names",), ("created_at",)]
    for i in range(3):
        hot += [
            ("line_items", i),
            *(("line_items", i, k) for k in ("id", "variant_id", "quantity")),
        ]
    return payload, hot


def order_cancelled(world, data, n):
    payload = fixture("shopify", "orders_cancelled")
    payload["id"], payload["line_items"] = n, _lines(world, data, n)
    payload["refunds"] = [_refund(world, data, n, n, ["cancel"])]
    hot = [("id",), ("refunds",), ("refunds", 0), ("refunds", 0, "id")]
    for i in range(2):
        item = ("refunds", 0, "refund_line_items", i)
        hot += [item, *((*item, k) for k in ("id", "quantity", "restock_type", "line_item"))]
        hot.append((*item, "line_item", "variant_id"))
    return payload, hot


def refund_created(world, data, n):
    payload = _refund(world, data, n, n, ["return", "cancel", "legacy_restock", "no_restock"])
    hot = [("id",), ("order_id",), ("refund_line_items",), ("restock",)]
    for i in range(2):
        item = ("refund_line_items", i)
        hot += [item, *((*item, k) for k in ("id", "quantity", "restock_type", "line_item"))]
        hot.append((*item, "line_item", "variant_id"))
    return payload, hot


def level_updated(world, data, n):
    payload = fixture("shopify", "inventory_levels_update")
    levels = [lvl for _, _, lvl in world.ids["shopify"]] + [NOT_OURS]
    payload["inventory_item_id"] = data.draw(st.sampled_from(levels), label="inventory item")
    payload["available"] = data.draw(st.integers(0, 60), label="available")
    location = world.location("shopify")
    payload["location_id"] = data.draw(st.sampled_from([location, None, NOT_OURS]), label="loc")
    return payload, [(k,) for k in payload]


def product_updated(world, data, n):
    payload = fixture("shopify", "products_update")
    pid, vid = data.draw(st.sampled_from([(p, v) for v, p, _ in world.ids["shopify"]]))
    payload["id"] = pid
    for variant in payload["variants"]:
        variant["id"], variant["product_id"] = vid, pid
    hot = [("id",), ("variants",), *(("variants", 0, k) for k in ("id", "sku", "barcode"))]
    return payload, hot


def product_deleted(world, data, n):
    products = [p for _, p, _ in world.ids["shopify"]] + [NOT_OURS]
    return {"id": data.draw(st.sampled_from(products), label="product")}, [("id",)]


BUILDERS = {
    "orders/create": order_created,
    "orders/cancelled": order_cancelled,
    "refunds/create": refund_created,
    "inventory_levels/update": level_updated,
    "products/update": product_updated,
    "products/delete": product_deleted,
}


def expected_sale(world, payload: dict, n: int) -> int | None:
    """Units a well-formed orders/create must take off the pool; None when the mutations made
    it something else (then only the invariants are checked)."""
    ours = {v for v, _, _ in world.ids["shopify"]}
    lines = payload.get("line_items")
    if payload.get("id") != n or not isinstance(lines, list):
        return None
    units = 0
    for i, line in enumerate(lines):
        if not isinstance(line, dict) or line.get("id") != n * 10 + i:
            return None
        quantity, variant = line.get("quantity"), line.get("variant_id")
        if type(quantity) is not int or not 0 <= quantity <= 3:
            return None
        if type(variant) is int and variant in ours:
            units += quantity  # each line moves its own units, even for the same variant
        elif variant not in (None, NOT_OURS):
            return None
    return units


def test_mutated_shopify_deliveries_never_break_the_inbox_or_the_ledger(world):
    orders = itertools.count(7_100_000_000)
    client = world.client

    outcomes, reasons = Counter(), Counter()

    @FUZZ
    @given(data=st.data())
    def run(data):
        fresh_random()
        topic = data.draw(st.sampled_from(sorted(BUILDERS)), label="topic")
        n = next(orders)
        base, hot = BUILDERS[topic](world, data, n)
        mutations, body = data.draw(mutated(base, hot), label="mutations")
        note(f"topic={topic} body={body[:3000]!r}")
        event_id = str(uuid.uuid4())

        def post(raw):
            return post_webhook(client, topic, SHOP, raw, event_id=event_id)

        since = last_movement(world.app)
        try:
            row = deliver(world, post, body)
            outcomes[row.status if row else "refused"] += 1
            if row is not None and row.last_error:
                reasons[f"{topic}: {row.last_error[:90]}"] += 1
            if topic == "orders/create" and row is not None:
                try:
                    expected = expected_sale(world, json.loads(body), n)
                except (ValueError, RecursionError):
                    expected = None
                if expected is not None:
                    assert row.status == WebhookDelivery.PROCESSED, row.last_error
                    # Each unit leaves the pool once (the stores' listings share one SKU).
                    assert order_units(world.app, since) == -expected
        finally:
            world.wipe_example()

    run()
    print(f"outcomes {dict(outcomes)}", *reasons.most_common(), sep="\n  ")
    assert outcomes["processed"], "no example reached the engine"
    # The worker survived all of it: a plain order is still processed and moves its units.
    n = next(orders)
    line = {**fixture("shopify", "orders_create")["line_items"][0], "id": n * 10, "quantity": 2}
    line["variant_id"] = world.ids["shopify"][0][0]
    payload = {**fixture("shopify", "orders_create"), "id": n, "line_items": [line]}
    since = last_movement(world.app)
    assert post_webhook(client, "orders/create", SHOP, payload).status_code == 200
    world.idle()
    assert order_units(world.app, since) == -2
