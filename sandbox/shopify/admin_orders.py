"""Orders as checkout and the store admin make them: place, fulfil, cancel, refund.

Mixed into ``ShopifySandbox``. Stock moves the way Shopify's inventory states do
(https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps#inventory-states):

* placing an order: ``available`` -n, ``committed`` +n (``on_hand`` unchanged until fulfilment);
  a DENY variant without the stock refuses the whole order, checked and applied under the
  sandbox lock so concurrent checkouts cannot oversell;
* fulfilling: ``committed`` -n (so ``on_hand`` -n);
* cancelling / refunding unfulfilled units: ``committed`` -n and, restocked, ``available`` +n
  (restock_type "cancel"); refunding fulfilled units restocked: ``available`` +n ("return").

Webhooks (``orders/create``, ``orders/cancelled``, ``refunds/create``, then one
``inventory_levels/update`` per level whose ``available`` moved) are sent after the lock is
released; ``webhook_order="shuffle"`` mixes their order, as Shopify does not guarantee it.
"""

from __future__ import annotations

import threading
from typing import Any

from . import payloads_orders
from .admin_catalog import level_event
from .catalog import InventoryLevel, Order, OrderLine, Variant, legacy_of
from .payloads_orders import LineItemSpec, RefundLineSpec
from .state import IdSequence, Shop, iso, utcnow

# Display names Shopify puts in payment_gateway_names for these payment methods.
GATEWAYS = {"manual": "manual", "cash_on_delivery": "Cash on Delivery (COD)", "bogus": "bogus"}


WEBHOOK_ORDERS = ("emitted", "shuffle")


def _check_webhook_order(value: str) -> None:
    if value not in WEBHOOK_ORDERS:  # checked before anything changes
        raise ValueError(f"webhook_order must be one of {WEBHOOK_ORDERS}")


class OutOfStock(Exception):
    """Checkout refused the order: a DENY variant lacks available stock."""

    def __init__(self, shortages: list[dict]):
        self.shortages = shortages  # [{"variant_id", "sku", "requested", "available"}]
        super().__init__(
            "out of stock: "
            + ", ".join(f"{s['sku'] or s['variant_id']} ({s['available']} left)" for s in shortages)
        )


