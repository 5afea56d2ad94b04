"""The admin panel's entry: the store the request proves, its connection and recent activity,
and what its shoppers see (restocks, notify-me, storefront settings, installing the badge)."""

from __future__ import annotations

import functools
import re
from html import escape
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, url_for
from sqlalchemy import func, select

from connectors import registry
from extensions import db
from models import ActivityEntry, Installation, JobRun, Listing, WebhookDelivery
from sync.storefront_settings import TEXT_KEYS
from views.admin_api import panel_token

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

BADGE_SCRIPT = Path(__file__).resolve().parent.parent / "static" / "stockguard.js"


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


@bp.get("/<platform>")
def panel(platform: str):
    connector = registry.storefront(platform)
    if connector is None:
        abort(404)
    shop = connector.authenticate_admin(request)
    if shop is None:
        return render_template(
            "install_error.html",
            title="Open StockGuard from your store's admin",
            message="This page needs a valid link from your store; it may have expired.",
            retry_url=None,
        ), 401
    installation = Installation.find(db.session, platform, shop)
    if installation is None:
        abort(404)
    activity = db.session.scalars(
        select(ActivityEntry)
        .where(ActivityEntry.installation_id == installation.id)
        .order_by(ActivityEntry.created_at.desc(), ActivityEntry.id.desc())
        .limit(20)
    ).all()
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
    app_url = current_app.config["APP_URL"].rstrip("/")
    return render_template(
        "admin/overview.html",
        installation=installation,
        platform_name=connector.display_name,
        activity=activity,
        inbox=inbox,
        listings=listings,
        latest_job=latest,
        panel_token=panel_token(installation.id),
        app_url=app_url,
        badge_snippet=badge_snippet(public_shop(installation), app_url),
        text_fields=[(key, TEXT_LABELS[key]) for key in TEXT_KEYS],
        builtin_texts=builtin_texts(),
    )
