"""WooCommerce app authorization (``/wc-auth/v1``) and the signed admin launch link.

https://woocommerce.github.io/woocommerce-rest-api-docs/#rest-api-keys
"""

from __future__ import annotations

import logging
import re
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from connectors.errors import ConnectorError, ForgedCredential
from extensions import db
from models import Installation, InstallState, record_activity
from sync import catalog
from sync.pools import read_link_token

log = logging.getLogger(__name__)

PLATFORM = "woocommerce"
KEY_RE = re.compile(r"^ck_[0-9a-f]{40}$")
SECRET_RE = re.compile(r"^cs_[0-9a-f]{40}$")
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^\[[0-9a-f:]+\]$")


def normalize_store_url(value: str | None) -> str | None:
    """``https://shop.example.com[/path]`` normalised, or None (javascript:, credentials, ...)."""
    if not value or len(value) > 255:
        return None
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    allowed = ("https", "http") if current_app.config.get("ALLOW_HTTP_STORES") else ("https",)
    host = (parts.hostname or "").lower()
    if (
        parts.scheme.lower() not in allowed
        or not host
        or not HOST_RE.match(host)
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
    ):
        return None
    netloc = host + (f":{port}" if port else "")
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{netloc}{path}"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _error(status: int, title: str, message: str):
    return render_template(
        "install_error.html", title=title, message=message, retry_url=None
    ), status


def launch_link(installation_id: int) -> str:
    """A signed, expiring link into the admin panel for one WooCommerce store."""
    token = _serializer("wc-launch").dumps({"installation": installation_id})
    return url_for("admin.panel", platform=PLATFORM, launch=token)


def authenticate_admin(req) -> str | None:
    """The store URL a signed launch link proves (valid 10 minutes), or None (no link, or an
    expired one); ForgedCredential for a link whose signature does not hold."""
    token = req.args.get("launch")
    if not token:
        return None
    try:
        data = _serializer("wc-launch").loads(token, max_age=600)
    except SignatureExpired:
        return None
    except BadSignature as e:
        raise ForgedCredential("the launch link was altered") from e
    inst = db.session.get(Installation, int(data.get("installation", 0)))
    return inst.shop_domain if inst is not None and inst.platform == PLATFORM else None


bp = Blueprint("woocommerce", __name__, url_prefix="/auth/woocommerce")


@bp.get("/install")
def install():
    """Send the store admin to their store's ``/wc-auth/v1/authorize`` with a signed install token."""
    store = normalize_store_url(request.args.get("store_url"))
    if store is None:
        return _error(
            400,
            "That is not a WooCommerce store address",
            "Enter your store's address, e.g. https://shop.example.com.",
        )
    pool_id = read_link_token(request.args.get("pool"))
    nonce = InstallState.issue(db.session, PLATFORM, store, pool_id)
    db.session.commit()
    token = _serializer("wc-install").dumps({"store": store, "nonce": nonce})
    base = current_app.config["APP_URL"]
    query = urlencode(
        {
            "app_name": "StockGuard",
            "scope": "read_write",
            "user_id": token,
            "return_url": base + url_for("woocommerce.installed"),
            "callback_url": base + url_for("woocommerce.callback"),
        }
    )
    return redirect(f"{store}/wc-auth/v1/authorize?{query}")


def _read_install_token(token) -> dict | None:
    if not isinstance(token, str) or len(token) > 1024:
        return None
    try:
        return _serializer("wc-install").loads(
            token, max_age=current_app.config["INSTALL_STATE_TTL"]
        )
    except (BadSignature, SignatureExpired):
        return None


@bp.post("/callback")
def callback():
    """Store the keys WooCommerce POSTs, register webhooks, and only then answer 200.

    Anything but 200 makes WooCommerce delete the key, so a failure here leaves nothing behind
    on either side.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="body must be the JSON WooCommerce sends"), 400
    claims = _read_install_token(data.get("user_id"))
    if claims is None:
        return jsonify(error="invalid or expired install token"), 403
    ck, cs = data.get("consumer_key"), data.get("consumer_secret")
    if not (
        isinstance(ck, str) and KEY_RE.match(ck) and isinstance(cs, str) and SECRET_RE.match(cs)
    ):
        return jsonify(error="consumer_key / consumer_secret malformed"), 400
    if data.get("key_permissions") != "read_write":
        return jsonify(error="StockGuard needs read_write access"), 400
    store = claims["store"]
    ttl = current_app.config["INSTALL_STATE_TTL"]
    spent = InstallState.consume(db.session, claims["nonce"], PLATFORM, store, ttl)
    if spent is None:
        db.session.rollback()
        return jsonify(error="install token already used"), 403
    join_pool = spent.pool_id
    db.session.commit()

    installation = Installation.find(db.session, PLATFORM, store)
    created = installation is None
    previous = None if created else installation.credentials
    secret = (previous or {}).get("webhook_secret") or secrets.token_urlsafe(32)
    credentials = {
        "consumer_key": ck,
        "consumer_secret": cs,
        "key_id": data.get("key_id"),
        "webhook_secret": secret,
    }
    if created:
        # The row must exist before registration: WooCommerce pings each new webhook's URL,
        # which names this installation's id.
        installation = Installation(
            platform=PLATFORM, shop_domain=store, name=urlsplit(store).hostname
        )
        installation.credentials = credentials
        db.session.add(installation)
        db.session.commit()

    from connectors.woocommerce.webhooks import register_with

    try:
        registration = register_with(installation.id, store, credentials)
    except ConnectorError as e:
        log.warning("webhook registration failed for %s: %s", store, e)
        if created:
            db.session.delete(installation)
            db.session.commit()
        return jsonify(error=f"could not register webhooks: {e}"), 502

    installation.credentials = credentials
    installation.status = Installation.ACTIVE
    installation.uninstalled_at = None
    installation.scopes = "read_write"
    installation.settings = {
        **(installation.settings or {}),
        "key_id": data.get("key_id"),
        "wp_user_id": claims.get("wp_user"),
        "webhook_topics": sorted(registration.created + registration.updated + registration.kept),
    }
    catalog.installed(db.session, installation, join_pool)
    record_activity(
        db.session,
        installation,
        "install",
        "StockGuard was connected" if created else "StockGuard was re-connected",
        webhooks_created=registration.created,
        webhooks_updated=registration.updated,
    )
    db.session.commit()
    return jsonify(ok=True), 200


@bp.get("/installed")
def installed():
    """WooCommerce's ``return_url``: on success, open the admin panel for the store."""
    claims = _read_install_token(request.args.get("user_id"))
    if request.args.get("success") != "1":
        return _error(
            400, "StockGuard was not connected", "The store admin declined the connection."
        )
    if claims is None:
        return _error(403, "This link is not valid", "Start the connection again from StockGuard.")
    installation = Installation.find(db.session, PLATFORM, claims["store"])
    if installation is None or not installation.is_active:
        return _error(
            409,
            "The connection did not finish",
            "WooCommerce did not deliver the API keys. Start the connection again.",
        )
    return redirect(launch_link(installation.id))
