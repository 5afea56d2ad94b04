"""WooCommerce app authorization end to end against the WooCommerce sandbox, and its refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connectors.woocommerce.webhooks import SUBSCRIBED_TOPICS
from models import ActivityEntry, Installation
from tests.connectors.shopify.helpers import path_of
from tests.connectors.woocommerce.helpers import launch_query, open_panel, start, webhook_secret


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Installation))


def _start(client, store_url):
    return start(client, store_url)


def test_install_redirects_to_the_store_authorize_page(client, woo_sandbox):
    resp = _start(client, woo_sandbox.base_url)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(
        woo_sandbox.base_url + "/wc-auth/v1/authorize?app_name=StockGuard&scope=read_write&user_id="
    )
    assert "callback_url=https%3A%2F%2Fstockguard.test%2Fauth%2Fwoocommerce%2Fcallback" in location
    assert "return_url=https%3A%2F%2Fstockguard.test%2Fauth%2Fwoocommerce%2Finstalled" in location


def test_full_install_stores_keys_registers_webhooks_and_opens_the_panel(
    live_app, woo_sandbox, db_session
):
    client = live_app.test_client()
    start = _start(client, woo_sandbox.base_url)
    final = woo_sandbox.approve(start.headers["Location"])
    assert "success=1" in final

    inst = Installation.find(db_session, "woocommerce", woo_sandbox.base_url)
    assert inst is not None and inst.status == "active"
    [key] = woo_sandbox.api_keys
    creds = inst.credentials
    assert creds["consumer_key"] == _field(key, "consumer_key")
    assert _field(key, "consumer_secret") not in (inst.credentials_sealed or "")

    hooks = woo_sandbox.webhooks
    assert sorted(_field(h, "topic") for h in hooks) == sorted(SUBSCRIBED_TOPICS)
    url = f"{live_app.config['APP_URL']}/webhooks/woocommerce/{inst.id}"
    assert {_field(h, "delivery_url") for h in hooks} == {url}
    assert {_field(h, "status") for h in hooks} == {"active"}
    assert {_field(h, "secret") for h in hooks} == {creds["webhook_secret"]}
    assert db_session.scalar(select(ActivityEntry.message)) == "StockGuard was installed"
    assert inst.name == woo_sandbox.site_title  # the site title, read from the REST index

    # The return page says where to open StockGuard — the store's own admin — and opens nothing.
    landing = client.get(path_of(final))
    page = landing.get_data(as_text=True)
    assert landing.status_code == 200 and "launch=" not in page
    assert f"{woo_sandbox.base_url}/wp-admin/admin.php?page=stockguard" in page
    panel = open_panel(client, woo_sandbox)
    assert panel.status_code == 200
    assert woo_sandbox.site_title in panel.get_data(as_text=True)


def _field(obj, name):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def test_reconnect_keeps_one_installation_and_one_webhook_per_topic(
    live_app, woo_sandbox, db_session
):
    client = live_app.test_client()
    for _ in range(2):
        woo_sandbox.approve(_start(client, woo_sandbox.base_url).headers["Location"])
    assert _count(db_session) == 1
    assert len(woo_sandbox.webhooks) == len(SUBSCRIBED_TOPICS)


def test_webhooks_disabled_by_woocommerce_are_re_enabled_on_reconnect(
    live_app, woo_sandbox, db_session
):
    client = live_app.test_client()
    woo_sandbox.approve(_start(client, woo_sandbox.base_url).headers["Location"])
    for hook in woo_sandbox.webhooks:
        _set(hook, "status", "disabled")
    woo_sandbox.approve(_start(client, woo_sandbox.base_url).headers["Location"])
    assert {_field(h, "status") for h in woo_sandbox.webhooks} == {"active"}


def _set(obj, name, value):
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)


def test_registration_failure_answers_non_200_so_woocommerce_deletes_the_key(
    live_app, woo_sandbox, db_session
):
    client = live_app.test_client()
    start = _start(client, woo_sandbox.base_url)
    woo_sandbox.fail_next(10, status=500, path_prefix="/wp-json/wc/v3/webhooks")
    final = woo_sandbox.approve(start.headers["Location"])
    assert "success=1" not in final
    assert _count(db_session) == 0
    assert len(woo_sandbox.api_keys) == 0  # WooCommerce deleted the key


def test_http_callback_is_refused_by_woocommerce(make_app, woo_sandbox, db_session):
    app = make_app(APP_URL="http://127.0.0.1:9")
    start = _start(app.test_client(), woo_sandbox.base_url)
    final = woo_sandbox.approve(start.headers["Location"])
    assert "success=1" not in final
    assert _count(db_session) == 0


def _callback_body(client, store_url, **overrides):
    from urllib.parse import parse_qs, urlsplit

    location = _start(client, store_url).headers["Location"]
    token = parse_qs(urlsplit(location).query)["user_id"][0]
    body = {
        "key_id": 7,
        "user_id": token,
        "consumer_key": "ck_" + "a" * 40,
        "consumer_secret": "cs_" + "b" * 40,
        "key_permissions": "read_write",
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "override, status",
    [
        ({"user_id": "42"}, 403),
        ({"user_id": None}, 403),
        ({"consumer_key": "ck_short"}, 400),
        ({"consumer_secret": "<script>"}, 400),
        ({"key_permissions": "read"}, 400),
    ],
)
def test_callback_without_a_valid_install_token_or_keys_is_refused(
    client, woo_sandbox, db_session, override, status
):
    body = _callback_body(client, woo_sandbox.base_url, **override)
    resp = client.post("/auth/woocommerce/callback", json=body)
    assert resp.status_code == status
    assert _count(db_session) == 0


def test_callback_with_a_tampered_token_is_refused(client, woo_sandbox, db_session):
    body = _callback_body(client, woo_sandbox.base_url)
    body["user_id"] = body["user_id"][:-2] + ("AA" if not body["user_id"].endswith("AA") else "BB")
    assert client.post("/auth/woocommerce/callback", json=body).status_code == 403
    assert _count(db_session) == 0


def test_callback_with_an_expired_token_is_refused(make_app, woo_sandbox, db_session):
    client = make_app(INSTALL_STATE_TTL=-1).test_client()
    body = _callback_body(client, woo_sandbox.base_url)
    assert client.post("/auth/woocommerce/callback", json=body).status_code == 403
    assert _count(db_session) == 0


def test_callback_body_that_is_not_json_is_400(client, db_session):
    resp = client.post(
        "/auth/woocommerce/callback",
        data="key_id=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 400
    assert (
        client.post(
            "/auth/woocommerce/callback", data="{", content_type="application/json"
        ).status_code
        == 400
    )


def test_a_used_install_token_cannot_be_replayed(live_app, woo_sandbox, db_session):
    client = live_app.test_client()
    start = _start(client, woo_sandbox.base_url)
    woo_sandbox.approve(start.headers["Location"])
    from urllib.parse import parse_qs, urlsplit

    token = parse_qs(urlsplit(start.headers["Location"]).query)["user_id"][0]
    replay = {
        "key_id": 99,
        "user_id": token,
        "consumer_key": "ck_" + "c" * 40,
        "consumer_secret": "cs_" + "d" * 40,
        "key_permissions": "read_write",
    }
    resp = client.post("/auth/woocommerce/callback", json=replay)
    assert resp.status_code == 403
    inst = Installation.find(db_session, "woocommerce", woo_sandbox.base_url)
    assert inst.credentials["consumer_key"] != "ck_" + "c" * 40


@pytest.mark.parametrize(
    "store_url",
    [
        "javascript:alert(1)",
        "ftp://shop.example.com",
        "https://user:pw@shop.example.com",
        "https://shop.example.com/?x=1",
        "https://",
        "",
        "shop.example.com",
        "https://sh op.com",
    ],
)
def test_install_refuses_store_urls_that_are_not_stores(client, store_url):
    resp = _start(client, store_url)
    assert resp.status_code == 400
    assert "Location" not in resp.headers


def test_production_refuses_plain_http_stores(make_app):
    client = make_app(ALLOW_HTTP_STORES=False).test_client()
    asks = {"store_url": "http://shop.example.com"}
    assert client.get("/auth/woocommerce/install", query_string=asks).status_code == 400
    asks = {"store_url": "https://shop.example.com"}
    assert client.get("/auth/woocommerce/install", query_string=asks).status_code == 200


def test_installed_page_without_success_says_so(client):
    resp = client.get("/auth/woocommerce/installed?success=0&user_id=x")
    assert resp.status_code == 400 and "declined" in resp.get_data(as_text=True)


def test_tampered_launch_link_is_refused_and_a_genuine_one_works_once(live_app, woo_sandbox):
    client = live_app.test_client()
    woo_sandbox.approve(_start(client, woo_sandbox.base_url).headers["Location"])
    query = launch_query(woo_sandbox.base_url, webhook_secret(woo_sandbox))
    launch = client.get(f"/auth/woocommerce/launch?{query}").headers["Location"]
    tampered = client.get(launch[:-3] + "xyz")
    assert tampered.status_code == 403 and "not valid" in tampered.get_data(as_text=True)
    assert client.get("/admin/woocommerce").status_code == 401  # no link: open it from the store
    assert client.get(launch).status_code == 200
    again = client.get(launch)  # single use: a link found in history or a log opens nothing
    assert again.status_code == 401 and "panel_token" not in again.get_data(as_text=True)


def test_expired_launch_link_asks_to_open_the_app_again(live_app, woo_sandbox, monkeypatch):
    """Past its 10 minutes a genuine link is refused with 401 (open it again), not 403."""
    import itsdangerous.timed

    client = live_app.test_client()
    final = woo_sandbox.approve(_start(client, woo_sandbox.base_url).headers["Location"])
    client.get(path_of(final))
    from sqlalchemy import select

    from connectors.woocommerce.auth import launch_link
    from extensions import db
    from models import Installation

    with live_app.test_request_context():
        inst = db.session.scalars(select(Installation)).one()
        real = itsdangerous.timed.time.time
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 601)
        old = launch_link(inst.id)
        monkeypatch.undo()
    answer = client.get(old[old.index("/admin/") :])
    assert answer.status_code == 401 and "expired" in answer.get_data(as_text=True)
