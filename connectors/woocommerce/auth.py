"""WooCommerce app authorization (``/wc-auth/v1``): connecting a store.

https://woocommerce.github.io/woocommerce-rest-api-docs/#rest-api-keys

1. ``GET /install?store_url=`` shows which store is about to be connected and asks to confirm:
   a link on StockGuard's address never sends a browser elsewhere by itself (open redirect), and
   nothing is written for anyone who merely opens it.
2. ``POST /install`` (the confirmation, with its form token) checks that a WordPress site with
   WooCommerce answers at that public address, records a single-use state (rate limited per
   client, expired states purged) and sends the admin to the store's authorize page.
3. WooCommerce POSTs the new keys to ``/callback`` with our signed install token.
4. WooCommerce sends the browser to ``/installed``: a page that says the store is connected and
   where to open StockGuard — from the store's own admin (see launch.py). That page proves
   nothing and hands out nothing: the install token travelled through the browser.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from connectors.errors import ConnectorError
from connectors.installs import InstallGrant, install_service
from connectors.woocommerce.client import StoreAddressRefused, check_store_address, site_info
from connectors.woocommerce.launch import (
    LaunchRefused,
    authenticate_admin,
    launch_link,
    plugin_page,
    verify_store_request,
)
from extensions import db
from models import Installation, InstallState
from ratelimit import limiter

log = logging.getLogger(__name__)

PLATFORM = "woocommerce"
KEY_RE = re.compile(r"^ck_[0-9a-f]{40}$")
SECRET_RE = re.compile(r"^cs_[0-9a-f]{40}$")
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^\[[0-9a-f:]+\]$")
FORM_KEY = "wc_connect_form"

__all__ = ["authenticate_admin", "bp", "launch_link", "normalize_store", "normalize_store_url"]


def normalize_store_url(value: str | None, *, any_scheme: bool = False) -> str | None:
    """``https://shop.example.com[/path]`` normalised, or None (javascript:, credentials, ...).

    ``any_scheme``: http too, whatever ``ALLOW_HTTP_STORES`` says (to look up a store that is
    already connected, never to connect one)."""
    if not value or len(value) > 255:
        return None
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    plain_ok = any_scheme or current_app.config.get("ALLOW_HTTP_STORES")
    allowed = ("https", "http") if plain_ok else ("https",)
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


def normalize_store(value: str | None) -> str | None:
    """The connector's ``store_address``: a store URL as installations name it."""
    return normalize_store_url(value)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _error(status: int, title: str, message: str):
    return render_template(
        "install_error.html", title=title, message=message, retry_url=None
    ), status


def _bad_address():
    return _error(
        400,
        "That is not a WooCommerce store address",
        "Enter your store's public address, e.g. https://shop.example.com.",
    )


def _store_from(value) -> str | None:
    """A store address that is well formed and public (or None)."""
    store = normalize_store_url(value)
    if store is None:
        return None
    try:
        check_store_address(store)
    except StoreAddressRefused:
        return None
    return store


bp = Blueprint("woocommerce", __name__, url_prefix="/auth/woocommerce")


@bp.get("/install")
def install():
    """Show the store about to be connected and ask to confirm (writes nothing)."""
    store = _store_from(request.args.get("store_url"))
    if store is None:
        return _bad_address()
    invited = install_service().invited_pool(request.args.get("pool"), PLATFORM, store)
    form_token = session.get(FORM_KEY) or secrets.token_urlsafe(24)
    session[FORM_KEY] = form_token
    return render_template(
        "install_confirm.html",
        store=store,
        pool=request.args.get("pool") if invited else None,
        form_token=form_token,
        action=url_for("woocommerce.install_confirmed"),
    )


