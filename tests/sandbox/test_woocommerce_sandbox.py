"""The WooCommerce sandbox answers as the captured WooCommerce 10.0.2 store did.

Driven with the real ``woocommerce`` library (OAuth 1.0a over plain HTTP) and ``requests`` for
the refusals; expected bodies come from the captures in
``tests/connectors/woocommerce/fixtures/captures``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import requests
from woocommerce import API
from woocommerce.oauth import OAuth

from sandbox.common import ServerThread, make_pki
from sandbox.woocommerce import WooSandbox, sign
from sandbox.woocommerce.receiver import Receiver

CAPTURES = Path(__file__).parents[1] / "connectors" / "woocommerce" / "fixtures" / "captures"
SECRET = "test-secret"


def capture(name: str) -> dict:
    return json.loads((CAPTURES / f"{name}.json").read_text())


def captured_body(name: str):
    return capture(name)["response"]["body_json"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def woo_pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("woo-pki"))


@pytest.fixture(scope="module")
def store_server():
    """One loopback server for the module; each test plugs a fresh sandbox into it."""
    slot = {}
    server = ServerThread(lambda environ, start: slot["app"](environ, start)).start()
    yield server, slot
    server.stop()


@pytest.fixture
def sb(store_server, woo_pki):
    server, slot = store_server
    store = WooSandbox(ca_bundle=str(woo_pki.bundle))
    slot["app"] = store.wsgi_app
    store.base_url = server.url
    yield store
    store.close()


@pytest.fixture
def key(sb):
    return sb.create_api_key()


@pytest.fixture
def api(sb, key):
    return API(
        url=sb.base_url,
        consumer_key=key.consumer_key,
        consumer_secret=key.consumer_secret,
        version="wc/v3",
        timeout=10,
    )


@pytest.fixture(scope="module")
def receivers(woo_pki):
    plain = Receiver().start()
    tls = Receiver(ssl_context=woo_pki.server_context()).start()
    yield plain, tls
    plain.stop()
    tls.stop()


def _fresh(r: Receiver) -> Receiver:
    r.hits.clear()
    r.status = 200
    return r


@pytest.fixture
def receiver(receivers):
    """A plain-HTTP webhook receiver answering 200 (set ``.status`` to make it fail)."""
    return _fresh(receivers[0])


@pytest.fixture
def https_receiver(receivers):
    """The same over TLS with a certificate from the sandbox's CA bundle."""
    return _fresh(receivers[1])


def signed_url(sb, key, path: str, method: str = "GET", **params) -> str:
    """A URL signed exactly as the woocommerce library signs it (HMAC-SHA256)."""
    url = f"{sb.base_url}/wp-json/wc/v3/{path}"
    if params:
        url += "?" + urlencode(params)
    oauth = OAuth(url, key.consumer_key, key.consumer_secret, version="wc/v3", method=method)
    return oauth.get_oauth_url()


