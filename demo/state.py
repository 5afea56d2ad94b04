"""What the simulate page shows, read where each fact lives: stock in each store (the sandboxes),
StockGuard's truth (the ledger), the badge a shopper sees (the public storefront API), each ad
object's status on its platform, and the merchant's activity log, alerts and forecast."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import requests
from sqlalchemy import select

from demo.world import SHOP, World

PLATFORM_NAMES = {"meta": "Meta", "tiktok": "TikTok", "google_ads": "Google Ads"}


def woo_shop(world: World) -> str:
    """How the WordPress plugin names the store to StockGuard: its address without the scheme."""
    return urlsplit(world.woo.base_url).netloc


def levels(world: World, sku: str) -> tuple[int, int]:
    """(Shopify available, WooCommerce stock_quantity) of ``sku`` right now."""
    shopify = world.shopify.available(SHOP, world.shopify_variants[sku]["inventory_item_id"])
    woo = world.woo.product(world.woo_items[sku]["id"])
    return int(shopify or 0), int(woo.get("stock_quantity") or 0)


def _badges(world: World, shop: str, ids: list[str]) -> dict[str, dict]:
    """``{variant id: {state, eta, …}}`` as the badge script gets it from the storefront API."""
    answer = requests.get(
        f"{world.url}/storefront/v1/availability",
        params={"shop": shop, "variants": ",".join(ids)},
        timeout=10,
    )
    if answer.status_code != 200:
        return {}
    return answer.json()["variants"]


def _skus(world: World, session) -> list[dict]:
    from models import Sku
    from sync import ledger

    rows = session.scalars(select(Sku).where(Sku.pool_id == world.pool_id).order_by(Sku.id))
    shopify_ids = {sku: str(v["legacy_id"]) for sku, v in world.shopify_variants.items()}
    woo_ids = {sku: str(item["id"]) for sku, item in world.woo_items.items()}
    shopify_badges = _badges(world, SHOP, list(shopify_ids.values()))
    woo_badges = _badges(world, woo_shop(world), list(woo_ids.values()))
    out = []
    for row in rows:
        sku = row.sku or row.key
        if sku not in world.shopify_variants:
            continue
        on_shopify, on_woo = levels(world, sku)
        out.append(
            {
                "sku": sku,
                "name": (row.name or sku).removesuffix(" - Default Title"),
                "bundle": bool(row.is_bundle),
                "available": ledger.available(session, row),
                "shopify": on_shopify,
                "woocommerce": on_woo,
                "badge_shopify": shopify_badges.get(shopify_ids[sku], {}).get("state", ""),
                "badge_woocommerce": woo_badges.get(woo_ids[sku], {}).get("state", ""),
                # The restock date the badge shows ("back around …"), if any.
                "eta": shopify_badges.get(shopify_ids[sku], {}).get("eta") or "",
            }
        )
    return out


def _ads(world: World) -> list[dict]:
    out = []
    for (platform, ref), (name, level, sku) in world.ad_refs.items():
        box = world.ads[platform]
        out.append(
            {
                "platform": PLATFORM_NAMES[platform],
                "name": name,
                "level": level.replace("_", " "),
                "sku": sku,
                "status": "ACTIVE" if box.is_active(ref) else "PAUSED",
            }
        )
    return out


def _activity(world: World, session) -> list[dict]:
    from models import ActivityEntry

    rows = session.scalars(
        select(ActivityEntry)
        .where(ActivityEntry.installation_id.in_([world.shopify_id, world.woo_id]))
        .order_by(ActivityEntry.id.desc())
        .limit(15)
    )
    return [
        {"at": row.created_at.strftime("%H:%M:%S"), "kind": row.kind, "message": row.message}
        for row in rows
    ]


def _restocks(world: World, session) -> list[dict]:
    from models import Restock

    rows = session.scalars(
        select(Restock).where(Restock.pool_id == world.pool_id).order_by(Restock.id)
    )
    return [
        {
            "reference": r.reference or str(r.id),
            "sku": r.sku.sku or r.sku.key,
            "quantity": r.quantity,
            "expected_on": r.expected_on.isoformat(),
            "status": r.status,
        }
        for r in rows
    ]


def _at_risk(world: World, session) -> list[dict]:
    """SKUs the forecast sees running out before their supplier's lead time is over."""
    from models import Forecast, Sku

    rows = session.execute(
        select(Forecast, Sku)
        .join(Sku, Sku.id == Forecast.sku_id)
        .where(Forecast.pool_id == world.pool_id)
        .order_by(Forecast.days_of_cover)
    ).all()
    out = []
    for forecast, sku in rows:
        cover = forecast.days_of_cover
        if cover is None or cover > max(forecast.lead_time_days, 1.0):
            continue
        out.append(
            {
                "sku": sku.sku or sku.key,
                "days_of_cover": round(cover, 1),
                "stockout_on": forecast.stockout_on.isoformat() if forecast.stockout_on else "",
                "order_quantity": forecast.order_quantity,
            }
        )
    return out


def _alerts(world: World, session) -> list[dict]:
    """Open alerts, where this StockGuard has them (sync/alerts), best-sellers first."""
    try:
        from sync.alerts import open_alerts
    except ImportError:
        return []
    from models import Sku

    out = []
    for alert in open_alerts(session, world.pool_id):
        sku = session.get(Sku, alert.sku_id)
        details = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in (alert.details or {}).items())
        out.append(
            {
                "sku": sku.sku or sku.key,
                "condition": alert.condition.replace("_", " "),
                "details": details,
                "opened_at": alert.opened_at.strftime("%H:%M:%S"),
            }
        )
    return out


def snapshot(world: World) -> dict:
    from extensions import db

    with world.app.app_context():
        session = db.session
        try:
            return {
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "skus": _skus(world, session),
                "ads": _ads(world),
                "restocks": _restocks(world, session),
                "activity": _activity(world, session),
                "alerts": _alerts(world, session),
                "at_risk": _at_risk(world, session),
                "events": list(world.events),
            }
        finally:
            session.remove()
