"""Whole-call failures of the Meta connector: expired token, throttling, 5xx, timeouts, and
that none of it leaks the merchant's secrets."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from connectors.base import AD
from connectors.errors import RateLimited, Transient, Unauthorized


def test_an_expired_token_is_unauthorized_everywhere(ctx, connector, sb, creds, shop):
    sb.expire_credentials()
    calls = [
        lambda: connector.test_connection(*creds),
        lambda: list(connector.list_objects(*creds)),
        lambda: connector.read_objects(*creds, [(AD, shop["a1"])]),
        lambda: connector.set_status(*creds, AD, [shop["a1"]], False),
    ]
    for call in calls:
        with pytest.raises(Unauthorized, match="Session has expired"):
            call()
    assert {r["auth"] for r in sb.requests} == {190}
    assert sb.is_active(shop["a1"]) and sb.writes == []
    sb.restore_credentials()  # the merchant reconnects with the same token
    assert connector.set_status(*creds, AD, [shop["a1"]], False)[0].ok


def test_one_throttle_is_retried_then_succeeds(ctx, connector, sb, creds, shop):
    sb.inject_faults("throttle", 1)
    [result] = connector.set_status(*creds, AD, [shop["a1"]], False)
    assert result.ok and not sb.is_active(shop["a1"])
    posts = [r["status"] for r in sb.requests if r["method"] == "POST"]
    assert posts == [400, 200]


@pytest.mark.parametrize("kind", ["throttle", "throttle_user", "throttle_account"])
def test_persistent_throttling_ends_rate_limited(ctx, connector, sb, creds, kind):
    sb.inject_faults(kind, 10)
    started = time.monotonic()
    with pytest.raises(RateLimited) as e:
        connector.test_connection(*creds)
    assert time.monotonic() - started <= 3.5
    assert len(sb.requests) == 3  # one try and two retries
    assert e.value.retry_after > 0


def test_a_long_retry_hint_is_not_slept_on(ctx, connector, sb, creds):
    sb.throttle_regain_minutes = 5  # x-business-use-case-usage estimated_time_to_regain_access
    sb.inject_faults("throttle", 10)
    with pytest.raises(RateLimited) as e:
        connector.test_connection(*creds)
    assert e.value.retry_after == 300
    assert len(sb.requests) == 1


def test_a_server_error_is_transient_and_not_retried(ctx, connector, sb, creds, shop):
    sb.inject_faults("server_error", 1)
    with pytest.raises(Transient) as e:
        connector.set_status(*creds, AD, [shop["a1"]], False)
    assert e.value.status == 500 and e.value.retryable
    assert len(sb.requests) == 1 and sb.is_active(shop["a1"])


def test_a_server_error_while_listing_is_transient(ctx, connector, sb, creds, shop):
    sb.max_page_size = 1
    pages = connector.list_objects(*creds)
    next(pages)
    sb.inject_faults("server_error", 1)
    with pytest.raises(Transient):
        next(pages)


def test_a_hung_request_times_out_as_transient(make_app, sb, connector, creds):
    app = make_app(**sb.config(), ADS_HTTP_TIMEOUT=0.5)
    sb.hang_seconds = 5
    sb.inject_faults("timeout", 1)
    with app.app_context():
        started = time.monotonic()
        with pytest.raises(Transient, match="within 0.5 s"):
            connector.test_connection(*creds)
        assert time.monotonic() - started < 2
        sb.reset_faults()
        app.config["ADS_HTTP_TIMEOUT"] = (
            10  # the next call works (0.5 s is tight on a busy machine)
        )
        assert connector.test_connection(*creds).ref == sb.account_ref


def test_secrets_never_reach_logs_or_errors(ctx, connector, sb, creds, shop, caplog):
    caplog.set_level(logging.DEBUG)
    raised = []
    connector.set_status(*creds, AD, [shop["a1"]], False)
    for kind in ("server_error", "throttle"):
        sb.inject_faults(kind, 5)
        try:
            connector.test_connection(*creds)
        except (Transient, RateLimited) as e:
            raised.append(e)
        sb.reset_faults()
    sb.expire_credentials()
    with pytest.raises(Unauthorized) as e:
        connector.test_connection(*creds)
    raised.append(e.value)
    shown = caplog.text + " ".join(f"{e!s} {e.body} {e.__cause__!s}" for e in raised)
    assert len(raised) == 3
    assert sb.access_token not in shown and sb.app_secret not in shown


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_graph_is_transient_and_its_url_holds_no_token(make_app, connector, sb):
    app = make_app(META_GRAPH_URL=f"http://127.0.0.1:{_closed_port()}", ADS_HTTP_TIMEOUT=1)
    ref, creds = connector.parse_credentials(sb.connect_form())
    with app.app_context(), pytest.raises(Transient, match="unreachable") as e:
        connector.test_connection(ref, creds)
    chain, cause = [], e.value
    while cause is not None:
        chain.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    assert any("appsecret_proof" in text for text in chain)  # the URL is in there…
    assert not any(sb.access_token in text or sb.app_secret in text for text in chain)  # …no token
