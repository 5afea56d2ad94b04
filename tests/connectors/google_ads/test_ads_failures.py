"""GoogleAdsConnector's typed errors: expired grant, throttling, 5xx, timeouts, TLS, no leaks."""

from __future__ import annotations

import logging
import time

import pytest

from connectors.base import CAMPAIGN
from connectors.errors import RateLimited, Transient, Unauthorized


def api_calls(sb, method: str | None = None) -> list[dict]:
    return [r for r in sb.requests if method is None or r["method"] == method]


def test_expired_credentials_are_unauthorized_until_restored(connector, gads, account, ctx, shop):
    connector.test_connection(*account)  # an access token is cached
    gads.expire_credentials()
    with pytest.raises(Unauthorized, match="invalid_grant"):
        connector.set_status(*account, CAMPAIGN, [shop["c1"]], False)
    # The API said OAUTH_TOKEN_EXPIRED, the refresh got invalid_grant; nothing was written.
    assert api_calls(gads)[-1]["method"] == "MutateCampaigns"
    assert gads.is_active(shop["c1"])
    with pytest.raises(Unauthorized):
        connector.test_connection(*account)
    gads.restore_credentials()
    (result,) = connector.set_status(*account, CAMPAIGN, [shop["c1"]], False)
    assert result.ok and not gads.is_active(shop["c1"])


def test_throttling_is_retried_honouring_the_retry_delay(connector, gads, account, ctx, shop):
    gads.inject_faults("throttle", 2)
    started = time.monotonic()
    (result,) = connector.set_status(*account, CAMPAIGN, [shop["c1"]], False)
    assert result.ok and not gads.is_active(shop["c1"])
    # Waited what the API asked (2 x 0.2 s), not the 0.5 s + 1 s fallback backoff.
    assert 2 * gads.throttle_retry_delay <= time.monotonic() - started < 1.4
    assert len(api_calls(gads, "MutateCampaigns")) == 3


def test_persistent_throttling_is_rate_limited(connector, gads, account, ctx):
    gads.inject_faults("throttle", 10)
    with pytest.raises(RateLimited) as info:
        connector.test_connection(*account)
    assert info.value.retry_after == pytest.approx(0.2)
    assert "RESOURCE_TEMPORARILY_EXHAUSTED" in str(info.value)
    assert len(api_calls(gads)) == 3  # the call and two retries


def test_a_long_retry_delay_is_not_waited_for(connector, gads, account, ctx):
    gads.inject_faults("quota", 1)
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        connector.test_connection(*account)
    assert info.value.retry_after == pytest.approx(40_591)
    assert time.monotonic() - started < 2
    assert len(api_calls(gads)) == 1


@pytest.mark.parametrize("kind", ["server_error", "unavailable"])
def test_server_errors_are_transient(connector, gads, account, ctx, shop, kind):
    gads.inject_faults(kind, 1)
    with pytest.raises(Transient, match="INTERNAL|UNAVAILABLE"):
        connector.set_status(*account, CAMPAIGN, [shop["c1"]], False)
    assert gads.is_active(shop["c1"])
    assert len(api_calls(gads)) == 1


def test_timeouts_are_transient(connector, gads, account, gads_app, shop):
    with gads_app.app_context():
        connector.test_connection(*account)  # the access token is cached: only the RPC waits
    gads_app.config["ADS_HTTP_TIMEOUT"] = 0.5
    gads.inject_faults("timeout", 1)
    started = time.monotonic()
    with gads_app.app_context(), pytest.raises(Transient, match="DEADLINE_EXCEEDED"):
        connector.set_status(*account, CAMPAIGN, [shop["c1"]], False)
    assert time.monotonic() - started < 3
    assert api_calls(gads)[-1]["method"] == "MutateCampaigns"  # it reached the server
    # Whether the held write still lands once released is the server's race, as on Google: the
    # engine reads the object before a retry either way (sync/ads/execute.py).
    gads.stop()


def test_the_channel_verifies_the_server_certificate(connector, gads, account, make_app):
    app = make_app(**{**gads.config(), "GOOGLE_ADS_ROOT_CERTIFICATES": None})
    with app.app_context(), pytest.raises(Transient, match="UNAVAILABLE"):
        connector.test_connection(*account)  # system roots don't trust the sandbox CA
    assert not api_calls(gads)


def test_no_secret_reaches_the_logs(connector, gads, account, ctx, shop, caplog):
    caplog.set_level(logging.DEBUG)
    connector.test_connection(*account)
    connector.set_status(*account, CAMPAIGN, [shop["c1"], "4242424242"], False)
    gads.expire_credentials()
    with pytest.raises(Unauthorized) as info:
        connector.test_connection(*account)
    shown = caplog.text + str(info.value) + repr(info.value.body)
    token = api_calls(gads)[-1]["metadata"]["authorization"].split()[1]
    for secret in (gads.oauth.client_secret, gads.oauth.refresh_token, gads.developer_token, token):
        assert secret not in shown
