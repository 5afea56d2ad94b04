"""Secrets never in logs or error pages: a representative day of work with DEBUG logging on.

The whole run is also checked at StockGuard's configured levels by the plugin in
tests/secret_logs.py; here every library logs at DEBUG too (SQLAlchemy's statements and
parameters, urllib3's request lines, the platform SDKs), and the flow goes through the paths
that carry credentials: Shopify OAuth (a token issued), WooCommerce app auth (keys POSTed to
us), signed webhooks, pushes (OAuth 1.0a over HTTP puts the key in every URL), ad accounts
connected on Meta, TikTok and Google Ads, their tokens expiring, a store that stops answering,
and a 500 in production mode. Every log line and every body we answered is searched.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select, text, update

from extensions import db
from models import AdAccount, Installation, NotifySubscription
from sandbox.common import ServerThread
from tests.ads.conftest import ad_config, ad_sandboxes  # noqa: F401 - the fixture, used below
from tests.ads.harness import PLATFORMS, Panel
from tests.connectors.shopify.helpers import authorize, begin_install, path_of
from tests.sync.harness import PUBLIC, SHOP, connect


def secrets_of(app, shopify_sandbox, boxes) -> dict[str, str]:
    """{value: kind} of every secret in play (values of 12 characters or more)."""
    found = {}

    def add(kind, value):
        if isinstance(value, str) and len(value) >= 12:
            found.setdefault(value, kind)

    for name in ("SECRET_KEY", "SHOPIFY_API_SECRET"):
        add(name, app.config[name])
    for key in app.config["TOKEN_ENCRYPTION_KEY"].split(","):
        add("TOKEN_ENCRYPTION_KEY", key.strip())
    for shop in shopify_sandbox.shops.values():
        for token in shop.access_tokens | shop.revoked_tokens:
            add("Shopify access token", token)
    for platform, sb in boxes.items():
        for field, value in sb.connect_form().items():
            if any(word in field for word in ("token", "secret")):
                add(f"{platform} {field}", value)
    if "google_ads" in boxes:
        for token in boxes["google_ads"].oauth.tokens:
            add("Google OAuth access token", token)
    with app.app_context():
        for model in (Installation, AdAccount):
            for row in db.session.scalars(select(model)):
                for field, value in (row.credentials or {}).items():
                    if any(word in field for word in ("token", "secret", "key")):
                        add(f"{row.platform} {field}", value)
        db.session.remove()
    return found


def leaked(texts, secrets: dict[str, str]) -> list[str]:
    """``kind in where`` for each secret found in ``texts`` ((where, text) pairs); the values
    themselves are never named, so a failure doesn't print them either."""
    return sorted(
        {
            f"{kind} in {where}"
            for where, body in texts
            for value, kind in secrets.items()
            if value in body
        }
    )


def log_lines(caplog) -> list[tuple[str, str]]:
    return [(f"a log line of {r.name}", caplog.handler.format(r)) for r in caplog.records]


def test_a_day_of_work_logged_at_debug_holds_no_secret(
    make_app,
    pki,
    shopify_sandbox,
    woo_sandbox,
    ad_sandboxes,  # noqa: F811 - the fixture imported above
    caplog,
):
    caplog.set_level(logging.DEBUG)
    app = make_app(LOG_LEVEL="DEBUG", **ad_config(ad_sandboxes))
    server = ServerThread(app, ssl_context=pki.server_context()).start()
    answers: dict[str, str] = {}
    try:
        app.config["APP_URL"] = PUBLIC
        # Shopify OAuth + WooCommerce app auth, catalog imports, webhook registrations.
        stores = connect(app, shopify_sandbox, woo_sandbox, {"SG-1": (6, 6)}, loopback=server.url)
        # An order: a signed webhook in, pushes out (Shopify GraphQL, WooCommerce OAuth 1.0a).
        variant = stores.shopify_variants["SG-1"]
        shopify_sandbox.place_order(SHOP, [{"variant_id": variant["id"], "quantity": 2}])
        stores.converge({"SG-1": 4})
        # Ad accounts on the three platforms, then every token expires.
        panel = Panel(app, stores.shopify_id)
        for platform in PLATFORMS:
            answers[f"{platform} connect"] = json.dumps(
                panel.connect(platform, ad_sandboxes[platform])
            )
        for platform in PLATFORMS:
            ad_sandboxes[platform].expire_credentials()
            tested = panel.call("post", f"/accounts/{panel.accounts[platform]}/test")
            answers[f"{platform} expired-token answer"] = tested.get_data(as_text=True)
            assert tested.status_code < 500
        answers["ad accounts"] = panel.call("get", "").get_data(as_text=True)
        # The WooCommerce store stops answering: pushes fail, are retried, and are logged.
        with app.app_context():
            db.session.execute(
                update(Installation)
                .where(Installation.id == stores.woo_id)
                .values(shop_domain="http://127.0.0.1:9")
            )
            db.session.commit()
            db.session.remove()
        shopify_sandbox.place_order(SHOP, [{"variant_id": variant["id"], "quantity": 1}])
        app.extensions["jobs"].wait_idle(20)
        secrets = secrets_of(app, shopify_sandbox, ad_sandboxes)
    finally:
        server.stop()
    assert {"Shopify access token", "woocommerce consumer_secret", "meta access_token"} <= set(
        secrets.values()
    ), "the flow must have handled the secrets it is meant to check"
    assert "failed" in caplog.text  # the unreachable store was logged, with its traceback
    found = leaked(log_lines(caplog), secrets) + leaked(answers.items(), secrets)
    assert not found


