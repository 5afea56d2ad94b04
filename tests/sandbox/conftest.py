"""Fixtures that put the Shopify sandbox behind real TLS at ``https://*.myshopify.com``.

The network fixture routes HTTPS through a loopback CONNECT proxy and trusts a throwaway CA
(env set before urllib's opener is built), so ShopifyAPI talks to the real hostname unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import urllib.request
from dataclasses import dataclass, field

import pytest
import shopify
from flask import Flask, request

from sandbox.common import ConnectProxy, Dispatcher, ServerThread, make_pki
from sandbox.shopify import ShopifySandbox

API_KEY = "key"
API_SECRET = "secret"
SHOP = "teststore.myshopify.com"
APP_ORIGIN = "https://stockguard.example"  # the app's public URL, as registered with Shopify


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def network(pki):
    """Route *.myshopify.com through the proxy for one test module; restore the env after.

    Module scope keeps HTTPS_PROXY and the CA bundle from leaking into other modules' tests.
    """
    proxy = ConnectProxy().start()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in proxy.environ(pki).items():
            patch.setenv(name, value)
        # urllib caches its opener (and the proxy settings in it) at first use: rebuild it now.
        urllib.request.install_opener(urllib.request.build_opener())
        yield proxy
        urllib.request.install_opener(None)
    proxy.stop()


@pytest.fixture
def shopify_app():
    """ShopifyAPI's class-level app credentials, as StockGuard configures them at start-up."""
    shopify.Session.setup(api_key=API_KEY, secret=API_SECRET)
    yield shopify.Session
    shopify.Session.setup(api_key=None, secret=None)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture(scope="module")
def shopify_server(network, pki):
    """One TLS server per module (starting/stopping one per test costs ~0.5 s each)."""
    dispatcher = Dispatcher()
    server = ServerThread(dispatcher, ssl_context=pki.server_context()).start()
    network.add_route("myshopify.com", ("127.0.0.1", server.port))
    yield dispatcher
    server.stop()


@pytest.fixture
def make_sandbox(shopify_server):
    """Create a sandbox (with a Test Store) and serve it at https://*.myshopify.com."""
    created: list[ShopifySandbox] = []

    def start(**kwargs) -> ShopifySandbox:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("api_secret", API_SECRET)
        sb = ShopifySandbox(**kwargs)
        sb.create_shop(SHOP, name="Test Store", currency="EUR")
        shopify_server.target = sb.wsgi_app
        created.append(sb)
        return sb

    yield start
    shopify_server.target = None
    for sb in created:
        sb.reset_faults()
        assert not sb.internal_errors, sb.internal_errors[0]


@pytest.fixture
def sb(make_sandbox) -> ShopifySandbox:
    return make_sandbox()


@dataclass
class Receiver:
    """A tiny app endpoint on loopback that verifies Shopify's webhook signature."""

    secret: str
    url: str = ""
    received: list[dict] = field(default_factory=list)
    delay: float = 0.0

    def verify(self, body: bytes, signature: str) -> bool:
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), signature)


@pytest.fixture(scope="module")
def receiver_server():
    """A loopback app endpoint that checks Shopify's signature on the raw body."""
    current: dict[str, Receiver] = {}
    app = Flask("receiver")
    lock = threading.Lock()

    @app.post("/webhooks/<path:topic>")
    def webhook(topic: str):
        state = current["receiver"]
        body = request.get_data()
        signed = state.verify(body, request.headers.get("X-Shopify-Hmac-Sha256", ""))
        with lock:
            state.received.append(
                {"path": topic, "headers": dict(request.headers), "body": body, "signed": signed}
            )
        if state.delay:
            time.sleep(state.delay)
        return ("", 200) if signed else ("bad signature", 401)

    server = ServerThread(app).start()
    yield server, current
    server.stop()


@pytest.fixture
def receiver(receiver_server):
    server, current = receiver_server
    current["receiver"] = Receiver(secret=API_SECRET, url=server.url)
    return current["receiver"]