@bp.post("/install")
def install_confirmed():
    """The admin confirmed: check the store, record the round trip, go to its authorize page."""
    expected = session.get(FORM_KEY) or ""
    given = request.form.get("form_token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        return _error(
            403,
            "This form has expired",
            "Open the connection link again and confirm from that page.",
        )
    store = _store_from(request.form.get("store_url"))
    if store is None:
        return _bad_address()
    retry = limiter("install", "INSTALL_RATE_LIMIT", 3600).hit(request.remote_addr or "unknown")
    if retry is not None:
        return _error(429, "Too many connection attempts", "Please try again in an hour.")
    try:
        info = site_info(store)
    except ConnectorError as e:
        log.info("no WooCommerce at %s: %s", store, e)
        info = None
    if info is None or "wc/v3" not in info["namespaces"]:
        return _error(
            400,
            "No WooCommerce store answers at this address",
            "Check the address (it is your store's home page) and that WooCommerce is active.",
        )
    cfg = current_app.config
    nonce = InstallState.issue(
        db.session,
        PLATFORM,
        store,
        install_service().invited_pool(request.form.get("pool"), PLATFORM, store),
        cfg["INSTALL_STATE_TTL"],
    )
    db.session.commit()
    token = _serializer("wc-install").dumps({"store": store, "nonce": nonce})
    query = urlencode(
        {
            "app_name": "StockGuard",
            "scope": "read_write",
            "user_id": token,
            "return_url": cfg["APP_URL"] + url_for("woocommerce.installed"),
            "callback_url": cfg["APP_URL"] + url_for("woocommerce.callback"),
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
    store = _store_from(claims.get("store"))  # checked again: its DNS may have changed since
    if store is None:
        return jsonify(error="the store's address is not a public Internet address"), 400
    ttl = current_app.config["INSTALL_STATE_TTL"]
    spent = InstallState.consume(db.session, claims["nonce"], PLATFORM, store, ttl)
    if spent is None:
        db.session.rollback()
        return jsonify(error="install token already used"), 403
    invited_pool = spent.pool_id
    db.session.commit()

    existing = Installation.find(db.session, PLATFORM, store)
    previous = existing.credentials if existing is not None else {}
    credentials = {
        "consumer_key": ck,
        "consumer_secret": cs,
        "key_id": data.get("key_id"),
        "webhook_secret": previous.get("webhook_secret") or secrets.token_urlsafe(32),
    }
    try:
        name = site_info(store).get("name")
    except ConnectorError:
        name = None
    service = install_service()
    # The row must exist before registration: WooCommerce pings each new webhook's URL, which
    # names this installation's id.
    installation_id = service.begin(PLATFORM, store, name or urlsplit(store).hostname, credentials)

    from connectors.woocommerce.webhooks import register_with

    try:
        registration = register_with(installation_id, store, credentials)
    except ConnectorError as e:
        log.warning("webhook registration failed for %s: %s", store, e)
        service.abandon(installation_id)
        return jsonify(error=f"could not register webhooks: {e}"), 502
    except Exception:
        service.abandon(installation_id)  # a 500, but no half-made installation behind it
        raise

    service.complete(
        InstallGrant(
            platform=PLATFORM,
            shop=store,
            name=name,
            credentials=credentials,
            scopes="read_write",
            settings={
                "key_id": data.get("key_id"),
                "webhook_topics": sorted(
                    registration.created + registration.updated + registration.kept
                ),
            },
            invited_pool_id=invited_pool,
            webhooks_created=registration.created,
            webhooks_updated=registration.updated,
        )
    )
    db.session.commit()
    return jsonify(ok=True), 200


@bp.get("/installed")
def installed():
    """WooCommerce's ``return_url``: say whether the store is connected and where to open
    StockGuard (the store's own admin). It opens nothing itself: anyone can forge this visit."""
    if request.args.get("success") != "1":
        return _error(
            400, "StockGuard was not connected", "The store admin declined the connection."
        )
    claims = _read_install_token(request.args.get("user_id"))
    if claims is None:
        return _error(403, "This link is not valid", "Start the connection again from StockGuard.")
    installation = Installation.find(db.session, PLATFORM, claims.get("store") or "")
    if installation is None or not installation.is_active:
        return _error(
            409,
            "The connection did not finish",
            "WooCommerce did not deliver the API keys. Start the connection again.",
        )
    return render_template(
        "install_done.html",
        name=installation.name or installation.shop_domain,
        open_url=plugin_page(installation.shop_domain),
    )


@bp.get("/launch")
def launch():
    """The WordPress plugin's signed request from wp-admin: open this store's panel (see
    launch.py). Every refusal is the same page; the log says why."""
    # Only a connected store can be opened: the address just has to name it.
    store = normalize_store_url(request.args.get("store"), any_scheme=True)
    try:
        if store is None:
            raise LaunchRefused("no store address")
        installation = verify_store_request(store, request.args)
    except LaunchRefused as e:
        log.info("launch refused for %s: %s", store, e)
        return _error(
            403,
            "StockGuard could not be opened",
            "Open StockGuard again from your WordPress admin (WooCommerce → StockGuard).",
        )
    return redirect(launch_link(installation.id))