def test_a_500_in_production_shows_and_logs_no_secret(make_app, shopify_sandbox, caplog):
    """The Shopify OAuth callback fails after the token exchange (the database lost a table):
    the shopper-facing page is Flask's bare 500 and the logged traceback holds no secret."""
    caplog.set_level(logging.DEBUG)
    app = make_app(LOG_LEVEL="DEBUG", TESTING=False, PROPAGATE_EXCEPTIONS=False, ENV="production")
    shop = "broken-store.myshopify.com"
    shopify_sandbox.create_shop(shop, name="Broken Store", currency="EUR")
    client = app.test_client()
    start = begin_install(client, shop)
    assert start.status_code == 302
    back = authorize(start.headers["Location"])
    with app.app_context():
        db.session.execute(text("ALTER TABLE installation RENAME TO installation_gone"))
        db.session.commit()
    try:
        response = client.get(path_of(back))
    finally:
        with app.app_context():
            db.session.rollback()
            db.session.execute(text("ALTER TABLE installation_gone RENAME TO installation"))
            db.session.commit()
            db.session.remove()
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and "installation_gone" not in page
    assert "Exception on /auth/shopify/callback" in caplog.text  # the failure was logged
    secrets = secrets_of(app, shopify_sandbox, {})
    assert "Shopify access token" in secrets.values(), "the token was issued before the failure"
    found = leaked(log_lines(caplog), secrets) + leaked([("the 500 page", page)], secrets)
    assert not found


def test_the_run_wide_check_catches_a_secret_in_a_log_line(app, request):
    """The plugin in tests/secret_logs.py sees what reaches the root logger, after the masking
    filter, and knows this test's secrets: a leak fails the test that logged it."""
    from tests import secret_logs

    secret = app.config["SHOPIFY_API_SECRET"]
    logging.getLogger("sync.example").warning("verifying with %s", secret)
    logging.getLogger("sync.masked").warning("?access_token=%s", secret)  # masked: no leak
    logging.getLogger("sandbox.shopify").warning("signed with %s", secret)  # not StockGuard's
    found = secret_logs.leaks(secret_logs.CAPTURE.lines, secret_logs.secrets_in_play(request.node))
    secret_logs.CAPTURE.lines.clear()  # this test's leak is on purpose
    assert found == ["SHOPIFY_API_SECRET in a log line of sync.example"]


def test_the_run_wide_check_catches_an_unsubscribe_token(app, db_session, request):
    """A shopper's unsubscribe link is a secret to the run-wide check too."""
    from sync.notify import unsubscribe_token
    from tests import secret_logs
    from tests.security.conftest import make_tenant

    make_tenant(db_session, "alpha")
    [signup] = db_session.scalars(select(NotifySubscription)).all()
    with app.test_request_context():
        token = unsubscribe_token(signup)
    logging.getLogger("sync.example").info("unsubscribe: https://x/unsubscribe/%s", token)
    found = secret_logs.leaks(secret_logs.CAPTURE.lines, secret_logs.secrets_in_play(request.node))
    secret_logs.CAPTURE.lines.clear()  # this test's leak is on purpose
    assert "notify-me unsubscribe token in a log line of sync.example" in found


def test_pool_invitations_and_launch_signatures_are_masked_in_log_lines():
    """Found in review: a pool link's token (good for an hour, any number of stores) and the
    WordPress plugin's launch signature came out of the log unmasked."""
    import logs

    line = (
        "GET /auth/shopify/install?shop=a.myshopify.com&pool=eyJwb29sIjo1fQ.aa.bb "
        "GET /auth/woocommerce/launch?store=x&user_id=1&nonce=n&signature=deadbeef "
        '{"webhook_secret": "s3cr3t", "form_token": "ft"} session=abc'
    )
    masked = logs.mask(line)
    for secret in ("eyJwb29sIjo1fQ.aa.bb", "deadbeef", "s3cr3t", 'ft"', "session=abc"):
        assert secret not in masked, secret
    assert "pool=***" in masked and "signature=***" in masked
