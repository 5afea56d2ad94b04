"""The demo's pages, served by StockGuard itself under ``/demo`` (only with ``--demo``).

``/demo`` is the simulate page; ``/demo/state`` its JSON; ``POST /demo/simulate/<action>`` the
buttons (CSRF token bound to the browser's session); ``/demo/panel/<platform>`` signs a fresh
admin-panel link on each click; ``/demo/shop/shopify/…`` and ``/demo/shop/woocommerce`` are the
two stores' pages with live badges. The shop pages are served from this origin so the badge
script calls the storefront API same-origin (the API only grants CORS to a store's HTTPS
origins, and these pages are on plain-HTTP loopback).
"""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlencode

import requests
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from demo.actions import ACTIONS, ActionError, after_action, sellable
from demo.state import snapshot, woo_shop
from demo.world import SHOP

bp = Blueprint(
    "demo", __name__, url_prefix="/demo", template_folder="templates", static_folder="static"
)
CSRF_KEY = "demo_csrf"
SHOP_PREFIX = "/demo/shop/shopify/"


def _world():
    return current_app.extensions["demo_world"]


def csrf_token() -> str:
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def _check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get(CSRF_KEY) or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "missing or wrong CSRF token: reload the demo page")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("")
@bp.get("/")
def page():
    world = _world()
    return render_template(
        "demo/index.html",
        csrf_token=csrf_token(),
        skus=sellable(world),
        shop=SHOP,
    )


@bp.get("/state")
def state():
    response = jsonify(snapshot(_world()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/simulate/<action>")
def simulate(action: str):
    _check_csrf()
    run = ACTIONS.get(action)
    if run is None:
        abort(404)
    world = _world()
    try:
        message = run(world, request.form)
    except ActionError as e:
        if _wants_json():
            return jsonify(error=e.message), e.status
        return Response(e.message, status=e.status, mimetype="text/plain")
    after_action(world)
    if _wants_json():
        return jsonify(message=message, state=snapshot(world))
    return redirect(url_for("demo.page"), 303)


@bp.errorhandler(400)
def _bad_request(e):
    if _wants_json():
        return jsonify(error=e.description), 400
    return Response(e.description, status=400, mimetype="text/plain")


# --------------------------------------------------------------------------- admin panel


@bp.get("/panel/<platform>")
def panel(platform: str):
    """A fresh signed link into the admin panel (links expire after a few minutes)."""
    world = _world()
    if platform == "woocommerce":
        # What the WordPress plugin does when the admin clicks "Open StockGuard" in wp-admin
        # (here the sandbox store plays WordPress): a request signed with the secret of
        # StockGuard's webhooks, as the plugin reads it from WooCommerce's webhook table.
        from connectors.woocommerce.launch import signature

        [secret] = {
            h.secret for h in world.woo.webhooks if "/webhooks/woocommerce/" in h.delivery_url
        }
        fields = {
            "store": world.woo.base_url,
            "user_id": "1",
            "ts": str(int(time.time())),
            "nonce": secrets.token_hex(16),
        }
        fields["signature"] = signature(secret, *fields.values())
        return redirect("/auth/woocommerce/launch?" + urlencode(fields))
    if platform != "shopify":
        abort(404)
    # What Shopify signs when it opens an app in its admin (here the sandbox plays Shopify).
    import shopify

    params = {"shop": SHOP, "timestamp": str(int(time.time())), "embedded": "1"}
    shopify.Session.setup(
        api_key=current_app.config["SHOPIFY_API_KEY"],
        secret=current_app.config["SHOPIFY_API_SECRET"],
    )
    params["hmac"] = shopify.Session.calculate_hmac(params)
    return redirect("/admin/shopify?" + urlencode(params))


# --------------------------------------------------------------------------- shop pages


@bp.get("/shop/shopify/")
@bp.get("/shop/shopify/<path:path>")
def shopify_page(path: str = "collections/all"):
    """The Shopify store's page (theme + StockGuard's app embed), fetched from the sandbox."""
    world = _world()
    url = world.shopify.storefront_url(SHOP, "/" + path)
    query = request.query_string.decode()
    answer = requests.get(url + ("?" + query if query else ""), timeout=10)
    body = answer.content
    kind = answer.headers.get("Content-Type", "text/html")
    if kind.startswith("text/html"):
        text = answer.text
        text = text.replace(f"//{SHOP}/cdn/", SHOP_PREFIX + "cdn/")
        for link in ('href="/products/', 'href="/collections/'):
            text = text.replace(link, link.replace('"/', '"' + SHOP_PREFIX))
        body = text.encode()
    return Response(body, status=answer.status_code, content_type=kind)


@bp.get("/shop/woocommerce")
def woo_page():
    """The WooCommerce store's shop page with the WordPress plugin's markup."""
    world = _world()
    products = {}
    for sku, item in world.woo_items.items():
        parent = world.woo_parents[sku]
        entry = products.setdefault(parent, {"id": parent, "name": "", "variants": []})
        if parent == item["id"]:
            entry["name"] = item["name"]
            entry["price"] = item.get("price") or item.get("regular_price")
        else:
            entry["name"] = entry["name"] or world.woo.product(parent)["name"]
            entry["price"] = item.get("price") or item.get("regular_price")
        entry["variants"].append({"id": item["id"], "sku": sku})
    return render_template(
        "demo/woocommerce.html",
        products=list(products.values()),
        data_shop=woo_shop(world),
        api=world.url + "/storefront/v1",
    )
