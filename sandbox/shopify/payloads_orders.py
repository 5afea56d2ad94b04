"""``orders/create``, ``orders/cancelled`` and ``refunds/create`` payload builders.

Same keys as Shopify's documented sample order (#9999) and refund; amounts are computed from the
line items so totals agree with what the engine will read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .payloads import _amount, _next_id, _now, money_set
from .state import Shop, gid


@dataclass
class LineItemSpec:
    """One order line: the variant sold and how many."""

    variant_id: int | None
    product_id: int | None
    sku: str
    quantity: int
    price: str
    title: str = "Example product"
    variant_title: str | None = None
    id: int = field(default_factory=_next_id)


_ADDRESS = {
    "first_name": "Steve",
    "address1": "123 Shipping Street",
    "phone": "555-555-SHIP",
    "city": "Shippington",
    "zip": "40003",
    "province": "Kentucky",
    "country": "United States",
    "last_name": "Shipper",
    "address2": None,
    "company": "Shipping Company",
    "latitude": None,
    "longitude": None,
    "name": "Steve Shipper",
    "country_code": "US",
    "province_code": "KY",
}


def _customer(customer_id: int, email: str, currency: str) -> dict:
    return {
        "id": customer_id,
        "created_at": None,
        "updated_at": None,
        "first_name": "John",
        "last_name": "Smith",
        "state": "disabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "email": email,
        "phone": None,
        "currency": currency,
        "tax_exemptions": [],
        "admin_graphql_api_id": gid("Customer", customer_id),
        "default_address": {
            "id": customer_id + 1,
            "customer_id": customer_id,
            "first_name": "John",
            "last_name": "Smith",
            "company": None,
            "address1": "123 Elm St.",
            "address2": None,
            "city": "Ottawa",
            "province": "Ontario",
            "country": "Canada",
            "zip": "K2H7A8",
            "phone": "123-123-1234",
            "name": "John Smith",
            "province_code": "ON",
            "country_code": "CA",
            "country_name": "Canada",
            "default": True,
        },
    }


def line_item(item: LineItemSpec, currency: str, *, current_quantity: int | None = None) -> dict:
    return {
        "id": item.id,
        "admin_graphql_api_id": gid("LineItem", item.id),
        "attributed_staffs": [],
        "current_quantity": item.quantity if current_quantity is None else current_quantity,
        "fulfillable_quantity": item.quantity if current_quantity is None else current_quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": None,
        "gift_card": False,
        "grams": 0,
        "name": f"{item.title} - {item.variant_title}" if item.variant_title else item.title,
        "price": _amount(item.price),
        "price_set": money_set(item.price, currency),
        "product_exists": item.product_id is not None,
        "product_id": item.product_id,
        "properties": [],
        "quantity": item.quantity,
        "requires_shipping": True,
        "sales_line_item_group_id": None,
        "sku": item.sku,
        "taxable": True,
        "title": item.title,
        "total_discount": "0.00",
        "total_discount_set": money_set(0, currency),
        "variant_id": item.variant_id,
        "variant_inventory_management": "shopify" if item.variant_id else None,
        "variant_title": item.variant_title,
        "vendor": None,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    }


def order(
    shop: Shop,
    order_id: int,
    line_items: list[LineItemSpec],
    *,
    number: int = 1,
    email: str = "jon@example.com",
    financial_status: str | None = None,
    cancelled_at: str | None = None,
    cancel_reason: str | None = None,
    customer_id: int = 115310627314723954,
    created_at: str | None = None,
    gateway: str = "bogus",
    refunds: list[dict] | None = None,
    current_quantities: dict[int, int] | None = None,
) -> dict:
    """An order as ``orders/create`` sends it; pass ``cancelled_at`` for ``orders/cancelled``.

    ``financial_status`` defaults to "paid", or "voided" once cancelled. ``gateway`` is the
    payment method's display name (``payment_gateway_names``); ``refunds`` are refund payloads
    (``refund()``) and ``current_quantities`` what is left of each line id after them.
    """
    currency = shop.currency
    if financial_status is None:
        financial_status = "voided" if cancelled_at else "paid"
    created = created_at or _now()
    subtotal = sum((Decimal(i.price) * i.quantity for i in line_items), Decimal("0"))
    current = sum(
        (Decimal(i.price) * _left(i, cancelled_at, current_quantities) for i in line_items),
        Decimal("0"),
    )
    zero = money_set(0, currency)
    return {
        "id": order_id,
        "admin_graphql_api_id": gid("Order", order_id),
        "app_id": None,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": cancel_reason,
        "cancelled_at": cancelled_at,
        "cart_token": None,
        "checkout_token": None,
        "client_details": None,
        "closed_at": None,
        "confirmation_number": None,
        "confirmed": True,
        "contact_email": email,
        "created_at": created,
        "currency": currency,
        "current_shipping_price_set": zero,
        "current_subtotal_price": _amount(current),
        "current_subtotal_price_set": money_set(current, currency),
        "current_total_additional_fees_set": None,
        "current_total_discounts": "0.00",
        "current_total_discounts_set": zero,
        "current_total_duties_set": None,
        "current_total_price": _amount(current),
        "current_total_price_set": money_set(current, currency),
        "current_total_tax": "0.00",
        "current_total_tax_set": zero,
        "customer_locale": "en",
        "device_id": None,
        "discount_codes": [],
        "duties_included": False,
        "email": email,
        "estimated_taxes": False,
        "financial_status": financial_status,
        "fulfillment_status": None,
        "landing_site": None,
        "landing_site_ref": None,
        "location_id": None,
        "merchant_business_entity_id": "MTU0ODM4MDAwOQ",
        "merchant_of_record_app_id": None,
        "name": f"#{1000 + number}",
        "note": None,
        "note_attributes": [],
        "number": number,
        "order_number": 1000 + number,
        "order_status_url": (
            f"https://{shop.myshopify_domain}/{shop.legacy_id}/orders/{order_id}/authenticate"
        ),
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": [gateway],
        "phone": None,
        "po_number": None,
        "presentment_currency": currency,
        "processed_at": created,
        "reference": None,
        "referring_site": None,
        "source_identifier": None,
        "source_name": "web",
        "source_url": None,
        "subtotal_price": _amount(subtotal),
        "subtotal_price_set": money_set(subtotal, currency),
        "tags": "",
        "tax_exempt": False,
        "tax_lines": [],
        "taxes_included": False,
        "test": True,
        "token": f"{order_id:x}",
        "total_cash_rounding_payment_adjustment_set": zero,
        "total_cash_rounding_refund_adjustment_set": zero,
        "total_discounts": "0.00",
        "total_discounts_set": zero,
        "total_line_items_price": _amount(subtotal),
        "total_line_items_price_set": money_set(subtotal, currency),
        "total_outstanding": (
            _amount(current) if financial_status in ("pending", "authorized") else "0.00"
        ),
        "total_price": _amount(subtotal),
        "total_price_set": money_set(subtotal, currency),
        "total_shipping_price_set": zero,
        "total_tax": "0.00",
        "total_tax_set": zero,
        "total_tip_received": "0.00",
        "total_weight": 0,
        "updated_at": cancelled_at or created,
        "user_id": None,
        "billing_address": dict(_ADDRESS),
        "customer": _customer(customer_id, email, currency),
        "discount_applications": [],
        "fulfillments": [],
        "line_items": [
            line_item(i, currency, current_quantity=_current(i, cancelled_at, current_quantities))
            for i in line_items
        ],
        "payment_terms": None,
        "refunds": list(refunds or []),
        "shipping_address": dict(_ADDRESS),
        "shipping_lines": [],
        "returns": [],
        "line_item_groups": [],
    }


def _current(item: LineItemSpec, cancelled_at, current_quantities) -> int | None:
    if current_quantities is not None and item.id in current_quantities:
        return current_quantities[item.id]
    return 0 if cancelled_at else None


def _left(item: LineItemSpec, cancelled_at, current_quantities) -> int:
    current = _current(item, cancelled_at, current_quantities)
    return item.quantity if current is None else current


@dataclass
class RefundLineSpec:
    """A refunded quantity of an order line, and whether it went back to stock (and where)."""

    line_item: LineItemSpec
    quantity: int
    restock_type: str = "no_restock"  # "return" | "cancel" | "no_restock"
    location_id: int | None = None
    id: int = field(default_factory=_next_id)


def refund(
    shop: Shop,
    refund_id: int,
    order_id: int,
    lines: list[RefundLineSpec],
    *,
    note: str = "",
    user_id: int = 548380009,
    gateway: str = "bogus",
    paid: bool = True,
) -> dict:
    """A refund as ``refunds/create`` sends it; an unpaid order's refund moves no money."""
    currency = shop.currency
    now = _now()
    total = sum((Decimal(r.line_item.price) * r.quantity for r in lines), Decimal("0"))
    refund_lines = []
    for r in lines:
        subtotal = Decimal(r.line_item.price) * r.quantity
        item = line_item(r.line_item, currency)
        for key in ("attributed_staffs", "current_quantity", "sales_line_item_group_id"):
            item.pop(key)
        refund_lines.append(
            {
                "id": r.id,
                "quantity": r.quantity,
                "line_item_id": r.line_item.id,
                "location_id": r.location_id,
                "restock_type": r.restock_type,
                "subtotal": float(subtotal),
                "total_tax": 0,
                "subtotal_set": money_set(subtotal, currency),
                "total_tax_set": money_set(0, currency),
                "line_item": item,
            }
        )
    transaction_id = _next_id()
    return {
        "id": refund_id,
        "order_id": order_id,
        "created_at": now,
        "note": note,
        "user_id": user_id,
        "processed_at": now,
        "duties": [],
        "total_duties_set": money_set(0, currency),
        "return": None,
        "restock": any(r.restock_type != "no_restock" for r in lines),
        "refund_shipping_lines": [],
        "admin_graphql_api_id": gid("Refund", refund_id),
        "order_adjustments": [],
        "refund_line_items": refund_lines,
        "transactions": []
        if not paid
        else [
            {
                "id": transaction_id,
                "order_id": order_id,
                "kind": "refund",
                "gateway": gateway,
                "status": "success",
                "message": None,
                "created_at": now,
                "test": True,
                "authorization": None,
                "location_id": None,
                "user_id": None,
                "parent_id": None,
                "processed_at": now,
                "device_id": None,
                "error_code": None,
                "source_name": "web",
                "receipt": {},
                "amount": _amount(total),
                "currency": currency,
                "payment_id": f"#{order_id}.1",
                "total_unsettled_set": {
                    "presentment_money": {"amount": "0.0", "currency": "XXX"},
                    "shop_money": {"amount": "0.0", "currency": "XXX"},
                },
                "manual_payment_gateway": False,
                "amount_rounding": None,
                "admin_graphql_api_id": gid("OrderTransaction", transaction_id),
            }
        ],
    }
