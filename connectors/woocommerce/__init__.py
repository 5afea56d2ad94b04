"""WooCommerce: app authorization, REST API wc/v3, signed webhooks."""

from __future__ import annotations

from typing import ClassVar

from flask import url_for

from connectors.base import ModuleConnector
from connectors.woocommerce import auth, inventory, storefront, webhooks


class WooCommerceConnector(ModuleConnector):
    platform: ClassVar[str] = "woocommerce"
    display_name: ClassVar[str] = "WooCommerce"
    # The REST API can only re-read before writing (see inventory.write_levels).
    compare_and_set: ClassVar[bool] = False
    # Keys come from each store's app authorization: nothing to configure.
    config_keys: ClassVar[tuple[str, ...]] = ()
    # The install route's parameter naming the store.
    install_store_param: ClassVar[str] = "store_url"
    auth, webhooks, inventory, storefront = auth, webhooks, inventory, storefront

    def frame_ancestors(self, shop: str | None) -> str:
        """The panel opens standalone from a signed launch link: nothing may frame it."""
        return "'none'"

    def reconnect_url(self, installation) -> str:
        """The app authorization again: WooCommerce issues a new key."""
        return url_for("woocommerce.install", store_url=installation.shop_domain)
