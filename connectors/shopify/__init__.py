"""Shopify: OAuth install, Admin GraphQL 2026-04, signed webhooks."""

from __future__ import annotations

from typing import ClassVar

from connectors.shopify import auth, inventory, webhooks


class ShopifyConnector:
    platform: ClassVar[str] = "shopify"
    # Writes refuse to overwrite a level changed meanwhile (see connectors.base).
    compare_and_set: ClassVar[bool] = True
    display_name: ClassVar[str] = "Shopify"

    def blueprint(self):
        return auth.bp

    def verify_webhook(self, request, installation_id):
        return webhooks.verify(request, installation_id)

    def parse_webhook(self, topic, payload):
        return webhooks.parse(topic, payload)

    def register_webhooks(self, installation):
        return webhooks.register(installation)

    def authenticate_admin(self, request):
        return auth.authenticate_admin(request)

    def locations(self, installation):
        return inventory.locations(installation)

    def catalog(self, installation, location_ref):
        return inventory.catalog(installation, location_ref)

    def product_items(self, installation, product_ref, location_ref):
        return inventory.product_items(installation, product_ref, location_ref)

    def read_levels(self, installation, listings, location_ref):
        return inventory.read_levels(installation, listings, location_ref)

    def write_levels(self, installation, writes, location_ref):
        return inventory.write_levels(installation, writes, location_ref)

    def read_order(self, installation, order_ref):
        return None  # Shopify reports orders as deltas (sold / restocked lines)