def add_webhook(api, topic: str, url: str) -> dict:
    resp = api.post(
        "webhooks",
        {"name": f"Test {topic}", "topic": topic, "delivery_url": url, "secret": SECRET},
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def authorize_url(sb, callback: str, return_url: str = "https://app.example/return") -> str:
    query = urlencode(
        {
            "app_name": "Test",
            "scope": "read_write",
            "user_id": "42",
            "return_url": return_url,
            "callback_url": callback,
        }
    )
    return f"{sb.base_url}/wc-auth/v1/authorize?{query}"


TRANSPORT = ("Server", "Date", "Connection", "Content-Length")


def header_names(resp) -> list[str]:
    """Response header names in order, minus what the WSGI server writes itself."""
    return [k for k in resp.headers if k not in TRANSPORT]


def captured_header_names(name: str) -> list[str]:
    return [k for k in capture(name)["response"]["headers"] if k not in TRANSPORT]


def key_structure(value):
    """Keys (recursively) of a JSON value, ignoring the values themselves."""
    if isinstance(value, dict):
        return {k: key_structure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [key_structure(value[0])] if value and isinstance(value[0], dict) else []
    return None


# --------------------------------------------------------------------------- /wc-auth/v1


def test_app_authorization_posts_the_key_to_the_https_callback_then_redirects(sb, https_receiver):
    final = sb.approve(authorize_url(sb, https_receiver.url + "/callback"))

    assert final == "https://app.example/return?success=1&user_id=42"
    [hit] = https_receiver.hits
    cap = capture("wc-auth-callback-post")
    assert [k for k, _ in hit.headers] == [k for k, _ in cap["headers"]]
    assert hit.header("User-Agent") == f"WordPress/6.8.3; {sb.base_url}"
    assert hit.header("Content-Type") == "application/json;charset=UTF-8"
    body = json.loads(hit.body)
    assert list(body) == list(cap["body_json"])
    [key] = sb.api_keys
    assert body == {
        "key_id": key.key_id,
        "user_id": "42",
        "consumer_key": key.consumer_key,
        "consumer_secret": key.consumer_secret,
        "key_permissions": "read_write",
    }
    assert len(key.consumer_key) == 43 and key.consumer_key.startswith("ck_")
    assert int(hit.header("Content-Length")) == len(hit.body) == 183  # as captured, unredacted
    products = API(
        url=sb.base_url,
        consumer_key=key.consumer_key,
        consumer_secret=key.consumer_secret,
        version="wc/v3",
    ).get("products")
    assert products.status_code == 200


def test_authorize_page_is_the_captured_grant_access_page(sb):
    cap = capture("wc-auth-04-authorize-page")
    query = urlsplit(cap["request"]["url"]).query
    page = requests.get(f"{sb.base_url}/wc-auth/v1/authorize/?{query}", timeout=5)
    assert page.status_code == 200
    assert header_names(page) == captured_header_names("wc-auth-04-authorize-page")

    def normalise(text: str) -> str:
        text = text.replace(sb.base_url, "http://127.0.0.1:8080")
        text = text.replace("//" + urlsplit(sb.base_url).netloc, "//127.0.0.1:8080")
        text = text.replace(quote(sb.base_url, safe=""), quote("http://127.0.0.1:8080", safe=""))
        return re.sub(r"(_wpnonce|wc_auth_nonce)=[0-9a-f]{10}", r"\1=NONCE", text)

    assert normalise(page.text) == normalise(cap["response"]["body_text"])


def test_a_callback_answering_500_gets_the_key_deleted_and_the_error_page(sb, https_receiver):
    https_receiver.status = 500
    final = sb.approve(authorize_url(sb, https_receiver.url + "/callback"))
    assert "success=1" not in final
    assert len(https_receiver.hits) == 1
    assert sb.api_keys == []
    assert sb.last_auth_error == (
        "Error: An error occurred in the request and at the time were unable to send the "
        "consumer data."
    )


def test_an_http_callback_gets_the_captured_error_page(sb):
    resp = requests.get(authorize_url(sb, "http://127.0.0.1:9009/callback"), timeout=5)
    cap = capture("wc-auth-authorize-http-callback-error")["response"]
    assert resp.status_code == 401
    assert resp.text == cap["body_text"]
    assert resp.headers["Cache-Control"] == cap["headers"]["Cache-Control"]
    assert sb.approve(authorize_url(sb, "http://127.0.0.1:9009/callback")).startswith(sb.base_url)
    assert sb.api_keys == []


def test_deny_sends_the_admin_back_with_success_0(sb):
    assert sb.deny(authorize_url(sb, "https://127.0.0.1:9/cb")) == (
        "https://app.example/return?success=0&user_id=42"
    )
    assert sb.api_keys == []


def test_access_granted_without_the_nonce_is_refused(sb):
    url = authorize_url(sb, "https://127.0.0.1:9/cb").replace("/authorize?", "/access_granted?")
    resp = requests.get(url, timeout=5, allow_redirects=False)
    assert resp.status_code == 401
    assert "Error: Invalid nonce verification." in resp.text
    assert sb.api_keys == []


# --------------------------------------------------------------------------- authentication


def test_a_replayed_nonce_is_refused(sb, key):
    url = signed_url(sb, key, "products", per_page=1)
    assert requests.get(url, timeout=5).status_code == 200
    replay = requests.get(url, timeout=5)
    assert replay.status_code == 401
    assert replay.json() == captured_body("auth-oauth-nonce-replay-401")


def test_a_wrong_signature_is_refused(sb, key):
    url = signed_url(sb, key, "products", per_page=1)
    query = parse_qs(urlsplit(url).query)
    query["oauth_signature"] = ["A" * 43 + "="]
    bad = url.split("?")[0] + "?" + urlencode({k: v[0] for k, v in query.items()})
    resp = requests.get(bad, timeout=5)
    assert resp.status_code == 401
    assert resp.json() == captured_body("auth-oauth-bad-signature-401")
    assert header_names(resp) == captured_header_names("auth-oauth-bad-signature-401")


def test_hmac_sha1_signatures_are_accepted_too(sb, key):
    import base64
    import hashlib
    import hmac

    from sandbox.woocommerce.auth import string_to_sign
    from sandbox.woocommerce.serialize import rawurlencode

    params = {
        "oauth_consumer_key": key.consumer_key,
        "oauth_timestamp": str(int(time.time())),
        "oauth_nonce": "abc123",
        "oauth_signature_method": "HMAC-SHA1",
    }
    base = string_to_sign("GET", rawurlencode(f"{sb.base_url}/wp-json/wc/v3/products"), params)
    digest = hmac.new(f"{key.consumer_secret}&".encode(), base.encode(), hashlib.sha1).digest()
    params["oauth_signature"] = base64.b64encode(digest).decode()
    resp = requests.get(f"{sb.base_url}/wp-json/wc/v3/products", params=params, timeout=5)
    assert resp.status_code == 200


@pytest.mark.parametrize(
    "how, capture_name",
    [
        ("basic", "auth-basic-over-http"),
        ("query", "auth-query-string-over-http"),
        (None, "auth-missing-401"),
    ],
)
def test_keys_in_clear_over_plain_http_are_ignored(sb, key, how, capture_name):
    url = f"{sb.base_url}/wp-json/wc/v3/products"
    kwargs = {}
    if how == "basic":
        kwargs["auth"] = (key.consumer_key, key.consumer_secret)
    elif how == "query":
        kwargs["params"] = {
            "consumer_key": key.consumer_key,
            "consumer_secret": key.consumer_secret,
        }
    resp = requests.get(url, timeout=5, **kwargs)
    cap = capture(capture_name)["response"]
    assert resp.status_code == 401
    assert resp.json() == cap["body_json"]
    assert header_names(resp) == captured_header_names(capture_name)


def test_a_read_only_key_cannot_write(sb):
    ro = sb.create_api_key("read")
    api = API(url=sb.base_url, consumer_key=ro.consumer_key, consumer_secret=ro.consumer_secret)
    assert api.get("products").status_code == 200
    resp = api.post("products", {"name": "x"})
    assert resp.status_code == 401
    assert resp.json()["message"] == "The API key provided does not have write permissions."


# --------------------------------------------------------------------------- products


def test_product_create_and_get_have_the_captured_shapes(api):
    created = api.post(
        "products",
        capture("products-create-simple")["request"]["body_json"],
    )
    assert created.status_code == 201
    body = created.json()
    assert key_structure(body) == key_structure(captured_body("products-create-simple"))
    assert body["description"] == "A simple test product"
    assert created.headers["Location"].endswith(f"/wp-json/wc/v3/products/{body['id']}")
    got = api.get(f"products/{body['id']}").json()
    assert key_structure(got) == key_structure(captured_body("products-get-simple-before-order"))
    assert got["description"] == "<p>A simple test product</p>\n"
    assert (got["stock_quantity"], got["stock_status"], got["average_rating"]) == (
        5,
        "instock",
        "0.00",
    )


def test_duplicate_sku_and_missing_product_errors_are_the_captured_ones(api):
    first = api.post(
        "products", {"name": "Tee", "sku": "SIMPLE-001", "regular_price": "1.00"}
    ).json()
    dup = api.post("products", {"name": "Dup SKU", "type": "simple", "sku": "SIMPLE-001"})
    assert dup.status_code == 400
    expected = captured_body("products-create-duplicate-sku-error")
    expected["data"]["resource_id"] = first["id"]
    assert dup.json() == expected
    missing = api.get("products/999999")
    assert missing.status_code == 404
    assert missing.json() == captured_body("products-get-not-found")


def test_list_pagination_headers_and_link(sb, api):
    for i in range(5):
        sb.create_product(f"Item {i}", f"SKU-{i}", 3)
    first = api.get("products", params={"per_page": 2, "page": 1, "orderby": "id", "order": "asc"})
    assert first.headers["X-WP-Total"] == "5"
    assert first.headers["X-WP-TotalPages"] == "3"
    assert [p["sku"] for p in first.json()] == ["SKU-0", "SKU-1"]
    assert first.headers["Link"].endswith('>; rel="next"')
    assert "per_page=2&page=2&orderby=id&order=asc&oauth_consumer_key=" in first.headers["Link"]
    second = api.get("products", params={"per_page": 2, "page": 2})
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' in second.headers["Link"]
    by_sku = api.get("products", params={"sku": "SKU-3"})
    assert [p["sku"] for p in by_sku.json()] == ["SKU-3"] and by_sku.headers["X-WP-Total"] == "1"
    too_many = api.get("products", params={"per_page": 101})
    assert too_many.status_code == 400
    assert too_many.json()["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }


def test_pagination_link_reproduces_the_captured_header():
    """add_query_arg() re-encodes values and trims a trailing "=" (the signature's padding)."""
    from sandbox.woocommerce.rest import RestRequest, paginate
    from sandbox.woocommerce.serialize import php_parse_str

    cap = capture("products-list-paged")
    query = php_parse_str(urlsplit(cap["request"]["url"]).query)
    req = RestRequest("GET", "products", {}, query, {}, "http://127.0.0.1:8080")
    response = paginate(req, [1, 2, 3, 4], str, per_page=2, page=1)
    assert (response.total, response.pages) == (4, 2)
    assert response.links == cap["response"]["headers"]["Link"]


def test_batch_of_100_is_accepted_and_101_is_413(sb, api):
    product = sb.create_product("Tee", "SIMPLE-001", 5)
    ok = api.post("products/batch", {"update": [{"id": product["id"], "stock_quantity": 12}] * 100})
    assert ok.status_code == 200
    assert len(ok.json()["update"]) == 100
    assert ok.headers["Allow"] == "POST, PUT, PATCH"
    over = api.post(
        "products/batch",
        {"update": [{"id": product["id"], "stock_quantity": i} for i in range(101)]},
    )
    assert over.status_code == 413
    assert over.json() == captured_body("products-batch-101-error")
    assert api.get(f"products/{product['id']}").json()["stock_quantity"] == 12


def test_batch_errors_come_back_per_item_inside_a_200(sb, api):
    resp = api.post(
        "products/batch",
        {
            "create": [
                {"name": "Batch Mug", "sku": "MUG-001", "manage_stock": True, "stock_quantity": 10},
                {"name": "Batch Bad", "type": "simple", "regular_price": "1.00", "sku": "MUG-001"},
            ],
            "update": [{"id": 999999, "stock_quantity": 1}],
        },
    )
    assert resp.status_code == 200
    body = resp.json()
    mug = body["create"][0]
    assert body["create"][1] == {
        "id": 0,
        "error": {
            "code": "product_invalid_sku",
            "message": "Invalid or duplicated SKU.",
            "data": {"status": 400, "resource_id": mug["id"], "unique_sku": "MUG-001-1"},
        },
    }
    assert key_structure(body["create"]) == key_structure(
        captured_body("products-batch-create")["create"][:1]
    )
    assert body["update"] == captured_body("products-batch-update-stock")["update"][3:]


def test_variations_shapes_and_parent_stock_status(sb, api):
    parent = api.post(
        "products",
        {
            "name": "Test Variable Hoodie",
            "type": "variable",
            "sku": "VAR-001",
            "attributes": [
                {"name": "Size", "options": ["S", "M"], "variation": True, "visible": True}
            ],
        },
    ).json()
    assert (parent["stock_status"], parent["price"], parent["purchasable"]) == (
        "outofstock",
        "",
        False,
    )
    made = api.post(
        f"products/{parent['id']}/variations",
        capture("variations-create-m")["request"]["body_json"],
    )
    assert made.status_code == 201
    assert key_structure(made.json()) == key_structure(captured_body("variations-create-m"))
    assert made.headers["Location"].endswith(
        f"/wp-json/wc/v3/products/(?P<product_id>[\\d]+)/variations/{made.json()['id']}"
    )
    assert (made.json()["name"], made.json()["tax_class"]) == ("M", "parent")
    listed = api.get(f"products/{parent['id']}/variations")
    assert listed.json()[0]["tax_class"] == ""
    assert key_structure(listed.json()) == key_structure(captured_body("variations-list"))
    got = api.get(f"products/{parent['id']}").json()
    assert (got["stock_status"], got["price"], got["variations"]) == (
        "instock",
        "41.00",
        [made.json()["id"]],
    )


# --------------------------------------------------------------------------- orders and webhooks


def test_processing_order_reduces_stock_and_cancel_restores_it_with_webhooks(sb, api, receiver):
    for topic in ("product.updated", "order.created", "order.updated"):
        add_webhook(api, topic, f"{receiver.url}/wh/{topic}")
    pings = [h for h in receiver.hits]
    assert [h.body for h in pings] == [b"webhook_id=1", b"webhook_id=2", b"webhook_id=3"]
    product = sb.create_product("Test Simple Tee", "SIMPLE-001", 5, regular_price="19.99")
    sb.wait_for_deliveries()
    receiver.hits.clear()

    order = api.post(
        "orders",
        {
            "status": "processing",
            "billing": {"first_name": "Ada", "email": "ada@example.com"},
            "line_items": [{"product_id": product["id"], "quantity": 2}],
        },
    )
    assert order.status_code == 201
    body = order.json()
    assert key_structure(body) == key_structure(captured_body("orders-create-processing"))
    line = body["line_items"][0]
    assert [m["key"] for m in line["meta_data"]] == ["_reduced_stock"]
    assert (line["meta_data"][0]["value"], line["price"], body["total"]) == ("2", 19.99, "39.98")
    assert api.get(f"products/{product['id']}").json()["stock_quantity"] == 3

    sb.wait_for_deliveries()
    topics = [h.header("X-WC-Webhook-Topic") for h in receiver.hits]
    assert topics == ["order.created", "order.updated", "product.updated"]
    for hit in receiver.hits:
        assert hit.header("X-WC-Webhook-Signature") == sign(hit.body, SECRET)
        assert b"\\/" in hit.body
    assert receiver.hits[0].body == receiver.hits[1].body
    assert json.loads(receiver.hits[2].body)["stock_quantity"] == 3

    receiver.hits.clear()
    cancelled = api.put(f"orders/{body['id']}", {"status": "cancelled"}).json()
    assert key_structure(cancelled) == key_structure(captured_body("orders-update-cancelled"))
    assert cancelled["line_items"][0]["meta_data"] == []
    assert api.get(f"products/{product['id']}").json()["stock_quantity"] == 5
    listed = api.get(f"orders/{body['id']}/notes").json()
    assert key_structure(listed) == key_structure(captured_body("order-notes-after-cancel"))
    notes = [n["note"] for n in listed]
    assert notes == [
        "Stock levels reduced: Test Simple Tee (SIMPLE-001) 5&rarr;3",
        "Order status changed from Pending payment to Processing.",
        "Stock levels increased: Test Simple Tee (SIMPLE-001) 3&rarr;5",
        "Order status changed from Processing to Cancelled.",
    ]
    sb.wait_for_deliveries()
    assert [h.header("X-WC-Webhook-Topic") for h in receiver.hits] == [
        "order.updated",
        "product.updated",
    ]
    assert json.loads(receiver.hits[1].body)["stock_quantity"] == 5


def test_variation_stock_moves_arrive_as_product_updated_with_type_variation(sb, api, receiver):
    add_webhook(api, "product.updated", f"{receiver.url}/wh")
    parent = sb.create_product("Test Variable Hoodie", "VAR-001", None, type="variable")
    small = sb.create_variation(parent["id"], "VAR-001-S", 9, {"Size": "S"}, regular_price="39.00")
    sb.wait_for_deliveries()
    receiver.hits.clear()

    sb.place_order([{"product_id": parent["id"], "variation_id": small["id"], "quantity": 2}])
    sb.wait_for_deliveries()
    [hit] = receiver.hits
    payload = json.loads(hit.body)
    cap = capture("webhook-delivery-product-updated-stock-reduced-by-order-variation")
    assert key_structure(payload) == key_structure(cap["body_json"])
    assert (payload["type"], payload["name"], payload["stock_quantity"]) == (
        "variation",
        "Test Variable Hoodie - S",
        7,
    )
    assert payload["_links"]["up"][0]["href"].endswith(f"/products/{parent['id']}")


def test_trash_sends_product_deleted_and_forced_delete_sends_nothing(sb, api, receiver):
    add_webhook(api, "product.deleted", f"{receiver.url}/wh")
    one = sb.create_product("Batch Cap", "CAP-001", 4)
    two = sb.create_product("Batch Mug", "MUG-001", 4)
    receiver.hits.clear()
    trashed = api.delete(f"products/{one['id']}")
    assert trashed.status_code == 200 and trashed.json()["status"] == "publish"
    assert api.delete(f"products/{two['id']}", params={"force": "true"}).status_code == 200
    sb.wait_for_deliveries()
    [hit] = receiver.hits
    assert hit.body == f'{{"id":{one["id"]}}}'.encode()
    assert api.get(f"products/{two['id']}").status_code == 404
    assert api.delete(f"products/{one['id']}").status_code == 410


def test_a_failing_receiver_gets_the_webhook_disabled_silently(sb, api, receiver):
    receiver.status = 500
    hook = add_webhook(api, "product.updated", receiver.url + "/wh")
    product = sb.create_product("Tee", "SIMPLE-001", 5)
    statuses = []
    for qty in range(1, 9):
        sb.set_stock(product["id"], qty)
        sb.wait_for_deliveries()
        statuses.append(api.get(f"webhooks/{hook['id']}").json()["status"])
    failing = receiver
    # status_history of webhooks-get-after-failures: active x6, disabled on the 7th failure.
    expected = [s["status"] for s in capture("webhooks-get-after-failures")["status_history"]]
    assert statuses[:7] == expected
    assert statuses[7] == "disabled"
    assert len(failing.hits) == 1 + 7  # the ping, then nothing once disabled
    got = api.get(f"webhooks/{hook['id']}").json()
    assert key_structure(got) == key_structure(captured_body("webhooks-get-after-failures"))
    assert got["date_modified"] is not None


def test_webhook_create_response_and_ping_are_as_captured(api, receiver):
    hook = add_webhook(api, "product.updated", f"{receiver.url}/wh/product-updated")
    cap = captured_body("webhooks-create-product-updated")
    assert key_structure(hook) == key_structure(cap)
    assert (hook["hooks"], hook["date_modified"]) == (cap["hooks"], None)
    [ping] = receiver.hits
    assert [k for k, _ in ping.headers] == [k for k, _ in capture("webhook-ping")["headers"]]
    assert api.get("webhooks").headers["X-WP-Total"] == "1"
    assert api.delete(f"webhooks/{hook['id']}").status_code == 501
    assert api.delete(f"webhooks/{hook['id']}", params={"force": "true"}).status_code == 200


# --------------------------------------------------------------------------- test-side actions


def test_shopper_cannot_buy_more_than_is_in_stock(sb):
    product = sb.create_product("Tee", "SIMPLE-001", 1)
    with pytest.raises(Exception, match="do not have enough"):
        sb.place_order([{"product_id": product["id"], "quantity": 2}])
    order = sb.place_order([{"product_id": product["id"], "quantity": 1}], status="on-hold")
    assert order["status"] == "on-hold"
    assert sb.store.products[product["id"]].stock_quantity == 0
    assert sb.set_order_status(order["id"], "completed")["date_completed"] is not None
    assert sb.store.products[product["id"]].stock_quantity == 0
    sb.set_order_status(order["id"], "pending")  # pending restores, like cancelled
    assert sb.store.products[product["id"]].stock_quantity == 1


def test_fault_injection(sb, api):
    sb.fail_next(1, status=500)
    sb.fail_next(1, status=429)
    failed = api.get("products")
    assert failed.status_code == 500
    assert failed.json()["code"] == "internal_server_error"
    limited = api.get("products")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert api.get("products").status_code == 200
    sb.fault_hang_seconds = 2
    sb.fail_next(1, status="timeout")
    slow = API(
        url=sb.base_url,
        consumer_key=api.consumer_key,
        consumer_secret=api.consumer_secret,
        timeout=0.3,
    )
    with pytest.raises(requests.Timeout):
        slow.get("products")
    sb.close()
    assert [e["status"] for e in sb.requests_log[:3]] == [500, 429, 200]


def test_orders_filter_by_modified_time_exclusive_and_refuse_a_bad_date(sb, api):
    """``modified_after`` / ``modified_before`` bound the modified time, ``after`` / ``before``
    the created time, all exclusive (WP date_query); a value that is no date-time is WordPress's
    400 ``rest_invalid_param`` with ``rest_invalid_date``."""
    product = sb.create_product("Dated", sku="DATED", stock_quantity=10)
    first = sb.place_order(line_items=[{"product_id": product["id"], "quantity": 1}])
    second = sb.place_order(line_items=[{"product_id": product["id"], "quantity": 1}])
    sb.store.orders[first["id"]].date_modified = 1_800_000_000
    sb.store.orders[second["id"]].date_modified = 1_800_000_060

    def ids(**params):
        listed = api.get("orders", params={"orderby": "modified", "order": "asc", **params})
        assert listed.status_code == 200
        return [o["id"] for o in listed.json()]

    assert ids(modified_after="2027-01-15T08:00:00") == [second["id"]]  # 1_800_000_000 + 0 s
    assert ids(modified_after="2027-01-15T07:59:59", dates_are_gmt="true") == [
        first["id"],
        second["id"],
    ]
    assert ids(modified_before="2027-01-15T08:01:00Z") == [first["id"]]
    bad = api.get("orders", params={"modified_after": "yesterday"})
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "rest_invalid_param"
    assert body["data"]["details"]["modified_after"]["code"] == "rest_invalid_date"
