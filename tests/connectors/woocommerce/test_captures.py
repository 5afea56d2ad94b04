"""The sandbox's webhook deliveries, pings and wc-auth callback POST match the real captures.

One scenario replays what was done to the real WooCommerce 10.0.2 store (four webhooks with
secret ``test-secret``, stock edits, an order for a simple product and a variation, a status
change, a batch update, a trash and a forced delete); each test compares one aspect of what the
receiver got with the captured ``webhook-*`` / ``wc-auth-callback-post`` files.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from woocommerce import API

from sandbox.common import ServerThread, make_pki
from sandbox.woocommerce import WooSandbox, sign
from sandbox.woocommerce.receiver import Receiver
from sandbox.woocommerce.serialize import wp_json_encode

CAPTURES = Path(__file__).parent / "fixtures" / "captures"
SECRET = "test-secret"
TOPICS = ("product.updated", "order.created", "order.updated", "product.deleted")
# Captured deliveries in arrival order, as the capture's summary lists them (pings first).
SUMMARY = json.loads((CAPTURES / "webhook-signature-check-summary.json").read_text())
DELIVERY_FILES = [d["file"][:-5] for d in SUMMARY["deliveries"] if d["signature_present"]]
PING_FILES = [d["file"][:-5] for d in SUMMARY["deliveries"] if not d["signature_present"]]


def capture(name: str) -> dict:
    return json.loads((CAPTURES / f"{name}.json").read_text())


def names(headers) -> list[str]:
    return [k for k, _ in headers]


def value(headers, name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def key_order(raw):
    """Every object's keys, in order, recursively (values ignored)."""
    if isinstance(raw, dict):
        return [(k, key_order(v)) for k, v in raw.items()]
    if isinstance(raw, list):
        return [key_order(v) for v in raw if isinstance(v, dict | list)]
    return None


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    sb = WooSandbox(ca_bundle=str(pki.bundle))
    server = ServerThread(sb.wsgi_app).start()
    sb.base_url = server.url
    hooks = Receiver().start()
    app = Receiver(ssl_context=pki.server_context()).start()
    try:
        key = sb.create_api_key()
        api = API(
            url=sb.base_url, consumer_key=key.consumer_key, consumer_secret=key.consumer_secret
        )
        for topic in TOPICS:
            body = {"name": f"Test {topic}", "topic": topic, "secret": SECRET, "status": "active"}
            body["delivery_url"] = f"{hooks.url}/wh/{topic.replace('.', '-')}"
            assert api.post("webhooks", body).status_code == 201
        simple = sb.create_product("Test Simple Tee", "SIMPLE-001", 5, regular_price="19.99")
        hoodie = sb.create_product("Test Variable Hoodie", "VAR-001", None, type="variable")
        small = sb.create_variation(
            hoodie["id"], "VAR-001-S", 3, {"Size": "S"}, regular_price="39.00"
        )
        mug = sb.create_product("Batch Mug", "MUG-001", 10, regular_price="9.00")
        cap = sb.create_product("Batch Cap", "CAP-001", 4, regular_price="12.00")

        api.put(f"products/{simple['id']}", {"stock_quantity": 8})
        api.put(f"products/{hoodie['id']}/variations/{small['id']}", {"stock_quantity": 9})
        sb.wait_for_deliveries()
        order = api.post(
            "orders",
            {
                "status": "processing",
                "billing": {"first_name": "Grace", "email": "grace@example.com"},
                "line_items": [
                    {"product_id": simple["id"], "quantity": 1},
                    {"product_id": hoodie["id"], "variation_id": small["id"], "quantity": 2},
                ],
            },
        ).json()
        sb.wait_for_deliveries()
        api.put(f"orders/{order['id']}", {"status": "completed"})
        sb.wait_for_deliveries()
        api.post(
            "products/batch",
            {
                "update": [
                    {"id": simple["id"], "stock_quantity": 30},
                    {"id": mug["id"], "stock_quantity": 31},
                ]
            },
        )
        sb.wait_for_deliveries()
        api.delete(f"products/{cap['id']}")
        api.delete(f"products/{mug['id']}", params={"force": "true"})
        sb.wait_for_deliveries()

        query = urlencode(
            {
                "app_name": "Test",
                "scope": "read_write",
                "user_id": "42",
                "return_url": "https://127.0.0.1:9443/return",
                "callback_url": f"{app.url}/callback",
            }
        )
        final = sb.approve(f"{sb.base_url}/wc-auth/v1/authorize?{query}")
        yield {"sb": sb, "hits": list(hooks.hits), "callbacks": list(app.hits), "final": final}
    finally:
        sb.close()
        hooks.stop()
        app.stop()
        server.stop()


def pings(scenario):
    return [h for h in scenario["hits"] if value(h.headers, "X-WC-Webhook-Topic") is None]


def deliveries(scenario):
    return [h for h in scenario["hits"] if value(h.headers, "X-WC-Webhook-Topic") is not None]


# --------------------------------------------------------------------------- pings


@pytest.mark.parametrize("index, name", list(enumerate(PING_FILES)))
def test_activation_ping_matches_capture(scenario, index, name):
    cap = capture(name)
    ping = pings(scenario)[index]
    assert names(ping.headers) == names(cap["headers"])
    assert ping.body.decode() == cap["body_raw"]  # webhook ids 1..4, as on the real store
    assert value(ping.headers, "Content-Type") == "application/x-www-form-urlencoded"
    assert value(ping.headers, "User-Agent") == value(cap["headers"], "User-Agent")
    assert not [k for k in names(ping.headers) if k.startswith("X-WC-")]


