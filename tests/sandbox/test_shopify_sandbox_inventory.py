"""Catalogue, inventory and orders in the Shopify sandbox, driven by the real ShopifyAPI library.

Expected shapes are the real ones in ``shopify/captures/2026-04/products`` (inventory quantity
contracts, set/adjust validation, item-level windowing) and the webhook JSON Schemas copied in
``tests/connectors/shopify/fixtures/schemas``; where a value was not captured the test says so.
"""

from __future__ import annotations

import json
import threading
from functools import cache

import pytest
import shopify
from jsonschema import Draft202012Validator

from sandbox.shopify import OutOfStock
from tests.connectors.shopify.test_fixtures import FIXTURES, FORMATS
from tests.connectors.shopify.test_fixtures import SCHEMA_CORRECTIONS as FIXTURE_CORRECTIONS

SHOP = "teststore.myshopify.com"
VERSION = "2026-04"
APP_ORIGIN = "https://stockguard.example"
STOCK_TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "INVENTORY_LEVELS_UPDATE",
    "PRODUCTS_UPDATE",
)

SET = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      id reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id name } }
    }
    userErrors { field message code }
  }
}"""
ADJUST = """
mutation Adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      id reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id name } }
    }
    userErrors { field message code }
  }
}"""
LEVELS = """
query Levels($id: ID!, $loc: ID!) {
  inventoryItem(id: $id) {
    id tracked
    variant { id sku inventoryQuantity }
    inventoryLevels(first: 5) {
      nodes { id location { id name } quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity } }
    }
    inventoryLevel(locationId: $loc) { quantities(names: ["available"]) { quantity } }
  }
}"""


def gql(token: str, query: str, variables: dict | None = None) -> dict:
    with shopify.Session.temp(SHOP, VERSION, token):
        return json.loads(shopify.GraphQL().execute(query, variables))


@pytest.fixture
def token(sb, shopify_app):
    return sb.issue_token(SHOP, ["read_products", "write_inventory", "read_orders"])


@pytest.fixture
def hooks(sb, token, receiver):
    """Subscribe to the stock topics (via GraphQL) and route deliveries to the receiver."""
    create = """mutation C($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { userErrors { message } }
    }"""
    for topic in STOCK_TOPICS:
        uri = f"{APP_ORIGIN}/webhooks/{topic.lower()}"
        body = gql(token, create, {"topic": topic, "sub": {"uri": uri, "format": "JSON"}})
        assert body["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    sb.route_callbacks(APP_ORIGIN, receiver.url)
    return receiver


@pytest.fixture
def tee(sb):
    loc = sb.default_location(SHOP)
    return sb.create_product(
        SHOP,
        "Tee",
        variants=[
            {"sku": "TEE-M", "barcode": "123", "price": "10.00", "available": {loc: 5}},
            {"sku": "TEE-L", "price": "12.00", "available": 2, "inventory_policy": "CONTINUE"},
        ],
        product_type="Tees",
    )


def item_of(product: dict, n: int = 0) -> str:
    return product["variants"][n]["inventory_item_id"]


def set_input(item: str, loc: str, quantity: int, change_from, name: str = "available") -> dict:
    return {
        "name": name,
        "reason": "correction",
        "referenceDocumentUri": "stockguard://sync/1",
        "quantities": [
            {
                "inventoryItemId": item,
                "locationId": loc,
                "quantity": quantity,
                "changeFromQuantity": change_from,
            }
        ],
    }


def adjust_input(item: str, loc: str, delta: int, change_from) -> dict:
    return {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "stockguard://sync/2",
        "changes": [
            {
                "inventoryItemId": item,
                "locationId": loc,
                "delta": delta,
                "changeFromQuantity": change_from,
            }
        ],
    }


# --------------------------------------------------------------------------- webhook schemas


def _refunds_like_refunds_create(schema: dict) -> None:
    # The schema was inferred from a sample order without refunds ("items": false); Shopify puts
    # the cancellation's refund in orders/cancelled, shaped like a refunds/create payload.
    schema["properties"]["refunds"]["items"] = json.loads(
        (FIXTURES / "schemas" / "refunds/create.json").read_text()
    )


# The connector fixtures' corrections (products/update "image": null), plus this one.
SCHEMA_CORRECTIONS = {**FIXTURE_CORRECTIONS, "orders/cancelled": _refunds_like_refunds_create}


@cache
def validator(topic: str) -> Draft202012Validator:
    schema = json.loads((FIXTURES / "schemas" / f"{topic}.json").read_text())
    if topic in SCHEMA_CORRECTIONS:
        SCHEMA_CORRECTIONS[topic](schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


def received(receiver, topic: str | None = None) -> list[dict]:
    """What reached the app, checked: signed, and valid against the topic's schema."""
    out = []
    for got in receiver.received:
        header_topic = got["headers"]["X-Shopify-Topic"]
        assert got["signed"], header_topic
        payload = json.loads(got["body"])
        validator(header_topic).validate(payload)
        if topic is None or header_topic == topic:
            out.append(payload)
    return out


