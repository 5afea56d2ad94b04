"""QueryRoot reads of the catalog: locations, products, variants, inventory items and levels.

Connections page like the Admin API (``first``/``after``/``last``/``before``, at most 250, base64
JSON cursors) and are priced by ``cost.py``. Lookups by a well-formed gid that matches nothing
answer ``null``, as Shopify does.
"""

from __future__ import annotations

from .objects import (
    PRODUCT_FIELDS,
    VARIANT_FIELDS,
    by_id_value,
    connection,
    count,
    item_object,
    legacy_id_of,
    level_object,
    location_object,
    product_object,
    products_connection,
    variant_object,
    variants_connection,
)
from .registry import REGISTRY, RequestContext, SandboxUnimplemented
from .search import search


@REGISTRY.query("locations")
def resolve_locations(ctx: RequestContext, info, **args) -> dict:
    catalog = ctx.shop.catalog
    locations = list(catalog.locations)
    if not args.get("includeInactive"):
        locations = [loc for loc in locations if loc.is_active]
    locations = search(
        locations,
        args.get("query"),
        {"name": lambda loc: [loc.name, *loc.name.split()], "id": lambda loc: str(loc.legacy_id)},
        free_text="name",
    )
    sort_key = args.get("sortKey") or "NAME"
    if sort_key == "NAME":
        locations.sort(key=lambda loc: (loc.name.lower(), loc.legacy_id))
        value = lambda loc: loc.name  # noqa: E731 - cursor sort value
    elif sort_key == "ID":
        locations.sort(key=lambda loc: loc.legacy_id)
        value = lambda loc: by_id_value(loc.legacy_id)  # noqa: E731
    else:
        raise SandboxUnimplemented(f"locations(sortKey: {sort_key})")
    return connection(locations, lambda loc: location_object(loc, catalog), args, value=value)


@REGISTRY.query("location")
def resolve_location(ctx: RequestContext, info, id: str | None = None) -> dict | None:
    catalog = ctx.shop.catalog
    if id is None:  # no id: the shop's primary location
        return location_object(catalog.locations[0], catalog)
    return find_location(ctx, legacy_id_of(id, "Location"))


@REGISTRY.query("locationsCount")
def resolve_locations_count(ctx: RequestContext, info, query=None, limit=None) -> dict:
    if query:
        raise SandboxUnimplemented("locationsCount(query:)")
    return count(sum(1 for loc in ctx.shop.catalog.locations if loc.is_active))


@REGISTRY.query("products")
def resolve_products(ctx: RequestContext, info, **args) -> dict:
    if args.get("savedSearchId"):
        raise SandboxUnimplemented("products(savedSearchId:)")
    return products_connection(ctx.shop.catalog, args)


def _count(records: list, limit: int | None) -> dict:
    if limit is not None and len(records) > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return count(len(records))


@REGISTRY.query("productsCount")
def resolve_products_count(ctx: RequestContext, info, query=None, savedSearchId=None, limit=None):
    if savedSearchId:
        raise SandboxUnimplemented("productsCount(savedSearchId:)")
    products = search(list(ctx.shop.catalog.products), query, PRODUCT_FIELDS, "title")
    return _count(products, limit)


@REGISTRY.query("productVariantsCount")
def resolve_product_variants_count(ctx: RequestContext, info, query=None, limit=None) -> dict:
    variants = search(list(ctx.shop.catalog.variants.values()), query, VARIANT_FIELDS, "title")
    return _count(variants, limit)


@REGISTRY.query("product")
def resolve_product(ctx: RequestContext, info, id: str) -> dict | None:
    return find_product(ctx, legacy_id_of(id, "Product"))


@REGISTRY.query("productVariants")
def resolve_product_variants(ctx: RequestContext, info, **args) -> dict:
    if args.get("savedSearchId"):
        raise SandboxUnimplemented("productVariants(savedSearchId:)")
    catalog = ctx.shop.catalog
    return variants_connection(catalog, list(catalog.variants.values()), args)


@REGISTRY.query("productVariant")
def resolve_product_variant(ctx: RequestContext, info, id: str) -> dict | None:
    return find_variant(ctx, legacy_id_of(id, "ProductVariant"))


@REGISTRY.query("inventoryItem")
def resolve_inventory_item(ctx: RequestContext, info, id: str) -> dict | None:
    return find_inventory_item(ctx, legacy_id_of(id, "InventoryItem"))


@REGISTRY.query("inventoryItems")
def resolve_inventory_items(ctx: RequestContext, info, **args) -> dict:
    catalog = ctx.shop.catalog
    items = sorted(catalog.items.values(), key=lambda i: i.legacy_id)
    items = search(
        items,
        args.get("query"),
        {
            "sku": lambda i: catalog.variant(i.variant_id).sku,
            "id": lambda i: str(i.legacy_id),
        },
        free_text="sku",
    )
    return connection(items, lambda i: item_object(i, catalog), args)


@REGISTRY.query("inventoryLevel")
def resolve_inventory_level(ctx: RequestContext, info, id: str) -> dict | None:
    return find_inventory_level(ctx, id.removeprefix("gid://shopify/InventoryLevel/"))


# --------------------------------------------------------------------------- node(id:)


def _none_unless(found, build):
    return build(found) if found is not None else None


@REGISTRY.node("Location")
def find_location(ctx: RequestContext, legacy_id: str | None) -> dict | None:
    catalog = ctx.shop.catalog
    return _none_unless(catalog.location(legacy_id), lambda loc: location_object(loc, catalog))


@REGISTRY.node("Product")
def find_product(ctx: RequestContext, legacy_id: str | None) -> dict | None:
    catalog = ctx.shop.catalog
    product = catalog.product(legacy_id) if legacy_id else None
    return _none_unless(product, lambda p: product_object(p, catalog))


@REGISTRY.node("ProductVariant")
def find_variant(ctx: RequestContext, legacy_id: str | None) -> dict | None:
    catalog = ctx.shop.catalog
    variant = catalog.variant(legacy_id) if legacy_id else None
    return _none_unless(variant, lambda v: variant_object(v, catalog))


@REGISTRY.node("InventoryItem")
def find_inventory_item(ctx: RequestContext, legacy_id: str | None) -> dict | None:
    catalog = ctx.shop.catalog
    item = catalog.item(legacy_id) if legacy_id else None
    return _none_unless(item, lambda i: item_object(i, catalog))


@REGISTRY.node("InventoryLevel")
def find_inventory_level(ctx: RequestContext, legacy_id: str) -> dict | None:
    """``143273001266?inventory_item_id=53228116934962``: a location's group id and an item."""
    catalog = ctx.shop.catalog
    group, _, query = legacy_id.partition("?inventory_item_id=")
    item = catalog.item(query) if query.isdigit() else None
    if item is None:
        return None
    level = next(
        (lv for lv in item.levels.values() if str(lv.location.level_group_id) == group), None
    )
    return _none_unless(level, lambda lv: level_object(lv, catalog))
