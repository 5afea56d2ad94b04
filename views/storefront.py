"""The public storefront API the badge script calls (contract: docs/storefront.md).

Read-only availability answered from memory (``views.storefront_cache``), notify-me sign-ups,
and the unsubscribe page. Public and unauthenticated by nature, so: strict input checks, CORS
only for the store's own origins, per-client rate limits, and answers that hold nothing but
what a shopper may see (no stock figure unless the merchant shows "only N left", no cost).
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import Blueprint, abort, jsonify, make_response, render_template, request
from sqlalchemy import select

from extensions import db
from models import Installation, Listing
from ratelimit import limiter
from sync import notify
from sync.restocks import today
from views.storefront_cache import StorefrontCache, answer

bp = Blueprint("storefront", __name__, url_prefix="/storefront/v1")

MAX_IDS = 50
ID = re.compile(r"^[0-9]{1,20}$")
SHOP = re.compile(
    r"^[a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?(:[0-9]{1,5})?(/[A-Za-z0-9._~-]{1,64}){0,4}$"
)
MAX_NOTIFY_BODY = 4096
CACHE_CONTROL = "public, max-age=10, stale-while-revalidate=30"

cache = StorefrontCache()


class StorefrontError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None, retry: int = 0):
        super().__init__(message)
        self.status, self.message, self.field, self.retry = status, message, field, retry


def _client() -> str:
    return request.remote_addr or "unknown"


def _limit(name: str, setting: str, window: int) -> None:
    retry = limiter(name, setting, window).hit(_client())
    if retry is not None:
        raise StorefrontError(429, "too many requests; try again later", retry=retry)


def _shop_param(value) -> str:
    shop = (value or "").strip().lower().removeprefix("https://").removeprefix("http://")
    shop = shop.rstrip("/")
    if not shop:
        raise StorefrontError(400, "shop is required", "shop")
    if len(shop) > 255 or not SHOP.match(shop):
        raise StorefrontError(400, "shop is not a store address", "shop")
    return shop


def _ids(name: str) -> list[str]:
    raw = request.args.get(name, "")
    if len(raw) > MAX_IDS * 22:
        raise StorefrontError(400, f"at most {MAX_IDS} ids per request", name)
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    for value in ids:
        if not ID.match(value):
            raise StorefrontError(400, f"{name}: ids are numbers of at most 20 digits", name)
    return list(dict.fromkeys(ids))


def _view(shop: str):
    view = cache.shop(db.session, shop)
    if view is None:
        raise StorefrontError(404, "no store with StockGuard at this address", "shop")
    return view


def _cors(response, view) -> None:
    origin = request.headers.get("Origin")
    response.vary.add("Origin")
    if origin and view is not None and origin in view.origins:
        response.headers["Access-Control-Allow-Origin"] = origin


@bp.errorhandler(StorefrontError)
def _error(e: StorefrontError):
    body = {"error": e.message}
    if e.field:
        body["field"] = e.field
    response = jsonify(body)
    response.status_code = e.status
    if e.retry:
        response.headers["Retry-After"] = str(e.retry)
    response.headers["Cache-Control"] = "no-store"
    # Errors are readable by the page that asked (the script shows notify-me errors); nothing in
    # them is specific to a store.
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    return response


@bp.get("/availability")
def availability():
    _limit("availability", "STOREFRONT_RATE_LIMIT", 60)
    shop = _shop_param(request.args.get("shop"))
    variant_ids, product_ids = _ids("variants"), _ids("products")
    if not variant_ids and not product_ids:
        raise StorefrontError(400, "ask for variants or products", "variants")
    if len(variant_ids) + len(product_ids) > MAX_IDS:
        raise StorefrontError(400, f"at most {MAX_IDS} ids per request", "variants")
    view = _view(shop)
    snapshot = cache.rows(db.session, view)
    db.session.remove()  # nothing else to read: give the connection back before writing out
    day = today()
    key = (
        view.installation_id,
        snapshot.generation,
        view.settings_tag,
        day,
        *variant_ids,
        "|",
        *product_ids,
    )
    encoded = cache.answers.get(key)
    if encoded is None:
        body = json.dumps(
            answer(view, snapshot, variant_ids, product_ids, day),
            separators=(",", ":"),
            ensure_ascii=False,
        )
        # Never markup in the bytes, even inside strings (the notice, titles): a JSON answer
        # sniffed or embedded as HTML stays inert; parsed, it holds the same text.
        body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        body = body.encode()
        encoded = (body, hashlib.blake2b(body, digest_size=12).hexdigest())
        cache.answers.put(key, encoded)
    body, etag = encoded
    if etag in request.if_none_match:
        response = make_response("", 304)
    else:
        response = make_response(body)
        response.mimetype = "application/json"
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    _cors(response, view)
    return response


@bp.route("/notify", methods=["OPTIONS"])
def notify_preflight():
    """CORS preflight of a sign-up. A preflight carries no body: the script names the store in
    the address (``?shop=``), and only that store's own origins are allowed."""
    _limit("availability", "STOREFRONT_RATE_LIMIT", 60)
    origin = request.headers.get("Origin")
    response = make_response("", 204)
    response.vary.add("Origin")
    try:
        view = cache.shop(db.session, _shop_param(request.args.get("shop")))
    except StorefrontError:
        view = None
    if origin and view is not None and origin in view.origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@bp.post("/notify")
def notify_signup():
    _limit("notify", "NOTIFY_RATE_LIMIT", 3600)
    if (request.content_length or 0) > MAX_NOTIFY_BODY:
        raise StorefrontError(413, "request too large")
    # A chunked body has no Content-Length to check: read no more than the limit of it either.
    request.max_content_length = MAX_NOTIFY_BODY
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise StorefrontError(400, "send a JSON object")
    shop = _shop_param(data.get("shop") if isinstance(data.get("shop"), str) else None)
    variant = data.get("variant")
    variant = str(variant) if isinstance(variant, int | str) else ""
    if not ID.match(variant):
        raise StorefrontError(400, "variant: a number of at most 20 digits", "variant")
    view = _view(shop)
    listing = db.session.scalar(
        select(Listing).where(
            Listing.installation_id == view.installation_id,
            Listing.public_id == variant,
            Listing.status == Listing.LINKED,
        )
    )
    if listing is None:
        raise StorefrontError(404, "this product is not followed by StockGuard", "variant")
    installation = db.session.get_one(Installation, view.installation_id)
    try:
        _, created = notify.subscribe(db.session, installation, listing, data)
    except notify.SubscribeError as e:
        db.session.rollback()
        raise StorefrontError(400, e.message, e.field) from None
    db.session.commit()
    response = jsonify(status="subscribed" if created else "already_subscribed")
    response.status_code = 201 if created else 200
    response.headers["Cache-Control"] = "no-store"
    _cors(response, view)
    return response


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    subscription = notify.from_token(db.session, token)
    if subscription is None:
        abort(404)
    listing = db.session.get(Listing, subscription.listing_id)
    stopped = None
    if request.method == "POST":
        stopped = notify.unsubscribe(db.session, subscription)
        db.session.commit()
    page = render_template(
        "storefront/unsubscribe.html",
        subscription=subscription,
        title=(listing.product_title or listing.title) if listing else "",
        waiting=notify.waiting_count(db.session, subscription),
        stopped=stopped,
        token=token,
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
