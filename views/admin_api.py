"""The admin panel's JSON API: jobs and their progress, listings to resolve, settings, bundles.

Every request proves one installation — a panel token (``Authorization: Bearer``, signed by
StockGuard and handed to the panel page) or a Shopify App Bridge session token — and every query
is scoped to it (and to its stock pool). Tokens in a header, never cookies: no CSRF surface.
"""

from __future__ import annotations

import time
from functools import wraps
from types import SimpleNamespace

from flask import Blueprint, current_app, g, jsonify, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from connectors import registry
from connectors.errors import ConnectorError
from extensions import db
from inputs import id_arg
from models import (
    Installation,
    JobRun,
    Listing,
    Movement,
    Sku,
    StockPool,
    record_activity,
    sku_key,
)
from sync import availability, catalog, ledger, mirror, reconcile
from sync.bundles import BundleError, define_bundle
from views.panel_i18n import LANGUAGES as PANEL_LANGUAGES

bp = Blueprint("admin_api", __name__, url_prefix="/admin/api")

PANEL_TOKEN_AGE = 12 * 3600
PAGE_SIZE = 50


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="panel")


def panel_token(installation_id: int) -> str:
    # "iat" to the millisecond: itsdangerous signs to the second, too coarse to tell a token
    # signed just before a disconnect from one signed just after a reconnect.
    return _serializer().dumps({"installation": installation_id, "iat": round(time.time(), 3)})


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return jsonify(error=e.message), e.status


@bp.errorhandler(ConnectorError)
def _store_failed(e: ConnectorError):
    """The store was asked (its locations) and did not answer: its fault, not a 500 of ours."""
    db.session.rollback()
    return jsonify(error=f"the store did not answer: {e}"), 502


def _installation_from_request() -> Installation | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header[7:]
    try:
        data, signed_at = _serializer().loads(token, max_age=PANEL_TOKEN_AGE, return_timestamp=True)
        installation = db.session.get(Installation, int(data["installation"]))
        cut = installation.panel_tokens_after if installation is not None else None
        issued = float(data.get("iat", signed_at.timestamp()))
        if cut is not None and issued < cut.timestamp():
            return None  # signed before the store was disconnected: worth nothing now
        return installation
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        pass
    # Or a token a platform issued (Shopify App Bridge session tokens): each connector says —
    # from the header alone. Query-string proofs (a WooCommerce launch link, Shopify's signed
    # app-load URL) open the panel page, never the API: such a link ends up in browser history.
    header_only = SimpleNamespace(headers=request.headers, args=MultiDict())
    for connector in registry.enabled_storefronts():
        shop = connector.authenticate_admin(header_only)
        if shop:
            return Installation.find(db.session, connector.platform, shop)
    return None


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        installation = _installation_from_request()
        if installation is None:
            return jsonify(error="a valid panel or session token is required"), 401
        # A store whose credential was refused keeps its panel: it shows how to reconnect.
        if not installation.is_installed:
            return jsonify(error="StockGuard is not connected to this store"), 403
        # PostgreSQL refuses NUL in text, even in a lookup; no address of ours has a use for it.
        if "\0" in request.path or any("\0" in k + v for k, v in request.args.items(multi=True)):
            return jsonify(error="the address may not contain NUL characters"), 400
        g.installation = installation
        return view(*args, **kwargs)

    return wrapper


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def _job(run: JobRun) -> dict:
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "done": run.done,
        "total": run.total,
        "message": run.message,
        "details": run.details or {},
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


# --------------------------------------------------------------------------- jobs


@bp.get("/jobs/<int:run_id>")
@admin_required
def job_status(run_id: int):
    run = db.session.scalar(
        select(JobRun).where(JobRun.id == run_id, JobRun.installation_id == g.installation.id)
    )
    if run is None:
        raise ApiError(404, "no such job for this store")
    return jsonify(_job(run))


@bp.get("/jobs")
@admin_required
def jobs_recent():
    runs = db.session.scalars(
        select(JobRun)
        .where(JobRun.installation_id == g.installation.id)
        .order_by(JobRun.id.desc())
        .limit(10)
    ).all()
    return jsonify(jobs=[_job(r) for r in runs])


@bp.post("/import")
@admin_required
def start_import():
    run = catalog.start_import(db.session, g.installation)
    db.session.commit()
    return jsonify(_job(run)), 202


