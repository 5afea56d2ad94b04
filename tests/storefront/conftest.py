"""A Shopify sandbox per test, served at https://*.myshopify.com by one TLS server per module."""

from __future__ import annotations

import pytest

from sandbox.common import Dispatcher, ServerThread
from tests.conftest import SHOPIFY_API_KEY, SHOPIFY_API_SECRET

SHOP = "teststore.myshopify.com"


@pytest.fixture(scope="module")
def storefront_server(pki, proxy):
    # Starting and stopping a server per test costs ~0.5 s each.
    dispatcher = Dispatcher()
    server = ServerThread(dispatcher, ssl_context=pki.server_context()).start()
    proxy.add_route("myshopify.com", ("127.0.0.1", server.port))
    yield dispatcher
    server.stop()


@pytest.fixture
def store(storefront_server):
    """A fresh sandbox with one shop (``SHOP``, "Test <Store>") behind the proxy."""
    from sandbox.shopify import ShopifySandbox

    sandbox = ShopifySandbox(api_key=SHOPIFY_API_KEY, api_secret=SHOPIFY_API_SECRET)
    sandbox.create_shop(SHOP, name="Test <Store>", currency="EUR")
    storefront_server.target = sandbox.wsgi_app
    yield sandbox
    storefront_server.target = None
    assert not sandbox.internal_errors, sandbox.internal_errors[0]
