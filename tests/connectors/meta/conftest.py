"""A Meta sandbox on loopback and an app pointed at it (``META_GRAPH_URL``)."""

from __future__ import annotations

import pytest

from sandbox.common import Dispatcher, ServerThread
from sandbox.meta import MetaSandbox


@pytest.fixture(scope="module")
def meta_server():
    """One plain-HTTP server per module; each test plugs its own sandbox in."""
    dispatcher = Dispatcher()
    server = ServerThread(dispatcher).start()
    yield dispatcher, server
    server.stop()


@pytest.fixture
def make_meta(meta_server):
    dispatcher, server = meta_server
    made: list[MetaSandbox] = []

    def start() -> MetaSandbox:
        sb = MetaSandbox()
        sb.base_url = server.url
        dispatcher.target = sb.wsgi_app
        made.append(sb)
        return sb

    yield start
    for sb in made:
        sb.reset_faults()  # lets a held "timeout" request go
    dispatcher.target = None


@pytest.fixture
def sb(make_meta) -> MetaSandbox:
    return make_meta()


@pytest.fixture
def meta_app(make_app, sb):
    return make_app(**sb.config(), ADS_HTTP_TIMEOUT=2)


@pytest.fixture
def ctx(meta_app):
    with meta_app.app_context():
        yield meta_app


@pytest.fixture
def connector():
    from connectors.registry import ad_platform

    return ad_platform("meta")


@pytest.fixture
def creds(connector, sb):
    return connector.parse_credentials(sb.connect_form())


@pytest.fixture
def shop(sb):
    """A campaign (with a campaign budget), two ad sets and three ads with landing pages."""
    c = sb.create_object("campaign", "Winter boots", daily_budget=5000)
    s1 = sb.create_object("ad_set", "Boots FR", parent=c, daily_budget=2000)
    s2 = sb.create_object("ad_set", "Boots DE", parent=c, active=False)
    a1 = sb.create_object("ad", "Boots red", parent=s1, url="https://shop.example/products/red")
    a2 = sb.create_object("ad", "Boots blue", parent=s1, url="https://shop.example/products/blue")
    a3 = sb.create_object("ad", "Boots post", parent=s2)
    return {"campaign": c, "s1": s1, "s2": s2, "a1": a1, "a2": a2, "a3": a3}