@bp.post("/reconcile")
@admin_required
def start_reconcile():
    run = reconcile.start_reconcile(db.session, g.installation)
    db.session.commit()
    return jsonify(_job(run)), 202


# --------------------------------------------------------------------------- listings


@bp.get("/listings")
@admin_required
def listings():
    status = request.args.get("status")
    if status and status not in {
        Listing.LINKED,
        Listing.UNMATCHED,
        Listing.CONFLICT,
        Listing.IGNORED,
        Listing.UNSUPPORTED,
        Listing.UNTRACKED,
        Listing.DELETED,
    }:
        raise ApiError(400, "unknown status")
    try:
        page = max(1, id_arg(request.args.get("page", "1")))
    except ValueError as e:
        raise ApiError(400, "page must be a number") from e
    query = select(Listing).where(Listing.installation_id == g.installation.id)
    if status:
        query = query.where(Listing.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Listing.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    )
    return jsonify(
        total=total,
        page=page,
        listings=[
            {
                "id": r.id,
                "sku": r.sku,
                "barcode": r.barcode,
                "title": r.title,
                "product": r.product_ref,
                "product_title": r.product_title,
                "status": r.status,
                "note": r.note,
                "channel_quantity": r.channel_quantity,
                "sku_id": r.sku_id,
            }
            for r in rows
        ],
    )


@bp.post("/listings/<int:listing_id>/resolve")
@admin_required
def resolve_listing(listing_id: int):
    """Link an unmatched/conflicting listing to a SKU, create a SKU for it, or ignore it."""
    listing = db.session.scalar(
        select(Listing).where(
            Listing.id == listing_id, Listing.installation_id == g.installation.id
        )
    )
    if listing is None:
        raise ApiError(404, "no such listing in this store")
    data = _json_body()
    action = data.get("action")
    if action == "ignore":
        listing.status, listing.sku_id, listing.push_pending = Listing.IGNORED, None, False
        listing.note = "ignored by the merchant"
    elif action in ("link", "create"):
        target = data.get("sku") if action == "link" else (data.get("sku") or listing.sku)
        key = sku_key(target if isinstance(target, str) else None)
        if key is None or len(target) > 255:
            raise ApiError(400, "sku must be a non-empty text of at most 255 characters")
        if listing.channel_quantity is None:
            raise ApiError(409, "this listing's stock is not tracked on the channel")
        _link_manually(listing, key, target.strip(), create=action == "create")
    else:
        raise ApiError(400, "action must be link, create or ignore")
    record_activity(
        db.session,
        g.installation,
        "linking",
        f"{listing.title or listing.external_id}: {action}",
        listing=listing.id,
    )
    db.session.commit()
    return jsonify(id=listing.id, status=listing.status, sku_id=listing.sku_id)


def _link_manually(listing: Listing, key: str, label: str, *, create: bool) -> None:
    sku = db.session.scalar(select(Sku).where(Sku.pool_id == listing.pool_id, Sku.key == key))
    taken = db.session.scalar(
        select(Listing.id).where(
            Listing.installation_id == listing.installation_id,
            Listing.sku_id.isnot(None),
            Listing.id != listing.id,
            Listing.sku_id == (sku.id if sku else -1),
        )
    )
    if taken:
        raise ApiError(409, "another listing of this store is already linked to that SKU")
    if sku is None:
        if not create:
            raise ApiError(404, "no such SKU in this stock pool (use action create)")
        sku = Sku(
            pool_id=listing.pool_id,
            key=key,
            sku=label,
            name=listing.title,
            on_hand=0,
            committed=0,
            safety_buffer=0,
            is_bundle=False,
        )
        db.session.add(sku)
        db.session.flush()
        skus = ledger.lock_skus(db.session, [sku.id])
        ledger.record(
            db.session,
            skus[sku.id],
            Movement.INITIAL,
            listing.channel_quantity,
            f"initial:{listing.id}:manual",
            installation_id=listing.installation_id,
            listing_id=listing.id,
            note="stock found on the channel when linked",
        )
    listing.sku_id, listing.status, listing.note = sku.id, Listing.LINKED, None
    mirror.request_push(db.session, [sku.id])


# --------------------------------------------------------------------------- settings


