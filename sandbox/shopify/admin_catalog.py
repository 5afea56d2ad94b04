"""The store admin's side of the catalogue: locations, products, manual stock edits.

Mixed into ``ShopifySandbox``; these are what a merchant does in the Shopify admin, so tests and
benchmarks can set a store up without going through the app's API client. ``shop`` is a
``*.myshopify.com`` domain or a ``Shop``; ids may be gids or numeric legacy ids.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import payloads
from .catalog import (
    InventoryItem,
    InventoryLevel,
    Location,
    Product,
    Publication,
    Variant,
    legacy_of,
)
from .state import IdSequence, Shop, iso, utcnow

if TYPE_CHECKING:
    from .webhooks import Delivery

VARIANT_KEYS = {
    "sku",
    "barcode",
    "price",
    "available",
    "inventory_policy",
    "tracked",
    "title",
    "requires_components",
}
STATUSES = ("ACTIVE", "DRAFT", "ARCHIVED", "UNLISTED")


class CatalogAdmin:
    """``create_location`` / ``create_product`` / ``available`` / ``set_available``."""

    # Provided by ShopifySandbox, with ``send_events(shop, events, order=…)``.
    lock: threading.RLock
    ids: IdSequence
    shops: dict[str, Shop]

    def _shop(self, shop: str | Shop) -> Shop:
        return shop if isinstance(shop, Shop) else self.shops[shop.lower()]

    def default_location(self, shop: str | Shop) -> str:
        """The gid of the store's first location ("Shop location")."""
        return self._shop(shop).catalog.locations[0].gid

    def create_location(
        self, shop: str | Shop, name: str, *, fulfills_online_orders: bool = True
    ) -> str:
        """Add a location (as ``locationAdd`` would) and return its gid."""
        with self.lock:
            location = Location(
                self.ids.next(),
                name,
                self.ids.next(),
                fulfills_online_orders=fulfills_online_orders,
            )
            self._shop(shop).catalog.locations.append(location)
        return location.gid

    def _location(self, shop: Shop, location_id: int | str | None) -> Location:
        catalog = shop.catalog
        if location_id is None:
            return catalog.locations[0]
        location = catalog.location(legacy_of(location_id, "Location"))
        if location is None:
            raise KeyError(f"no location {location_id!r} in {shop.myshopify_domain}")
        return location

    def create_product(
        self,
        shop: str | Shop,
        title: str,
        variants: list[dict[str, Any]] | None = None,
        product_type: str = "",
        handle: str | None = None,
        status: str = "ACTIVE",
        *,
        vendor: str = "",
        tags: list[str] | tuple[str, ...] = (),
    ) -> dict:
        """Create a product and its variants, stocked as given; no webhook is sent.

        Each variant is ``{"sku", "barcode", "price", "available", "inventory_policy",
        "tracked", "title", "requires_components"}`` (all optional). ``available`` is an int
        for the default location or ``{location_id: qty}``; unlisted means 0 at the default
        location. Returns::

            {"id": "gid://shopify/Product/…", "legacy_id": 19…, "title": …, "handle": …,
             "status": "ACTIVE",
             "variants": [{"id": "gid://shopify/ProductVariant/…", "legacy_id": 19…,
                           "sku": …, "title": …,
                           "inventory_item_id": "gid://shopify/InventoryItem/…",
                           "inventory_item_legacy_id": 19…}]}
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        specs = variants or [{}]
        for spec in specs:
            unknown = set(spec) - VARIANT_KEYS
            if unknown:
                raise ValueError(f"unknown variant keys {sorted(unknown)}")
        with self.lock:
            target = self._shop(shop)
            catalog = target.catalog
            product = Product(
                legacy_id=self.ids.next(),
                title=title,
                handle=handle or catalog.unique_handle(title),
                status=status,
                product_type=product_type,
                vendor=vendor or target.name,
                tags=list(tags),
            )
            if status == "ACTIVE":  # new active products are published to the Online Store
                product.published_on.add(catalog.online_store().legacy_id)
            for position, spec in enumerate(specs, start=1):
                product.variants.append(self._variant(target, product, position, spec, len(specs)))
            catalog.products.append(product)
        return {
            "id": product.gid,
            "legacy_id": product.legacy_id,
            "title": product.title,
            "handle": product.handle,
            "status": product.status,
            "variants": [
                {
                    "id": v.gid,
                    "legacy_id": v.legacy_id,
                    "sku": v.sku,
                    "title": v.title,
                    "inventory_item_id": v.inventory_item.gid,
                    "inventory_item_legacy_id": v.inventory_item.legacy_id,
                }
                for v in product.variants
            ],
        }

    def _product(self, shop: Shop, product_id: int | str) -> Product:
        product = shop.catalog.product(legacy_of(product_id, "Product"))
        if product is None:
            raise KeyError(f"no product {product_id!r} in {shop.myshopify_domain}")
        return product

    def is_published(self, shop: str | Shop, product_id: int | str) -> bool:
        """Whether the product is on the Online Store (what the admin's sales-channel box shows)."""
        with self.lock:
            target = self._shop(shop)
            online_store = target.catalog.online_store().legacy_id
            return online_store in self._product(target, product_id).published_on

    def set_published(self, shop: str | Shop, product_id: int | str, published: bool) -> None:
        """Tick or untick the Online Store channel for a product, as a merchant does."""
        with self.lock:
            target = self._shop(shop)
            product = self._product(target, product_id)
            online_store = target.catalog.online_store().legacy_id
            if published:
                product.published_on.add(online_store)
            else:
                product.published_on.discard(online_store)
            product.updated_at = utcnow()

    def set_variant_policy(self, shop: str | Shop, variant_id: int | str, policy: str) -> None:
        """The merchant's "Continue selling when out of stock" box: ``CONTINUE`` or ``DENY``."""
        if policy not in ("DENY", "CONTINUE"):
            raise ValueError("policy must be DENY or CONTINUE")
        with self.lock:
            variant = self._shop(shop).catalog.variant(legacy_of(variant_id, "ProductVariant"))
            if variant is None:
                raise KeyError(f"no variant {variant_id!r}")
            variant.inventory_policy = policy
            variant.updated_at = utcnow()

    def variant_policy(self, shop: str | Shop, variant_id: int | str) -> str:
        with self.lock:
            variant = self._shop(shop).catalog.variant(legacy_of(variant_id, "ProductVariant"))
            if variant is None:
                raise KeyError(f"no variant {variant_id!r}")
            return variant.inventory_policy

    def delete_product(self, shop: str | Shop, product_id: int | str) -> None:
        """Delete a product and its variants in the admin (no webhook is sent)."""
        with self.lock:
            target = self._shop(shop)
            product = self._product(target, product_id)
            catalog = target.catalog
            for variant in product.variants:
                catalog.variants.pop(variant.legacy_id, None)
                catalog.items.pop(variant.inventory_item.legacy_id, None)
            catalog.products.remove(product)

    def set_primary_domain(self, shop: str | Shop, host: str | None) -> None:
        """Connect a custom domain as the online store's primary one (None: back to myshopify)."""
        with self.lock:
            self._shop(shop).custom_domain = host.lower() if host else None

    def add_sales_channel(self, shop: str | Shop, name: str, app_handle: str) -> str:
        """Install another sales channel app; returns its publication's gid (listed first)."""
        with self.lock:
            publication = Publication(
                self.ids.next(),
                name,
                app_handle=app_handle,
                app_id=self.ids.next(),
                catalog_id=self.ids.next(),
            )
            # Listed before the Online Store so a client can't rely on it coming first.
            self._shop(shop).catalog.publications.insert(0, publication)
        return publication.gid

    def _variant(self, shop: Shop, product: Product, position: int, spec: dict, n: int):
        policy = spec.get("inventory_policy", "DENY").upper()
        if policy not in ("DENY", "CONTINUE"):
            raise ValueError("inventory_policy must be DENY or CONTINUE")
        variant_id = self.ids.next()
        item = InventoryItem(
            legacy_id=self.ids.next(),
            variant_id=variant_id,
            tracked=spec.get("tracked", True),
            requires_components=spec.get("requires_components", False),
        )
        title = spec.get("title") or (
            "Default Title" if n == 1 else spec.get("sku") or f"#{position}"
        )
        variant = Variant(
            legacy_id=variant_id,
            product_id=product.legacy_id,
            title=title,
            sku=spec.get("sku"),
            barcode=spec.get("barcode"),
            price=str(spec.get("price", "0.00")),
            inventory_policy=policy,
            position=position,
            inventory_item=item,
        )
        available = spec.get("available", 0)
        if not isinstance(available, dict):
            available = {None: available}
        if not available:
            available = {None: 0}
        for location_id, qty in available.items():
            level = self._stock(shop, item, self._location(shop, location_id))
            if int(qty):
                level.add("available", int(qty))
        shop.catalog.items[item.legacy_id] = item
        shop.catalog.variants[variant.legacy_id] = variant
        return variant

    def _stock(self, shop: Shop, item: InventoryItem, location: Location) -> InventoryLevel:
        """The item's level at ``location``, activating it there if need be."""
        level = item.levels.get(location.legacy_id)
        if level is None:
            level = InventoryLevel(self.ids.next(), item.legacy_id, location)
            item.levels[location.legacy_id] = level
        level.is_active = True
        return level

    def _item(self, shop: Shop, inventory_item_id: int | str) -> InventoryItem:
        item = shop.catalog.item(legacy_of(inventory_item_id, "InventoryItem"))
        if item is None:
            raise KeyError(f"no inventory item {inventory_item_id!r} in {shop.myshopify_domain}")
        return item

    def quantities(
        self, shop: str | Shop, inventory_item_id: int | str, location_id: int | str | None = None
    ) -> dict[str, int]:
        """Every quantity of an item at a location: available, on_hand, committed, incoming…"""
        from .catalog import READABLE_NAMES

        with self.lock:
            target = self._shop(shop)
            location = self._location(target, location_id)
            level = self._item(target, inventory_item_id).levels.get(location.legacy_id)
            if level is None:
                raise KeyError(f"item {inventory_item_id!r} is not stocked at {location.name!r}")
            return {name: level.quantity(name) for name in READABLE_NAMES}

    def available(
        self, shop: str | Shop, inventory_item_id: int | str, location_id: int | str | None = None
    ) -> int:
        return self.quantities(shop, inventory_item_id, location_id)["available"]

    def set_available(
        self,
        shop: str | Shop,
        inventory_item_id: int | str,
        location_id: int | str | None,
        qty: int,
    ) -> list[Delivery]:
        """A store admin's manual edit of ``available``; sends ``inventory_levels/update``.

        Stocks the item at the location first if it was not (as the admin's "stock at this
        location" does). A no-op edit sends nothing.
        """
        with self.lock:
            target = self._shop(shop)
            level = self._stock(
                target, self._item(target, inventory_item_id), self._location(target, location_id)
            )
            delta = int(qty) - level.quantity("available")
            if delta == 0:
                return []
            level.add("available", delta)
            event = level_event(level)
        return self.send_events(target, [event])  # type: ignore[attr-defined]


def level_event(level: InventoryLevel) -> tuple[str, dict]:
    """``inventory_levels/update`` for ``level`` as it is now."""
    return (
        "inventory_levels/update",
        payloads.inventory_levels_update(
            level.item_id,
            level.location.legacy_id,
            level.quantity("available"),
            iso(level.updated_at),
            level_group_id=level.location.level_group_id,
        ),
    )
