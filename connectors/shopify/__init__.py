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
