"""A Google Ads sandbox (gRPC over TLS + OAuth token endpoint) and an app pointed at it."""

from __future__ import annotations

import pytest

from sandbox.google_ads import GoogleAdsSandbox


@pytest.fixture
def gads(pki):
    """A fresh sandbox account served for this test; no request may crash it."""
    sb = GoogleAdsSandbox()
    sb.throttle_retry_delay = 0.2
    sb.start(pki)
    yield sb
    sb.stop()
    assert not sb.internal_errors, sb.internal_errors[0]


@pytest.fixture
def gads_app(make_app, gads):
    """The app configured with the sandbox's endpoint, token URI and CA (and a short timeout)."""
    return make_app(**gads.config(), ADS_HTTP_TIMEOUT=2)


@pytest.fixture
def connector():
    from connectors.registry import ad_platform

    return ad_platform("google_ads")


@pytest.fixture
def account(connector, gads):
    """(account ref, credentials) as parse_credentials makes them from the sandbox's form."""
    return connector.parse_credentials(gads.connect_form())


@pytest.fixture
def ctx(gads_app):
    with gads_app.app_context():
        yield gads_app


@pytest.fixture
def shop(gads):
    """Two live campaigns (one paused), ad groups, ads with landing pages, a removed campaign."""
    c1 = gads.create_object("campaign", "Tents", daily_budget=5000)
    c2 = gads.create_object("campaign", "Stoves", daily_budget=1250, active=False)
    g1 = gads.create_object("ad_set", "Tents - exact", parent=c1)
    g2 = gads.create_object("ad_set", "Tents - broad", parent=c1, active=False)
    g3 = gads.create_object("ad_set", "Stoves", parent=c2)
    a1 = gads.create_object("ad", "Tent 2p", parent=g1, url="https://shop.example/tent-2p")
    a2 = gads.create_object("ad", "Tent 4p", parent=g1, url="https://shop.example/tent-4p")
    a3 = gads.create_object("ad", "Tent 2p again", parent=g2, url="https://shop.example/tent-2p")
    a4 = gads.create_object("ad", "Stove", parent=g3, url="https://shop.example/stove")
    gone = gads.create_object("campaign", "Old", daily_budget=100)
    gads.create_object("ad_set", "Old", parent=gone)
    gads.delete_object(gone)
    return dict(c1=c1, c2=c2, g1=g1, g2=g2, g3=g3, a1=a1, a2=a2, a3=a3, a4=a4, gone=gone)
