"""WooCommerce: app authorization, REST API wc/v3, signed webhooks."""

from __future__ import annotations

from typing import ClassVar

from connectors.base import ModuleConnector
from connectors.woocommerce import auth, inventory, storefront, webhooks


class WooCommerceConnector(ModuleConnector):
    platform: ClassVar[str] = "woocommerce"
    display_name: ClassVar[str] = "WooCommerce"
    # The REST API can only re-read before writing (see inventory.write_levels).
    compare_and_set: ClassVar[bool] = False
    auth, webhooks, inventory, storefront = auth, webhooks, inventory, storefront

    def frame_ancestors(self, shop: str | None) -> str:
        """The panel opens standalone from a signed launch link: nothing may frame it."""
        return "'none'"
