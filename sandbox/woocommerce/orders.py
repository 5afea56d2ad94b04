"""Orders and WooCommerce's stock rules (``wc-stock-functions.php``, ``WC_Order::status_transition``).

- processing / completed / on-hold reduce stock once per order (line meta ``_reduced_stock``)
  and record ``total_sales``;
- cancelled / pending restore what was reduced (refunded and failed do not: WooCommerce only
  restores on those two statuses);
- cancelled takes the recorded sales back.
Stock notes are added before the "Order status changed" note, as the captures show.
"""

from __future__ import annotations

import secrets
import string
from decimal import Decimal

from .models import (
    BILLING_KEYS,
    ORDER_STATUS_LABELS,
    SHIPPING_KEYS,
    ItemMeta,
    LineItem,
    Order,
    OrderNote,
    Product,
    WCError,
)
from .serialize import sanitize_title
from .store import Store, as_bool, stock_amount

REDUCE_ON = ("processing", "completed", "on-hold")
RESTORE_ON = ("cancelled", "pending")
PAID_STATUSES = ("processing", "completed")
# Internal item meta rows (_product_id, _variation_id, _qty, _tax_class, _line_subtotal,
# _line_subtotal_tax, _line_total, _line_tax, _line_tax_data) precede any visible meta.
INTERNAL_ITEM_META = 9


def _order_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "wc_order_" + "".join(secrets.choice(alphabet) for _ in range(13))


def formatted_name(store: Store, p: Product) -> str:
    """``get_formatted_name``: "Name (SKU)"; variations add an attribute description span."""
    identifier = p.sku or f"#{p.id}"
    name = f"{p.name} ({identifier})"
    if p.is_variation:
        # wc_get_formatted_variation(skip_attributes_in_name=true) drops values already in the name.
        extra = ", ".join(
            f"{a['name']}: {a['option']}"
            for a in p.attributes
            if not _attribute_in_name(a["option"], p.name)
        )
        name += f'<span class="description">{extra}</span>'
    return name


def _attribute_in_name(value: str, name: str) -> bool:
    """``wc_is_attribute_in_product_name``."""
    lowered, value = name.lower(), value.lower()
    return f" {value}," in lowered or lowered.endswith(f" {value}")


