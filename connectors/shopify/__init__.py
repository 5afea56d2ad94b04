"""Shopify: OAuth install, Admin GraphQL 2026-04, signed webhooks."""

from __future__ import annotations

from typing import ClassVar

from connectors.base import ModuleConnector
from connectors.shopify import auth, inventory, storefront, webhooks


class ShopifyConnector(ModuleConnector):
    platform: ClassVar[str] = "shopify"
    display_name: ClassVar[str] = "Shopify"
    # inventorySetQuantities refuses a stale changeFromQuantity.
    compare_and_set: ClassVar[bool] = True
    auth, webhooks, inventory, storefront = auth, webhooks, inventory, storefront

    def frame_ancestors(self, shop: str | None) -> str:
        """The store's admin and Shopify's unified admin frame the embedded panel (required
        for embedded apps: shopify.dev, "Set up iframe protection")."""
        shop = auth.normalize_shop(shop)
        return f"https://{shop} https://admin.shopify.com" if shop else "'none'"
