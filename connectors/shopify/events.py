"""Shopify stock webhooks → neutral events. Payloads: webhook-schemas/2026-04 (REST shapes)."""

from __future__ import annotations

from connectors.base import (
    Event,
    LevelObserved,
    OrderRestocked,
    OrderSold,
    ProductChanged,
    ProductDeleted,
    StockLine,
)

# Refund lines whose units went back to stock. (Older payloads carried ``restock: true``.)
RESTOCKING = {"cancel", "return", "legacy_restock"}


def gid(kind: str, value) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def order_created(payload: dict) -> list[Event]:
    lines = tuple(
        StockLine(
            line_ref=str(li["id"]),
            external_id=gid("ProductVariant", li.get("variant_id")),
            level_ref=None,
            quantity=int(li.get("quantity") or 0),
        )
        for li in payload.get("line_items") or []
        if li.get("variant_id") and int(li.get("quantity") or 0) > 0
    )
    gateways = payload.get("payment_gateway_names") or []
    return [
        OrderSold(
            order_ref=str(payload["id"]),
            lines=lines,
            placed_at=payload.get("created_at"),
            gateway=gateways[0] if gateways else payload.get("gateway"),
        )
    ]


def _restocks(order_id, refund: dict) -> OrderRestocked | None:
    lines = []
    for rli in refund.get("refund_line_items") or []:
        if rli.get("restock_type") not in RESTOCKING and not rli.get("restock"):
            continue
        item = rli.get("line_item") or {}
        lines.append(
            StockLine(
                line_ref=str(rli["id"]),
                external_id=gid("ProductVariant", item.get("variant_id")),
                level_ref=None,
                quantity=int(rli.get("quantity") or 0),
            )
        )
    if not lines:
        return None
    return OrderRestocked(
        order_ref=str(order_id), restock_ref=str(refund["id"]), lines=tuple(lines)
    )


def order_cancelled(payload: dict) -> list[Event]:
    # The cancel's own refund (restock_type "cancel") is inside the order; refunds/create may
    # carry the same refund: the refund line id makes the movement happen once.
    return [e for r in payload.get("refunds") or [] if (e := _restocks(payload["id"], r))]


def refund_created(payload: dict) -> list[Event]:
    event = _restocks(payload["order_id"], payload)
    return [event] if event else []


def level_updated(payload: dict) -> list[Event]:
    return [
        LevelObserved(
            level_ref=gid("InventoryItem", payload["inventory_item_id"]),
            location_ref=gid("Location", payload.get("location_id")),
            quantity=payload.get("available"),
            observed_at=payload.get("updated_at"),
        )
    ]


def product_updated(payload: dict) -> list[Event]:
    variants = tuple(
        (gid("ProductVariant", v["id"]), v.get("sku") or None, v.get("barcode") or None)
        for v in payload.get("variants") or []
    )
    return [ProductChanged(product_ref=gid("Product", payload["id"]), variants=variants or None)]


def product_deleted(payload: dict) -> list[Event]:
    return [ProductDeleted(product_ref=gid("Product", payload["id"]))]


STOCK_PARSERS = {
    "orders/create": order_created,
    "orders/cancelled": order_cancelled,
    "refunds/create": refund_created,
    "inventory_levels/update": level_updated,
    "products/update": product_updated,
    "products/delete": product_deleted,
}
