"""A fresh TikTok sandbox per test, and an app whose connector points at it."""

from __future__ import annotations

import pytest

from sandbox.common import Dispatcher, ServerThread
from sandbox.tiktok import TikTokSandbox


@pytest.fixture(scope="module")
def tiktok_server():
    """One loopback server per module (stopping one costs ~0.5 s); each test plugs its own
    sandbox in."""
    dispatcher = Dispatcher()
    server = ServerThread(dispatcher).start()
    yield server, dispatcher
    server.stop()


@pytest.fixture
def tiktok_sandbox(tiktok_server):
    server, dispatcher = tiktok_server
    sb = TikTokSandbox()
    sb.base_url = server.url
    dispatcher.target = sb.wsgi_app
    yield sb
    dispatcher.target = None
    sb.close()  # let go of requests held by a "timeout" fault


@pytest.fixture
def app(make_app, tiktok_sandbox):
    return make_app(**tiktok_sandbox.config())


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def connector():
    from connectors.registry import ad_platform

    return ad_platform("tiktok")


@pytest.fixture
def creds(connector, tiktok_sandbox):
    """(account ref, credentials) as parse_credentials makes them from the merchant's form."""
    return connector.parse_credentials(tiktok_sandbox.connect_form())


@pytest.fixture
def tree(tiktok_sandbox):
    """A campaign with a daily budget, an ad group with one, and two ads with landing pages."""
    sb = tiktok_sandbox
    campaign = sb.create_object("campaign", "Winter boots", daily_budget=5050)
    group = sb.create_object("ad_set", "Boots - US", parent=campaign, daily_budget=2000)
    ad1 = sb.create_object("ad", "Boots video", parent=group, url="https://shop.example/p/boots")
    ad2 = sb.create_object("ad", "Boots carousel", parent=group, url="https://shop.example/p/b2")
    return {"campaign": campaign, "ad_set": group, "ads": [ad1, ad2]}
