"""The panel views' JSON: the overview's figures, the product list (filters, search, pages) and
one product's detail with its stock history and forecast line (issue 6).

Same authentication as ``views.admin_api`` (panel or session token in a header); every query is
scoped to the stock pool of the installation the request proves. A SKU of another pool is a 404,
never a hint that it exists.

"At risk": a SKU with stock left whose forecast says it runs out within its lead time, or whose
available stock is at or under its reorder point. A sold-out SKU is counted as sold out, not at
risk. A SKU the forecast has not seen yet is neither.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from extensions import db
from inputs import MAX_ID
from models import (
    AdAccount,
    AdAction,
    AdLink,
    AdObject,
    Availability,
    BundleComponent,
    Forecast,
    Installation,
    Listing,
    ProductPolicy,
    Restock,
    Sku,
    Supplier,
    utcnow,
)
from money import exponent
from sync import forecast as forecasting
from sync import ledger, reports
from views.admin_api import ApiError, admin_required

bp = Blueprint("admin_panel_api", __name__, url_prefix="/admin/api")

FLAGS = ("sold_out", "at_risk", "unlinked")
FILTERS = ("all", *FLAGS)
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_QUERY = 200
TOP_AT_RISK = 10
HISTORY_DAYS = 90
FORECAST_DAYS = 30


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return jsonify(error=e.message), e.status


def _pool_id() -> int:
    return g.installation.pool_id


# --------------------------------------------------------------------------- SQL pieces


def _clamp(expr):
    return case((expr > 0, expr), else_=0)


def _available():
    """``available`` in SQL, as ``sync.ledger.available`` computes it (bundles: what their
    components allow, less the bundle's own buffer)."""
    part = aliased(Sku)
    allowed = (
        select(
            func.min(
                _clamp(part.on_hand - part.committed - part.safety_buffer)
                / BundleComponent.quantity
            )
        )
        .join(part, part.id == BundleComponent.component_id)
        .where(BundleComponent.bundle_id == Sku.id)
        .correlate(Sku)
        .scalar_subquery()
    )
    return case(
        (Sku.is_bundle.is_(True), _clamp(func.coalesce(allowed, 0) - Sku.safety_buffer)),
        else_=_clamp(Sku.on_hand - Sku.committed - Sku.safety_buffer),
    )


def _channels():
    """How many stores of the pool sell the SKU (listings linked to it)."""
    return (
        select(func.count(func.distinct(Listing.installation_id)))
        .where(Listing.sku_id == Sku.id, Listing.status == Listing.LINKED)
        .correlate(Sku)
        .scalar_subquery()
    )


def _flags(available, channels):
    sold_out = available <= 0
    at_risk = and_(
        available > 0,
        Forecast.sku_id.is_not(None),
        or_(
            and_(
                Forecast.days_of_cover.is_not(None),
                Forecast.days_of_cover <= Forecast.lead_time_days,
            ),
            available <= Forecast.reorder_point,
        ),
    )
    return {"sold_out": sold_out, "at_risk": at_risk, "unlinked": channels == 0}


def _base():
    """(select of one row per SKU of the pool with its figures, the flag expressions)."""
    available, channels = _available(), _channels()
    flags = _flags(available, channels)
    query = (
        select(
            Sku.id,
            Sku.sku,
            Sku.name,
            Sku.on_hand,
            Sku.is_bundle,
            available.label("available"),
            channels.label("channels"),
            Forecast.days_of_cover,
            Forecast.stockout_on,
            Forecast.reorder_point,
            Forecast.abc,
            Forecast.rank,
            *(case((cond, True), else_=False).label(name) for name, cond in flags.items()),
        )
        .select_from(Sku)
        .outerjoin(Forecast, Forecast.sku_id == Sku.id)
        .where(Sku.pool_id == _pool_id())
    )
    return query, flags


def _best_sellers_first():
    # Ranked SKUs by rank (1 = the best-seller); the rest by code.
    return (case((Forecast.rank > 0, 0), else_=1), Forecast.rank, Sku.sku, Sku.id)


def _row(r) -> dict:
    return {
        "id": r.id,
        "sku": r.sku,
        "name": r.name,
        "available": int(r.available or 0),
        "on_hand": r.on_hand,
        "days_of_cover": r.days_of_cover,
        "stockout_on": r.stockout_on.isoformat() if r.stockout_on else None,
        "reorder_point": r.reorder_point,
        "abc": r.abc,
        "rank": r.rank or None,
        "channels": int(r.channels or 0),
        "bundle": bool(r.is_bundle),
        "flags": {name: bool(getattr(r, name)) for name in FLAGS},
    }


# --------------------------------------------------------------------------- overview


def _spend_avoided(pool_id: int) -> list[dict]:
    """Per currency, as the ads view sums it (views/admin_ads.py): done actions' estimates;
    the biggest amount first."""
    rows = db.session.execute(
        select(AdAccount.currency, func.sum(AdAction.spend_avoided))
        .join(AdAccount, AdAccount.id == AdAction.account_id)
        .where(
            AdAction.pool_id == pool_id,
            AdAction.state == AdAction.DONE,
            AdAction.spend_avoided.is_not(None),
        )
        .group_by(AdAccount.currency)
    ).all()
    amounts = [
        {"currency": currency, "amount_minor": int(total), "exponent": exponent(currency)}
        for currency, total in rows
    ]
    return sorted(amounts, key=lambda a: (-a["amount_minor"], a["currency"] or ""))


@bp.get("/overview")
@admin_required
def overview():
    pool_id = _pool_id()
    query, flags = _base()
    rows = query.subquery()
    counts = db.session.execute(
        select(
            func.count(),
            func.count(case((rows.c.at_risk.is_(True), 1))),
            func.count(case((rows.c.sold_out.is_(True), 1))),
        ).select_from(rows)
    ).one()
    top = db.session.execute(
        query.where(flags["at_risk"])
        .order_by(Forecast.abc, *_best_sellers_first())
        .limit(TOP_AT_RISK)
    ).all()
    paused = db.session.scalar(
        select(func.count()).where(AdObject.pool_id == pool_id, AdObject.paused_by_us.is_(True))
    )
    value = reports.stock_value(db.session, pool_id)
    return jsonify(
        {
            **reports.money_context(db.session, pool_id),
            "skus": counts[0],
            "at_risk": counts[1],
            "sold_out": counts[2],
            "ads_paused": paused,
            "spend_avoided": _spend_avoided(pool_id),
            "stock_value_minor": value["value_minor"],
            "skus_without_cost": value["skus_without_cost"],
            "top_at_risk": [_row(r) for r in top],
        }
    )


# --------------------------------------------------------------------------- products


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # Digits only: int() would also take "+5", " 5" and "1_000".
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else None
    if value is None or not low <= value <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}")
    return value


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its metacharacters taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@bp.get("/products")
@admin_required
def products():
    chosen = request.args.get("filter") or "all"
    if chosen not in FILTERS:
        raise ApiError(400, f"filter must be one of {', '.join(FILTERS)}")
    q = (request.args.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise ApiError(400, f"q must be at most {MAX_QUERY} characters")
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_arg("page", 1, 1, MAX_ID // MAX_PER_PAGE)

    query, flags = _base()
    if chosen != "all":
        query = query.where(flags[chosen])
    if q:
        pattern = _like(q)
        query = query.where(
            or_(Sku.sku.ilike(pattern, escape="\\"), Sku.name.ilike(pattern, escape="\\"))
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(*_best_sellers_first()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return jsonify(
        filter=chosen,
        q=q,
        page=page,
        per_page=per_page,
        total=total,
        pages=max(1, -(-total // per_page)),
        products=[_row(r) for r in rows],
    )


# --------------------------------------------------------------------------- one product


def _listings(sku: Sku) -> list[dict]:
    rows = db.session.execute(
        select(Listing, Installation, Availability, ProductPolicy)
        .join(Installation, Installation.id == Listing.installation_id)
        .outerjoin(Availability, Availability.listing_id == Listing.id)
        .outerjoin(
            ProductPolicy,
            and_(
                ProductPolicy.installation_id == Listing.installation_id,
                ProductPolicy.product_ref == Listing.product_ref,
            ),
        )
        .where(Listing.sku_id == sku.id, Listing.pool_id == sku.pool_id)
        .order_by(Installation.shop_domain, Listing.id)
    ).all()
    return [
        {
            "id": listing.id,
            "store": store.name or store.shop_domain,
            "platform": store.platform,
            "title": listing.title,
            "quantity": listing.channel_quantity,
            "status": listing.status,
            "url": listing.url,
            "visibility": {
                "state": shown.state if shown else None,
                "eta": shown.eta.isoformat() if shown and shown.eta else None,
                "mode": policy.mode if policy else None,
                "hidden_by_us": bool(policy and policy.hidden_by_us),
                "preorder_by_us": bool(policy and policy.preorder_by_us),
            },
        }
        for listing, store, shown, policy in rows
    ]


def _restocks(sku: Sku) -> list[dict]:
    today = utcnow().date()
    rows = db.session.execute(
        select(Restock, Supplier.name)
        .outerjoin(Supplier, Supplier.id == Restock.supplier_id)
        .where(
            Restock.sku_id == sku.id,
            Restock.pool_id == sku.pool_id,
            Restock.status == Restock.OPEN,
        )
        .order_by(Restock.expected_on, Restock.id)
    ).all()
    return [
        {
            "id": r.id,
            "quantity": r.quantity,
            "expected_on": r.expected_on.isoformat(),
            "reference": r.reference,
            "supplier": supplier,
            "overdue": r.expected_on < today,
        }
        for r, supplier in rows
    ]


def _ads(sku: Sku) -> list[dict]:
    rows = db.session.execute(
        select(AdObject, AdAccount.platform)
        .join(AdLink, AdLink.ad_object_id == AdObject.id)
        .join(AdAccount, AdAccount.id == AdObject.account_id)
        .where(AdLink.sku_id == sku.id, AdLink.pool_id == sku.pool_id)
        .order_by(AdAccount.platform, AdObject.name, AdObject.id)
    ).all()
    return [
        {
            "id": o.id,
            "platform": platform,
            "level": o.level,
            "name": o.name,
            "status": o.status,
            "paused_by_stockguard": o.paused_by_us,
            "gone": o.gone,
        }
        for o, platform in rows
    ]


def _forecast(sku: Sku) -> dict | None:
    row = db.session.get(Forecast, sku.id)
    if row is None:
        return None
    line = forecasting.projection(row, sku.on_hand, FORECAST_DAYS)
    return {
        "computed_at": row.computed_at.isoformat(),
        "velocity": row.velocity,
        "days_of_cover": row.days_of_cover,
        "stockout_on": row.stockout_on.isoformat() if row.stockout_on else None,
        "lead_time_days": row.lead_time_days,
        "reorder_point": row.reorder_point,
        "order_quantity": row.order_quantity,
        "abc": row.abc,
        "rank": row.rank or None,
        "line": [{"date": day.isoformat(), "on_hand": units} for day, units in line],
    }


@bp.get("/products/<int:sku_id>")
@admin_required
def product(sku_id: int):
    sku = db.session.scalar(select(Sku).where(Sku.id == sku_id, Sku.pool_id == _pool_id()))
    if sku is None:
        raise ApiError(404, "no such product in this stock pool")
    history = forecasting.history(db.session, sku.id, HISTORY_DAYS)
    return jsonify(
        {
            **reports.money_context(db.session, sku.pool_id),
            "id": sku.id,
            "sku": sku.sku,
            "name": sku.name,
            "barcode": sku.barcode,
            "on_hand": sku.on_hand,
            "committed": sku.committed,
            "safety_buffer": sku.safety_buffer,
            "available": ledger.available(db.session, sku),
            "bundle": sku.is_bundle,
            "price_minor": sku.price_minor,
            "unit_cost_minor": sku.unit_cost_minor,
            "listings": _listings(sku),
            "restocks": _restocks(sku),
            "ads": _ads(sku),
            "history": [
                {"date": day.isoformat(), "on_hand": units, "sold": sold}
                for day, units, sold in history
            ],
            "forecast": _forecast(sku),
        }
    )
