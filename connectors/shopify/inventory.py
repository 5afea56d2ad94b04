"""Shopify catalog, levels and compare-and-set writes, as neutral types.

Ids: a listing's ``external_id`` is the variant gid, ``level_ref`` the inventory item gid,
``product_ref`` the product gid; the pool's location is a Location gid.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from connectors.base import CatalogItem, ChannelLocation, LevelWrite, LevelWriteResult, ListingRef
from connectors.errors import InvalidRequest
from connectors.shopify import graphql as docs
from connectors.shopify import tokens
from connectors.shopify.client import ShopifyClient
from money import currency_code, to_minor

CATALOG_PAGE_SIZE = 100
LEVELS_PAGE_SIZE = 250
WRITE_BATCH = 250
STALE = "CHANGE_FROM_QUANTITY_STALE"


def client_for(installation) -> ShopifyClient:
    """The installation's client; its token comes from tokens.fresh_token (refreshed, migrated)."""
    return tokens.client_for(installation)


def locations(installation) -> list[ChannelLocation]:
    """https://shopify.dev/docs/api/admin-graphql/2026-04/queries/locations"""
    nodes = client_for(installation).graphql(docs.LOCATIONS_DOCUMENT)["locations"]["nodes"]
    found = [
        ChannelLocation(ref=n["id"], name=n["name"], primary=bool(n.get("isPrimary")))
        for n in nodes
        if n.get("isActive", True)
    ]
    return sorted(found, key=lambda loc: not loc.primary)


def _available(level: dict | None) -> int | None:
    if not level:
        return None
    for q in level.get("quantities") or []:
        if q["name"] == "available":
            return int(q["quantity"])
    return None


def _item(node: dict, currency: str | None = None) -> CatalogItem:
    """One variant; ``price`` is a Money scalar (a decimal string) in the shop's currency."""
    product = node["product"]
    inventory = node["inventoryItem"]
    tracked = bool(inventory.get("tracked"))
    quantity = _available(inventory.get("inventoryLevel")) if tracked else None
    title = node.get("displayName") or f"{product['title']} - {node.get('title')}"
    return CatalogItem(
        external_id=node["id"],
        product_ref=product["id"],
        level_ref=inventory["id"],
        sku=node.get("sku") or None,
        barcode=node.get("barcode") or None,
        title=title,
        quantity=quantity,
        tracked=tracked and quantity is not None,
        requires_components=bool(node.get("requiresComponents")),
        product_type=product.get("productType") or None,
        handle=product.get("handle"),
        details={"inventory_policy": node.get("inventoryPolicy"), "status": product.get("status")},
        # Themes know variants and products by their legacy ids, the tail of the gids (free to
        # derive; legacyResourceId would say the same).
        public_id=_legacy_id(node["id"]),
        product_public_id=_legacy_id(product["id"]),
        product_title=product.get("title"),
        url=f"/products/{product['handle']}" if product.get("handle") else None,
        price_minor=to_minor(node.get("price"), currency) if currency else None,
        currency=currency,
    )


def _currency(installation) -> str | None:
    """The shop's currencyCode, read at install (``shop { currencyCode }``)."""
    return currency_code((installation.settings or {}).get("currency"))


def _legacy_id(gid: str) -> str:
    """``gid://shopify/ProductVariant/4242`` → ``4242``."""
    return gid.rsplit("/", 1)[-1].split("?", 1)[0]


