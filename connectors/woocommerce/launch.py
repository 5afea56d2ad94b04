"""Who may open a WooCommerce store's StockGuard panel: an admin of that store, from its own admin.

WooCommerce has no session token like Shopify's. The proof is a launch request the StockGuard
WordPress plugin makes (integrations/wordpress/stockguard) when a user who can
``manage_woocommerce`` clicks "Open StockGuard" in wp-admin: it signs
``stockguard-launch-v2 / store / user id / time / nonce`` with HMAC-SHA256 keyed by the secret of
StockGuard's webhooks on that store. StockGuard generated that secret and set it on the store's
webhooks; WooCommerce keeps it in its own tables and its REST API never returns it
(class-wc-rest-webhooks-v2-controller.php ``prepare_item_for_response`` has no ``secret``), so
only the store's own code and StockGuard know it — not even another app holding a REST key for
the store, nor whoever handed StockGuard a key through the connection callback. (The API key's
consumer secret would not do: the callback takes the key on the caller's word.) StockGuard
checks the signature (constant time), the time (±5 minutes) and that the nonce was never used,
then opens the panel through a launch link of its own that works once, within 10 minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from connectors.errors import ForgedCredential
from extensions import db
from models import Installation, SpentToken, record_activity, utcnow

PLATFORM = "woocommerce"
LAUNCH_AGE = 600  # seconds a launch link may wait before its one use
REQUEST_SKEW = 300  # seconds a plugin's signed request may be off our clock
SCHEME = "stockguard-launch-v2"


class LaunchRefused(Exception):
    """The store's launch request does not prove an admin of a connected store."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wc-launch")


def plugin_page(store: str) -> str:
    """The StockGuard page of the WordPress plugin in the store's admin."""
    return f"{store}/wp-admin/admin.php?page=stockguard"


def signed_text(store: str, user_id, timestamp, nonce: str) -> bytes:
    """What the plugin signs (stockguard.php ``stockguard_launch_url`` builds the same lines)."""
    return "\n".join([SCHEME, store, str(user_id), str(timestamp), nonce]).encode()


def signature(secret: str, store: str, user_id, timestamp, nonce: str) -> str:
    message = signed_text(store, user_id, timestamp, nonce)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_store_request(store: str, args) -> Installation:
    """The installation a plugin's signed launch request proves; LaunchRefused otherwise."""
    user_id = args.get("user_id", "")
    nonce, given = args.get("nonce", ""), args.get("signature", "")
    try:
        timestamp = int(args.get("ts", ""))
    except ValueError as e:
        raise LaunchRefused("the request has no valid time") from e
    if not (user_id.isdigit() and 16 <= len(nonce) <= 64 and nonce.isalnum()):
        raise LaunchRefused("the request is incomplete")
    if abs(time.time() - timestamp) > REQUEST_SKEW:
        raise LaunchRefused("the request is too old (or the store's clock is off)")
    installation = Installation.find(db.session, PLATFORM, store)
    if installation is None or not installation.is_active:
        raise LaunchRefused("StockGuard is not connected to this store")
    secret = installation.credentials.get("webhook_secret")
    if not secret:
        raise LaunchRefused("StockGuard holds no webhook secret for this store")
    expected = signature(secret, store, user_id, timestamp, nonce)
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise LaunchRefused("the request's signature does not hold")
    expires = utcnow() + dt.timedelta(seconds=2 * REQUEST_SKEW)
    if not SpentToken.spend(db.session, f"wc-plugin:{installation.id}:{nonce}", expires):
        db.session.commit()
        raise LaunchRefused("this request was already used")
    record_activity(
        db.session,
        installation,
        "panel_opened",
        f"StockGuard opened from the store's admin (WordPress user {user_id})",
        wp_user_id=int(user_id),
    )
    db.session.commit()
    return installation


def launch_link(installation_id: int) -> str:
    """A link into the admin panel for one WooCommerce store: works once, within 10 minutes."""
    token = _serializer().dumps({"installation": installation_id, "jti": secrets.token_urlsafe(18)})
    return url_for("admin.panel", platform=PLATFORM, launch=token)


def authenticate_admin(req) -> str | None:
    """The store URL a launch link proves, spending it; None for no link, an expired one or one
    already used; ForgedCredential for a link whose signature does not hold."""
    token = req.args.get("launch")
    if not token:
        return None
    if len(token) > 512:
        raise ForgedCredential("the launch link is not ours")
    try:
        data = _serializer().loads(token, max_age=LAUNCH_AGE)
    except SignatureExpired:
        return None
    except BadSignature as e:
        raise ForgedCredential("the launch link was altered") from e
    try:
        installation_id, jti = int(data["installation"]), str(data["jti"])
    except (KeyError, TypeError, ValueError) as e:
        raise ForgedCredential("the launch link is not ours") from e
    inst = db.session.get(Installation, installation_id)
    if inst is None or inst.platform != PLATFORM:
        return None
    expires = utcnow() + dt.timedelta(seconds=LAUNCH_AGE)
    fresh = SpentToken.spend(db.session, f"wc-launch:{jti}", expires)
    db.session.commit()
    return inst.shop_domain if fresh else None
