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


def _storefront_class(platform: str):
    module, _, cls = STOREFRONTS[platform].partition(":")
    return getattr(import_module(module), cls)


@cache
def storefront(platform: str) -> StorefrontConnector | None:
    """The connector for ``platform``, or None for a name we don't know."""
    if platform not in STOREFRONTS:
        return None
    return _storefront_class(platform)()


def storefronts() -> list[StorefrontConnector]:
    return [storefront(name) for name in STOREFRONTS]


def config_keys(platform: str) -> tuple[str, ...]:
    """The configuration ``platform`` needs when enabled (its connector's ``config_keys``)."""
    return tuple(_storefront_class(platform).config_keys)


def enabled(platform: str) -> StorefrontConnector | None:
    """The connector for ``platform`` if this app enables it (``STOCKGUARD_PLATFORMS``):
    the web routes of a platform not enabled answer 404."""
    from flask import current_app

    if platform not in current_app.config.get("STOCKGUARD_PLATFORMS", tuple(STOREFRONTS)):
        return None
    return storefront(platform)


def enabled_storefronts() -> list[StorefrontConnector]:
    return [c for c in (enabled(name) for name in STOREFRONTS) if c is not None]


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
