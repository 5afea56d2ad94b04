"""QueryRoot ``shop``, ``currentAppInstallation``, ``node`` / ``nodes``.

Only the fields below are modelled; anything else on these objects raises SandboxUnimplemented.
"""

from __future__ import annotations

from .registry import REGISTRY, RequestContext, SandboxUnimplemented
from .state import GID_RE, PLAN_DISPLAY, gid, iso


def shop_object(ctx: RequestContext) -> dict:
    shop = ctx.shop
    display_name, shopify_plus = PLAN_DISPLAY[shop.plan]
    return {
        "__typename": "Shop",
        "id": shop.id,
        "name": shop.name,
        "myshopifyDomain": shop.myshopify_domain,
        "currencyCode": shop.currency,
        "email": shop.email,
        "contactEmail": shop.email,
        "createdAt": iso(shop.created_at),
        # Shop.url is the primary domain's URL (https://{myshopify domain} without a custom one).
        "url": f"https://{shop.primary_host}",
        "primaryDomain": domain_object(shop),
        "plan": {
            "displayName": display_name,
            "publicDisplayName": display_name,
            "partnerDevelopment": False,
            "shopifyPlus": shopify_plus,
        },
    }


def domain_object(shop) -> dict:
    """``Shop.primaryDomain``: a connected custom domain, else the myshopify domain."""
    return {
        "__typename": "Domain",
        "id": gid("Domain", shop.primary_domain_id),
        "host": shop.primary_host,
        "url": f"https://{shop.primary_host}",
        "sslEnabled": True,
        "localization": None,
    }


@REGISTRY.query("shop")
def resolve_shop(ctx: RequestContext, info) -> dict:
    return shop_object(ctx)


@REGISTRY.query("currentAppInstallation")
def resolve_current_app_installation(ctx: RequestContext, info) -> dict:
    return {
        "__typename": "AppInstallation",
        "id": gid("AppInstallation", ctx.shop.legacy_id),
        "accessScopes": [{"handle": scope, "description": scope} for scope in ctx.scopes],
    }


def _lookup(ctx: RequestContext, global_id: str) -> dict | None:
    match = GID_RE.match(global_id or "")
    if match is None:
        return None
    resource, legacy_id, query = match.groups()
    finder = REGISTRY.nodes.get(resource)
    if finder is None:
        raise SandboxUnimplemented(f"node(id:) for {resource} ids")
    # InventoryLevel ids carry their item: ``…/InventoryLevel/143273001266?inventory_item_id=5``.
    return finder(ctx, legacy_id + (query or ""))


@REGISTRY.query("node")
def resolve_node(ctx: RequestContext, info, id: str) -> dict | None:
    return _lookup(ctx, id)


@REGISTRY.query("nodes")
def resolve_nodes(ctx: RequestContext, info, ids: list[str]) -> list[dict | None]:
    return [_lookup(ctx, value) for value in ids]


@REGISTRY.node("Shop")
def find_shop(ctx: RequestContext, legacy_id: str) -> dict | None:
    return shop_object(ctx) if legacy_id == str(ctx.shop.legacy_id) else None
