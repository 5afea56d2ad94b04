"""Admin API for what shoppers see: storefront settings, visibility per product, suppliers,
restocks (with CSV import and receiving), and notify-me sign-ups and their progress.

Same authentication as ``views.admin_api`` (panel or session token; scoped to the store and its
pool). Every write is validated in full before anything is saved.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import func, select

from extensions import db
from inputs import MAX_ID
from models import (
    JobRun,
    Listing,
    NotifySubscription,
    ProductPolicy,
    Restock,
    Sku,
    Supplier,
    record_activity,
)
from sync import availability, restocks
from sync.data.csv_io import CsvTooLarge
from sync.storefront_settings import SettingsError, storefront_settings, validated
from views.admin_api import ApiError, _job, _json_body, admin_required

bp = Blueprint("admin_storefront", __name__, url_prefix="/admin/api")
PAGE = 100


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return jsonify(error=e.message), e.status


@bp.errorhandler(restocks.RestockError)
def _restock_error(e: restocks.RestockError):
    db.session.rollback()
    return jsonify(error=str(e), errors=e.errors), 400


@bp.errorhandler(CsvTooLarge)
def _csv_too_large(e: CsvTooLarge):
    db.session.rollback()
    return jsonify(e.body()), e.status


@bp.errorhandler(SettingsError)
def _settings_error(e: SettingsError):
    db.session.rollback()
    return jsonify(error=e.message, field=e.field), 400


# --------------------------------------------------------------------------- settings


@bp.get("/storefront")
@admin_required
def get_storefront():
    installation = g.installation
    return jsonify(
        settings=storefront_settings(installation),
        origins=(installation.settings or {}).get("storefront_origins", []),
        shop=installation.shop_domain.removeprefix("https://").removeprefix("http://"),
    )


@bp.put("/storefront")
@admin_required
def put_storefront():
    changes = validated(_json_body())
    installation = g.installation
    # Other writers of the same JSON column (jobs caching facts in it) must not be overwritten.
    db.session.refresh(installation, with_for_update={"key_share": True})
    settings = dict(installation.settings or {})
    settings["storefront"] = {**(settings.get("storefront") or {}), **changes}
    installation.settings = settings
    availability.mark(db.session, installation_id=installation.id, everything=True)
    record_activity(
        db.session,
        installation,
        "settings",
        "Storefront settings changed: " + ", ".join(sorted(changes)),
    )
    db.session.commit()
    return jsonify(settings=storefront_settings(installation))


# --------------------------------------------------------------------------- visibility


def _product_refs(product_ref: str) -> None:
    found = db.session.scalar(
        select(Listing.id).where(
            Listing.installation_id == g.installation.id, Listing.product_ref == product_ref
        )
    )
    if found is None:
        raise ApiError(404, "no such product in this store")


def _policy(policy: ProductPolicy | None, product_ref: str) -> dict:
    return {
        "product_ref": product_ref,
        "mode": policy.mode if policy else None,
        "grace_minutes": policy.grace_minutes if policy else None,
        "sold_out_since": policy.sold_out_since.isoformat()
        if policy and policy.sold_out_since
        else None,
        "hidden_by_stockguard": bool(policy and policy.hidden_by_us),
        "preorder_by_stockguard": bool(policy and policy.preorder_by_us),
    }


@bp.get("/products/visibility")
@admin_required
def get_visibility():
    product_ref = request.args.get("product", "")
    _product_refs(product_ref)
    policy = db.session.scalar(
        select(ProductPolicy).where(
            ProductPolicy.installation_id == g.installation.id,
            ProductPolicy.product_ref == product_ref,
        )
    )
    return jsonify(_policy(policy, product_ref))


@bp.put("/products/visibility")
@admin_required
def put_visibility():
    data = _json_body()
    product_ref = data.get("product")
    if not isinstance(product_ref, str) or len(product_ref) > 255:
        raise ApiError(400, "product: the product's id in the store")
    _product_refs(product_ref)
    mode = data.get("mode")
    if mode is not None and mode not in ProductPolicy.MODES:
        raise ApiError(400, "mode: badge, hide, preorder, or null for the store's default")
    grace = data.get("grace_minutes")
    if grace is not None and (
        isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 43_200
    ):
        raise ApiError(400, "grace_minutes: a whole number of minutes up to 30 days, or null")
    policy = db.session.scalar(
        select(ProductPolicy).where(
            ProductPolicy.installation_id == g.installation.id,
            ProductPolicy.product_ref == product_ref,
        )
    )
    if policy is None:
        policy = ProductPolicy(
            installation_id=g.installation.id,
            product_ref=product_ref,
            hide_restore={},
            preorder_restore={},
        )
        db.session.add(policy)
    policy.mode, policy.grace_minutes = mode, grace
    availability.mark(db.session, installation_id=g.installation.id, product_refs=[product_ref])
    db.session.commit()
    return jsonify(_policy(policy, product_ref))


# --------------------------------------------------------------------------- suppliers


def _supplier(s: Supplier) -> dict:
    return {"id": s.id, "name": s.name, "email": s.email, "lead_time_days": s.lead_time_days}


@bp.get("/suppliers")
@admin_required
def list_suppliers():
    rows = db.session.scalars(
        select(Supplier).where(Supplier.pool_id == g.installation.pool_id).order_by(Supplier.name)
    ).all()
    return jsonify(suppliers=[_supplier(s) for s in rows])


@bp.post("/suppliers")
@admin_required
def save_supplier():
    supplier = restocks.upsert_supplier(db.session, g.installation.pool_id, _json_body())
    db.session.commit()
    return jsonify(_supplier(supplier)), 201


@bp.put("/skus/<path:sku>/restock-plan")
@admin_required
def sku_plan(sku: str):
    """Which supplier supplies a SKU, and whether a reorder is planned."""
    data = _json_body()
    row = db.session.scalar(
        select(Sku).where(Sku.pool_id == g.installation.pool_id, Sku.key == sku.strip().casefold())
    )
    if row is None:
        raise ApiError(404, "no such SKU in this store")
    if "supplier_id" in data:
        supplier_id = data["supplier_id"]
        if supplier_id is not None and (
            not isinstance(supplier_id, int)
            or not 0 < supplier_id <= MAX_ID  # past the database's integers: a 500 otherwise
            or db.session.get(Supplier, supplier_id) is None
            or db.session.get(Supplier, supplier_id).pool_id != g.installation.pool_id
        ):
            raise ApiError(400, "supplier_id: no such supplier")
        row.supplier_id = supplier_id
    if "reorder_planned" in data:
        if not isinstance(data["reorder_planned"], bool):
            raise ApiError(400, "reorder_planned: true or false")
        row.reorder_planned = data["reorder_planned"]
    availability.mark(db.session, sku_ids=[row.id])
    db.session.commit()
    return jsonify(
        sku=row.sku or row.key, supplier_id=row.supplier_id, reorder_planned=row.reorder_planned
    )


# --------------------------------------------------------------------------- restocks


def _restock(r: Restock) -> dict:
    return {
        "id": r.id,
        "sku": r.sku.sku or r.sku.key,
        "quantity": r.quantity,
        "expected_on": r.expected_on.isoformat(),
        "status": r.status,
        "reference": r.reference,
        "supplier": r.supplier.name if r.supplier else None,
        "overdue": r.status == Restock.OPEN and r.expected_on < restocks.today(),
    }


@bp.get("/restocks")
@admin_required
def list_restocks():
    status = request.args.get("status", Restock.OPEN)
    if status not in (Restock.OPEN, Restock.RECEIVED, Restock.CANCELLED, "all"):
        raise ApiError(400, "status: open, received, cancelled or all")
    query = select(Restock).where(Restock.pool_id == g.installation.pool_id)
    if status != "all":
        query = query.where(Restock.status == status)
    rows = db.session.scalars(query.order_by(Restock.expected_on, Restock.id).limit(1000)).all()
    return jsonify(restocks=[_restock(r) for r in rows])


@bp.post("/restocks")
@admin_required
def add_restock():
    restock = restocks.add_restock(db.session, g.installation.pool_id, _json_body())
    db.session.commit()
    return jsonify(_restock(restock)), 201


@bp.post("/restocks/import")
@admin_required
def import_restocks():
    upload = request.files.get("file")
    raw = upload.read(restocks.MAX_CSV_BYTES + 1) if upload else request.get_data()
    if not raw:
        raise ApiError(400, "send a CSV file (columns: sku, quantity, expected_on)")
    result = restocks.import_csv(db.session, g.installation.pool_id, raw)
    record_activity(
        db.session,
        g.installation,
        "restock",
        f"Restocks imported: {result['created']} new, {result['updated']} updated",
    )
    db.session.commit()
    return jsonify(result)


def _own_restock(restock_id: int) -> Restock:
    restock = db.session.scalar(
        select(Restock).where(Restock.id == restock_id, Restock.pool_id == g.installation.pool_id)
    )
    if restock is None:
        raise ApiError(404, "no such restock in this store")
    return restock


@bp.post("/restocks/<int:restock_id>/receive")
@admin_required
def receive_restock(restock_id: int):
    restock = _own_restock(restock_id)
    # No body: receive everything. A body must say how many (an unreadable one receives nothing).
    data = _json_body() if request.get_data(cache=True).strip() else {}
    units = restocks.receive(db.session, g.installation, restock, data.get("quantity"))
    db.session.commit()
    return jsonify(received=units, restock=_restock(restock))


@bp.post("/restocks/<int:restock_id>/cancel")
@admin_required
def cancel_restock(restock_id: int):
    restock = _own_restock(restock_id)
    if restock.status != Restock.OPEN:
        raise ApiError(409, f"this restock is already {restock.status}")
    restock.status = Restock.CANCELLED
    availability.mark(db.session, sku_ids=[restock.sku_id])
    db.session.commit()
    return jsonify(_restock(restock))


# --------------------------------------------------------------------------- notify-me


@bp.get("/notify")
@admin_required
def notify_overview():
    """Sign-ups per state, the newest sign-ups, and the notice runs with their progress."""
    installation_id = g.installation.id
    counts = dict(
        db.session.execute(
            select(NotifySubscription.status, func.count())
            .where(NotifySubscription.installation_id == installation_id)
            .group_by(NotifySubscription.status)
        ).all()
    )
    rows = db.session.execute(
        select(NotifySubscription, Listing.title)
        .join(Listing, Listing.id == NotifySubscription.listing_id)
        .where(NotifySubscription.installation_id == installation_id)
        .order_by(NotifySubscription.id.desc())
        .limit(PAGE)
    ).all()
    runs = db.session.scalars(
        select(JobRun)
        .where(JobRun.installation_id == installation_id, JobRun.kind == "notify")
        .order_by(JobRun.id.desc())
        .limit(20)
    ).all()
    return jsonify(
        counts=counts,
        subscriptions=[
            {
                "id": s.id,
                "variant": title,
                "contact": s.contact,
                "channel": s.channel,
                "locale": s.locale,
                "status": s.status,
                "created_at": s.created_at.isoformat(),
                "sent_at": s.sent_at.isoformat() if s.sent_at else None,
                "error": s.error,
            }
            for s, title in rows
        ],
        runs=[_job(r) for r in runs],
    )
