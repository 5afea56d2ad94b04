"""WooCommerce storefront: the store's origin, catalog visibility, pre-order by backorders.

Hiding sets ``catalog_visibility`` to ``hidden``: the product leaves the shop and search pages,
its page stays reachable by its address. Pre-order sets ``backorders`` to ``notify`` (keep
selling at zero stock and tell the shopper); WooCommerce then shows ``stock_status``
``onbackorder`` for stock at or below zero.

Restore shapes (what ``hide_product`` / ``set_backorders`` return, to pass back later)::

    {"catalog_visibility": "visible" | "catalog" | "search" | "hidden"}
    {"backorders": {"<product or variation id>": "no" | "notify" | "yes", ...}}
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connectors.errors import InvalidRequest, NotFound
from connectors.woocommerce.client import WooClient
from connectors.woocommerce.inventory import PAGE, client_for

HIDDEN = "hidden"
PREORDER = "notify"
NO_BACKORDERS = "no"


def storefront_origins(installation) -> list[str]:
    """The origin of the store's address (a store in a subfolder is served from its host)."""
    url = installation.shop_domain
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").lower()
    if not host:
        return []
    port = f":{parts.port}" if parts.port else ""
    return [f"{(parts.scheme or 'https').lower()}://{host}{port}"]


def _product(client: WooClient, product_ref: str) -> dict | None:
    """https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-a-product"""
    try:
        product, _ = client.get(f"products/{int(product_ref)}")
    except NotFound:
        return None
    # A trashed product is still answered, as a product nobody can buy any more.
    return None if product.get("status") == "trash" else product


def _existing(client: WooClient, product_ref: str) -> dict:
    product = _product(client, product_ref)
    if product is None:
        raise NotFound(f"{client.store_url} has no product {product_ref}")
    return product


def _update(client: WooClient, product_ref: str, fields: dict) -> dict:
    """https://woocommerce.github.io/woocommerce-rest-api-docs/#update-a-product"""
    body, _ = client.post(f"products/{int(product_ref)}", fields)
    return body


# --------------------------------------------------------------------------- visibility


def product_hidden(installation, product_ref: str) -> bool | None:
    product = _product(client_for(installation), product_ref)
    return None if product is None else product.get("catalog_visibility") == HIDDEN


def hide_product(installation, product_ref: str) -> dict:
    """``catalog_visibility: hidden``; the restore keeps what it was (``hidden`` when the
    merchant had hidden it already: then nothing is written, and nothing will be undone)."""
    client = client_for(installation)
    previous = _existing(client, product_ref).get("catalog_visibility") or "visible"
    if previous != HIDDEN:
        _update(client, product_ref, {"catalog_visibility": HIDDEN})
    return {"catalog_visibility": previous}


def show_product(installation, product_ref: str, restore: dict) -> bool:
    """Write the previous visibility back if the product is still hidden; False otherwise."""
    previous = (restore or {}).get("catalog_visibility")
    if not previous or previous == HIDDEN:
        return False
    client = client_for(installation)
    if _existing(client, product_ref).get("catalog_visibility") != HIDDEN:
        return False  # the merchant changed it since: theirs now
    _update(client, product_ref, {"catalog_visibility": previous})
    return True


# --------------------------------------------------------------------------- pre-order


def _variations(client: WooClient, product_id: int) -> list[dict]:
    """https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-product-variations"""
    found, page = [], 1
    while True:
        rows, headers = client.get(
            f"products/{product_id}/variations", {"per_page": PAGE, "page": page}
        )
        found.extend(rows)
        if page >= int(headers.get("X-WP-TotalPages", 1) or 1):
            return found
        page += 1


def _batch_update(client: WooClient, product_id: int, updates: list[dict]) -> None:
    """Variations ≤ 100 a call; WooCommerce answers per-item errors inside a 200.

    https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-product-variations
    """
    for start in range(0, len(updates), PAGE):
        chunk = updates[start : start + PAGE]
        body, _ = client.post(f"products/{product_id}/variations/batch", {"update": chunk})
        answered = {str(row.get("id")): row for row in body.get("update") or []}
        failed = []
        for item in chunk:
            row = answered.get(str(item["id"]))
            if row is None or row.get("error"):
                error = (row or {}).get("error") or {"message": "no answer for this item"}
                failed.append({"id": item["id"], **error})
        if failed:
            raise InvalidRequest(
                f"{client.store_url} refused backorders for variations of {product_id}: "
                + "; ".join(f"{e['id']}: {e.get('message')}" for e in failed),
                errors=failed,
            )


def _backorder_targets(client: WooClient, product: dict) -> dict[str, str]:
    """Ids whose ``backorders`` decide whether the product sells at zero stock, with their
    value now: the product itself, or each variation managing its own stock and the parent
    when it manages the stock its other variations share. Where stock isn't managed WooCommerce
    ignores ``backorders`` (and resets it to ``no`` on save), so it isn't written there."""
    targets: dict[str, str] = {}
    if product.get("manage_stock") is True:
        targets[str(product["id"])] = product.get("backorders") or NO_BACKORDERS
    if product.get("type") == "variable":
        for variation in _variations(client, int(product["id"])):
            if variation.get("manage_stock") is True:
                targets[str(variation["id"])] = variation.get("backorders") or NO_BACKORDERS
    return targets


def set_backorders(installation, product_ref: str, allow: bool, restore: dict | None) -> dict:
    """Allow: ``backorders: notify`` where it is ``no`` (on the product, or on its variations
    through the variations batch). Stop: each back to its value in ``restore`` (``no`` when not
    recorded). Returns every target's value before this call, except that one still
    ``notify`` from an earlier allow keeps its recorded previous value."""
    client = client_for(installation)
    product = _existing(client, product_ref)
    product_id = int(product["id"])
    current = _backorder_targets(client, product)
    recorded = {str(k): v for k, v in ((restore or {}).get("backorders") or {}).items()}
    if allow:
        before = {
            key: recorded[key] if value == PREORDER and key in recorded else value
            for key, value in current.items()
        }
        changes = {key: PREORDER for key, value in current.items() if value == NO_BACKORDERS}
    else:
        before = dict(current)
        wanted = {key: recorded.get(key, NO_BACKORDERS) for key in current}
        changes = {key: value for key, value in wanted.items() if value != current[key]}
    own = changes.pop(str(product_id), None)
    if own is not None:
        _update(client, product_ref, {"backorders": own})
    if changes:
        _batch_update(
            client,
            product_id,
            [{"id": int(key), "backorders": value} for key, value in changes.items()],
        )
    return {"backorders": before}
