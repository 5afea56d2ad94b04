"""The admin API for stock pools: links that invite one named store into this store's pool, and
the invitation such a link left for a store, which only that store's admin can accept (or
decline)."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, url_for

from connectors import registry
from extensions import db
from sync import installs
from sync.pools import LINK_MAX_AGE, link_token
from views.admin_api import ApiError, _json_body, admin_required

bp = Blueprint("admin_pool", __name__, url_prefix="/admin/api/pool")


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return jsonify(error=e.message), e.status


@bp.get("/invitation")
@admin_required
def invitation():
    """The open invitation to share stock with another pool's stores, or null."""
    return jsonify(invitation=installs.invitation(db.session, g.installation))


@bp.post("/invitation")
@admin_required
def answer_invitation():
    """``{"accept": true}`` moves this store into the inviting pool; ``false`` declines."""
    accept = _json_body().get("accept")
    if not isinstance(accept, bool):
        raise ApiError(400, "accept must be true or false")
    try:
        if accept:
            installs.accept_invitation(db.session, g.installation)
        else:
            installs.decline_invitation(db.session, g.installation)
    except installs.InvitationError as e:
        db.session.rollback()
        raise ApiError(409, str(e)) from e
    db.session.commit()
    return jsonify(
        accepted=accept,
        pool_stores=installs.pool_stores(
            db.session, g.installation.pool_id, besides=g.installation.id
        ),
    )


@bp.post("/link")
@admin_required
def link():
    """``{"platform", "store"}``: an install link (valid one hour) that invites that store — and
    no other — into this store's pool; its admin then accepts in its own panel."""
    body = _json_body()
    platform, store = body.get("platform"), body.get("store")
    connector = registry.enabled(platform) if isinstance(platform, str) else None
    if connector is None:
        names = ", ".join(c.platform for c in registry.enabled_storefronts())
        raise ApiError(400, f"platform must be one of: {names}")
    shop = connector.store_address(store if isinstance(store, str) else None)
    if shop is None:
        raise ApiError(400, f"store is not a {connector.display_name} store address")
    token = link_token(g.installation.pool_id, connector.platform, shop)
    url = current_app.config["APP_URL"] + url_for(
        f"{connector.blueprint().name}.install",
        pool=token,
        **{connector.install_store_param: shop},
    )
    return jsonify(platform=connector.platform, store=shop, url=url, expires_in=LINK_MAX_AGE)
