"""WooCommerce webhooks → neutral events. Shapes: the captured 10.0.2 deliveries."""

from __future__ import annotations

from connectors.base import (
    Event,
    LevelObserved,
    OrderStockSnapshot,
    ProductChanged,
    ProductDeleted,
    StockLine,
)


def _reduced(line: dict) -> int:
    # WooCommerce notes on each line how many units it took off stock (`_reduced_stock`) and
    # deletes the note when it puts them back: the line's stock state, whatever the status.
    for meta in line.get("meta_data") or []:
        if meta.get("key") == "_reduced_stock":
            try:
                return int(float(meta.get("value") or 0))
            except (TypeError, ValueError):
                return 0
    return 0


def order_changed(payload: dict) -> list[Event]:
    lines = tuple(
        StockLine(
            line_ref=str(li["id"]),
            external_id=str(li.get("variation_id") or li.get("product_id")),
            level_ref=None,
            quantity=_reduced(li),
        )
        for li in payload.get("line_items") or []
        if li.get("product_id")
    )
    version = payload.get("date_modified_gmt") or payload.get("date_created_gmt") or ""
    return [
        OrderStockSnapshot(
            order_ref=str(payload["id"]),
            version=version,
            lines=lines,
            status=payload.get("status"),
            gateway=payload.get("payment_method") or None,
            created_at=payload.get("date_created_gmt") or None,
        )
    ]


def product_updated(payload: dict) -> list[Event]:
    if payload.get("type") == "variable":
        # The parent of variations: its variations arrive as their own product.updated.
        return [ProductChanged(product_ref=str(payload["id"]))]
    quantity = payload.get("stock_quantity") if payload.get("manage_stock") is True else None
    return [
        LevelObserved(
            level_ref=str(payload["id"]),
            external_id=str(payload["id"]),
            quantity=int(quantity) if quantity is not None else None,
            observed_at=payload.get("date_modified_gmt"),
            sku=payload.get("sku") or "",
        )
    ]


def product_deleted(payload: dict) -> list[Event]:
    return [ProductDeleted(product_ref=str(payload["id"]))]


STOCK_PARSERS = {
    "order.created": order_changed,
    "order.updated": order_changed,
    "product.updated": product_updated,
    "product.deleted": product_deleted,
}
