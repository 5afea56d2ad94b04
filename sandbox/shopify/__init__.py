"""A loopback Shopify that speaks the real wire format (OAuth, Admin GraphQL 2026-04, webhooks).

    sb = ShopifySandbox(api_key="key", api_secret="secret", plan="standard")
    shop = sb.create_shop("teststore.myshopify.com", name="Test Store", currency="EUR")
    server = ServerThread(sb.wsgi_app, ssl_context=pki.server_context()).start()

See ``sandbox.py`` for the public API and ``registry.py`` for adding resolvers.
"""

from .registry import REGISTRY, SandboxUnimplemented
from .sandbox import ShopifySandbox
from .state import API_VERSION, RESTORE_RATES, Shop, WebhookSubscription
from .webhooks import Delivery

__all__ = [
    "API_VERSION",
    "REGISTRY",
    "RESTORE_RATES",
    "Delivery",
    "SandboxUnimplemented",
    "Shop",
    "ShopifySandbox",
    "WebhookSubscription",
]
