"""Admin API for ads that follow stock: ad accounts, their objects, links to SKUs, the policy,
the actions (audit log, approvals) and what the dry run would have done.

Same authentication as ``views.admin_api`` (panel or session token in a header, no cookies);
every query is scoped to the proven store's stock pool. Credentials go in and never come out.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import func, select

from connectors import registry
from extensions import db
from inputs import id_arg
from models import AdAccount, AdAction, AdLink, AdObject, Sku, StockPool, utcnow
from sync.ads import accounts
from sync.ads import policy as rules
from sync.ads.decide import enqueue_evaluation
from views.admin_api import ApiError, _job, _json_body, admin_required

bp = Blueprint("admin_ads", __name__, url_prefix="/admin/api/ads")
PAGE = 100


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return jsonify(error=e.message), e.status


@bp.errorhandler(accounts.AdsError)
def _ads_error(e: accounts.AdsError):
    db.session.rollback()
    return jsonify(error=e.message, errors=e.errors), e.status


@bp.errorhandler(rules.PolicyError)
def _policy_error(e: rules.PolicyError):
    db.session.rollback()
    return jsonify(error=e.message, field=e.field), 400


def _pool_id() -> int:
    return g.installation.pool_id


def _account(a: AdAccount) -> dict:
    now = utcnow()
    return {
        "id": a.id,
        "platform": a.platform,
        "account_ref": a.account_ref,
        "name": a.name,
        "currency": a.currency,
        "status": a.status,
        "mode": a.mode,
        "effective_mode": a.effective_mode(now),
        "dry_run_until": a.dry_run_until.isoformat() if a.dry_run_until else None,
        "last_error": a.last_error,
        "connected_at": a.connected_at.isoformat(),
        "imported_at": a.imported_at.isoformat() if a.imported_at else None,
    }


def _object(o: AdObject, links: list[dict]) -> dict:
    return {
        "id": o.id,
        "account_id": o.account_id,
        "level": o.level,
        "ref": o.ref,
        "name": o.name,
        "parent_ref": o.parent_ref,
        "status": o.status,
        "raw_status": o.raw_status,
        "daily_budget": o.daily_budget,
        "destination_urls": o.destination_urls or [],
        "gone": o.gone,
        "paused_by_stockguard": o.paused_by_us,
        "budget_lowered_from": o.budget_lowered_from,
        "policy": o.policy or {},
        "links": links,
    }


def _action(a: AdAction, obj: AdObject | None) -> dict:
    return {
        "id": a.id,
        "account_id": a.account_id,
        "object_id": a.ad_object_id,
        "object_name": obj.name if obj else None,
        "object_level": obj.level if obj else None,
        "kind": a.kind,
        "state": a.state,
        "mode": a.mode,
        "reason": a.reason,
        "stock": a.stock or [],
        "status_before": a.status_before,
        "status_after": a.status_after,
        "budget_before": a.budget_before,
        "budget_after": a.budget_after,
        "spend_avoided": a.spend_avoided,
        "note": a.note,
        "created_at": a.created_at.isoformat(),
        "executed_at": a.executed_at.isoformat() if a.executed_at else None,
    }


# --------------------------------------------------------------------------- accounts


@bp.get("")
@admin_required
def overview():
    pool = db.session.get(StockPool, _pool_id())
    rows = db.session.scalars(
        select(AdAccount).where(AdAccount.pool_id == pool.id).order_by(AdAccount.id)
    ).all()
    # Per currency: accounts of one merchant may bill in different ones.
    avoided = dict(
        db.session.execute(
            select(AdAccount.currency, func.sum(AdAction.spend_avoided))
            .join(AdAccount, AdAccount.id == AdAction.account_id)
            .where(
                AdAction.pool_id == pool.id,
                AdAction.state == AdAction.DONE,
                AdAction.spend_avoided.is_not(None),
            )
            .group_by(AdAccount.currency)
        ).all()
    )
    paused = db.session.scalar(
        select(func.count()).where(AdObject.pool_id == pool.id, AdObject.paused_by_us.is_(True))
    )
    return jsonify(
        platforms=[
            {
                "platform": c.platform,
                "name": c.display_name,
                "fields": [
                    {
                        "name": f.name,
                        "label": f.label,
                        "secret": f.secret,
                        "required": f.required,
                        "help": f.help,
                    }
                    for f in c.credential_fields
                ],
            }
            for c in registry.ad_platforms()
        ],
        accounts=[_account(a) for a in rows],
        policy=rules.effective(pool.settings, None).as_dict(),
        paused_by_stockguard=paused,
        spend_avoided={currency or "": int(total) for currency, total in avoided.items()},
    )


@bp.post("/accounts")
@admin_required
def connect_account():
    body = _json_body()
    platform = body.pop("platform", None)
    account = accounts.connect(db.session, g.installation, platform, body)
    run = accounts.start_import(db.session, g.installation, account)
    db.session.commit()
    return jsonify(account=_account(account), job=_job(run)), 201


@bp.post("/accounts/<int:account_id>/test")
@admin_required
def test_account(account_id: int):
    account = accounts.account_in_pool(db.session, _pool_id(), account_id)
    accounts.retest(db.session, account)
    db.session.commit()
    return jsonify(account=_account(account))


@bp.post("/accounts/<int:account_id>/import")
@admin_required
def import_account(account_id: int):
    account = accounts.account_in_pool(db.session, _pool_id(), account_id)
    run = accounts.start_import(db.session, g.installation, account)
    db.session.commit()
    return jsonify(_job(run)), 202


@bp.patch("/accounts/<int:account_id>")
@admin_required
def update_account(account_id: int):
    body = _json_body()
    unknown = set(body) - {"mode", "end_dry_run"}
    if unknown:
        raise ApiError(400, f"unknown setting: {sorted(unknown)[0]}")
    account = accounts.account_in_pool(db.session, _pool_id(), account_id)
    accounts.set_mode(db.session, account, body.get("mode"), body.get("end_dry_run") is True)
    db.session.commit()
    enqueue_evaluation(account.pool_id)
    return jsonify(account=_account(account))


@bp.delete("/accounts/<int:account_id>")
@admin_required
def disconnect_account(account_id: int):
    """Forget the account, its credentials and its links. Objects StockGuard paused are not
    resumed behind the merchant's back: the answer lists them."""
    account = accounts.account_in_pool(db.session, _pool_id(), account_id)
    still_paused = db.session.scalars(
        select(AdObject.name).where(
            AdObject.account_id == account.id, AdObject.paused_by_us.is_(True)
        )
    ).all()
    db.session.delete(account)
    db.session.commit()
    return jsonify(disconnected=account_id, left_paused=list(still_paused))


