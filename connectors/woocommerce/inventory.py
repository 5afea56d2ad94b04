"""WooCommerce catalog, levels and writes, as neutral types.

Ids: ``external_id`` and ``level_ref`` are the product's id (simple) or the variation's id;
``product_ref`` the parent product's id. WooCommerce has no locations and no compare-and-set:
writes re-read first and leave alone any level that moved since we last knew it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from connectors.base import CatalogItem, ChannelLocation, LevelWrite, LevelWriteResult, ListingRef
from connectors.errors import NotFound
from connectors.woocommerce.client import WooClient
from money import currency_code, to_minor

PAGE = 100  # WooCommerce's per_page maximum, and its batch limit
STORE_LOCATION = ChannelLocation(ref="store", name="Store stock", primary=True)


def client_for(installation) -> WooClient:
    creds = installation.credentials
    return WooClient(
        installation.shop_domain, creds.get("consumer_key"), creds.get("consumer_secret")
    )


def locations(installation) -> list[ChannelLocation]:
    return [STORE_LOCATION]


def _quantity(obj: dict) -> int | None:
    if obj.get("manage_stock") is True and obj.get("stock_quantity") is not None:
        return int(obj["stock_quantity"])
    return None


def store_currency(client: WooClient) -> str | None:
    """The store's currency (Settings > General). https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-current-currency"""
    body, _ = client.get("data/currencies/current")
    return currency_code(body.get("code")) if isinstance(body, dict) else None


def _item(obj: dict, parent: dict | None = None, currency: str | None = None) -> CatalogItem:
    """One product or variation; ``price`` is the price shoppers pay now (the sale price while
    a sale runs), a decimal string in the store's currency, "" when none is set."""
    quantity = _quantity(obj)
    title = obj.get("name") or ""
    if parent is not None:
        options = ", ".join(a.get("option", "") for a in obj.get("attributes") or [])
        title = f"{parent.get('name')} - {options}" if options else parent.get("name", title)
    product = parent or obj
    return CatalogItem(
        external_id=str(obj["id"]),
        product_ref=str(product["id"]),
        level_ref=str(obj["id"]),
        sku=obj.get("sku") or None,
        barcode=obj.get("global_unique_id") or None,
        title=title,
        quantity=quantity,
        tracked=quantity is not None,
        product_type=_category_type(product),
        handle=product.get("slug"),
        details={
            "parent_id": parent["id"] if parent else None,
            "backorders": obj.get("backorders"),
            "permalink": obj.get("permalink"),
        },
        # Post ids are what the shop's pages know products and variations by.
        public_id=str(obj["id"]),
        product_public_id=str(product["id"]),
        product_title=product.get("name") or None,
        url=product.get("permalink") or None,
        price_minor=to_minor(obj.get("price") or None, currency) if currency else None,
        currency=currency,
    )


DEFAULT_CATEGORY = "uncategorized"


def _category_type(product: dict) -> str | None:
    """``category:{slug}`` of the product's first category (WooCommerce has no product type
    in Shopify's sense; its categories are what merchants group products by). WooCommerce's
    default "Uncategorized" groups nothing: no type, so no alternatives drawn from it."""
    slugs = [c.get("slug") for c in product.get("categories") or []]
    slug = next((s for s in slugs if s and s != DEFAULT_CATEGORY), None)
    return f"category:{slug}" if slug else None


def _variations(client: WooClient, parent: dict, currency: str | None) -> list[CatalogItem]:
    items, page = [], 1
    while True:
        rows, headers = client.get(
            f"products/{parent['id']}/variations", {"per_page": PAGE, "page": page}
        )
        items.extend(_item(v, parent, currency) for v in rows)
        if page >= int(headers.get("X-WP-TotalPages", 1) or 1):
            return items
        page += 1


def catalog(installation, location_ref: str) -> Iterator[list[CatalogItem]]:
    """https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-products"""
    client = client_for(installation)
    currency = store_currency(client)
    page = 1
    while True:
        rows, headers = client.get("products", {"per_page": PAGE, "page": page})
        items: list[CatalogItem] = []
        for product in rows:
            if product.get("type") == "variable":
                items.extend(_variations(client, product, currency))
            else:
                items.append(_item(product, currency=currency))
        yield items
        if page >= int(headers.get("X-WP-TotalPages", 1) or 1):
            return
        page += 1


def product_items(installation, product_ref: str, location_ref: str) -> list[CatalogItem] | None:
    client = client_for(installation)
    try:
        product, _ = client.get(f"products/{int(product_ref)}")
    except NotFound:
        return None
    if product.get("status") == "trash":
        return None
    # A product refresh (each product.updated) reuses the currency the last import read.
    currency = currency_code((installation.settings or {}).get("currency")) or store_currency(
        client
    )
    if product.get("type") == "variable":
        return _variations(client, product, currency)
    return [_item(product, currency=currency)]


