"""Fuzzing WooCommerce webhooks end to end: the captured 10.0.2 delivery bodies, mutated,
signed with the store's webhook secret, sent to the real endpoint and processed by the
in-process job runner against a store linked to the pool.

Same properties as the Shopify fuzz (tests/fuzz/webhook_checks.py): never a 5xx, recorded
once, all-or-nothing movements, the ledger consistent, unusable payloads settled with a reason.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from models import WebhookDelivery
from tests.fuzz.conftest import fixture, fresh_random
from tests.fuzz.mutate import mutated
from tests.fuzz.webhook_checks import deliver, last_movement, order_units

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)),  # FUZZ_EXAMPLES=1000: a deeper hunt
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOT_OURS = 987654
STATUSES = ["processing", "on-hold", "completed", "cancelled", "refunded", "pending", "failed"]
ORDER_KEYS = ("id", "line_items", "date_modified_gmt", "date_created_gmt", "status")


# Orders placed from now on: after the test stores' products were linked.
_START = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)


def _stamp(n: int) -> str:
    # One second apart per example, so each snapshot of an order is newer than the last.
    return (_START + dt.timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S")


def order(world, data, n, topic):
    payload = fixture(
        "woocommerce", "order_created" if topic == "order.created" else "order_updated"
    )
    products = [p for p, _, _ in world.ids["woocommerce"]] + [NOT_OURS]
    status = data.draw(st.sampled_from(STATUSES), label="status")
    template = fixture("woocommerce", "order_created")["line_items"][0]
    lines = []
    for i in range(2):
        line = copy.deepcopy(template)
        reduced = data.draw(st.integers(0, 3), label=f"reduced {i}")
        line.update(id=n * 10 + i, product_id=data.draw(st.sampled_from(products)), quantity=3)
        line["meta_data"] = [{**line["meta_data"][0], "value": str(reduced)}] if reduced else []
        lines.append(line)
    payload.update(
        id=n,
        status=status,
        line_items=lines,
        date_created_gmt=_stamp(n),
        date_modified_gmt=_stamp(n),
    )
    hot = [(k,) for k in ORDER_KEYS] + [("payment_method",)]
    for i in range(2):
        item = ("line_items", i)
        hot += [item, *((*item, k) for k in ("id", "product_id", "variation_id", "meta_data"))]
        hot += [(*item, "meta_data", 0), (*item, "meta_data", 0, "value")]
    return payload, hot


def product_updated(world, data, n, topic):
    variation = data.draw(st.booleans(), label="variation")
    payload = fixture(
        "woocommerce", "product_updated_variation" if variation else "product_updated"
    )
    ids = [p for p, _, _ in world.ids["woocommerce"]] + [NOT_OURS]
    payload["id"] = data.draw(st.sampled_from(ids), label="product")
    payload["stock_quantity"] = data.draw(st.integers(0, 60), label="stock_quantity")
    hot = [
        (k,) for k in ("id", "type", "manage_stock", "stock_quantity", "sku", "date_modified_gmt")
    ]
    return payload, hot


def product_deleted(world, data, n, topic):
    ids = [p for p, _, _ in world.ids["woocommerce"]] + [NOT_OURS]
    return {"id": data.draw(st.sampled_from(ids), label="product")}, [("id",)]


BUILDERS = {
    "order.created": order,
    "order.updated": order,
    "product.updated": product_updated,
    "product.deleted": product_deleted,
}


def expected_reduction(world, base: dict, payload) -> int | None:
    """Units an untouched order snapshot takes off the pool (None once mutations touched it)."""
    if not isinstance(payload, dict) or any(payload.get(k) != base[k] for k in ORDER_KEYS):
        return None
    ours = {p for p, _, _ in world.ids["woocommerce"]}
    return sum(
        int(line["meta_data"][0]["value"]) if line["meta_data"] else 0
        for line in base["line_items"]
        if line["product_id"] in ours
    )


def poster(world, topic: str):
    client, url = world.client, f"/webhooks/woocommerce/{world.installation_id('woocommerce')}"
    resource, action = topic.split(".")

    def post(body: bytes):
        signature = hmac.new(world.woo_secret.encode(), body, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/10.0.2 Hookshot (WordPress/6.8.3)",
            "X-WC-Webhook-Source": world.stores.woo.base_url + "/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": action,
            "X-WC-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-WC-Webhook-ID": "2",
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,  # new on every send, as captured
        }
        return client.post(url, data=body, headers=headers)

    return post


def test_mutated_woocommerce_deliveries_never_break_the_inbox_or_the_ledger(world):
    orders = itertools.count(3_000)

    outcomes, reasons = Counter(), Counter()

    @FUZZ
    @given(data=st.data())
    def run(data):
        fresh_random()
        topic = data.draw(st.sampled_from(sorted(BUILDERS)), label="topic")
        n = next(orders)
        base, hot = BUILDERS[topic](world, data, n, topic)
        mutations, body = data.draw(mutated(base, hot), label="mutations")
        note(f"topic={topic} body={body[:3000]!r}")
        since = last_movement(world.app)
        try:
            row = deliver(world, poster(world, topic), body)
            outcomes[row.status if row else "refused"] += 1
            if row is not None and row.last_error:
                reasons[f"{topic}: {row.last_error[:90]}"] += 1
            if topic.startswith("order.") and row is not None:
                try:
                    expected = expected_reduction(world, base, json.loads(body))
                except (ValueError, RecursionError):
                    expected = None
                if expected is not None:
                    assert row.status == WebhookDelivery.PROCESSED, row.last_error
                    assert order_units(world.app, since) == -expected
        finally:
            world.wipe_example()

    run()
    print(f"outcomes {dict(outcomes)}", *reasons.most_common(), sep="\n  ")
    assert outcomes["processed"], "no example reached the engine"
    # The worker survived all of it: a plain processing order still moves its units.
    n = next(orders)
    product = world.ids["woocommerce"][0][0]
    line = {**fixture("woocommerce", "order_created")["line_items"][0], "id": n * 10}
    line.update(product_id=product, variation_id=0, quantity=2)
    line["meta_data"] = [{"id": 1, "key": "_reduced_stock", "value": "2"}]
    payload = {**fixture("woocommerce", "order_created"), "id": n, "line_items": [line]}
    payload["date_modified_gmt"] = payload["date_created_gmt"] = _stamp(n)
    since = last_movement(world.app)
    assert poster(world, "order.created")(json.dumps(payload).encode()).status_code == 200
    world.idle()
    assert order_units(world.app, since) == -2