# --------------------------------------------------------------------------- objects, links


@bp.get("/objects")
@admin_required
def list_objects():
    query = select(AdObject).where(AdObject.pool_id == _pool_id())
    account_id = request.args.get("account", type=id_arg)
    if account_id is not None:
        query = query.where(AdObject.account_id == account_id)
    search = (request.args.get("q") or "").strip()[:100]
    if search:
        pattern = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AdObject.name.ilike(f"%{pattern}%", escape="\\"))
    if request.args.get("linked") == "1":
        query = query.where(AdObject.id.in_(select(AdLink.ad_object_id)))
    page = max(1, request.args.get("page", 1, type=id_arg) or 1)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(AdObject.account_id, AdObject.id).limit(PAGE).offset((page - 1) * PAGE)
    ).all()
    links: dict[int, list[dict]] = {}
    for link_id, object_id, sku_id, sku in db.session.execute(
        select(AdLink.id, AdLink.ad_object_id, AdLink.sku_id, Sku.sku)
        .join(Sku, Sku.id == AdLink.sku_id)
        .where(AdLink.ad_object_id.in_([o.id for o in rows]))
    ):
        links.setdefault(object_id, []).append({"id": link_id, "sku_id": sku_id, "sku": sku})
    return jsonify(
        total=total,
        page=page,
        objects=[_object(o, links.get(o.id, [])) for o in rows],
        suggestions=accounts.suggestions(db.session, _pool_id()) if page == 1 else [],
    )


