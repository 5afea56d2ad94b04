"""The one list of platforms. Adding a storefront = a new package and one line here."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from connectors.base import StorefrontConnector

STOREFRONTS: dict[str, str] = {
    "shopify": "connectors.shopify:ShopifyConnector",
    "woocommerce": "connectors.woocommerce:WooCommerceConnector",
}


@cache
def storefront(platform: str) -> StorefrontConnector | None:
    """The connector for ``platform``, or None for a name we don't know."""
    target = STOREFRONTS.get(platform)
    if target is None:
        return None
    module, _, cls = target.partition(":")
    return getattr(import_module(module), cls)()


def storefronts() -> list[StorefrontConnector]:
    return [storefront(name) for name in STOREFRONTS]
