"""Product writes StockGuard makes: variant inventory policy, Online Store (un)publishing.

``productVariantsBulkUpdate`` models ``inventoryPolicy``, ``price``, ``barcode`` and
``inventoryItem { sku tracked }``; other inputs fail loudly. Its price check and error order
follow ``captures/2026-04/products/product-variants-bulk-update-allow-partial-and-error-order
.json``; "Product does not exist" on ``productId`` is captured for productChangeStatus. The
unknown-variant and publication messages are not captured (guesses, named in the code). A
successful update sends ``products/update``; (un)publishing sends nothing here.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from . import payloads
from .catalog import Product
from .objects import connection, legacy_id_of, product_object, variant_object
from .payloads import VariantSpec
from .registry import REGISTRY, RequestContext, SandboxUnimplemented
from .resolvers_shop import shop_object
from .state import gid, utcnow

MODELLED_VARIANT_INPUT = {"id", "inventoryPolicy", "price", "barcode", "inventoryItem"}
MODELLED_ITEM_INPUT = {"sku", "tracked"}


def _error(field: list[str], message: str, code: str | None = None) -> dict:
    return {"field": field, "message": message, "code": code}


def _variant_errors(product: Product, index: int, data: dict) -> list[dict]:
    unmodelled = set(data) - MODELLED_VARIANT_INPUT
    unmodelled |= {
        f"inventoryItem.{k}" for k in set(data.get("inventoryItem") or {}) - MODELLED_ITEM_INPUT
    }
    if unmodelled:
        raise SandboxUnimplemented(f"productVariantsBulkUpdate inputs {sorted(unmodelled)}")
    path = ["variants", str(index)]
    variant_id = legacy_id_of(data.get("id"), "ProductVariant")
    if not any(str(v.legacy_id) == variant_id for v in product.variants):
        # Not captured: code from the schema's enum, message a guess.
        return [
            _error(
                [*path, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"
            )
        ]
    if "price" in data and data["price"] is not None:
        try:
            negative = Decimal(str(data["price"])) < 0
        except InvalidOperation:
            negative = False
        if negative:
            return [
                _error(
                    [*path, "price"],
                    "Price must be greater than or equal to 0",
                    "GREATER_THAN_OR_EQUAL_TO",
                )
            ]
    return []


def _apply(product: Product, data: dict) -> None:
    variant = next(
        v
        for v in product.variants
        if str(v.legacy_id) == legacy_id_of(data["id"], "ProductVariant")
    )
    if data.get("inventoryPolicy"):
        variant.inventory_policy = data["inventoryPolicy"]
    if data.get("price") is not None:
        variant.price = f"{Decimal(str(data['price'])):.2f}"
    if "barcode" in data:
        variant.barcode = data["barcode"]
    item_input = data.get("inventoryItem") or {}
    if "sku" in item_input:
        variant.sku = item_input["sku"]
    if item_input.get("tracked") is not None:
        variant.inventory_item.tracked = item_input["tracked"]
    variant.updated_at = product.updated_at = utcnow()


def products_update_event(product: Product) -> tuple[str, dict]:
    specs = [
        VariantSpec(
            id=v.legacy_id,
            sku=v.sku,
            price=v.price,
            inventory_item_id=v.inventory_item.legacy_id,
            inventory_quantity=v.inventory_quantity(),
            title=v.title,
            inventory_policy=v.inventory_policy.lower(),
        )
        for v in product.variants
    ]
    payload = payloads.products_update(
        product.legacy_id,
        product.title,
        specs,
        status=product.status.lower(),
        vendor=product.vendor,
        product_type=product.product_type,
        tags=", ".join(product.tags),
    )
    payload["handle"] = product.handle
    return "products/update", payload


@REGISTRY.mutation("productVariantsBulkUpdate")
def bulk_update_variants(ctx: RequestContext, info, productId: str, variants: list[dict], **args):
    if args.get("media"):
        raise SandboxUnimplemented("productVariantsBulkUpdate(media:)")
    catalog = ctx.shop.catalog
    product = catalog.product(legacy_id_of(productId, "Product") or "")
    if product is None:
        return {
            "product": None,
            "productVariants": None,
            "userErrors": [
                _error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
            ],
        }
    errors_by_index = {i: _variant_errors(product, i, data) for i, data in enumerate(variants)}
    errors = [e for found in errors_by_index.values() for e in found]
    partial = bool(args.get("allowPartialUpdates"))
    applied = [
        data
        for i, data in enumerate(variants)
        if not errors_by_index[i] and (partial or not errors)
    ]
    for data in applied:
        _apply(product, data)
    if applied:
        ctx.events.append(products_update_event(product))
    touched = [
        v
        for data in variants
        for v in product.variants
        if str(v.legacy_id) == legacy_id_of(data.get("id"), "ProductVariant")
    ]
    return {
        "product": product_object(product, catalog),
        "productVariants": [variant_object(v, catalog) for v in touched],
        "userErrors": errors,
    }


# --------------------------------------------------------------------------- publications


def app_object(publication) -> dict:
    """The sales channel's app (only what identifies it is modelled)."""
    return {
        "__typename": "App",
        "id": gid("App", publication.app_id),
        "handle": publication.app_handle,
        "title": publication.name,
    }


