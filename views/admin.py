"""The admin panel's entry: the store the request proves, rendered as the panel shell
(templates/admin/panel.html) — a nav bar, every view in templates/admin/views/, each view's script
— in the merchant's language. What the server renders itself: the connection and catalog
(imports), the latest activity, and the storefront card's texts and snippet."""

from __future__ import annotations

import functools
import re
from html import escape
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import func, select

from connectors import registry
from connectors.errors import ConnectorError, ForgedCredential
from extensions import db
from models import Installation, JobRun, Listing, StockPool, WebhookDelivery
from sync import installs
from sync.storefront_settings import TEXT_KEYS
from views import panel_i18n
from views.admin_activity import latest_entries
from views.admin_api import panel_token
from views.admin_store import disconnected
from views.page_headers import set_frame_ancestors

bp = Blueprint("admin", __name__, url_prefix="/admin")

# What each storefront text is, in the merchant's words (keys: sync.storefront_settings).
TEXT_LABELS = {
    "in_stock": "In stock",
    "low_stock": "Low stock ({n} = units left)",
    "out_of_stock": "Sold out",
    "preorder": "Pre-order",
    "eta": "Expected back ({date} = the date)",
    "eta_soon": "Restock late (no date shown)",
    "notify": "Notify-me button",
    "email": "Contact field hint",
    "consent": "Consent checkbox",
    "submit": "Send button",
    "thanks": "After signing up",
    "error": "When signing up fails",
    "alternatives": "Before similar products",
}

ROOT = Path(__file__).resolve().parent.parent
BADGE_SCRIPT = ROOT / "static" / "stockguard.js"
VIEWS = ROOT / "templates" / "admin" / "views"
STATIC = ROOT / "static"

# The nav bar, in the order of the merchant's day: (view name, English label).
NAV = (
    ("overview", "Overview"),
    ("products", "Products"),
    ("restocks", "Restocks"),
    ("storefront", "Storefront"),
    ("ads", "Ads"),
    ("alerts", "Alerts"),
    ("reports", "Reports"),
    ("settings", "Settings"),
    ("activity", "Activity"),
    ("imports", "Imports"),
)

# The cards' scripts from before the views (they find their cards by id at load, hidden or not),
# after the views' own scripts: the last three stay the ad cards' (tests/test_admin_ads_page.py).
CARD_SCRIPTS = (
    "admin.js",
    "admin_storefront.js",
    "admin_alert_mode.js",  # the alert-mode switch, drawn into the alerts view's slot
    "admin_pool.js",  # the invitation to share stock, when there is one
    "admin_ads.js",
    "admin_ads_policy.js",
    "admin_ads_campaigns.js",
)

# Platforms whose admin embeds the panel in a frame, and what that frame needs: Shopify requires
# App Bridge from its CDN as the first script. The page works without it (tests run offline).
# (script, the meta tag naming the app, the config key of its value)
EMBEDDED = {
    "shopify": (
        "https://cdn.shopify.com/shopifycloud/app-bridge.js",
        "shopify-api-key",
        "SHOPIFY_API_KEY",
    )
}


def embed_script(platform: str) -> dict | None:
    """The script (and its meta tag) the platform's admin frame needs, if it embeds the panel."""
    if platform not in EMBEDDED:
        return None
    src, meta, key = EMBEDDED[platform]
    return {"src": src, "meta": meta, "content": current_app.config.get(key) or ""}


@functools.cache
def builtin_texts() -> dict[str, dict[str, str]]:
    """The badge script's own texts per language, read from the script so they never drift.

    The script keeps them as ``KEYS`` (space separated) and ``TEXTS = {lang: 'a|b|…', …}``
    (single-quoted pieces joined with ``+``) to stay under its size budget.
    """
    source = BADGE_SCRIPT.read_text(encoding="utf-8")
    keys = re.search(r"const KEYS = '([^']*)';", source)
    block = re.search(r"const TEXTS = \{(.*?)\n  \};", source, re.S)
    if keys is None or block is None:
        raise RuntimeError(f"{BADGE_SCRIPT}: KEYS or TEXTS not found")
    keys = keys.group(1).split()
    texts = {}
    for lang, pieces in re.findall(r"^\s*(\w+): ((?:'[^']*'\s*\+?\s*)+),?$", block.group(1), re.M):
        values = "".join(re.findall(r"'([^']*)'", pieces)).split("|")
        if len(values) != len(keys):
            raise RuntimeError(f"{BADGE_SCRIPT}: {lang} has {len(values)} texts for {len(keys)}")
        texts[lang] = dict(zip(keys, values, strict=True))
    return texts