SETTINGS = {
    "channel_buffer": (0, 100000),  # units held back from this store
}
POOL_SETTINGS = {
    "safety_buffer": (0, 100000),  # default for new SKUs
    "settle_seconds": (0.5, 60),
    # Below this many units a SKU's last units are shared out between the stores (0 = never).
    "allocate_below": (0, 100000),
}


def _bounded(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ApiError(400, f"{name} must be a number from {low} to {high}")
    return value


@bp.get("/settings")
@admin_required
def get_settings():
    inst = g.installation
    pool = db.session.get(StockPool, inst.pool_id) if inst.pool_id else None
    connector = registry.storefront(inst.platform)
    return jsonify(
        store={k: (inst.settings or {}).get(k, 0) for k in SETTINGS},
        location_ref=(inst.settings or {}).get("location_ref"),
        locations=[{"ref": loc.ref, "name": loc.name} for loc in connector.locations(inst)],
        pool={k: (pool.settings or {}).get(k) for k in (*POOL_SETTINGS, "panel_language")}
        if pool
        else {},
    )


@bp.put("/settings")
@admin_required
def put_settings():
    inst = g.installation
    data = _json_body()
    # Other writers of the same JSON column (jobs caching facts in it) must not be overwritten.
    db.session.refresh(inst, with_for_update={"key_share": True})
    store = dict(inst.settings or {})
    for name, (low, high) in SETTINGS.items():
        if name in data:
            store[name] = int(_bounded(name, data[name], low, high))
    if "location_ref" in data:
        refs = {loc.ref for loc in registry.storefront(inst.platform).locations(inst)}
        if data["location_ref"] not in refs:
            raise ApiError(400, "location_ref must be one of this store's locations")
        if data["location_ref"] != store.get("location_ref"):
            store["location_ref"] = data["location_ref"]
            catalog.start_import(db.session, inst)  # levels now come from elsewhere
    pool = db.session.get(StockPool, inst.pool_id)
    pool_settings = dict(pool.settings or {})
    for name, (low, high) in POOL_SETTINGS.items():
        if name in data:
            pool_settings[name] = _bounded(name, data[name], low, high)
    if "panel_language" in data:  # null: follow the store admin's language again
        if data["panel_language"] not in (*PANEL_LANGUAGES, None):
            raise ApiError(400, "panel_language must be one of: " + ", ".join(PANEL_LANGUAGES))
        pool_settings["panel_language"] = data["panel_language"]
    allocation_changed = pool_settings.get("allocate_below") != (pool.settings or {}).get(
        "allocate_below"
    )
    inst.settings, pool.settings = store, pool_settings
    if allocation_changed:  # every store of the pool is told its new share
        mirror.request_push(
            db.session, db.session.scalars(select(Sku.id).where(Sku.pool_id == pool.id)).all()
        )
    # A different buffer means different numbers on this channel.
    db.session.query(Listing).filter(
        Listing.installation_id == inst.id, Listing.status == Listing.LINKED
    ).update({"push_pending": True})
    db.after_commit(lambda: mirror.enqueue_push(inst.id))
    availability.mark(db.session, installation_id=inst.id, everything=True)  # badges too
    db.session.commit()
    return get_settings()


# --------------------------------------------------------------------------- bundles and pools


@bp.post("/bundles")
@admin_required
def bundles():
    data = _json_body()
    components = data.get("components")
    if (
        not isinstance(data.get("sku"), str)
        or not isinstance(components, list)
        or len(components) > 50
    ):
        raise ApiError(400, "give sku and components [{sku, quantity}] (at most 50)")
    parts = []
    for part in components:
        if not isinstance(part, dict) or not isinstance(part.get("sku"), str):
            raise ApiError(400, "each component needs a sku and a quantity")
        parts.append((part["sku"], part.get("quantity")))
    try:
        bundle = define_bundle(db.session, g.installation.pool_id, data["sku"], parts)
    except BundleError as e:
        db.session.rollback()
        raise ApiError(400, str(e)) from e
    record_activity(
        db.session, g.installation, "bundle", f"bundle {bundle.sku or bundle.key} defined"
    )
    db.session.commit()
    return jsonify(sku=bundle.sku, components=[{"sku": s, "quantity": q} for s, q in parts]), 201
