"""The admin API for stock pools: the invitation a pool link left for this store, which only
this store's admin can accept (or decline)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from extensions import db
from sync import installs
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