# --------------------------------------------------------------------------- deliveries


def test_deliveries_arrive_in_the_captured_sequence(scenario):
    got = [
        (value(h.headers, "X-WC-Webhook-Topic"), json.loads(h.body).get("type"))
        for h in deliveries(scenario)
    ]
    expected = [
        (value(cap["headers"], "X-WC-Webhook-Topic"), cap["body_json"].get("type"))
        for cap in map(capture, DELIVERY_FILES)
    ]
    assert got == expected


@pytest.mark.parametrize("index, name", list(enumerate(DELIVERY_FILES)))
def test_delivery_headers_match_capture(scenario, index, name):
    cap = capture(name)
    hit = deliveries(scenario)[index]
    assert names(hit.headers) == names(cap["headers"])
    for header in (
        "User-Agent",
        "Accept",
        "Accept-Encoding",
        "Content-Type",
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-Resource",
        "X-WC-Webhook-Event",
        "X-WC-Webhook-ID",
        "Connection",
    ):
        assert value(hit.headers, header) == value(cap["headers"], header), header
    assert value(hit.headers, "X-WC-Webhook-Source") == scenario["sb"].base_url + "/"
    assert len(value(hit.headers, "X-WC-Webhook-Delivery-ID")) == 32
    assert int(value(hit.headers, "Content-Length")) == len(hit.body)


@pytest.mark.parametrize("index, name", list(enumerate(DELIVERY_FILES)))
def test_delivery_body_has_the_captured_key_structure(scenario, index, name):
    cap = capture(name)
    hit = deliveries(scenario)[index]
    assert key_order(json.loads(hit.body)) == key_order(json.loads(cap["body_raw"]))


@pytest.mark.parametrize("name", DELIVERY_FILES)
def test_signature_scheme_on_the_captured_raw_bytes(name):
    cap = capture(name)
    raw = cap["body_raw"].encode()
    assert sign(raw, SECRET) == value(cap["headers"], "X-WC-Webhook-Signature")
    # Re-serialising (json.dumps) drops the escaped slashes, so it would not verify.
    reencoded = json.dumps(json.loads(raw), separators=(",", ":")).encode()
    if b"\\/" in raw:
        assert reencoded != raw
        assert sign(reencoded, SECRET) != value(cap["headers"], "X-WC-Webhook-Signature")


@pytest.mark.parametrize("name", DELIVERY_FILES)
def test_our_serializer_reproduces_wp_json_encode_bytes(name):
    raw = capture(name)["body_raw"].encode()
    assert wp_json_encode(json.loads(raw)) == raw


def test_sandbox_deliveries_are_signed_over_their_raw_bytes(scenario):
    for hit in deliveries(scenario):
        assert value(hit.headers, "X-WC-Webhook-Signature") == sign(hit.body, SECRET)
        assert wp_json_encode(json.loads(hit.body)) == hit.body
    assert any(b"\\/" in h.body for h in deliveries(scenario))


def test_order_created_and_updated_carry_identical_bodies(scenario):
    by_topic = {}
    for hit in deliveries(scenario):
        by_topic.setdefault(value(hit.headers, "X-WC-Webhook-Topic"), []).append(hit.body)
    assert by_topic["order.created"][0] == by_topic["order.updated"][0]
    created = capture("webhook-delivery-order-created")["body_raw"]
    updated = capture("webhook-delivery-order-updated-on-create")["body_raw"]
    assert created == updated


def test_trash_body_is_only_the_id(scenario):
    [hit] = [h for h in deliveries(scenario) if value(h.headers, "X-WC-Webhook-Event") == "deleted"]
    assert list(json.loads(hit.body)) == list(
        capture("webhook-delivery-product-deleted")["body_json"]
    )


def test_delivery_id_is_per_webhook_and_second():
    sb = WooSandbox()
    sb.store.clock = lambda: 1795321234.5
    same = sb.dispatcher.delivery_id(1)
    assert sb.dispatcher.delivery_id(1) == same  # as captured: c2fc9d37... twice for webhook 1
    assert sb.dispatcher.delivery_id(2) != same
    sb.store.clock = lambda: 1795321235.0
    assert sb.dispatcher.delivery_id(1) != same


# --------------------------------------------------------------------------- wc-auth callback


def test_wc_auth_callback_post_matches_capture(scenario):
    cap = capture("wc-auth-callback-post")
    [hit] = scenario["callbacks"]
    assert names(hit.headers) == names(cap["headers"])
    for header in ("Accept", "Accept-Encoding", "Content-Type", "Connection"):
        assert value(hit.headers, header) == value(cap["headers"], header)
    assert value(hit.headers, "User-Agent") == f"WordPress/6.8.3; {scenario['sb'].base_url}"
    body = json.loads(hit.body)
    assert key_order(body) == key_order(cap["body_json"])
    assert body["user_id"] == "42"  # echoed as a string
    assert body["consumer_key"].startswith("ck_") and len(body["consumer_key"]) == 43
    assert body["consumer_secret"].startswith("cs_") and len(body["consumer_secret"]) == 43
    assert len(hit.body) == 183  # the captured Content-Length before redaction
    assert scenario["final"] == "https://127.0.0.1:9443/return?success=1&user_id=42"
    assert (
        capture("wc-auth-05-access-granted")["response"]["headers"]["Location"] == scenario["final"]
    )
