"""Shopify admin requests: session tokens / id_tokens, signed app-load URLs, managed installation.

With ``[access_scopes]`` in shopify.app.toml Shopify installs the app itself and opens it with
``?id_token=…&shop=…``: the app has no token for the shop yet and gets one by token exchange.
https://shopify.dev/docs/apps/build/authentication-authorization/app-installation
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
"""

from __future__ import annotations

import logging
import re
import time

import jwt
import shopify
from flask import current_app, url_for

from connectors.shopify import app_toml
from connectors.shopify.oauth import configure_library, finish_install, normalize_shop
from extensions import db

log = logging.getLogger(__name__)


def verify_session_token(token: str) -> str | None:
    """The shop a Shopify App Bridge session token (or id_token) proves, or None.

    HS256 signed with the app secret; ``aud`` = API key; ``iss`` host = ``dest`` host; ``exp``
    and ``nbf`` with 10 s leeway. https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
    """
    cfg = current_app.config
    try:
        claims = jwt.decode(
            token,
            cfg["SHOPIFY_API_SECRET"],
            algorithms=["HS256"],
            audience=cfg["SHOPIFY_API_KEY"],
            leeway=10,
            options={"require": ["exp", "nbf", "iss", "dest", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    dest = normalize_shop(re.sub(r"^https://", "", str(claims.get("dest", ""))))
    iss = str(claims.get("iss", ""))
    iss_host = normalize_shop(re.sub(r"^https://", "", iss).split("/", 1)[0])
    if dest is None or iss_host != dest:
        return None
    return dest


def _id_token(req) -> str | None:
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:]
    return req.args.get("id_token") or None


def authenticate_admin(req) -> str | None:
    """The shop an admin request proves: a session token, or Shopify's signed app-load URL."""
    token = _id_token(req)
    if token:
        return verify_session_token(token)
    params = req.args.to_dict()
    shop = normalize_shop(params.get("shop"))
    if shop and params.get("hmac"):
        configure_library()
        try:
            fresh = (
                abs(time.time() - int(params.get("timestamp", "")))
                <= current_app.config["OAUTH_TIMESTAMP_TOLERANCE"]
            )
        except ValueError:
            fresh = False
        if fresh and shopify.Session.validate_hmac(params):
            return shop
    return None


def install_from_admin(req, shop: str, installation) -> str | None:
    """Make the proven ``shop`` ready for its panel; a URL to send the merchant to first, or None.

    - No active installation and an id_token: Shopify installed the app (managed installation).
      Exchange the id_token for an expiring offline token, register webhooks and complete the
      install. Raises ``ConnectorError`` when Shopify refuses (nothing saved).
    - Active, but StockGuard's required scopes are not all granted (``app/scopes_update``
      recorded fewer): the OAuth install asks the merchant for them again.
    """
    from connectors.shopify.tokens import exchange_id_token

    if installation is not None and installation.is_active:
        # Scopes never recorded (a row older than scope tracking): nothing to compare.
        missing = app_toml.missing_scopes(installation.scopes) if installation.scopes else []
        if missing:
            log.info("%s lacks scopes %s: asking again", shop, ",".join(missing))
            return url_for("shopify.install", shop=shop)
        return None
    token = _id_token(req)
    if not token or verify_session_token(token) != shop:
        return None  # a signed app-load URL proves the shop but cannot be exchanged
    finish_install(shop, exchange_id_token(shop, token))
    db.session.commit()
    return None
