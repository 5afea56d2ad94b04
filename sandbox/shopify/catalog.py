"""What one store sells and holds: locations, products, variants, inventory, orders.

Plain dataclasses kept on ``Shop.catalog`` and mutated only under ``ShopifySandbox.lock``.
Ids are the numeric legacy ids real stores use; ``gid`` properties give the GraphQL form.

Inventory follows Shopify's states (https://shopify.dev/docs/apps/build/orders-fulfillment/
inventory-management-apps#inventory-states): ``on_hand`` is not stored but derived as
``available + committed + unavailable`` (``unavailable`` = damaged + quality_control + reserved
+ safety_stock), so a placed order (available -n, committed +n) leaves ``on_hand`` unchanged
until fulfilment, as on Shopify. ``incoming`` is outside ``on_hand``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .state import gid, utcnow

# The Online Store sales channel's app handle (``appByHandle(handle: "online_store")`` in older
# API versions; the app's ``handle`` in ``AppCatalog.apps`` today).
ONLINE_STORE = "online_store"
UNAVAILABLE_NAMES = ("damaged", "quality_control", "reserved", "safety_stock")
STORED_NAMES = ("available", "committed", "incoming", *UNAVAILABLE_NAMES)
READABLE_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    *UNAVAILABLE_NAMES,
    "unavailable",
)


@dataclass
class Location:
    legacy_id: int
    name: str
    level_group_id: int  # InventoryLevel gids use a per-location id, not the location's own
    is_active: bool = True
    fulfills_online_orders: bool = True
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def gid(self) -> str:
        return gid("Location", self.legacy_id)


@dataclass
class InventoryLevel:
    legacy_id: int  # the id Shopify puts in InventoryLevel cursors
    item_id: int
    location: Location
    quantities: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STORED_NAMES, 0))
    updated: dict[str, dt.datetime] = field(default_factory=dict)
    is_active: bool = True
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def gid(self) -> str:
        return (
            f"gid://shopify/InventoryLevel/{self.location.level_group_id}"
            f"?inventory_item_id={self.item_id}"
        )

    def quantity(self, name: str) -> int:
        if name == "unavailable":
            return sum(self.quantities[n] for n in UNAVAILABLE_NAMES)
        if name == "on_hand":
            return (
                self.quantities["available"]
                + self.quantities["committed"]
                + self.quantity("unavailable")
            )
        return self.quantities[name]

    def add(self, name: str, delta: int) -> None:
        """Move one stored quantity; ``on_hand`` follows by construction."""
        self.quantities[name] += delta
        now = utcnow()
        self.updated[name] = now
        if name != "incoming":
            self.updated["on_hand"] = now

    @property
    def updated_at(self) -> dt.datetime:
        return max(self.updated.values(), default=self.created_at)


@dataclass
class InventoryItem:
    legacy_id: int
    variant_id: int
    tracked: bool = True
    requires_shipping: bool = True
    requires_components: bool = False
    levels: dict[int, InventoryLevel] = field(default_factory=dict)  # by location legacy id
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def gid(self) -> str:
        return gid("InventoryItem", self.legacy_id)


@dataclass
class Variant:
    legacy_id: int
    product_id: int
    title: str
    sku: str | None
    barcode: str | None
    price: str
    inventory_policy: str  # "DENY" | "CONTINUE"
    position: int
    inventory_item: InventoryItem
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def gid(self) -> str:
        return gid("ProductVariant", self.legacy_id)

    def inventory_quantity(self) -> int:
        """Shopify's ``inventoryQuantity``: available summed over active locations."""
        return sum(
            lv.quantity("available") for lv in self.inventory_item.levels.values() if lv.is_active
        )


@dataclass
class Product:
    legacy_id: int
    title: str
    handle: str
    status: str  # ProductStatus: ACTIVE | DRAFT | ARCHIVED | UNLISTED
    product_type: str = ""
    vendor: str = ""
    tags: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    published_on: set[int] = field(default_factory=set)  # Publication legacy ids
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def gid(self) -> str:
        return gid("Product", self.legacy_id)


@dataclass
class Publication:
    """A sales channel's publication; its app (``app_handle``) says which channel it is."""

    legacy_id: int
    name: str  # Publication.name (deprecated) and its AppCatalog's title
    auto_publish: bool = True
    app_handle: str = ""
    app_id: int = 0
    catalog_id: int = 0

    @property
    def gid(self) -> str:
        return gid("Publication", self.legacy_id)


@dataclass
class OrderLine:
    """One order line and what has happened to its units since."""

    id: int
    variant: Variant | None
    quantity: int
    price: str
    title: str
    location_id: int  # where its stock was committed
    fulfilled: int = 0
    removed: int = 0  # cancelled or refunded before fulfilment: no longer to ship
    returned: int = 0  # refunded after fulfilment

    @property
    def open_quantity(self) -> int:
        """Units still to ship: stock committed at ``location_id``."""
        return self.quantity - self.fulfilled - self.removed


@dataclass
class Order:
    legacy_id: int
    number: int
    lines: list[OrderLine]
    financial_status: str
    gateway: str
    created_at: str
    location_id: int
    email: str = "jon@example.com"
    cancelled_at: str | None = None
    refunds: list[dict] = field(default_factory=list)  # refunds/create payloads, oldest first

    @property
    def gid(self) -> str:
        return gid("Order", self.legacy_id)


@dataclass
class IdempotentResult:
    """What a keyed mutation answered the first time, replayed for the same key."""

    mutation: str
    fingerprint: Any
    payload: dict


@dataclass
class Catalog:
    """Everything one shop sells and stocks."""

    locations: list[Location] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    items: dict[int, InventoryItem] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    publications: list[Publication] = field(default_factory=list)
    idempotent: dict[str, IdempotentResult] = field(default_factory=dict)
    adjustment_groups: int = 0

    def online_store(self) -> Publication:
        """The Online Store channel's publication (every shop has one)."""
        return next(p for p in self.publications if p.app_handle == ONLINE_STORE)

    def location(self, legacy_id: int | str | None) -> Location | None:
        return next((loc for loc in self.locations if str(loc.legacy_id) == str(legacy_id)), None)

    def product(self, legacy_id: int | str) -> Product | None:
        return next((p for p in self.products if str(p.legacy_id) == str(legacy_id)), None)

    def variant(self, legacy_id: int | str) -> Variant | None:
        return self.variants.get(_int(legacy_id))

    def item(self, legacy_id: int | str) -> InventoryItem | None:
        return self.items.get(_int(legacy_id))

    def variant_by_sku(self, sku: str) -> Variant | None:
        return next((v for v in self.variants.values() if v.sku == sku), None)

    def product_of(self, variant: Variant) -> Product:
        product = self.product(variant.product_id)
        assert product is not None
        return product

    def unique_handle(self, title: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
        taken = {p.handle for p in self.products}
        handle, n = base, 1
        while handle in taken:
            handle, n = f"{base}-{n}", n + 1
        return handle


def _int(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def legacy_of(value: int | str, resource: str) -> int:
    """``gid://shopify/{resource}/12`` or ``12`` → 12 (the test API accepts both)."""
    if isinstance(value, int):
        return value
    prefix = f"gid://shopify/{resource}/"
    if value.startswith(prefix):
        return int(value[len(prefix) :].split("?", 1)[0])
    if value.isdigit():
        return int(value)
    raise ValueError(f"{value!r} is not a {resource} id")