def _groups(listings: list[ListingRef]) -> dict[str | None, list[ListingRef]]:
    groups: dict[str | None, list[ListingRef]] = {}
    for ref in listings:
        parent = ref.details.get("parent_id")
        groups.setdefault(str(parent) if parent else None, []).append(ref)
    return groups


def _endpoint(parent: str | None) -> str:
    return f"products/{int(parent)}/variations" if parent else "products"


def read_levels(
    installation, listings: list[ListingRef], location_ref: str
) -> dict[int, int | None]:
    client = client_for(installation)
    found: dict[int, int | None] = {ref.listing_id: None for ref in listings}
    for parent, refs in _groups(listings).items():
        for start in range(0, len(refs), PAGE):
            chunk = refs[start : start + PAGE]
            rows, _ = client.get(
                _endpoint(parent),
                {"include": ",".join(r.level_ref for r in chunk), "per_page": PAGE},
            )
            by_id = {str(row["id"]): row for row in rows}
            for ref in chunk:
                row = by_id.get(ref.level_ref)
                found[ref.listing_id] = _quantity(row) if row else None
    return found


def write_levels(
    installation, writes: list[LevelWrite], location_ref: str
) -> list[LevelWriteResult]:
    """Re-read, then batch-update (≤ 100 a call) the levels that are still what we expected.

    https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-products
    """
    client = client_for(installation)
    results: list[LevelWriteResult] = []
    current = read_levels(installation, [w.listing for w in writes], location_ref)
    by_parent: dict[str | None, list[LevelWrite]] = {}
    for w in writes:
        now = current.get(w.listing.listing_id)
        if now is None:
            results.append(
                LevelWriteResult(w.listing.listing_id, False, error="not stock-managed or gone")
            )
        elif w.expected is not None and now != w.expected:
            results.append(LevelWriteResult(w.listing.listing_id, False, actual=now))
        elif now == w.quantity:
            results.append(LevelWriteResult(w.listing.listing_id, True))
        else:
            parent = w.listing.details.get("parent_id")
            by_parent.setdefault(str(parent) if parent else None, []).append(w)
    for parent, group in by_parent.items():
        for start in range(0, len(group), PAGE):
            chunk = group[start : start + PAGE]
            body, _ = client.post(
                f"{_endpoint(parent)}/batch",
                {
                    "update": [
                        {"id": int(w.listing.level_ref), "stock_quantity": w.quantity}
                        for w in chunk
                    ]
                },
            )
            answered = {}
            for row in body.get("update") or []:
                if row.get("error"):
                    answered[str(row.get("id"))] = row["error"].get("message", "refused")
                else:
                    answered[str(row["id"])] = None
            for w in chunk:
                error = answered.get(w.listing.level_ref, "no answer for this item")
                results.append(LevelWriteResult(w.listing.listing_id, error is None, error=error))
    return results


def orders_since(installation, since: dt.datetime) -> Iterator[list]:
    """Every order modified after ``since``, as stock snapshots, oldest change first.

    Keyset on the modified time rather than page numbers: an order modified during the scan
    moves to the end of the list, and paging by number would skip the one that slid into the
    page already read. ``modified_after`` is exclusive with one-second precision, so each page
    starts again one second before the last time seen; orders read twice are dropped.
    https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders
    """
    from connectors.woocommerce.events import order_changed

    client = client_for(installation)
    cursor = since.astimezone(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    page, seen = 1, set()
    while True:
        rows, _ = client.get(
            "orders",
            {
                "modified_after": cursor.strftime("%Y-%m-%dT%H:%M:%S"),
                "dates_are_gmt": "true",
                "orderby": "modified",
                "order": "asc",
                "per_page": PAGE,
                "page": page,
            },
        )
        fresh = [r for r in rows if (r["id"], r.get("date_modified_gmt")) not in seen]
        seen.update((r["id"], r.get("date_modified_gmt")) for r in rows)
        if fresh:
            yield [order_changed(r)[0] for r in fresh]
        if len(rows) < PAGE:
            return
        last = dt.datetime.fromisoformat(rows[-1]["date_modified_gmt"]).replace(tzinfo=dt.UTC)
        if last - dt.timedelta(seconds=1) > cursor:
            cursor, page = last - dt.timedelta(seconds=1), 1
        else:  # a full page within one second: page on
            page += 1


def read_order(installation, order_ref: str):
    """https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-an-order"""
    from connectors.woocommerce.events import order_changed

    try:
        order, _ = client_for(installation).get(f"orders/{int(order_ref)}")
    except NotFound:
        return None
    return order_changed(order)[0]
