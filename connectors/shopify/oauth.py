"""Shopify install through the authorization code grant, with an expiring offline token.

https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
The code is exchanged with ``expiring=1``: Shopify answers an offline token that lasts 60 minutes
and a refresh token (connectors/shopify/tokens.py keeps it fresh).
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
"""

from __future__ import annotations

import logging
import re
import time

import shopify
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from config import SHOPIFY_API_VERSION
from connectors.errors import ConnectorError
from connectors.installs import InstallGrant, install_service
from connectors.shopify import app_toml
from extensions import db
from models import InstallState
from ratelimit import limiter

log = logging.getLogger(__name__)

PLATFORM = "shopify"
SHOP_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
SESSION_KEY = "shopify_oauth"


def normalize_shop(value: str | None) -> str | None:
    """``name.myshopify.com`` in lower case, or None for anything else (evil.com, URLs, ...)."""
    if not value or len(value) > 255:
        return None
    value = value.strip().lower()
    return value if SHOP_RE.fullmatch(value) else None


def configure_library() -> None:
    """Give the ShopifyAPI library this app's key and secret (process-wide class state)."""
    shopify.Session.setup(
        api_key=current_app.config["SHOPIFY_API_KEY"],
        secret=current_app.config["SHOPIFY_API_SECRET"],
    )


def _error(status: int, title: str, message: str, shop: str | None = None):
    retry = url_for("shopify.install", shop=shop) if shop else None
    return render_template(
        "install_error.html", title=title, message=message, retry_url=retry
    ), status


def admin_url(shop: str) -> str:
    """Where the merchant lands after install: StockGuard inside their Shopify admin."""
    return f"https://{shop}/admin/apps/{current_app.config['SHOPIFY_API_KEY']}"


def finish_install(shop: str, token_response: dict, invited_pool_id: int | None = None) -> None:
    """Register webhooks with the new token and hand the grant to the engine (caller commits).

    Raises ``ConnectorError`` (nothing saved) when Shopify refuses the set-up."""
    from connectors.shopify.client import ShopifyClient
    from connectors.shopify.tokens import credentials_from
    from connectors.shopify.webhooks import register_webhooks_for

    credentials = credentials_from(token_response)
    client = ShopifyClient(shop, credentials["access_token"])
    info = client.shop_info()
    registration = register_webhooks_for(client)
    install_service().complete(
        InstallGrant(
            platform=PLATFORM,
            shop=shop,
            name=info.get("name"),
            credentials=credentials,
            scopes=str(token_response.get("scope") or ""),
            settings={
                "currency": info.get("currencyCode"),
                # app/scopes_update names the shop by this id only (bound in webhooks.verify).
                "shop_id": info.get("id"),
                "webhook_topics": sorted(
                    registration.created + registration.updated + registration.kept
                ),
            },
            invited_pool_id=invited_pool_id,
            webhooks_created=registration.created,
            webhooks_updated=registration.updated,
        )
    )


bp = Blueprint("shopify", __name__, url_prefix="/auth/shopify")


@bp.get("/install")
def install():
    """Send the merchant to Shopify's consent screen with a state nonce bound to this browser."""
    shop = normalize_shop(request.args.get("shop"))
    if shop is None:
        return _error(
            400,
            "That is not a Shopify store address",
            "Enter your store's address as it appears in Shopify admin, e.g. my-store.myshopify.com.",
        )
    # Anyone may start an install, and each start records a state: limited per client address
    # (expired states are deleted by the next start).
    retry = limiter("install", "INSTALL_RATE_LIMIT", 3600).hit(request.remote_addr or "unknown")
    if retry is not None:
        return _error(429, "Too many installation attempts", "Please try again in an hour.")
    configure_library()
    nonce = InstallState.issue(
        db.session,
        PLATFORM,
        shop,
        install_service().invited_pool(request.args.get("pool"), PLATFORM, shop),
        current_app.config["INSTALL_STATE_TTL"],
    )
    db.session.commit()
    session[SESSION_KEY] = {"nonce": nonce, "shop": shop}
    redirect_uri = current_app.config["APP_URL"] + url_for("shopify.callback")
    url = shopify.Session(shop, SHOPIFY_API_VERSION).create_permission_url(
        app_toml.scopes(), redirect_uri, state=nonce
    )
    return redirect(url)


@bp.get("/callback")
def callback():
    """Check shop, HMAC, freshness and state; exchange the code; register webhooks; persist."""
    from connectors.shopify.tokens import exchange_code

    params = request.args.to_dict()
    shop = normalize_shop(params.get("shop"))
    if shop is None:
        return _error(400, "Invalid store address", "The store address in this link is not valid.")
    configure_library()
    if not params.get("hmac") or not shopify.Session.validate_hmac(params):  # compare_digest
        return _error(
            401, "This link was not signed by Shopify", "Start the installation again.", shop
        )
    try:
        age = abs(time.time() - int(params.get("timestamp", "")))
    except ValueError:
        age = float("inf")
    if age > current_app.config["OAUTH_TIMESTAMP_TOLERANCE"]:
        return _error(
            400, "This installation link has expired", "Start the installation again.", shop
        )

    bound = session.pop(SESSION_KEY, None) or {}
    state = params.get("state") or ""
    spent = None
    if state and bound.get("nonce") == state and bound.get("shop") == shop:
        spent = InstallState.consume(
            db.session, state, PLATFORM, shop, current_app.config["INSTALL_STATE_TTL"]
        )
    if spent is None:
        db.session.rollback()
        return _error(
            403,
            "This installation link is not valid here",
            "It was already used, has expired, or was started in another browser.",
            shop,
        )
    join_pool = spent.pool_id
    db.session.commit()  # the nonce is spent whatever happens next

    try:
        token_response = exchange_code(shop, params.get("code") or "")
    except ConnectorError as e:
        log.warning("token exchange failed for %s: %s", shop, type(e).__name__)
        return _error(502, "Shopify did not complete the installation", "Please try again.", shop)
    try:
        finish_install(shop, token_response, join_pool)
    except ConnectorError as e:
        db.session.rollback()
        log.warning("post-install set-up failed for %s: %s", shop, e)
        return _error(
            502,
            "Shopify did not accept StockGuard's set-up",
            f"{e} — nothing was saved; please try again.",
            shop,
        )
    db.session.commit()
    return redirect(admin_url(shop))


@bp.cli.command("migrate-tokens")
def migrate_tokens_command():
    """Exchange every stored non-expiring offline token for an expiring pair (before 2027)."""
    import click

    from connectors.shopify.tokens import migrate_all

    counts = migrate_all()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