class OrdersAdmin:
    """``place_order`` / ``fulfill_order`` / ``cancel_order`` / ``refund``."""

    # Provided by ShopifySandbox / CatalogAdmin.
    lock: threading.RLock
    ids: IdSequence

    def _variant_for(self, shop: Shop, ref: int | str) -> Variant:
        catalog = shop.catalog
        variant = None
        if isinstance(ref, int) or str(ref).startswith("gid://") or str(ref).isdigit():
            variant = catalog.variant(legacy_of(ref, "ProductVariant"))
        if variant is None:
            variant = catalog.variant_by_sku(str(ref))
        if variant is None:
            raise KeyError(f"no variant {ref!r} in {shop.myshopify_domain}")
        return variant

    def _order(self, shop: Shop, order_id: int | str) -> Order:
        order = shop.catalog.orders.get(legacy_of(order_id, "Order"))
        if order is None:
            raise KeyError(f"no order {order_id!r} in {shop.myshopify_domain}")
        return order

    def place_order(
        self,
        shop: str | Shop,
        lines: list[dict[str, Any]],
        location_id: int | str | None = None,
        financial_status: str = "paid",
        gateway: str = "manual",
        *,
        webhook_order: str = "emitted",
        email: str = "jon@example.com",
    ) -> dict:
        """Check out ``[{"variant_id": gid | legacy id | sku, "quantity": n}]``.

        Stock is taken at ``location_id`` (default: the first location). Raises ``OutOfStock``
        and changes nothing if a DENY variant lacks the units. Returns the ``orders/create``
        payload (REST shape: numeric ``id``, ``line_items[].id`` for refunds, …).
        """
        _check_webhook_order(webhook_order)
        if financial_status not in ("paid", "pending"):
            raise ValueError("financial_status must be 'paid' or 'pending'")
        target = self._shop(shop)  # type: ignore[attr-defined]
        with self.lock:
            location = self._location(target, location_id)  # type: ignore[attr-defined]
            wanted = [
                (self._variant_for(target, ln["variant_id"]), int(ln["quantity"])) for ln in lines
            ]
            if not wanted or any(qty <= 0 for _, qty in wanted):
                raise ValueError("an order needs lines with a positive quantity")
            self._check_stock(target, location, wanted)
            order_lines, touched = [], []
            for variant, qty in wanted:
                level = self._level_for(target, variant, location)
                if level is not None:
                    level.add("available", -qty)
                    level.add("committed", qty)
                    touched.append(level)
                product = target.catalog.product_of(variant)
                order_lines.append(
                    OrderLine(
                        self.ids.next(),
                        variant,
                        qty,
                        variant.price,
                        product.title,
                        location.legacy_id,
                    )
                )
            order = Order(
                legacy_id=self.ids.next(),
                number=len(target.catalog.orders) + 1,
                lines=order_lines,
                financial_status=financial_status,
                gateway=GATEWAYS.get(gateway, gateway),
                created_at=iso(utcnow()),
                location_id=location.legacy_id,
                email=email,
            )
            target.catalog.orders[order.legacy_id] = order
            payload = self._order_payload(target, order)
            events = [("orders/create", payload), *_level_events(touched)]
        self.send_events(target, events, order=webhook_order)  # type: ignore[attr-defined]
        return payload

    def _check_stock(self, shop: Shop, location, wanted: list[tuple[Variant, int]]) -> None:
        needed: dict[int, int] = {}
        for variant, qty in wanted:
            needed[variant.legacy_id] = needed.get(variant.legacy_id, 0) + qty
        shortages = []
        for variant_id, qty in needed.items():
            variant = shop.catalog.variant(variant_id)
            if not variant.inventory_item.tracked or variant.inventory_policy == "CONTINUE":
                continue
            level = variant.inventory_item.levels.get(location.legacy_id)
            have = level.quantity("available") if level and level.is_active else 0
            if have < qty:
                shortages.append(
                    {
                        "variant_id": variant.gid,
                        "sku": variant.sku,
                        "requested": qty,
                        "available": have,
                    }
                )
        if shortages:
            raise OutOfStock(shortages)

    def _level_for(self, shop: Shop, variant: Variant, location) -> InventoryLevel | None:
        if not variant.inventory_item.tracked:
            return None
        return self._stock(shop, variant.inventory_item, location)  # type: ignore[attr-defined]

    def _order_payload(self, shop: Shop, order: Order, **extra) -> dict:
        specs = [_spec(line) for line in order.lines]
        return payloads_orders.order(
            shop,
            order.legacy_id,
            specs,
            number=order.number,
            email=order.email,
            financial_status=order.financial_status,
            created_at=order.created_at,
            gateway=order.gateway,
            refunds=order.refunds,
            current_quantities={
                line.id: line.quantity - line.removed - line.returned for line in order.lines
            },
            **extra,
        )

    def fulfill_order(self, shop: str | Shop, order_id: int | str) -> None:
        """Ship every open unit: ``committed`` (and so ``on_hand``) goes down; no webhook."""
        target = self._shop(shop)  # type: ignore[attr-defined]
        with self.lock:
            order = self._order(target, order_id)
            for line in order.lines:
                level = self._line_level(target, line)
                if level is not None and line.open_quantity:
                    level.add("committed", -line.open_quantity)
                line.fulfilled += line.open_quantity

    def _line_level(self, shop: Shop, line: OrderLine, location_id=None) -> InventoryLevel | None:
        if line.variant is None or not line.variant.inventory_item.tracked:
            return None
        location = shop.catalog.location(location_id or line.location_id)
        return self._stock(shop, line.variant.inventory_item, location)  # type: ignore[attr-defined]

    def cancel_order(
        self,
        shop: str | Shop,
        order_id: int | str,
        restock: bool = True,
        *,
        reason: str = "customer",
        webhook_order: str = "emitted",
    ) -> dict:
        """Cancel (as ``orderCancel`` with refund) and return the ``orders/cancelled`` payload.

        Unfulfilled units leave ``committed``; restocked they go back to ``available``. The
        payload's ``refunds`` holds the refund the cancellation made (restock_type "cancel").
        """
        _check_webhook_order(webhook_order)
        target = self._shop(shop)  # type: ignore[attr-defined]
        with self.lock:
            order = self._order(target, order_id)
            if order.cancelled_at:
                raise ValueError(f"order {order.legacy_id} is already cancelled")
            refund_lines, touched = [], []
            for line in order.lines:
                units = line.open_quantity
                if units == 0:
                    continue
                level = self._line_level(target, line)
                if level is not None:
                    level.add("committed", -units)
                    if restock:
                        level.add("available", units)
                        touched.append(level)
                line.removed += units
                refund_lines.append(
                    RefundLineSpec(
                        _spec(line),
                        units,
                        restock_type="cancel" if restock else "no_restock",
                        location_id=line.location_id if restock else None,
                    )
                )
            if refund_lines:
                self._refund_payload(target, order, refund_lines, note="Order canceled")
            order.cancelled_at = iso(utcnow())
            order.financial_status = "refunded" if order.financial_status == "paid" else "voided"
            payload = self._order_payload(
                target, order, cancelled_at=order.cancelled_at, cancel_reason=reason
            )
            events = [("orders/cancelled", payload), *_level_events(touched)]
        self.send_events(target, events, order=webhook_order)  # type: ignore[attr-defined]
        return payload

    def _refund_payload(self, shop: Shop, order: Order, lines, note: str) -> dict:
        refund = payloads_orders.refund(
            shop,
            self.ids.next(),
            order.legacy_id,
            lines,
            note=note,
            gateway=order.gateway,
            paid=order.financial_status == "paid",
        )
        order.refunds.append(refund)
        return refund

    def refund(
        self,
        shop: str | Shop,
        order_id: int | str,
        lines: list[dict[str, Any]],
        restock: bool = True,
        *,
        location_id: int | str | None = None,
        note: str = "",
        webhook_order: str = "emitted",
    ) -> dict:
        """Refund ``[{"line_item_id": id, "quantity": n}]`` and return the ``refunds/create`` payload.

        Unfulfilled units are refunded as restock_type "cancel", fulfilled ones as "return"
        (Shopify's rule), or "no_restock" with ``restock=False``. Restocked units go back to
        ``available`` at ``location_id`` (default: where they were committed).
        """
        _check_webhook_order(webhook_order)
        target = self._shop(shop)  # type: ignore[attr-defined]
        with self.lock:
            order = self._order(target, order_id)
            by_id = {line.id: line for line in order.lines}
            restock_at = None
            if location_id is not None:
                restock_at = self._location(target, location_id).legacy_id  # type: ignore[attr-defined]
            specs, touched = [], []
            for wanted in lines:
                line = by_id.get(int(wanted["line_item_id"]))
                if line is None:
                    raise KeyError(f"order {order.legacy_id} has no line {wanted['line_item_id']}")
                qty = int(wanted["quantity"])
                if not 0 < qty <= line.quantity - line.removed - line.returned:
                    raise ValueError(f"cannot refund {qty} of line {line.id}")
                specs += self._refund_units(target, line, qty, restock, restock_at, touched)
            refund = self._refund_payload(target, order, specs, note=note)
            events = [("refunds/create", refund), *_level_events(touched)]
        self.send_events(target, events, order=webhook_order)  # type: ignore[attr-defined]
        return refund

    def _refund_units(self, shop, line: OrderLine, qty, restock, restock_at, touched) -> list:
        specs = []
        unshipped = min(qty, line.open_quantity)
        shipped = qty - unshipped
        where = restock_at or line.location_id
        if unshipped:
            committed = self._line_level(shop, line)
            if committed is not None:
                committed.add("committed", -unshipped)
            line.removed += unshipped
            specs.append(self._restock(shop, line, unshipped, restock, "cancel", where, touched))
        if shipped:
            line.returned += shipped
            specs.append(self._restock(shop, line, shipped, restock, "return", where, touched))
        return specs

    def _restock(self, shop, line, units, restock, kind, where, touched) -> RefundLineSpec:
        if not restock:
            return RefundLineSpec(_spec(line), units, restock_type="no_restock")
        level = self._line_level(shop, line, where)
        if level is not None:
            level.add("available", units)
            touched.append(level)
        return RefundLineSpec(_spec(line), units, restock_type=kind, location_id=where)


def _spec(line: OrderLine) -> LineItemSpec:
    variant = line.variant
    return LineItemSpec(
        variant_id=variant.legacy_id if variant else None,
        product_id=variant.product_id if variant else None,
        sku=variant.sku if variant else "",
        quantity=line.quantity,
        price=line.price,
        title=line.title,
        variant_title=None if not variant or variant.title == "Default Title" else variant.title,
        id=line.id,
    )


def _level_events(levels: list[InventoryLevel]) -> list[tuple[str, dict]]:
    """One ``inventory_levels/update`` per level, with its final ``available``."""
    seen: dict[int, InventoryLevel] = {}
    for level in levels:
        seen[id(level)] = level
    return [level_event(level) for level in seen.values()]
