"""The Shopify sandbox, driven end to end by the real ShopifyAPI library over real TLS.

Shapes asserted here come from captures of real exchanges (``/work/shared/shopify/captures``)
and shopify.dev; each negative case is one Shopify documents or was seen answering.
"""

from __future__ import annotations

import base64
import json
import urllib.error
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import shopify

from sandbox.shopify import WebhookSubscription, payloads, payloads_orders, webhooks
from sandbox.shopify.payloads_orders import LineItemSpec

# The app and store the conftest fixtures set up.
API_KEY = "key"
API_SECRET = "secret"
SHOP = "teststore.myshopify.com"
APP_ORIGIN = "https://stockguard.example"
VERSION = "2026-04"
GRAPHQL_URL = f"https://{SHOP}/admin/api/{VERSION}/graphql.json"
REDIRECT_URI = "https://stockguard.example/auth/shopify/callback"
SCOPES = "read_products,write_inventory,read_orders"

CREATE = """
mutation CreateWebhook($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription {
      id topic format includeFields createdAt
      endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } }
    }
    userErrors { field message }
  }
}"""
LIST = """
query ListWebhooks($first: Int!, $after: String, $topics: [WebhookSubscriptionTopic!]) {
  webhookSubscriptions(first: $first, after: $after, topics: $topics) {
    edges { cursor node { id topic uri } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""
DELETE = """
mutation DeleteWebhook($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""


def authorize(state: str = "nonce-123", **extra) -> requests.Response:
    params = {"client_id": API_KEY, "scope": SCOPES, "redirect_uri": REDIRECT_URI, "state": state}
    params.update(extra)
    return requests.get(
        f"https://{SHOP}/admin/oauth/authorize", params=params, allow_redirects=False, timeout=5
    )


def callback_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return dict(parse_qsl(urlsplit(location).query))


def install(shopify_app) -> str:
    """Run the whole OAuth install with ShopifyAPI and return the offline token."""
    params = callback_params(authorize())
    return shopify.Session(SHOP, VERSION).request_token(params)


def gql(token: str, query: str, variables: dict | None = None) -> dict:
    with shopify.Session.temp(SHOP, VERSION, token):
        return json.loads(shopify.GraphQL().execute(query, variables))


def aliased_lists(count: int) -> str:
    """``count`` aliases of the largest page of subscriptions: 252 requested points each."""
    fields = " ".join(
        f"a{i}: webhookSubscriptions(first: 250) {{ nodes {{ id }} }}" for i in range(count)
    )
    return "{ " + fields + " }"


def create_subscription(token: str, topic: str, uri: str) -> dict:
    return gql(token, CREATE, {"topic": topic, "sub": {"uri": uri, "format": "JSON"}})


# --------------------------------------------------------------------------- OAuth


def test_oauth_install_with_shopify_api(sb, shopify_app):
    params = callback_params(authorize(state="nonce-123"))

    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert shopify.Session.validate_params(params)
    assert params["shop"] == SHOP and params["state"] == "nonce-123"
    assert base64.b64decode(params["host"] + "==").decode() == "admin.shopify.com/store/teststore"

    session = shopify.Session(SHOP, VERSION)
    token = session.request_token(params)

    assert token.startswith("shpat_") and len(token) == len("shpat_") + 32
    assert token in sb.shops[SHOP].access_tokens
    assert set(str(session.access_scopes).split(",")) == set(SCOPES.split(","))
    exchange = [r for r in sb.requests_log if r.path == "/admin/oauth/access_token"][-1]
    assert exchange.form == {
        "client_id": API_KEY,
        "client_secret": API_SECRET,
        "code": params["code"],
    }


def test_tampered_redirect_fails_hmac(sb, shopify_app):
    params = callback_params(authorize())
    params["shop"] = "evil.myshopify.com"
    assert not shopify.Session.validate_params(params)


def test_authorize_with_unknown_client_id_shows_error_page(sb):
    response = authorize(client_id="not-our-app")
    assert response.status_code == 400
    assert "Could not find Shopify API application with api_key not-our-app" in response.text
    assert not sb.authorization_codes


def test_online_access_mode_returns_associated_user(sb):
    params = callback_params(authorize(**{"grant_options[]": "per-user"}))
    response = requests.post(
        f"https://{SHOP}/admin/oauth/access_token",
        data={"client_id": API_KEY, "client_secret": API_SECRET, "code": params["code"]},
        timeout=5,
    )
    body = response.json()
    assert body["access_token"].startswith("shpua_")
    assert body["expires_in"] > 0 and body["associated_user"]["account_owner"] is True


def test_reused_code_is_rejected(sb, shopify_app):
    params = callback_params(authorize())
    shopify.Session(SHOP, VERSION).request_token(params)

    with pytest.raises(urllib.error.HTTPError) as raised:
        shopify.Session(SHOP, VERSION).request_token(params)

    assert raised.value.code == 400
    assert json.loads(raised.value.read()) == {
        "error": "invalid_request",
        "error_description": "The authorization code was not found or was already used",
    }
    assert len(sb.shops[SHOP].access_tokens) == 1


def test_bad_secret_is_rejected_and_does_not_burn_the_code(sb):
    code = callback_params(authorize())["code"]
    url = f"https://{SHOP}/admin/oauth/access_token"

    bad = requests.post(
        url, data={"client_id": API_KEY, "client_secret": "nope", "code": code}, timeout=5
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"

    good = requests.post(
        url, json={"client_id": API_KEY, "client_secret": API_SECRET, "code": code}, timeout=5
    )
    assert good.status_code == 200 and good.json()["scope"] == SCOPES


def test_code_expires_after_ten_minutes(make_sandbox, fake_clock):
    make_sandbox(clock=fake_clock)
    code = callback_params(authorize())["code"]
    fake_clock.advance(601)
    response = requests.post(
        f"https://{SHOP}/admin/oauth/access_token",
        data={"client_id": API_KEY, "client_secret": API_SECRET, "code": code},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error_description"].startswith("The authorization code was not found")


def test_unknown_shop_is_404(sb):
    response = requests.post(
        "https://nosuchstore.myshopify.com/admin/api/2026-04/graphql.json", json={}, timeout=5
    )
    assert response.status_code == 404


# --------------------------------------------------------------------------- GraphQL


def test_webhook_subscription_lifecycle(sb, shopify_app):
    token = install(shopify_app)

    created = create_subscription(token, "ORDERS_CREATE", f"{APP_ORIGIN}/webhooks/orders/create")
    payload = created["data"]["webhookSubscriptionCreate"]
    assert payload["userErrors"] == []
    subscription = payload["webhookSubscription"]
    assert subscription["id"].startswith("gid://shopify/WebhookSubscription/")
    assert subscription["topic"] == "ORDERS_CREATE" and subscription["format"] == "JSON"
    assert subscription["endpoint"] == {
        "__typename": "WebhookHttpEndpoint",
        "callbackUrl": f"{APP_ORIGIN}/webhooks/orders/create",
    }
    cost = created["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 10 and cost["actualQueryCost"] == 10
    assert cost["throttleStatus"]["maximumAvailable"] == 2000
    assert cost["throttleStatus"]["restoreRate"] == 100

    stored = sb.shops[SHOP].webhook_subscriptions
    assert [(s.id, s.topic, s.callback_url) for s in stored] == [
        (subscription["id"], "ORDERS_CREATE", f"{APP_ORIGIN}/webhooks/orders/create")
    ]

    listed = gql(token, LIST, {"first": 10})["data"]["webhookSubscriptions"]
    assert [e["node"]["id"] for e in listed["edges"]] == [subscription["id"]]

    deleted = gql(token, DELETE, {"id": subscription["id"]})["data"]["webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": subscription["id"], "userErrors": []}
    assert sb.shops[SHOP].webhook_subscriptions == []

    again = gql(token, DELETE, {"id": subscription["id"]})["data"]["webhookSubscriptionDelete"]
    assert again["userErrors"] == [
        {"field": ["id"], "message": "Webhook subscription does not exist"}
    ]

    sent = [r for r in sb.requests_log if r.graphql_query]
    assert sent[0].headers["X-Shopify-Access-Token"] == token
    assert sent[0].graphql_variables["topic"] == "ORDERS_CREATE"


def test_subscription_address_user_errors(sb, shopify_app):
    token = install(shopify_app)
    uri = f"{APP_ORIGIN}/webhooks/orders/create"
    create_subscription(token, "ORDERS_CREATE", uri)

    def errors(topic, address):
        body = create_subscription(token, topic, address)["data"]["webhookSubscriptionCreate"]
        assert body["webhookSubscription"] is None
        return [e["message"] for e in body["userErrors"]]

    assert errors("ORDERS_CREATE", uri) == ["Address for this topic has already been taken"]
    assert errors("ORDERS_CREATE", "http://stockguard.example/h") == [
        "Address protocol http:// is not supported"
    ]
    assert errors("ORDERS_CREATE", "https://127.0.0.1:8443/h") == [
        "Address cannot be a Shopify or an internal domain"
    ]
    assert errors("ORDERS_CREATE", "   ") == ["Address can't be blank"]
    # Same address, other topic: allowed.
    assert (
        create_subscription(token, "ORDERS_CANCELLED", uri)["data"]["webhookSubscriptionCreate"][
            "userErrors"
        ]
        == []
    )


def test_subscription_pagination(sb, shopify_app):
    token = install(shopify_app)
    for topic in ("ORDERS_CREATE", "ORDERS_CANCELLED", "REFUNDS_CREATE"):
        create_subscription(token, topic, f"{APP_ORIGIN}/webhooks/{topic.lower()}")

    first = gql(token, LIST, {"first": 2})["data"]["webhookSubscriptions"]
    assert [e["node"]["topic"] for e in first["edges"]] == ["ORDERS_CREATE", "ORDERS_CANCELLED"]
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = gql(token, LIST, {"first": 2, "after": after})["data"]["webhookSubscriptions"]
    assert [e["node"]["topic"] for e in second["edges"]] == ["REFUNDS_CREATE"]
    assert second["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": second["edges"][0]["cursor"],
    }
    only = gql(token, LIST, {"first": 5, "topics": ["REFUNDS_CREATE"]})["data"]
    assert [e["node"]["topic"] for e in only["webhookSubscriptions"]["edges"]] == ["REFUNDS_CREATE"]


def test_shop_query(sb, shopify_app):
    token = install(shopify_app)
    body = gql(token, "{ shop { id name myshopifyDomain currencyCode plan { shopifyPlus } } }")
    shop = sb.shops[SHOP]
    assert body["data"]["shop"] == {
        "id": shop.id,
        "name": "Test Store",
        "myshopifyDomain": SHOP,
        "currencyCode": "EUR",
        "plan": {"shopifyPlus": False},
    }


def test_invalid_document_answers_shopify_errors(sb, shopify_app):
    token = install(shopify_app)
    body = gql(
        token,
        'mutation M { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { userErrors { code } } }',
    )
    assert body == {
        "errors": [
            {
                "message": "Field 'code' doesn't exist on type 'UserError'",
                "locations": [{"line": 1, "column": 98}],
                "path": ["mutation M", "webhookSubscriptionDelete", "userErrors", "code"],
                "extensions": {
                    "code": "undefinedField",
                    "typeName": "UserError",
                    "fieldName": "code",
                },
            }
        ]
    }
    missing = gql(
        token,
        'mutation M { webhookSubscriptionCreate(webhookSubscription: {uri: "https://a.example"}) { userErrors { field } } }',
    )
    assert missing["errors"][0]["message"] == (
        "Field 'webhookSubscriptionCreate' is missing required arguments: topic"
    )
    assert gql(token, "{ shop { id ")["errors"][0]["locations"] == [{"line": 1, "column": 13}]


def test_invalid_variable_answers_invalid_variable(sb, shopify_app):
    token = install(shopify_app)
    body = gql(token, CREATE, {"topic": "NOT_A_REAL_TOPIC", "sub": {"uri": "https://a.example"}})
    (error,) = body["errors"]
    assert error["message"] == (
        "Variable $topic of type WebhookSubscriptionTopic! was provided invalid value"
    )
    assert error["extensions"]["code"] == "INVALID_VARIABLE"
    assert error["extensions"]["value"] == "NOT_A_REAL_TOPIC"
    assert "data" not in body and "extensions" not in body
    bad_id = gql(token, DELETE, {"id": "12"})["errors"][0]
    assert bad_id["extensions"]["problems"][0]["explanation"] == "Invalid global id '12'"


def test_unmodelled_field_fails_loudly(sb, shopify_app):
    token = install(shopify_app)
    body = gql(token, "{ shop { id billingAddress { city } } }")
    (error,) = body["errors"]
    assert "Shop.billingAddress" in error["message"]
    assert error["extensions"]["code"] == "SANDBOX_UNIMPLEMENTED"
    assert body["data"] is None
    unregistered = gql(token, "{ customers(first: 1) { nodes { id } } }")
    assert "QueryRoot.customers" in unregistered["errors"][0]["message"]


def test_bad_token_is_401(sb, shopify_app):
    install(shopify_app)
    with pytest.raises(urllib.error.HTTPError) as raised:
        gql("shpat_" + "0" * 32, "{ shop { id } }")
    assert raised.value.code == 401

    response = requests.post(GRAPHQL_URL, json={"query": "{ shop { id } }"}, timeout=5)
    assert response.status_code == 401
    assert response.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }


def test_throttling_is_reachable(sb, shopify_app):
    token = install(shopify_app)
    shop = sb.shops[SHOP]
    for n in range(240):  # seed the store directly: listing them is what costs points
        shop.webhook_subscriptions.append(
            WebhookSubscription(legacy_id=n + 1, topic="ORDERS_CREATE", uri=f"{APP_ORIGIN}/{n}")
        )
    heavy = aliased_lists(3)
    answers = [gql(token, heavy) for _ in range(4)]

    served = answers[0]["extensions"]["cost"]
    assert served["requestedQueryCost"] == 3 * 252
    assert served["actualQueryCost"] == 3 * 242  # charged for the 240 nodes actually returned
    throttled = [a for a in answers if "errors" in a]
    assert throttled, "2,000 points at 100/s cannot pay for four 726-point queries in a row"
    first = throttled[0]
    assert first["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert "data" not in first
    cost = first["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 756 and cost["actualQueryCost"] is None
    assert cost["throttleStatus"]["currentlyAvailable"] < 756


def test_bucket_refills_at_the_plan_rate(make_sandbox, fake_clock, shopify_app):
    sb = make_sandbox(clock=fake_clock, plan="plus")
    token = install(shopify_app)
    sb.bucket(sb.shops[SHOP]).set_available(0)
    assert gql(token, "{ shop { id } }")["errors"][0]["extensions"]["code"] == "THROTTLED"

    fake_clock.advance(0.5)
    status = gql(token, "{ shop { id } }")["extensions"]["cost"]["throttleStatus"]
    assert status == {"maximumAvailable": 2000, "currentlyAvailable": 499, "restoreRate": 1000}


def test_single_query_max_cost(sb, shopify_app):
    token = install(shopify_app)
    big = aliased_lists(4)
    (error,) = gql(token, big)["errors"]
    assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 1008, "maxCost": 1000}


# --------------------------------------------------------------------------- faults


def test_fail_next_injects_500_429_and_timeout(sb, shopify_app):
    token = install(shopify_app)
    headers = {"X-Shopify-Access-Token": token}
    query = {"query": "{ shop { id } }"}

    sb.fail_next(1, status=500)
    with pytest.raises(urllib.error.HTTPError) as raised:
        gql(token, "{ shop { id } }")
    assert raised.value.code == 500

    sb.fail_next(1, status=429, retry_after=3)
    limited = requests.post(GRAPHQL_URL, json=query, headers=headers, timeout=5)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3.0"

    sb.fail_next(1, status="timeout")
    with pytest.raises(requests.Timeout):
        requests.post(GRAPHQL_URL, json=query, headers=headers, timeout=0.5)
    sb.reset_faults()

    assert requests.post(GRAPHQL_URL, json=query, headers=headers, timeout=5).status_code == 200
    assert [r.fault for r in sb.requests_log if r.fault] == ["500", "429", "timeout"]


def test_faults_only_hit_their_path_prefix(sb, shopify_app):
    sb.fail_next(1, status=503, path_prefix="/admin/api")
    token = install(shopify_app)  # OAuth is not under /admin/api
    assert token in sb.shops[SHOP].access_tokens


# --------------------------------------------------------------------------- webhooks


def test_deliver_webhook_is_signed_like_shopify(sb, shopify_app, receiver):
    token = install(shopify_app)
    create_subscription(token, "ORDERS_CREATE", f"{APP_ORIGIN}/webhooks/orders/create")
    sb.route_callbacks(APP_ORIGIN, receiver.url)
    tee = LineItemSpec(variant_id=42, product_id=7, sku="TEE-S", quantity=2, price="19.90")
    order = payloads_orders.order(sb.shops[SHOP], 1001, [tee])

    (delivery,) = sb.deliver_webhook(SHOP, "orders/create", order, event_id="evt-1")

    assert delivery.status_code == 200 and delivery.error is None
    assert delivery.url == f"{APP_ORIGIN}/webhooks/orders/create"
    (got,) = receiver.received
    assert got["signed"] and got["body"] == delivery.body
    assert json.loads(got["body"]) == order
    headers = got["headers"]
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == SHOP
    assert headers["X-Shopify-Event-Id"] == "evt-1"
    assert headers["X-Shopify-Api-Version"] == "2026-04"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Triggered-At"].endswith("Z")

    retry = sb.redeliver(delivery)  # Shopify retries carry the same ids: dedupe on them
    assert (
        receiver.received[1]["headers"]["X-Shopify-Webhook-Id"] == headers["X-Shopify-Webhook-Id"]
    )
    assert retry.status_code == 200


def test_receiver_rejects_a_delivery_signed_with_another_secret(make_sandbox, receiver):
    other = make_sandbox(api_secret="not-the-app-secret")
    delivery = other.send_signed(f"{receiver.url}/webhooks/shop/redact", "shop/redact", SHOP, b"{}")
    assert delivery.status_code == 401
    assert receiver.received[0]["signed"] is False


def test_send_signed_privacy_webhook(sb, receiver):
    body = webhooks.encode_body(
        payloads.customers_redact(sb.shops[SHOP], 191167, "a@b.example", "555", [1])
    )
    delivery = sb.send_signed(
        f"{receiver.url}/webhooks/customers/redact", "customers/redact", SHOP, body
    )
    assert delivery.status_code == 200 and receiver.received[0]["signed"]
    assert receiver.received[0]["headers"]["X-Shopify-Topic"] == "customers/redact"


def test_delivery_honours_the_response_timeout(sb, receiver, monkeypatch):
    assert webhooks.READ_TIMEOUT == 5.0  # Shopify's limit; shortened below to keep the test fast
    monkeypatch.setattr(webhooks, "READ_TIMEOUT", 0.3)
    receiver.delay = 1.0
    delivery = sb.send_signed(
        f"{receiver.url}/webhooks/orders/create", "orders/create", SHOP, b"{}"
    )
    assert delivery.status_code is None and delivery.error == "timeout"
    assert delivery.elapsed < 1.0


def test_include_fields_trim_the_payload(sb, shopify_app, receiver):
    token = install(shopify_app)
    gql(
        token,
        CREATE,
        {
            "topic": "PRODUCTS_DELETE",
            "sub": {"uri": f"{APP_ORIGIN}/webhooks/p", "includeFields": ["id"]},
        },
    )
    sb.route_callbacks(APP_ORIGIN, receiver.url)
    sb.deliver_webhook(SHOP, "products/delete", {"id": 7, "extra": True})
    assert json.loads(receiver.received[0]["body"]) == {"id": 7}


def test_unrouted_public_address_is_refused(sb, shopify_app):
    token = install(shopify_app)
    create_subscription(token, "ORDERS_CREATE", "https://elsewhere.example/hook")
    with pytest.raises(ValueError, match="refuses to deliver"):
        sb.deliver_webhook(SHOP, "orders/create", {"id": 1})


def test_uninstall_revokes_tokens_and_notifies(sb, shopify_app, receiver):
    token = install(shopify_app)
    create_subscription(token, "APP_UNINSTALLED", f"{APP_ORIGIN}/webhooks/app/uninstalled")
    sb.route_callbacks(APP_ORIGIN, receiver.url)

    (delivery,) = sb.uninstall_app(SHOP)

    assert delivery.status_code == 200
    shop_payload = json.loads(receiver.received[0]["body"])
    assert (
        shop_payload["myshopify_domain"] == SHOP and shop_payload["id"] == sb.shops[SHOP].legacy_id
    )
    assert sb.shops[SHOP].access_tokens == set() and token in sb.shops[SHOP].revoked_tokens
    assert sb.shops[SHOP].webhook_subscriptions == []
    with pytest.raises(urllib.error.HTTPError) as raised:
        gql(token, "{ shop { id } }")
    assert raised.value.code == 401


def test_unexpected_routes_are_recorded(sb):
    response = requests.get(f"https://{SHOP}/admin/api/2026-04/products.json", timeout=5)
    assert response.status_code == 404
    assert [r.path for r in sb.unexpected_requests] == ["/admin/api/2026-04/products.json"]
