"""WooCommerce: app authorization, REST API wc/v3, signed webhooks."""

from __future__ import annotations

from typing import ClassVar

from connectors.woocommerce import auth, webhooks


class WooCommerceConnector:
    platform: ClassVar[str] = "woocommerce"
    display_name: ClassVar[str] = "WooCommerce"

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
