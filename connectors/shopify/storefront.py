"""Shopify storefront: the shop's origins, Online Store visibility, pre-order by inventory policy.

Visibility is publication on the Online Store sales channel (``publishableUnpublish`` /
``publishablePublish``): unpublished, the product leaves the storefront but keeps its admin
record and its other channels. Pre-order is the variants' inventory policy: ``CONTINUE`` keeps
them selling at zero stock.

Restore shapes (what ``hide_product`` / ``set_backorders`` return, to pass back later)::

    {"publication_id": "gid://shopify/Publication/…", "published": True}
    {"inventory_policy": {"gid://shopify/ProductVariant/…": "DENY" | "CONTINUE", …}}
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connectors.errors import InvalidRequest, NotFound
from connectors.shopify import graphql as docs
from connectors.shopify.client import ShopifyClient
from connectors.shopify.inventory import client_for

ONLINE_STORE_APP = "online_store"  # the Online Store sales channel's app handle
ONLINE_STORE_TITLE = "Online Store"
PUBLICATION_SETTING = "online_store_publication_id"
CONTINUE, DENY = "CONTINUE", "DENY"
VARIANTS_PER_UPDATE = 250


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    host = parts.hostname.lower()
    return f"{parts.scheme.lower()}://{host}" + (f":{parts.port}" if parts.port else "")


def storefront_origins(installation) -> list[str]:
    """``https://{myshopify domain}`` and the primary domain's origin, once each.

    https://shopify.dev/docs/api/admin-graphql/2026-04/objects/Shop#field-Shop.fields.primaryDomain
    """
    shop = client_for(installation).graphql(docs.STOREFRONT_DOMAINS_DOCUMENT)["shop"]
    origins = [f"https://{shop['myshopifyDomain'].lower()}"]
    primary = _origin((shop.get("primaryDomain") or {}).get("url") or "")
    if primary and primary not in origins:
        origins.append(primary)
    return origins


# --------------------------------------------------------------------------- visibility


def _find_online_store(client: ShopifyClient) -> str:
    """The Online Store's publication id. https://shopify.dev/docs/api/admin-graphql/2026-04/queries/publications"""
    by_title, after = None, None
    while True:
        conn = client.graphql(docs.PUBLICATIONS_DOCUMENT, {"after": after})["publications"]
        for node in conn["nodes"]:
            catalog = node.get("catalog") or {}
            handles = {a.get("handle") for a in (catalog.get("apps") or {}).get("nodes") or []}
            if ONLINE_STORE_APP in handles:
                return node["id"]
            if by_title is None and catalog.get("title") == ONLINE_STORE_TITLE:
                by_title = node["id"]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    if by_title is None:
        raise NotFound(f"{client.shop} has no Online Store sales channel")
    return by_title


def online_store_publication(installation, client: ShopifyClient | None = None) -> str:
    """The Online Store publication id, looked up once and kept in ``installation.settings``."""
    settings = installation.settings or {}
    if settings.get(PUBLICATION_SETTING):
        return settings[PUBLICATION_SETTING]
    found = _find_online_store(client or client_for(installation))
    # A new dict: the JSON column only notices reassignment. The caller's commit keeps it.
    installation.settings = {**settings, PUBLICATION_SETTING: found}
    return found


def _published(client: ShopifyClient, product_ref: str, publication_id: str) -> bool | None:
    product = client.graphql(
        docs.PRODUCT_PUBLISHED_DOCUMENT, {"id": product_ref, "publicationId": publication_id}
    )["product"]
    return None if product is None else bool(product["publishedOnPublication"])


def _raise_user_errors(errors: list[dict], what: str, product_ref: str) -> None:
    if not errors:
        return
    message = "; ".join(e.get("message", "") for e in errors)
    gone = any(
        e.get("code") == "PRODUCT_DOES_NOT_EXIST"
        or (e.get("field") in (["id"], ["productId"]) and "does not exist" in e.get("message", ""))
        for e in errors
    )
    if gone:
        raise NotFound(f"Shopify has no product {product_ref}: {message}")
    raise InvalidRequest(f"Shopify refused {what} of {product_ref}: {message}", errors=errors)


