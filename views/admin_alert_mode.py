"""The panel's alert-mode switch: ``GET`` / ``PUT /admin/api/alert-mode``.

Scoped to the pool of the installation the request proves (``admin_required``): a shop switches
its own pool only. ``PUT {"on": true, "message": "…"}`` turns it on (or changes the message),
``{"on": false}`` turns it off; sending the same state again changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from extensions import db
from models import StockPool
from sync.alerts import crisis
from views.admin_api import admin_required

bp = Blueprint("admin_alert_mode", __name__, url_prefix="/admin/api")


def _pool() -> StockPool | None:
    pool_id = g.installation.pool_id
    return db.session.get(StockPool, pool_id) if pool_id else None


def _answer(state: dict):
    return jsonify(alert_mode={**state, "max_message": crisis.MAX_MESSAGE})


def _bad(message: str, field: str):
    db.session.rollback()
    return jsonify(error=message, field=field), 400


@bp.get("/alert-mode")
@admin_required
def get_alert_mode():
    return _answer(crisis.state(_pool()))


@bp.put("/alert-mode")
@admin_required
def put_alert_mode():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _bad("the body must be a JSON object", "on")
    unknown = sorted(set(data) - {"on", "message"})
    if unknown:
        return _bad(f"unknown field: {str(unknown[0])[:32]}", str(unknown[0])[:32])
    on = data.get("on")
    if not isinstance(on, bool):
        return _bad("on must be true or false", "on")
    pool = _pool()
    if pool is None:
        return jsonify(error="this store has no stock pool yet: finish the import first"), 409
    try:
        if on:
            state = crisis.start(db.session, pool, data.get("message"), g.installation)
        else:
            state = crisis.end(db.session, pool, g.installation)
    except crisis.AlertModeError as e:
        return _bad(e.message, e.field)
    db.session.commit()
    return _answer(state)