class Orders:
    """Order lifecycle over a :class:`Store`; every public method expects ``store.tx()`` held."""

    def __init__(self, store: Store):
        self.store = store

    # ------------------------------------------------------------------ notes

    def add_note(self, order: Order, text: str, customer_note: bool = False) -> OrderNote:
        note = OrderNote(
            id=self.store.new_comment_id(),
            date_created=self.store.now(),
            note=text,
            customer_note=customer_note,
        )
        order.notes.append(note)
        return note

    # ------------------------------------------------------------------ create / update

    def create(self, data: dict, created_via: str = "rest-api") -> Order:
        """``POST /orders``: create pending, then move to the requested status and save again."""
        s = self.store
        now = s.now()
        order = Order(id=0, order_key=_order_key(), date_created=now, date_modified=now)
        order.created_via = created_via
        order.billing = dict.fromkeys(BILLING_KEYS, "")
        order.shipping = dict.fromkeys(SHIPPING_KEYS, "")
        self._apply(order, data)  # raises before anything is stored, like WC_REST_Exception
        order.id = s.new_post_id()
        s.orders[order.id] = order
        s.emit("order.created", order.id)  # woocommerce_new_order, from calculate_totals()->save()
        touched: list[int] = []
        status = str(data.get("status") or "pending")
        if status != "pending":
            touched += self._transition(order, status)
        if as_bool(data.get("set_paid", False)):
            touched += self.payment_complete(order, str(data.get("transaction_id") or ""))
        order.date_modified = s.now()
        s.emit("order.updated", order.id)  # the second save fires woocommerce_update_order
        for product_id in touched:
            s.emit("product.updated", product_id)
        return order

    def update(self, order: Order, data: dict) -> Order:
        """``PUT /orders/<id>``: props, then status (with its stock rules), then save."""
        self._apply(order, data)
        touched: list[int] = []
        if data.get("status"):
            touched += self._transition(order, str(data["status"]))
        if as_bool(data.get("set_paid", False)) and self.needs_payment(order):
            touched += self.payment_complete(order, str(data.get("transaction_id") or ""))
        self.save(order, touched)
        return order

    def set_status(self, order: Order, status: str) -> Order:
        """An admin changing the status in wp-admin."""
        self.save(order, self._transition(order, status))
        return order

    def save(self, order: Order, touched: list[int]) -> None:
        s = self.store
        order.date_modified = s.now()
        s.emit("order.updated", order.id)
        for product_id in touched:
            s.emit("product.updated", product_id)

    def trash(self, order: Order) -> None:
        if order.status == "trash":
            raise WCError(
                "woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410
            )
        order.trashed_from, order.status = order.status, "trash"
        order.date_modified = self.store.now()
        self.store.emit("order.deleted", order.id)

    def delete(self, order: Order) -> None:
        del self.store.orders[order.id]

    def needs_payment(self, order: Order) -> bool:
        return order.status in ("pending", "failed") and order.total > 0

    def payment_complete(self, order: Order, transaction_id: str = "") -> list[int]:
        if transaction_id:
            order.transaction_id = transaction_id
        if order.date_paid is None:
            order.date_paid = self.store.now()
        if order.status in ("pending", "failed", "on-hold", "cancelled"):
            return self._transition(order, "processing")
        return []

    # ------------------------------------------------------------------ internals

    def _apply(self, order: Order, data: dict) -> None:
        for key in ("payment_method", "payment_method_title", "transaction_id", "customer_note"):
            if data.get(key) is not None:
                setattr(order, key, str(data[key]))
        if data.get("customer_id") is not None:
            order.customer_id = int(data["customer_id"])
        if data.get("currency"):
            order.currency = str(data["currency"])
        for group, keys in (("billing", BILLING_KEYS), ("shipping", SHIPPING_KEYS)):
            if isinstance(data.get(group), dict):
                target = getattr(order, group)
                for k in keys:
                    if data[group].get(k) is not None:
                        target[k] = str(data[group][k])
        for raw in data.get("line_items") or []:
            if isinstance(raw, dict):
                order.line_items.append(self._line_item(raw))

    def _line_item(self, raw: dict) -> LineItem:
        s = self.store
        product_id = int(raw.get("product_id") or 0)
        variation_id = int(raw.get("variation_id") or 0)
        if not product_id and not variation_id:
            if not raw.get("sku"):
                raise WCError(
                    "woocommerce_rest_required_product_reference",
                    "Product ID or SKU is required.",
                    400,
                )
            owner = s.sku_owner(str(raw["sku"]))
            product_id = owner or 0
        product = s.products.get(variation_id or product_id)
        if product is None:
            raise WCError(
                "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.", 400
            )
        parent = s.parent_of(product) if product.is_variation else None
        qty = stock_amount(raw.get("quantity", 1))
        price = Decimal(product.price or "0")
        subtotal = Decimal(str(raw["subtotal"])) if raw.get("subtotal") else price * qty
        total = Decimal(str(raw["total"])) if raw.get("total") else subtotal
        item = LineItem(
            id=s.new_order_item_id(),
            product_id=parent.id if parent else product.id,
            variation_id=product.id if parent else 0,
            name=product.name,
            quantity=qty,
            sku=product.sku,
            subtotal=subtotal,
            total=total,
            parent_name=parent.name if parent else None,
        )
        s.new_item_meta_id(INTERNAL_ITEM_META)
        for attr in product.attributes if parent else []:
            item.meta.append(
                ItemMeta(
                    id=s.new_item_meta_id(),
                    key=sanitize_title(attr["name"]),
                    value=attr["option"],
                    display_key=attr["name"],
                    display_value=attr["option"],
                )
            )
        return item

    def _transition(self, order: Order, new: str) -> list[int]:
        """Set the status and run the status hooks; returns ids of products whose stock moved."""
        if new not in ORDER_STATUS_LABELS:
            raise WCError("woocommerce_rest_invalid_order_status", "Invalid order status.", 400)
        old = order.status
        if new == old:
            return []
        order.status = new
        now = self.store.now()
        if new in PAID_STATUSES and order.date_paid is None:
            order.date_paid = now
        if new == "completed" and order.date_completed is None:
            order.date_completed = now
        touched: list[int] = []
        if new in REDUCE_ON and not order.stock_reduced:
            touched += self._reduce_stock(order)
            order.stock_reduced = True
        if new in RESTORE_ON and order.stock_reduced:
            touched += self._restore_stock(order)
            order.stock_reduced = False
        if new in REDUCE_ON + ("cancelled",):
            self._update_total_sales(order)
        self.add_note(
            order,
            f"Order status changed from {ORDER_STATUS_LABELS[old]} to {ORDER_STATUS_LABELS[new]}.",
        )
        return touched

    def _stock_product(self, item: LineItem) -> Product | None:
        p = self.store.products.get(item.variation_id or item.product_id)
        return p if p is not None and p.manage_stock else None

    def _reduce_stock(self, order: Order) -> list[int]:
        s = self.store
        changes, touched = [], []
        for item in order.line_items:
            product = self._stock_product(item)
            if product is None or item.meta_value("_reduced_stock"):
                continue
            before = stock_amount(product.stock_quantity)
            s.change_stock(product, before - item.quantity)
            qty = str(item.quantity)
            item.meta.append(
                ItemMeta(s.new_item_meta_id(), "_reduced_stock", qty, "_reduced_stock", qty)
            )
            changes.append(f"{formatted_name(s, product)} {before}&rarr;{product.stock_quantity}")
            touched.append(product.id)
        if changes:
            self.add_note(order, "Stock levels reduced: " + ", ".join(changes))
        return touched

    def _restore_stock(self, order: Order) -> list[int]:
        s = self.store
        changes, touched = [], []
        for item in order.line_items:
            product = self._stock_product(item)
            reduced = item.meta_value("_reduced_stock")
            if product is None or not reduced:
                continue
            before = stock_amount(product.stock_quantity)
            s.change_stock(product, before + stock_amount(reduced))
            item.meta = [m for m in item.meta if m.key != "_reduced_stock"]
            changes.append(f"{formatted_name(s, product)} {before}&rarr;{product.stock_quantity}")
            touched.append(product.id)
        if changes:
            self.add_note(order, "Stock levels increased: " + ", ".join(changes))
        return touched

    def _update_total_sales(self, order: Order) -> None:
        """``wc_update_total_sales_counts``: once up when paid-ish, back down when cancelled."""
        reflected = order.status in ("cancelled", "trash")
        if order.recorded_sales == reflected:
            sign = -1 if reflected else 1
            for item in order.line_items:
                product = self.store.products.get(item.product_id)
                if product is not None:
                    product.total_sales = max(0, product.total_sales + sign * item.quantity)
            order.recorded_sales = not reflected