def _set_published(client, product_ref: str, publication_id: str, published: bool) -> None:
    """https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/publishablePublish"""
    document, field = (
        (docs.PUBLISHABLE_PUBLISH_DOCUMENT, "publishablePublish")
        if published
        else (docs.PUBLISHABLE_UNPUBLISH_DOCUMENT, "publishableUnpublish")
    )
    data = client.graphql(
        document, {"id": product_ref, "input": [{"publicationId": publication_id}]}
    )[field]
    _raise_user_errors(data["userErrors"], field, product_ref)


def product_hidden(installation, product_ref: str) -> bool | None:
    """Not published on the Online Store; None when the product doesn't exist."""
    client = client_for(installation)
    published = _published(client, product_ref, online_store_publication(installation, client))
    return None if published is None else not published


def hide_product(installation, product_ref: str) -> dict:
    """Unpublish from the Online Store. A product already off it is left alone, and the
    restore says so (``show_product`` will then not publish it)."""
    client = client_for(installation)
    publication_id = online_store_publication(installation, client)
    published = _published(client, product_ref, publication_id)
    if published is None:
        raise NotFound(f"Shopify has no product {product_ref}")
    if published:
        _set_published(client, product_ref, publication_id, False)
    return {"publication_id": publication_id, "published": published}


def show_product(installation, product_ref: str, restore: dict) -> bool:
    """Publish again what ``hide_product`` unpublished; False, writing nothing, when it was
    not published before or the merchant has published it since."""
    publication_id = (restore or {}).get("publication_id")
    if not (restore or {}).get("published") or not publication_id:
        return False
    client = client_for(installation)
    published = _published(client, product_ref, publication_id)
    if published is None:
        raise NotFound(f"Shopify has no product {product_ref}")
    if published:
        return False
    _set_published(client, product_ref, publication_id, True)
    return True


# --------------------------------------------------------------------------- pre-order


def _variant_policies(client: ShopifyClient, product_ref: str) -> dict[str, str]:
    """Each variant's inventory policy, in the product's order."""
    policies: dict[str, str] = {}
    after = None
    while True:
        product = client.graphql(
            docs.VARIANT_POLICIES_DOCUMENT, {"id": product_ref, "after": after}
        )["product"]
        if product is None:
            raise NotFound(f"Shopify has no product {product_ref}")
        conn = product["variants"]
        policies.update((n["id"], n["inventoryPolicy"]) for n in conn["nodes"])
        if not conn["pageInfo"]["hasNextPage"]:
            return policies
        after = conn["pageInfo"]["endCursor"]


def set_backorders(installation, product_ref: str, allow: bool, restore: dict | None) -> dict:
    """Allow: every DENY variant becomes CONTINUE. Stop: each variant goes back to its policy in
    ``restore`` (DENY when not recorded). Returns every variant's policy before this call,
    except that a variant still CONTINUE from an earlier allow keeps its recorded previous one.

    https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/productVariantsBulkUpdate
    """
    client = client_for(installation)
    current = _variant_policies(client, product_ref)
    recorded = dict((restore or {}).get("inventory_policy") or {})
    if allow:
        before = {
            vid: recorded[vid] if policy == CONTINUE and vid in recorded else policy
            for vid, policy in current.items()
        }
        changes = {vid: CONTINUE for vid, policy in current.items() if policy != CONTINUE}
    else:
        before = dict(current)
        wanted = {vid: recorded.get(vid, DENY) for vid in current}
        changes = {vid: p for vid, p in wanted.items() if p != current[vid]}
    items = [{"id": vid, "inventoryPolicy": policy} for vid, policy in changes.items()]
    for start in range(0, len(items), VARIANTS_PER_UPDATE):
        data = client.graphql(
            docs.VARIANT_POLICIES_UPDATE_DOCUMENT,
            {"productId": product_ref, "variants": items[start : start + VARIANTS_PER_UPDATE]},
        )["productVariantsBulkUpdate"]
        _raise_user_errors(data["userErrors"], "the inventory policy update", product_ref)
    return {"inventory_policy": before}