def test_orders_cancelled_schema_correction_is_needed():
    order = json.loads((FIXTURES / "orders_cancelled.json").read_text())
    order["refunds"] = [json.loads((FIXTURES / "refunds_create.json").read_text())]
    raw = json.loads((FIXTURES / "schemas" / "orders/cancelled.json").read_text())
    assert not Draft202012Validator(raw).is_valid(order)
    validator("orders/cancelled").validate(order)


# --------------------------------------------------------------------------- catalogue reads


def test_store_starts_with_shop_location(sb, token):
    second = sb.create_location(SHOP, "Warehouse")
    body = gql(
        token,
        """query { locations(first: 10) { nodes { id legacyResourceId name isActive }
                    pageInfo { hasNextPage } } }""",
    )
    nodes = body["data"]["locations"]["nodes"]
    assert [n["name"] for n in nodes] == ["Shop location", "Warehouse"]
    assert nodes[0]["id"] == sb.default_location(SHOP) and nodes[1]["id"] == second
    assert nodes[0]["legacyResourceId"] == nodes[0]["id"].rsplit("/", 1)[1]
    one = gql(token, "query($id: ID!) { location(id: $id) { name } }", {"id": second})
    assert one["data"]["location"] == {"name": "Warehouse"}
    missing = gql(token, 'query { location(id: "gid://shopify/Location/1") { name } }')
    assert missing["data"]["location"] is None


def test_catalog_import_pages_through_products_and_variants(sb, token, tee):
    for n in range(4):
        sb.create_product(SHOP, f"Mug {n}", variants=[{"sku": f"MUG-{n}", "available": n}])
    page_query = """query($after: String) {
      products(first: 2, after: $after) {
        edges { cursor node { id title handle status productType
          variants(first: 5) { nodes { id sku } } } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }"""
    seen, after, pages = [], None, 0
    while True:
        page = gql(token, page_query, {"after": after})["data"]["products"]
        seen += [edge["node"] for edge in page["edges"]]
        pages += 1
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert [p["title"] for p in seen] == ["Tee", "Mug 0", "Mug 1", "Mug 2", "Mug 3"]
    assert seen[0] == {
        "id": tee["id"],
        "title": "Tee",
        "handle": "tee",
        "status": "ACTIVE",
        "productType": "Tees",
        "variants": {"nodes": [{"id": v["id"], "sku": v["sku"]} for v in tee["variants"]]},
    }
    # Cursors are Shopify's base64 JSON, sorted by id.
    assert json.loads(__import__("base64").b64decode(after)) == {
        "last_id": int(seen[3]["id"].rsplit("/", 1)[1]),
        "last_value": seen[3]["id"].rsplit("/", 1)[1],
    }


def test_variant_lookup_by_sku_has_the_import_fields(sb, token, tee):
    body = gql(
        token,
        """query($q: String!) { productVariants(first: 10, query: $q) { nodes {
            id legacyResourceId title sku barcode displayName inventoryPolicy inventoryQuantity
            requiresComponents
            inventoryItem { id tracked }
            product { id title handle }
        } } }""",
        {"q": "sku:TEE-M OR sku:tee-l"},
    )
    medium, large = body["data"]["productVariants"]["nodes"]
    assert medium == {
        "id": tee["variants"][0]["id"],
        "legacyResourceId": str(tee["variants"][0]["legacy_id"]),
        "title": "TEE-M",
        "sku": "TEE-M",
        "barcode": "123",
        "displayName": "Tee - TEE-M",
        "inventoryPolicy": "DENY",
        "inventoryQuantity": 5,
        "requiresComponents": False,
        "inventoryItem": {"id": item_of(tee), "tracked": True},
        "product": {"id": tee["id"], "title": "Tee", "handle": "tee"},
    }
    assert (large["sku"], large["inventoryPolicy"], large["inventoryQuantity"]) == (
        "TEE-L",
        "CONTINUE",
        2,
    )
    none = gql(token, '{ productVariants(first: 5, query: "sku:NOPE") { nodes { id } } }')
    assert none["data"]["productVariants"]["nodes"] == []