def catalog(installation, location_ref: str) -> Iterator[list[CatalogItem]]:
    """Every variant, 100 a page. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/productVariants"""
    client = client_for(installation)
    currency = _currency(installation)
    after = None
    while True:
        conn = client.graphql(
            docs.CATALOG_PAGE_DOCUMENT,
            {"first": CATALOG_PAGE_SIZE, "after": after, "locationId": location_ref},
        )["productVariants"]
        yield [_item(node, currency) for node in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return
        after = conn["pageInfo"]["endCursor"]


def product_items(installation, product_ref: str, location_ref: str) -> list[CatalogItem] | None:
    """One product's variants, 100 a page. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/product"""
    client = client_for(installation)
    currency = _currency(installation)
    items: list[CatalogItem] = []
    after = None
    while True:
        product = client.graphql(
            docs.PRODUCT_VARIANTS_DOCUMENT,
            {
                "id": product_ref,
                "locationId": location_ref,
                "first": CATALOG_PAGE_SIZE,
                "after": after,
            },
        ).get("product")
        if product is None:
            return None
        conn = product["variants"]
        items.extend(_item(node, currency) for node in conn["nodes"])
        if not conn["pageInfo"]["hasNextPage"]:
            return items
        after = conn["pageInfo"]["endCursor"]


def read_levels(
    installation, listings: list[ListingRef], location_ref: str
) -> dict[int, int | None]:
    """Available at the pool's location, by listing id. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/nodes"""
    client = client_for(installation)
    found: dict[int, int | None] = {}
    for start in range(0, len(listings), LEVELS_PAGE_SIZE):
        chunk = listings[start : start + LEVELS_PAGE_SIZE]
        nodes = client.graphql(
            docs.LEVELS_DOCUMENT,
            {"ids": [ref.level_ref for ref in chunk], "locationId": location_ref},
        )["nodes"]
        by_item = {n["id"]: n for n in nodes if n}
        for ref in chunk:
            node = by_item.get(ref.level_ref)
            tracked = node is not None and node.get("tracked")
            found[ref.listing_id] = _available(node.get("inventoryLevel")) if tracked else None
    return found


def write_levels(
    installation, writes: list[LevelWrite], location_ref: str
) -> list[LevelWriteResult]:
    """Set ``available`` with compare-and-set, marking our writes with a reference document.

    Shopify refuses the whole mutation when one quantity is stale; the stale ones are found
    by re-reading, the others written again. https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/inventorySetQuantities
    """
    client = client_for(installation)
    results: list[LevelWriteResult] = []
    for start in range(0, len(writes), WRITE_BATCH):
        results.extend(
            _write_batch(client, installation, writes[start : start + WRITE_BATCH], location_ref)
        )
    return results


def _write_batch(
    client, installation, batch: list[LevelWrite], location_ref
) -> list[LevelWriteResult]:
    results: list[LevelWriteResult] = []
    pending = list(batch)
    for _attempt in range(3):
        if not pending:
            return results
        key = uuid.uuid4().hex
        payload = {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": f"stockguard://push/{key}",
            "quantities": [
                {
                    "inventoryItemId": w.listing.level_ref,
                    "locationId": location_ref,
                    "quantity": w.quantity,
                    "changeFromQuantity": w.expected,
                }
                for w in pending
            ],
        }
        data = client.graphql(
            docs.INVENTORY_SET_DOCUMENT, {"input": payload, "idempotencyKey": key}
        )
        errors = data["inventorySetQuantities"]["userErrors"]
        if not errors:
            results.extend(LevelWriteResult(w.listing.listing_id, True) for w in pending)
            return results
        if not any(e.get("code") == STALE for e in errors):
            failing = _indexes(errors)
            for i, w in enumerate(pending):
                message = next((e["message"] for e in errors if _index(e) == i), None)
                if message or not failing:
                    results.append(
                        LevelWriteResult(
                            w.listing.listing_id, False, error=message or errors[0]["message"]
                        )
                    )
            pending = [w for i, w in enumerate(pending) if failing and i not in failing]
            continue
        # Someone changed some levels meanwhile: those are reported, the rest written again.
        actual = read_levels(installation, [w.listing for w in pending], location_ref)
        still = []
        for w in pending:
            now = actual.get(w.listing.listing_id)
            if now is not None and w.expected is not None and now != w.expected:
                results.append(LevelWriteResult(w.listing.listing_id, False, actual=now))
            else:
                still.append(w)
        pending = still
    if pending:
        raise InvalidRequest(f"Shopify kept refusing levels for {installation.shop_domain}")
    return results


def _index(error: dict) -> int | None:
    field = error.get("field") or []
    if len(field) >= 3 and field[1] == "quantities":
        try:
            return int(field[2])
        except ValueError:
            return None
    return None


def _indexes(errors: list[dict]) -> set[int]:
    return {i for i in (_index(e) for e in errors) if i is not None}


def read_order(installation, order_ref: str):
    """Shopify reports orders as deltas (sold and restocked lines), never snapshots."""
    return None


def orders_since(installation, since):
    """Nothing to scan: Shopify retries a failed delivery 8 times over 4 hours, and what no
    retry brings shows as a level difference the reconcile repairs."""
    return iter(())