@bp.post("/links")
@admin_required
def create_links():
    body = _json_body()
    obj = accounts.object_in_pool(db.session, _pool_id(), body.get("object_id"))
    # SKU ids (from a suggestion), or SKU codes as the merchant types them.
    sku_ids = body.get("sku_ids")
    if sku_ids is None and "skus" in body:
        sku_ids = accounts.sku_ids_of(db.session, _pool_id(), body["skus"])
    added = accounts.link(db.session, _pool_id(), obj, sku_ids)
    db.session.commit()
    return jsonify(links=[{"id": a.id, "sku_id": a.sku_id} for a in added]), 201


@bp.delete("/links/<int:link_id>")
@admin_required
def delete_link(link_id: int):
    accounts.unlink(db.session, _pool_id(), link_id)
    db.session.commit()
    return jsonify(deleted=link_id)


# --------------------------------------------------------------------------- policy


@bp.put("/policy")
@admin_required
def put_policy():
    body = _json_body()
    pool = db.session.scalar(
        select(StockPool).where(StockPool.id == _pool_id()).with_for_update(key_share=True)
    )
    values = rules.validated(body, partial=False)
    settings = dict(pool.settings or {})
    settings["ads"] = {**(settings.get("ads") or {}), **values}
    rules.effective(settings, None)  # the merged result must hold too
    pool.settings = settings
    db.session.commit()
    enqueue_evaluation(pool.id)
    return jsonify(policy=rules.effective(settings, None).as_dict())


@bp.put("/objects/<int:object_id>/policy")
@admin_required
def put_object_policy(object_id: int):
    body = _json_body()
    obj = accounts.object_in_pool(db.session, _pool_id(), object_id)
    values = rules.validated(body, partial=True)
    pool = db.session.get(StockPool, obj.pool_id)
    rules.effective(pool.settings, values)  # the override must make sense with the defaults
    obj.policy = values
    db.session.commit()
    enqueue_evaluation(obj.pool_id)
    return jsonify(policy=rules.effective(pool.settings, values).as_dict(), override=values)


# --------------------------------------------------------------------------- actions


@bp.get("/actions")
@admin_required
def list_actions():
    query = select(AdAction).where(AdAction.pool_id == _pool_id())
    state = request.args.get("state")
    if state:
        valid = {
            AdAction.PLANNED,
            AdAction.AWAITING,
            AdAction.QUEUED,
            AdAction.SENDING,
            AdAction.DONE,
            AdAction.SKIPPED,
            AdAction.FAILED,
            AdAction.REJECTED,
            AdAction.SUPERSEDED,
        }
        if state not in valid:
            raise ApiError(400, "unknown state")
        query = query.where(AdAction.state == state)
    object_id = request.args.get("object", type=id_arg)
    if object_id is not None:
        query = query.where(AdAction.ad_object_id == object_id)
    page = max(1, request.args.get("page", 1, type=id_arg) or 1)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(AdAction.id.desc()).limit(PAGE).offset((page - 1) * PAGE)
    ).all()
    objects = {
        o.id: o
        for o in db.session.scalars(
            select(AdObject).where(AdObject.id.in_({a.ad_object_id for a in rows}))
        )
    }
    return jsonify(
        total=total, page=page, actions=[_action(a, objects.get(a.ad_object_id)) for a in rows]
    )


@bp.post("/actions/<int:action_id>/<any(approve, reject):verdict>")
@admin_required
def judge_action(action_id: int, verdict: str):
    action = accounts.decide_approval(db.session, _pool_id(), action_id, verdict == "approve")
    db.session.commit()
    return jsonify(action=_action(action, db.session.get(AdObject, action.ad_object_id)))
