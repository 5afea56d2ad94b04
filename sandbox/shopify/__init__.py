"""A loopback Shopify that speaks the real wire format (OAuth, Admin GraphQL 2026-04, webhooks).

    sb = ShopifySandbox(api_key="key", api_secret="secret", plan="standard")
    shop = sb.create_shop("teststore.myshopify.com", name="Test Store", currency="EUR")
    server = ServerThread(sb.wsgi_app, ssl_context=pki.server_context()).start()

    loc = sb.default_location(shop.domain)
    tee = sb.create_product(shop.domain, "Tee", variants=[{"sku": "TEE-M", "available": 5}])
    order = sb.place_order(shop.domain, [{"variant_id": "TEE-M", "quantity": 2}])

See ``sandbox.py`` (OAuth, webhooks, faults), ``admin_catalog.py`` / ``admin_orders.py`` (the
merchant's and shoppers' side) for the public API and ``registry.py`` for adding resolvers.
"""

from .admin_orders import OutOfStock
from .registry import REGISTRY, SandboxUnimplemented
from .sandbox import ShopifySandbox
from .state import API_VERSION, RESTORE_RATES, Shop, WebhookSubscription
from .webhooks import Delivery, WebhookEvent

__all__ = [
    "API_VERSION",
    "REGISTRY",
    "RESTORE_RATES",
    "Delivery",
    "OutOfStock",
    "SandboxUnimplemented",
    "Shop",
    "ShopifySandbox",
    "WebhookEvent",
    "WebhookSubscription",
]