def app_catalog_object(publication) -> dict:
    """``Publication.catalog`` of a sales channel: an AppCatalog titled like the channel."""
    return {
        "__typename": "AppCatalog",
        "id": gid("AppCatalog", publication.catalog_id),
        "title": publication.name,
        "status": "ACTIVE",
        "apps": lambda info, **args: connection(
            [publication], app_object, args, key=lambda p: p.app_id
        ),
        "publication": lambda info: publication_object(publication),
    }


def publication_object(publication) -> dict:
    return {
        "__typename": "Publication",
        "id": publication.gid,
        "name": publication.name,  # deprecated in favour of catalog.title; still answered
        "app": lambda info: app_object(publication),  # deprecated; still answered
        "catalog": lambda info: app_catalog_object(publication),
        "autoPublish": publication.auto_publish,
        "supportsFuturePublishing": False,
    }


@REGISTRY.query("publications")
def resolve_publications(ctx: RequestContext, info, **args) -> dict:
    publications = list(ctx.shop.catalog.publications)
    # Every publication here belongs to a sales channel app: APP lists them all, the B2B and
    # market catalog types none.
    catalog_type = args.pop("catalogType", None)
    if catalog_type not in (None, "APP"):
        publications = []
    return connection(publications, publication_object, args)


@REGISTRY.query("publication")
def resolve_publication(ctx: RequestContext, info, id: str) -> dict | None:
    legacy = legacy_id_of(id, "Publication")
    found = next((p for p in ctx.shop.catalog.publications if str(p.legacy_id) == legacy), None)
    return publication_object(found) if found else None


def _publish(ctx: RequestContext, id: str, input: list[dict], publish: bool) -> dict:
    catalog = ctx.shop.catalog
    shop = shop_object(ctx)
    product = catalog.product(legacy_id_of(id, "Product") or "")
    if product is None:
        if legacy_id_of(id, "Collection"):
            raise SandboxUnimplemented("publishing collections")
        return {
            "publishable": None,
            "shop": shop,
            "userErrors": [{"field": ["id"], "message": "Product does not exist"}],
        }
    known = {str(p.legacy_id) for p in catalog.publications}
    targets = []
    for i, target in enumerate(input):
        if target.get("channelId") or target.get("publishDate"):
            raise SandboxUnimplemented("publishing by channelId / publishDate")
        legacy = legacy_id_of(target.get("publicationId"), "Publication")
        if legacy not in known:
            # Not captured: wording a guess.
            return {
                "publishable": None,
                "shop": shop,
                "userErrors": [
                    {
                        "field": ["input", str(i), "publicationId"],
                        "message": "Publication does not exist",
                    }
                ],
            }
        targets.append(int(legacy))
    for legacy in targets:
        if publish:
            product.published_on.add(legacy)
        else:
            product.published_on.discard(legacy)
    product.updated_at = utcnow()
    return {"publishable": product_object(product, catalog), "shop": shop, "userErrors": []}


@REGISTRY.mutation("publishablePublish")
def publishable_publish(ctx: RequestContext, info, id: str, input: list[dict]) -> dict:
    return _publish(ctx, id, input, publish=True)


@REGISTRY.mutation("publishableUnpublish")
def publishable_unpublish(ctx: RequestContext, info, id: str, input: list[dict]) -> dict:
    return _publish(ctx, id, input, publish=False)
