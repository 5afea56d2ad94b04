"""The one list of platforms. Adding a storefront or an ad network = a new package and one line
here."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from connectors.base import AdConnector, StorefrontConnector

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


ADS: dict[str, str] = {
    "meta": "connectors.meta:MetaConnector",
    "tiktok": "connectors.tiktok:TikTokConnector",
    "google_ads": "connectors.google_ads:GoogleAdsConnector",
}


@cache
def ad_platform(platform: str) -> AdConnector | None:
    """The ad connector for ``platform``, or None for a name we don't know."""
    target = ADS.get(platform)
    if target is None:
        return None
    module, _, cls = target.partition(":")
    return getattr(import_module(module), cls)()


def ad_platforms() -> list[AdConnector]:
    return [ad_platform(name) for name in ADS]
