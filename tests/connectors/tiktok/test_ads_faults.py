"""Whole-call failures of TikTokConnector become typed errors: expired token, throttling,
outages, timeouts; and two merchants' credentials never meet."""

from __future__ import annotations

import logging
import time

import pytest

from connectors.base import AD, CAMPAIGN
from connectors.errors import RateLimited, Transient, Unauthorized
from sandbox.common import ServerThread
from sandbox.tiktok import TikTokSandbox


def test_expired_token_is_unauthorized_until_restored(ctx, connector, creds, tree, tiktok_sandbox):
    tiktok_sandbox.expire_credentials()
    with pytest.raises(Unauthorized) as caught:
        connector.test_connection(*creds)
    assert "40105" in str(caught.value)
    with pytest.raises(Unauthorized):
        list(connector.list_objects(*creds))
    with pytest.raises(Unauthorized):
        connector.set_status(*creds, AD, tree["ads"], active=False)
    assert all(tiktok_sandbox.is_active(ref) for ref in tree["ads"])
    tiktok_sandbox.restore_credentials()
    assert connector.test_connection(*creds).ref == tiktok_sandbox.account_ref


def test_a_token_from_another_app_is_unauthorized(ctx, connector, creds):
    with pytest.raises(Unauthorized):
        connector.test_connection(creds[0], {"access_token": "f" * 40})


def test_throttle_is_retried_then_succeeds(ctx, connector, creds, tree, tiktok_sandbox):
    tiktok_sandbox.inject_faults("throttle", 2)
    started = time.monotonic()
    results = connector.set_status(*creds, CAMPAIGN, [tree["campaign"]], active=False)
    elapsed = time.monotonic() - started
    assert results[0].ok and not tiktok_sandbox.is_active(tree["campaign"])
    calls = tiktok_sandbox.api_calls("/campaign/status/update/")
    assert [c["code"] for c in calls] == [40100, 40100, 0]
    assert 1.4 <= elapsed < 3.5  # 0.5 s then 1 s of backoff


def test_persistent_throttle_is_rate_limited(ctx, connector, creds, tiktok_sandbox):
    tiktok_sandbox.inject_faults("throttle", 10)
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        connector.test_connection(*creds)
    assert time.monotonic() - started < 3.5
    assert caught.value.retry_after > 0
    assert len(tiktok_sandbox.api_calls()) == 3  # the first try and two retries


@pytest.mark.parametrize("kind", ["server_error", "system_error"])
def test_outage_is_transient_and_not_retried(ctx, connector, creds, tree, tiktok_sandbox, kind):
    tiktok_sandbox.inject_faults(kind, 1)
    with pytest.raises(Transient) as caught:
        connector.set_status(*creds, AD, tree["ads"], active=False)
    assert caught.value.retryable
    assert len(tiktok_sandbox.api_calls()) == 1
    assert all(tiktok_sandbox.is_active(ref) for ref in tree["ads"])
    # The next call goes through.
    assert all(r.ok for r in connector.set_status(*creds, AD, tree["ads"], active=False))


def test_timeout_is_transient_within_the_configured_timeout(ctx, connector, creds, tiktok_sandbox):
    ctx.config["ADS_HTTP_TIMEOUT"] = 0.5
    tiktok_sandbox.inject_faults("timeout", 1)
    started = time.monotonic()
    with pytest.raises(Transient):
        list(connector.list_objects(*creds))
    assert time.monotonic() - started < 2.5
    assert len(tiktok_sandbox.api_calls()) == 1  # urllib3 did not retry the GET behind our back


def test_two_merchants_never_share_credentials(ctx, connector, creds, tiktok_sandbox):
    other = TikTokSandbox()
    server = ServerThread(other.wsgi_app).start()
    other.base_url = server.url
    try:
        other_creds = connector.parse_credentials(other.connect_form())
        mine = other.create_object("campaign", "Theirs", daily_budget=1000)
        ctx.config["TIKTOK_API_URL"] = other.base_url
        assert connector.read_objects(*other_creds, [(CAMPAIGN, mine)])[mine].name == "Theirs"
        with pytest.raises(Unauthorized):  # our token is no good for their account
            connector.read_objects(creds[0], creds[1], [(CAMPAIGN, mine)])
        ctx.config["TIKTOK_API_URL"] = tiktok_sandbox.base_url
        assert connector.test_connection(*creds).ref == tiktok_sandbox.account_ref
        theirs = {c["headers"]["Access-Token"] for c in other.api_calls()}
        ours = {c["headers"]["Access-Token"] for c in tiktok_sandbox.api_calls()}
        assert theirs == {other.access_token, tiktok_sandbox.access_token}
        assert ours == {tiktok_sandbox.access_token}
    finally:
        other.close()
        server.stop()


def test_the_sdk_default_configuration_holds_no_token(ctx, connector, creds, tree):
    from business_api_client.configuration import Configuration

    connector.set_status(*creds, AD, tree["ads"], active=False)
    assert Configuration().api_key == {}


def test_tokens_never_reach_the_logs(ctx, connector, creds, tree, tiktok_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    tiktok_sandbox.inject_faults("throttle", 1)
    connector.set_status(*creds, AD, tree["ads"], active=False)
    tiktok_sandbox.expire_credentials()
    with pytest.raises(Unauthorized) as caught:
        connector.test_connection(*creds)
    assert tiktok_sandbox.access_token not in caplog.text
    assert tiktok_sandbox.access_token not in str(caught.value) + str(caught.value.body)