def test_page_size_is_capped_at_250(sb, token):
    body = gql(token, "{ products(first: 251) { nodes { id } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_nodes_and_single_lookups(sb, token, tee):
    variant = tee["variants"][0]
    level_id = gql(token, LEVELS, {"id": item_of(tee), "loc": sb.default_location(SHOP)})["data"][
        "inventoryItem"
    ]["inventoryLevels"]["nodes"][0]["id"]
    body = gql(
        token,
        """query($ids: [ID!]!, $p: ID!, $v: ID!) {
          nodes(ids: $ids) { __typename id }
          product(id: $p) { totalInventory tracksInventory variantsCount { count } }
          productVariant(id: $v) { sku product { title } }
        }""",
        {
            "ids": [tee["id"], variant["id"], item_of(tee), level_id, "gid://shopify/Product/1"],
            "p": tee["id"],
            "v": variant["id"],
        },
    )["data"]
    assert [n and n["__typename"] for n in body["nodes"]] == [
        "Product",
        "ProductVariant",
        "InventoryItem",
        "InventoryLevel",
        None,
    ]
    assert body["product"] == {
        "totalInventory": 7,
        "tracksInventory": True,
        "variantsCount": {"count": 2},
    }
    assert body["productVariant"] == {"sku": "TEE-M", "product": {"title": "Tee"}}


def test_inventory_levels_and_quantities(sb, token, tee):
    loc = sb.default_location(SHOP)
    warehouse = sb.create_location(SHOP, "Warehouse")
    sb.set_available(SHOP, item_of(tee), warehouse, 4)
    item = gql(token, LEVELS, {"id": item_of(tee), "loc": warehouse})["data"]["inventoryItem"]
    assert item["variant"] == {
        "id": tee["variants"][0]["id"],
        "sku": "TEE-M",
        "inventoryQuantity": 9,
    }
    first, second = item["inventoryLevels"]["nodes"]
    group, _, query = first["id"].removeprefix("gid://shopify/InventoryLevel/").partition("?")
    assert query == f"inventory_item_id={tee['variants'][0]['inventory_item_legacy_id']}"
    assert group != loc.rsplit("/", 1)[1]  # a per-location group id, as captured
    assert first["location"] == {"id": loc, "name": "Shop location"}
    assert first["quantities"] == [
        {"name": "available", "quantity": 5},
        {"name": "on_hand", "quantity": 5},
        {"name": "committed", "quantity": 0},
        {"name": "incoming", "quantity": 0},
    ]
    assert second["location"]["id"] == warehouse
    assert item["inventoryLevel"] == {"quantities": [{"quantity": 4}]}


# --------------------------------------------------------------------------- inventory writes


def test_set_quantities_with_current_change_from(sb, token, hooks, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)
    body = gql(token, SET, {"input": set_input(item, loc, 8, 5), "key": "set-1"})

    payload = body["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    group = payload["inventoryAdjustmentGroup"]
    assert group["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert (group["reason"], group["referenceDocumentUri"]) == ("correction", "stockguard://sync/1")
    change = {"item": {"id": item}, "location": {"id": loc, "name": "Shop location"}}
    assert group["changes"] == [
        {"name": "available", "delta": 3, "quantityAfterChange": None, **change},
        {"name": "on_hand", "delta": 3, "quantityAfterChange": None, **change},
    ]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 13  # as captured
    assert body["extensions"]["cost"]["actualQueryCost"] == 13
    assert sb.available(SHOP, item, loc) == 8
    (level,) = received(hooks, "inventory_levels/update")
    assert level["inventory_item_id"] == tee["variants"][0]["inventory_item_legacy_id"]
    assert (level["location_id"], level["available"]) == (int(loc.rsplit("/", 1)[1]), 8)


def test_stale_change_from_quantity_changes_nothing(sb, token, hooks, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)
    sb.set_available(SHOP, item, loc, 4)  # the merchant edited stock since we last read 5
    hooks.received.clear()

    body = gql(token, SET, {"input": set_input(item, loc, 8, 5), "key": "set-stale"})

    assert body["data"]["inventorySetQuantities"] == {
        "inventoryAdjustmentGroup": None,
        "userErrors": [
            {
                # Code from the 2026-04 contract; message and field are the schema's wording
                # (no capture of a stale answer exists).
                "field": ["input", "quantities", "0", "changeFromQuantity"],
                "message": "The changeFromQuantity value does not match persisted value.",
                "code": "CHANGE_FROM_QUANTITY_STALE",
            }
        ],
    }
    assert body["extensions"]["cost"]["actualQueryCost"] == 10  # as captured for failures
    assert sb.available(SHOP, item, loc) == 4 and hooks.received == []

    adjusted = gql(token, ADJUST, {"input": adjust_input(item, loc, -1, 5), "key": "adj-stale"})
    (error,) = adjusted["data"]["inventoryAdjustQuantities"]["userErrors"]
    assert error["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert error["field"] == ["input", "changes", "0", "changeFromQuantity"]
    assert sb.available(SHOP, item, loc) == 4


def test_null_change_from_quantity_opts_out(sb, token, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)
    sb.set_available(SHOP, item, loc, 4)
    body = gql(token, SET, {"input": set_input(item, loc, 9, None), "key": "set-null"})
    assert body["data"]["inventorySetQuantities"]["userErrors"] == []
    assert sb.available(SHOP, item, loc) == 9


def test_adjust_quantities(sb, token, hooks, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)
    sb.place_order(SHOP, [{"variant_id": "TEE-M", "quantity": 1}])  # 4 available, 1 committed
    hooks.received.clear()

    body = gql(token, ADJUST, {"input": adjust_input(item, loc, 2, 4), "key": "adj-1"})

    group = body["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]
    assert [(c["name"], c["delta"]) for c in group["changes"]] == [("available", 2), ("on_hand", 2)]
    quantities = sb.quantities(SHOP, item, loc)
    assert (quantities["available"], quantities["committed"], quantities["on_hand"]) == (6, 1, 7)
    (level,) = received(hooks, "inventory_levels/update")
    assert level["available"] == 6


def test_set_to_the_current_value_is_a_no_op(sb, token, hooks, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)
    body = gql(token, SET, {"input": set_input(item, loc, 5, 5), "key": "same"})
    assert body["data"]["inventorySetQuantities"] == {
        "inventoryAdjustmentGroup": None,
        "userErrors": [],
    }
    zero = gql(token, ADJUST, {"input": adjust_input(item, loc, 0, 5), "key": "zero"})
    assert zero["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"] is None
    assert hooks.received == []


def test_missing_idempotent_directive_is_refused(sb, token, tee):
    query = """mutation Set($input: InventorySetQuantitiesInput!) {
    inventorySetQuantities(input: $input) {
      userErrors { field message code }
    }
  }"""
    loc, item = sb.default_location(SHOP), item_of(tee)
    body = gql(token, query, {"input": set_input(item, loc, 8, 5)})
    assert body["errors"] == [
        {
            "message": "The @idempotent directive is required for this mutation but was not provided.",
            "locations": [{"line": 2, "column": 5}],
            "path": ["inventorySetQuantities"],
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]
    assert body["data"] == {"inventorySetQuantities": None}
    assert sb.available(SHOP, item, loc) == 5


def test_omitted_change_from_quantity_is_refused(sb, token, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)
    entry = adjust_input(item, loc, 1, 0)
    del entry["changes"][0]["changeFromQuantity"]
    body = gql(token, ADJUST, {"input": entry, "key": "no-cfq"})
    (error,) = body["errors"]
    assert error["message"] == (
        "InventoryChangeInput must include the following argument: changeFromQuantity."
    )
    assert error["extensions"] == {"code": "INVALID_FIELD_ARGUMENTS"}
    # The field, then the variable definition, as captured.
    assert error["locations"] == [{"line": 3, "column": 3}, {"line": 2, "column": 17}]
    assert body["data"] == {"inventoryAdjustQuantities": None}


def test_same_idempotency_key_replays_without_applying_twice(sb, token, hooks, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)
    variables = {"input": adjust_input(item, loc, -2, 5), "key": "adj-once"}

    first = gql(token, ADJUST, variables)["data"]["inventoryAdjustQuantities"]
    again = gql(token, ADJUST, variables)["data"]["inventoryAdjustQuantities"]

    assert first == again and first["inventoryAdjustmentGroup"] is not None
    assert sb.available(SHOP, item, loc) == 3
    assert len(received(hooks, "inventory_levels/update")) == 1

    other = dict(variables, input=adjust_input(item, loc, -1, 3))
    refused = gql(token, ADJUST, other)["data"]["inventoryAdjustQuantities"]
    assert refused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert sb.available(SHOP, item, loc) == 3


def test_user_errors_match_the_captures(sb, token, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)

    def errors(query, data, key):
        body = gql(token, query, {"input": data, "key": key})["data"]
        (payload,) = body.values()
        assert payload["inventoryAdjustmentGroup"] is None
        return payload["userErrors"]

    unknown = set_input("gid://shopify/InventoryItem/999999999999", loc, 3, 0)
    assert errors(SET, unknown, "k1") == [
        {
            "field": ["input", "quantities", "0", "inventoryItemId"],
            "message": "The specified inventory item could not be found.",
            "code": "INVALID_INVENTORY_ITEM",
        }
    ]
    nowhere = adjust_input(
        "gid://shopify/InventoryItem/42", "gid://shopify/Location/515151515151", 1, 0
    )
    assert [e["code"] for e in errors(ADJUST, nowhere, "k2")] == [
        "INVALID_INVENTORY_ITEM",
        "INVALID_LOCATION",
    ]
    assert errors(SET, dict(set_input(item, loc, 5, 0), name="committed"), "k3") == [
        {
            "field": ["input", "name"],
            "message": "The quantity name must be either 'available' or 'on_hand'.",
            "code": "INVALID_NAME",
        }
    ]
    (reason,) = errors(SET, dict(set_input(item, loc, 5, 5), reason="made_up"), "k4")
    assert reason["code"] == "INVALID_REASON" and reason["message"].startswith(
        "The specified reason is invalid. Valid values are: correction, cycle_count_available,"
    )
    negative = set_input(item, loc, -5, 0, name="on_hand")
    assert errors(SET, negative, "k5")[0]["message"] == "The quantity can't be negative."
    twice = set_input(item, loc, 1, 5)
    twice["quantities"].append(dict(twice["quantities"][0], quantity=2))
    assert [e["field"] for e in errors(SET, twice, "k6")] == [
        ["input", "quantities", "0", "locationId"],
        ["input", "quantities", "1", "locationId"],
    ]
    damaged = dict(adjust_input(item, loc, 1, 0), name="committed")
    assert errors(ADJUST, damaged, "k7")[0]["message"] == (
        "The specified quantity name is invalid. Valid values are: available, damaged, incoming, "
        "quality_control, reserved, safety_stock."
    )
    assert sb.available(SHOP, item, loc) == 5


# --------------------------------------------------------------------------- orders


def test_order_commits_stock_and_sends_schema_valid_webhooks(sb, hooks, tee):
    loc, item = sb.default_location(SHOP), item_of(tee)

    order = sb.place_order(
        SHOP,
        [
            {"variant_id": tee["variants"][0]["id"], "quantity": 2},
            {"variant_id": "TEE-L", "quantity": 1},
        ],
        financial_status="pending",
        gateway="cash_on_delivery",
    )

    # Committed to the order, still on hand until it ships.
    quantities = sb.quantities(SHOP, item, loc)
    assert (quantities["available"], quantities["committed"], quantities["on_hand"]) == (3, 2, 5)
    (created,) = received(hooks, "orders/create")
    assert created == order
    assert created["financial_status"] == "pending"
    assert created["payment_gateway_names"] == ["Cash on Delivery (COD)"]
    assert [(li["sku"], li["quantity"], li["variant_id"]) for li in created["line_items"]] == [
        ("TEE-M", 2, tee["variants"][0]["legacy_id"]),
        ("TEE-L", 1, tee["variants"][1]["legacy_id"]),
    ]
    levels = received(hooks, "inventory_levels/update")
    assert sorted((lv["inventory_item_id"], lv["available"]) for lv in levels) == sorted(
        [
            (tee["variants"][0]["inventory_item_legacy_id"], 3),
            (tee["variants"][1]["inventory_item_legacy_id"], 1),
        ]
    )
    event_ids = {got["headers"]["X-Shopify-Event-Id"] for got in hooks.received}
    assert len(event_ids) == 3  # one event per webhook


def test_order_beyond_stock_is_refused(sb, hooks, tee):
    with pytest.raises(OutOfStock) as refused:
        sb.place_order(
            SHOP, [{"variant_id": "TEE-L", "quantity": 1}, {"variant_id": "TEE-M", "quantity": 6}]
        )
    assert refused.value.shortages == [
        {"variant_id": tee["variants"][0]["id"], "sku": "TEE-M", "requested": 6, "available": 5}
    ]
    assert sb.available(SHOP, item_of(tee, 1)) == 2  # the whole order was refused
    assert hooks.received == [] and not sb.shops[SHOP].catalog.orders
    # A CONTINUE variant keeps selling past zero.
    sb.place_order(SHOP, [{"variant_id": "TEE-L", "quantity": 3}])
    assert sb.available(SHOP, item_of(tee, 1)) == -1


def test_cancel_restocks_and_sends_orders_cancelled(sb, hooks, tee):
    item = item_of(tee)
    order = sb.place_order(SHOP, [{"variant_id": "TEE-M", "quantity": 2}])
    hooks.received.clear()

    cancelled = sb.cancel_order(SHOP, order["admin_graphql_api_id"])

    assert sb.quantities(SHOP, item)["available"] == 5
    assert sb.quantities(SHOP, item)["committed"] == 0
    (payload,) = received(hooks, "orders/cancelled")
    assert payload == cancelled
    assert payload["cancelled_at"] and payload["financial_status"] == "refunded"
    (refund,) = payload["refunds"]
    (line,) = refund["refund_line_items"]
    assert (line["line_item_id"], line["quantity"], line["restock_type"]) == (
        order["line_items"][0]["id"],
        2,
        "cancel",
    )
    assert line["location_id"] == int(sb.default_location(SHOP).rsplit("/", 1)[1])
    (level,) = received(hooks, "inventory_levels/update")
    assert level["available"] == 5
    with pytest.raises(ValueError, match="already cancelled"):
        sb.cancel_order(SHOP, order["id"])


def test_refunds_restock_as_cancel_before_and_return_after_fulfilment(sb, hooks, tee):
    item = item_of(tee)
    order = sb.place_order(SHOP, [{"variant_id": "TEE-M", "quantity": 3}])
    line_id = order["line_items"][0]["id"]

    before = sb.refund(SHOP, order["id"], [{"line_item_id": line_id, "quantity": 1}])
    assert before["refund_line_items"][0]["restock_type"] == "cancel"
    assert sb.quantities(SHOP, item)["available"] == 3
    assert sb.quantities(SHOP, item)["committed"] == 1 + 1

    sb.fulfill_order(SHOP, order["id"])
    assert sb.quantities(SHOP, item)["on_hand"] == 3  # two units shipped
    after = sb.refund(SHOP, order["id"], [{"line_item_id": line_id, "quantity": 2}])
    (line,) = after["refund_line_items"]
    assert (line["restock_type"], line["quantity"]) == ("return", 2)
    assert line["location_id"] == int(sb.default_location(SHOP).rsplit("/", 1)[1])
    quantities = sb.quantities(SHOP, item)
    assert (quantities["available"], quantities["committed"], quantities["on_hand"]) == (5, 0, 5)

    refunds = received(hooks, "refunds/create")
    assert [r["id"] for r in refunds] == [before["id"], after["id"]]
    # Placed (2 left), one unit cancelled back (3), two returned (5).
    assert [lv["available"] for lv in received(hooks, "inventory_levels/update")] == [2, 3, 5]
    with pytest.raises(ValueError, match="cannot refund"):
        sb.refund(SHOP, order["id"], [{"line_item_id": line_id, "quantity": 1}])


def test_refund_without_restock_leaves_available_alone(sb, hooks, tee):
    order = sb.place_order(SHOP, [{"variant_id": "TEE-M", "quantity": 2}])
    refund = sb.refund(
        SHOP,
        order["id"],
        [{"line_item_id": order["line_items"][0]["id"], "quantity": 1}],
        restock=False,
    )
    assert refund["refund_line_items"][0]["restock_type"] == "no_restock"
    assert refund["restock"] is False
    assert sb.available(SHOP, item_of(tee)) == 3
    assert received(hooks, "refunds/create") == [refund]


def test_concurrent_checkouts_cannot_oversell(sb, tee):
    sb.set_available(SHOP, item_of(tee), None, 3)
    start = threading.Barrier(20)
    sold, refused = [], []

    def checkout():
        start.wait()
        try:
            sold.append(sb.place_order(SHOP, [{"variant_id": "TEE-M", "quantity": 1}]))
        except OutOfStock:
            refused.append(1)

    threads = [threading.Thread(target=checkout) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(sold), len(refused)) == (3, 17)
    quantities = sb.quantities(SHOP, item_of(tee))
    assert (quantities["available"], quantities["committed"]) == (0, 3)


def test_webhook_order_can_be_shuffled(make_sandbox, shopify_app, receiver):
    sb = make_sandbox(seed=7)
    token = sb.issue_token(SHOP, ["read_orders"])
    create = """mutation C($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { userErrors { message } }
    }"""
    for topic in STOCK_TOPICS:
        gql(
            token,
            create,
            {"topic": topic, "sub": {"uri": f"{APP_ORIGIN}/webhooks/{topic.lower()}"}},
        )
    sb.route_callbacks(APP_ORIGIN, receiver.url)
    skus = [f"S-{n}" for n in range(6)]
    sb.create_product(SHOP, "Socks", variants=[{"sku": s, "available": 1} for s in skus])
    orders = []
    for _ in range(3):
        receiver.received.clear()
        sb.place_order(
            SHOP, [{"variant_id": s, "quantity": 1} for s in skus[:2]], webhook_order="shuffle"
        )
        orders.append([got["headers"]["X-Shopify-Topic"] for got in receiver.received])
        sb.set_available(
            SHOP, sb.shops[SHOP].catalog.variant_by_sku("S-0").inventory_item.gid, None, 1
        )
        sb.set_available(
            SHOP, sb.shops[SHOP].catalog.variant_by_sku("S-1").inventory_item.gid, None, 1
        )
    assert all(
        sorted(o) == sorted(["orders/create", *["inventory_levels/update"] * 2]) for o in orders
    )
    assert any(o[0] != "orders/create" for o in orders)  # not always the order they happened in


def test_dropped_webhooks_are_logged_not_sent(sb, hooks, tee):
    sb.drop_webhooks("inventory_levels/update", count=1)

    sb.place_order(SHOP, [{"variant_id": "TEE-M", "quantity": 1}])
    sb.set_available(SHOP, item_of(tee), None, 10)

    assert [p["available"] for p in received(hooks, "inventory_levels/update")] == [10]
    assert len(received(hooks, "orders/create")) == 1
    lost = [e for e in sb.webhook_log if e.dropped]
    assert [(e.topic, e.payload["available"], e.deliveries) for e in lost] == [
        ("inventory_levels/update", 4, [])
    ]
    assert lost[0].dropped == [f"{APP_ORIGIN}/webhooks/inventory_levels_update"]

    sb.drop_webhooks()  # everything, until told otherwise
    sb.set_available(SHOP, item_of(tee), None, 9)
    sb.keep_webhooks()
    sb.set_available(SHOP, item_of(tee), None, 8)
    assert [p["available"] for p in received(hooks, "inventory_levels/update")] == [10, 8]


# --------------------------------------------------------------------------- throttling


def test_burst_of_catalog_reads_is_throttled(make_sandbox, fake_clock, shopify_app):
    sb = make_sandbox(clock=fake_clock)
    token = sb.issue_token(SHOP, ["read_products"])
    for n in range(100):
        sb.create_product(
            SHOP, f"P{n}", variants=[{"sku": f"P{n}-{v}", "available": v} for v in range(3)]
        )
    heavy = """{ products(first: 100) { nodes { id variants(first: 3) {
        nodes { id inventoryQuantity inventoryItem { id } } } } } }"""

    answers = [gql(token, heavy) for _ in range(5)]

    cost = answers[0]["extensions"]["cost"]
    # 2 + 100 × (1 product + 2 + 3 × (1 variant + 1 item)) points, all of it returned.
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] == 902
    served = [a for a in answers if "data" in a]
    throttled = [
        a
        for a in answers
        if a.get("errors", [{}])[0].get("extensions", {}).get("code") == "THROTTLED"
    ]
    assert (len(served), len(throttled)) == (2, 3)
    assert throttled[0]["extensions"]["cost"]["throttleStatus"] == {
        "maximumAvailable": 2000,
        "currentlyAvailable": 2000 - 2 * 902,
        "restoreRate": 100,
    }
    fake_clock.advance(7.1)  # 100 points a second on the standard plan
    assert "data" in gql(token, heavy)


def test_inventory_writes_are_charged(make_sandbox, fake_clock, shopify_app):
    sb = make_sandbox(clock=fake_clock)
    token = sb.issue_token(SHOP, ["write_inventory"])
    tee = sb.create_product(SHOP, "Tee", variants=[{"sku": "T", "available": 0}])
    sb.bucket(sb.shops[SHOP]).set_available(12)
    loc = sb.default_location(SHOP)
    body = gql(token, SET, {"input": set_input(item_of(tee), loc, 1, 0), "key": "k"})
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert sb.available(SHOP, item_of(tee), loc) == 0
    fake_clock.advance(0.02)  # one more point at 100 a second
    assert "data" in gql(token, SET, {"input": set_input(item_of(tee), loc, 1, 0), "key": "k"})


# --------------------------------------------------------------------------- product writes

BULK_UPDATE = """
mutation Policy($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    product { id }
    productVariants { id inventoryPolicy price }
    userErrors { field message code }
  }
}"""


def test_variant_inventory_policy_update(sb, token, hooks, tee):
    medium = tee["variants"][0]["id"]
    body = gql(
        token,
        BULK_UPDATE,
        {"productId": tee["id"], "variants": [{"id": medium, "inventoryPolicy": "CONTINUE"}]},
    )
    payload = body["data"]["productVariantsBulkUpdate"]
    assert payload == {
        "product": {"id": tee["id"]},
        "productVariants": [{"id": medium, "inventoryPolicy": "CONTINUE", "price": "10.00"}],
        "userErrors": [],
    }
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10  # as captured
    sb.place_order(SHOP, [{"variant_id": "TEE-M", "quantity": 7}])  # now it may oversell
    assert sb.available(SHOP, item_of(tee)) == -2

    negative = gql(
        token, BULK_UPDATE, {"productId": tee["id"], "variants": [{"id": medium, "price": "-1.00"}]}
    )["data"]["productVariantsBulkUpdate"]
    assert negative["userErrors"] == [
        {
            "field": ["variants", "0", "price"],
            "message": "Price must be greater than or equal to 0",
            "code": "GREATER_THAN_OR_EQUAL_TO",
        }
    ]
    missing = gql(
        token,
        BULK_UPDATE,
        {"productId": "gid://shopify/Product/1", "variants": [{"id": medium, "price": "1.00"}]},
    )["data"]["productVariantsBulkUpdate"]
    assert missing["userErrors"][0]["message"] == "Product does not exist"
    (update,) = received(hooks, "products/update")
    assert update["variants"][0]["inventory_policy"] == "continue"


def test_unpublish_and_publish_on_the_online_store(sb, token, tee):
    publications = gql(token, "{ publications(first: 5) { nodes { id name } } }")
    (online_store,) = publications["data"]["publications"]["nodes"]
    assert online_store["name"] == "Online Store"
    toggle = """mutation T($id: ID!, $pub: ID!) {
      publishableUnpublish(id: $id, input: [{publicationId: $pub}]) {
        publishable { ... on Product { publishedOnPublication(publicationId: $pub) } }
        userErrors { field message }
      }
    }"""
    variables = {"id": tee["id"], "pub": online_store["id"]}
    hidden = gql(token, toggle, variables)["data"]["publishableUnpublish"]
    assert hidden == {"publishable": {"publishedOnPublication": False}, "userErrors": []}
    shown = gql(token, toggle.replace("publishableUnpublish", "publishablePublish"), variables)
    assert shown["data"]["publishablePublish"]["publishable"] == {"publishedOnPublication": True}


def test_lists_priced_per_item_on_request(make_sandbox, fake_clock, shopify_app):
    """``list_pricing = "per_item"`` (the benchmarks' pessimistic bound): nodes(ids:) costs one
    object per id asked for, and per node returned; by default one object for the list."""
    sb = make_sandbox(clock=fake_clock)
    token = sb.issue_token(SHOP, ["read_inventory", "read_products"])
    product = sb.create_product(
        SHOP, "Tee", variants=[{"sku": f"T-{n}", "available": n} for n in range(3)]
    )
    items = [v["inventory_item_id"] for v in product["variants"]]
    missing = "gid://shopify/InventoryItem/999999999"
    levels = """query L($ids: [ID!]!, $loc: ID!) { nodes(ids: $ids) { ... on InventoryItem {
        id tracked inventoryLevel(locationId: $loc) { quantities(names: ["available"]) {
        name quantity } } } } }"""
    loc = sb.default_location(SHOP)

    once = gql(token, levels, {"ids": items + [missing], "loc": loc})["extensions"]["cost"]
    # The level + the quantities list (``nodes`` returns the Node interface: the maximum of
    # its selections, no own cost), whatever the number of ids.
    assert once["requestedQueryCost"] == once["actualQueryCost"] == 2

    sb.list_pricing = "per_item"
    per_item = gql(token, levels, {"ids": items + [missing], "loc": loc})
    cost = per_item["extensions"]["cost"]
    assert [n and n["id"] for n in per_item["data"]["nodes"]] == items + [None]
    # Requested: 4 ids × 2; actual: the 3 items that exist × 2.
    assert cost["requestedQueryCost"] == 8 and cost["actualQueryCost"] == 6
