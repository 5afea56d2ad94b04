"""GraphQL objects for the catalog: Location, Product, ProductVariant, InventoryItem/Level.

Each builder returns a dict keyed by GraphQL field names (see ``registry.py``); fields that take
arguments or point at other objects are callables, so nested objects are built only when asked
for. Shapes follow ``captures/2026-04/products`` (inventory-quantity contracts, item-level
windowing, publication contract). Fields not listed fail loudly as SANDBOX_UNIMPLEMENTED.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .catalog import (
    READABLE_NAMES,
    Catalog,
    InventoryItem,
    InventoryLevel,
    Location,
    Product,
    Variant,
)
from .registry import SandboxUnimplemented, paginate
from .search import search
from .state import iso, parse_gid


def count(n: int) -> dict:
    return {"count": n, "precision": "EXACT"}


def by_id_value(legacy_id: int) -> str:
    """Sort value in ID-sorted cursors: ``{"last_id":1,"last_value":"1"}`` as captured."""
    return str(legacy_id)


def connection(items: list, node: Callable[[Any], dict], args: dict, key=None, value=None) -> dict:
    """A connection over ``items`` (already filtered and sorted), honouring ``reverse``."""
    if args.get("reverse"):
        items = list(reversed(items))
    key = key or (lambda item: item.legacy_id)
    value = value or (lambda item: by_id_value(key(item)))
    return paginate(
        items,
        key=key,
        sort_value=value,
        node=node,
        first=args.get("first"),
        after=args.get("after"),
        last=args.get("last"),
        before=args.get("before"),
    )


def legacy_id_of(global_id: str | None, resource: str) -> str | None:
    parsed = parse_gid(global_id or "")
    return parsed[1] if parsed and parsed[0] == resource else None


# --------------------------------------------------------------------------- locations


def location_object(loc: Location, catalog: Catalog) -> dict:
    primary = catalog.locations[0] is loc
    return {
        "__typename": "Location",
        "id": loc.gid,
        "legacyResourceId": str(loc.legacy_id),
        "name": loc.name,
        "isActive": loc.is_active,
        "isPrimary": primary,
        "isFulfillmentService": False,
        "fulfillsOnlineOrders": loc.fulfills_online_orders,
        "shipsInventory": True,
        "hasActiveInventory": lambda info: any(
            i.levels[loc.legacy_id].is_active
            for i in catalog.items.values()
            if loc.legacy_id in i.levels
        ),
        "deactivatedAt": None if loc.is_active else iso(loc.created_at),
        "createdAt": iso(loc.created_at),
        "updatedAt": iso(loc.created_at),
        "inventoryLevel": lambda info, inventoryItemId, includeInactive=False: _level_at(
            catalog, legacy_id_of(inventoryItemId, "InventoryItem"), loc.legacy_id, includeInactive
        ),
        "inventoryLevels": lambda info, **args: levels_connection(
            catalog,
            [i.levels[loc.legacy_id] for i in catalog.items.values() if loc.legacy_id in i.levels],
            args,
        ),
    }


def _level_at(catalog, item_id, location_id, include_inactive) -> dict | None:
    item = catalog.item(item_id) if item_id else None
    level = item.levels.get(int(location_id)) if item and location_id else None
    if level is None or not (level.is_active or include_inactive):
        return None
    return level_object(level, catalog)


# --------------------------------------------------------------------------- inventory


def quantities(level: InventoryLevel, names: list[str]) -> list[dict]:
    out = []
    for name in names:
        if name not in READABLE_NAMES:
            raise SandboxUnimplemented(f"InventoryLevel.quantities(names:) name {name!r}")
        stamp = level.updated.get(name)
        out.append(
            {
                "name": name,
                "quantity": level.quantity(name),
                "updatedAt": iso(stamp) if stamp else None,
            }
        )
    return out


def level_object(level: InventoryLevel, catalog: Catalog) -> dict:
    return {
        "__typename": "InventoryLevel",
        "id": level.gid,
        "isActive": level.is_active,
        "canDeactivate": level.is_active and len(catalog.item(level.item_id).levels) > 1,
        "deactivationAlert": None,
        "createdAt": iso(level.created_at),
        "updatedAt": iso(level.updated_at),
        "item": lambda info: item_object(catalog.item(level.item_id), catalog),
        "location": lambda info: location_object(level.location, catalog),
        "quantities": lambda info, names: quantities(level, names),
    }


def levels_connection(catalog: Catalog, levels: list[InventoryLevel], args: dict) -> dict:
    if not args.get("includeInactive"):
        levels = [lv for lv in levels if lv.is_active]
    levels = search(
        levels,
        args.get("query"),
        {
            "inventory_item_id": lambda lv: str(lv.item_id),
            "location_id": lambda lv: str(lv.location.legacy_id),
        },
        free_text="inventory_item_id",
    )
    return connection(
        sorted(levels, key=lambda lv: lv.legacy_id), lambda lv: level_object(lv, catalog), args
    )


def item_object(item: InventoryItem, catalog: Catalog) -> dict:
    variant = catalog.variant(item.variant_id)
    levels = list(item.levels.values())
    return {
        "__typename": "InventoryItem",
        "id": item.gid,
        "legacyResourceId": str(item.legacy_id),
        "sku": variant.sku,
        "tracked": item.tracked,
        "requiresShipping": item.requires_shipping,
        # Lazy: counting means a walk over the whole catalog, only done when asked for.
        "duplicateSkuCount": lambda info: sum(
            1
            for v in catalog.variants.values()
            if v.sku and v.sku == variant.sku and v is not variant
        ),
        "createdAt": iso(item.created_at),
        "updatedAt": iso(max([item.created_at, *(lv.updated_at for lv in levels)])),
        "locationsCount": count(sum(1 for lv in levels if lv.is_active)),
        "variant": lambda info: variant_object(variant, catalog),
        "inventoryLevel": lambda info, locationId, includeInactive=False: _level_at(
            catalog, str(item.legacy_id), legacy_id_of(locationId, "Location"), includeInactive
        ),
        "inventoryLevels": lambda info, **args: levels_connection(catalog, levels, args),
    }


# --------------------------------------------------------------------------- products


def variant_object(variant: Variant, catalog: Catalog) -> dict:
    product = catalog.product_of(variant)
    item = variant.inventory_item
    quantity = variant.inventory_quantity()
    online = sum(
        lv.quantity("available")
        for lv in item.levels.values()
        if lv.is_active and lv.location.fulfills_online_orders
    )
    sellable = not item.tracked or variant.inventory_policy == "CONTINUE" or quantity > 0
    return {
        "__typename": "ProductVariant",
        "id": variant.gid,
        "legacyResourceId": str(variant.legacy_id),
        "title": variant.title,
        "displayName": f"{product.title} - {variant.title}",
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": variant.price,
        "compareAtPrice": None,
        "position": variant.position,
        "taxable": True,
        "inventoryPolicy": variant.inventory_policy,
        "inventoryQuantity": quantity,
        "sellableOnlineQuantity": max(online, 0),
        "availableForSale": product.status == "ACTIVE" and sellable,
        "requiresComponents": item.requires_components,
        "selectedOptions": [{"name": "Title", "value": variant.title}],
        "createdAt": iso(variant.created_at),
        "updatedAt": iso(variant.updated_at),
        "inventoryItem": lambda info: item_object(item, catalog),
        "product": lambda info: product_object(product, catalog),
    }


VARIANT_FIELDS = {
    "sku": lambda v: v.sku,
    "barcode": lambda v: v.barcode,
    "id": lambda v: str(v.legacy_id),
    "product_id": lambda v: str(v.product_id),
    "title": lambda v: [v.title, *v.title.split()],
}


def variants_connection(catalog: Catalog, variants: list[Variant], args: dict) -> dict:
    variants = search(variants, args.get("query"), VARIANT_FIELDS, free_text="title")
    sort_key = args.get("sortKey") or "ID"
    if sort_key == "ID":
        variants = sorted(variants, key=lambda v: v.legacy_id)
    elif sort_key == "SKU":
        variants = sorted(variants, key=lambda v: (v.sku or "", v.legacy_id))
    elif sort_key != "POSITION":
        raise SandboxUnimplemented(f"productVariants(sortKey: {sort_key})")
    return connection(variants, lambda v: variant_object(v, catalog), args)


def product_object(product: Product, catalog: Catalog) -> dict:
    tracked = [v for v in product.variants if v.inventory_item.tracked]
    published = bool(product.published_on)
    return {
        "__typename": "Product",
        "id": product.gid,
        "legacyResourceId": str(product.legacy_id),
        "title": product.title,
        "handle": product.handle,
        "status": product.status,
        "productType": product.product_type,
        "vendor": product.vendor,
        "tags": list(product.tags),
        "descriptionHtml": "",
        "isGiftCard": False,
        "createdAt": iso(product.created_at),
        "updatedAt": iso(product.updated_at),
        "publishedAt": iso(product.created_at) if published else None,
        "tracksInventory": bool(tracked),
        "totalInventory": sum(v.inventory_quantity() for v in tracked),
        "hasOnlyDefaultVariant": [v.title for v in product.variants] == ["Default Title"],
        "hasOutOfStockVariants": any(v.inventory_quantity() <= 0 for v in tracked),
        "hasVariantsThatRequiresComponents": any(
            v.inventory_item.requires_components for v in product.variants
        ),
        "variantsCount": count(len(product.variants)),
        "variants": lambda info, **args: variants_connection(
            catalog, list(product.variants), {"sortKey": "POSITION", **args}
        ),
        "publishedOnPublication": lambda info, publicationId: (
            legacy_id_of(publicationId, "Publication") in {str(p) for p in product.published_on}
        ),
        "publishedOnCurrentPublication": published,
    }


PRODUCT_FIELDS = {
    "title": lambda p: [p.title, *p.title.split()],
    "handle": lambda p: p.handle,
    "status": lambda p: p.status,
    "product_type": lambda p: p.product_type,
    "vendor": lambda p: p.vendor,
    "tag": lambda p: p.tags,
    "id": lambda p: str(p.legacy_id),
    "sku": lambda p: [v.sku for v in p.variants],
    "barcode": lambda p: [v.barcode for v in p.variants],
}


def products_connection(catalog: Catalog, args: dict) -> dict:
    products = search(list(catalog.products), args.get("query"), PRODUCT_FIELDS, "title")
    sort_key = args.get("sortKey") or "ID"
    sorters = {
        "ID": lambda p: p.legacy_id,
        "TITLE": lambda p: (p.title.lower(), p.legacy_id),
        "CREATED_AT": lambda p: (p.created_at, p.legacy_id),
        "UPDATED_AT": lambda p: (p.updated_at, p.legacy_id),
    }
    if sort_key not in sorters:
        raise SandboxUnimplemented(f"products(sortKey: {sort_key})")
    products.sort(key=sorters[sort_key])
    return connection(products, lambda p: product_object(p, catalog), args)