def public_shop(installation: Installation) -> str:
    """How the storefront API and the badge script name this store (``data-shop``)."""
    return installation.shop_domain.removeprefix("https://").removeprefix("http://")


def badge_snippet(shop: str, app_url: str) -> str:
    """The copy-paste HTML for sites without the Shopify app embed or the WordPress plugin.

    Values are escaped as HTML attributes inside the snippet itself (a WooCommerce address may
    carry ``&`` in its path); the page escapes the whole snippet again to show it as text.
    """
    script = escape(app_url + url_for("static", filename="stockguard.js"))
    api, shop = escape(app_url + "/storefront/v1"), escape(shop)
    return (
        "<!-- Where a badge goes. Product page: the product's id and the variant shown. -->\n"
        '<div class="stockguard" data-sg-product="PRODUCT_ID" data-sg-variant="VARIANT_ID"\n'
        '     data-sg-lines="3" style="min-height:4.8em"></div>\n'
        "<!-- Product card (collection, search): the product's id, the badge line only. -->\n"
        '<div class="stockguard" data-sg-product="PRODUCT_ID" data-sg-lines="1"\n'
        '     style="min-height:1.6em"></div>\n'
        "\n"
        "<!-- Once per page, at the end of <body>. -->\n"
        f'<script src="{script}" async\n'
        f'        data-shop="{shop}" data-api="{api}"></script>\n'
    )


def panel_views() -> list[str]:
    """Every view that exists now (the directory read at each render), sorted by name."""
    return sorted(p.stem for p in VIEWS.glob("*.html"))


def view_scripts(views: list[str]) -> list[str]:
    return [
        f"admin_view_{name}.js" for name in views if (STATIC / f"admin_view_{name}.js").exists()
    ]


@bp.get("/<platform>")
def panel(platform: str):
    connector = registry.enabled(platform)
    if connector is None:
        abort(404)
    try:
        shop = connector.authenticate_admin(request)
    except ForgedCredential:
        return render_template(
            "install_error.html",
            title="This link is not valid",
            message="It was altered or does not come from StockGuard. Open StockGuard again "
            "from your store's admin.",
            retry_url=None,
        ), 403
    if shop is None:
        return render_template(
            "install_error.html",
            title="Open StockGuard from your store's admin",
            message="This page needs a valid link from your store; it may have expired.",
            retry_url=None,
        ), 401
    set_frame_ancestors(connector.frame_ancestors(shop))
    installation = Installation.find(db.session, platform, shop)
    try:
        # The platform may have installed StockGuard itself (managed installation) and open
        # the panel first, or StockGuard may need the merchant to grant access again.
        first = connector.install_from_admin(request, shop, installation)
    except ConnectorError as e:
        db.session.rollback()
        return render_template(
            "install_error.html",
            title=f"{connector.display_name} did not complete the installation",
            message=f"{e} — nothing was saved; open StockGuard again from your store's admin.",
            retry_url=None,
        ), 502
    if first:
        return redirect(first)
    installation = Installation.find(db.session, platform, shop)
    if installation is None:
        abort(404)
    pool = db.session.get(StockPool, installation.pool_id) if installation.pool_id else None
    lang = panel_i18n.choose_language(
        pool.settings if pool else None, request.args.get("locale"), request.accept_languages
    )
    i18n = panel_i18n.use_language(lang)
    inbox = dict(
        db.session.execute(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.installation_id == installation.id)
            .group_by(WebhookDelivery.status)
        ).all()
    )
    listings = dict(
        db.session.execute(
            select(Listing.status, func.count())
            .where(Listing.installation_id == installation.id)
            .group_by(Listing.status)
        ).all()
    )
    latest = db.session.scalar(
        select(JobRun)
        .where(JobRun.installation_id == installation.id, JobRun.kind != "ads_import")
        .order_by(JobRun.id.desc())
    )
    activity, more_activity = latest_entries(installation.id)
    app_url = current_app.config["APP_URL"].rstrip("/")
    views = panel_views()
    return render_template(
        "admin/panel.html",
        lang=lang,
        i18n=i18n,
        nav=NAV,
        views=views,
        scripts=view_scripts(views) + list(CARD_SCRIPTS),
        embed=embed_script(platform),
        installation=installation,
        disconnected=disconnected(installation),
        platform_name=connector.display_name,
        activity=activity,
        more_activity=more_activity,
        inbox=inbox,
        listings=listings,
        latest_job=latest,
        panel_token=panel_token(installation.id),
        app_url=app_url,
        badge_snippet=badge_snippet(public_shop(installation), app_url),
        text_fields=[(key, TEXT_LABELS[key]) for key in TEXT_KEYS],
        builtin_texts=builtin_texts(),
        invitation=installs.invitation(db.session, installation),
    )
