"""Shopify: OAuth install, Admin GraphQL 2026-04, signed webhooks."""

from __future__ import annotations

from typing import ClassVar

from flask import url_for

from connectors.base import ModuleConnector
from connectors.shopify import auth, inventory, storefront, webhooks


class ShopifyConnector(ModuleConnector):
    platform: ClassVar[str] = "shopify"
    display_name: ClassVar[str] = "Shopify"
    # inventorySetQuantities refuses a stale changeFromQuantity.
    compare_and_set: ClassVar[bool] = True
    # The app's credentials from the Partner Dashboard (OAuth, session tokens, webhook HMAC).
    config_keys: ClassVar[tuple[str, ...]] = ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET")
    # The install route's parameter naming the store.
    install_store_param: ClassVar[str] = "shop"
    auth, webhooks, inventory, storefront = auth, webhooks, inventory, storefront

    def frame_ancestors(self, shop: str | None) -> str:
        """The store's admin and Shopify's unified admin frame the embedded panel (required
        for embedded apps: shopify.dev, "Set up iframe protection")."""
        shop = auth.normalize_shop(shop)
        return f"https://{shop} https://admin.shopify.com" if shop else "'none'"

    def reconnect_url(self, installation) -> str:
        """OAuth again: Shopify issues a new token."""
        return url_for("shopify.install", shop=installation.shop_domain)
