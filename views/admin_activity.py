"""The activity log, a page at a time: ``GET /admin/api/activity?before=<id>`` gives the 50
entries of the proven store just older than ``before`` (newest first), and whether more remain."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from extensions import db
from inputs import id_arg
from models import ActivityEntry
from views.admin_api import admin_required

bp = Blueprint("admin_activity", __name__, url_prefix="/admin/api")

PAGE = 50


def latest_entries(installation_id: int, before: int | None = None, limit: int = PAGE):
    """This store's entries older than ``before`` (by id: the order they were written), newest
    first; and whether there are more after them."""
    query = select(ActivityEntry).where(ActivityEntry.installation_id == installation_id)
    if before is not None:
        query = query.where(ActivityEntry.id < before)
    rows = db.session.scalars(query.order_by(ActivityEntry.id.desc()).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def entry_json(entry: ActivityEntry) -> dict:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "message": entry.message,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
    }


@bp.get("/activity")
@admin_required
def activity():
    raw = request.args.get("before")
    before = None
    if raw is not None:
        try:
            before = id_arg(raw) if raw.isascii() and raw.isdigit() else None
        except ValueError:
            before = None
        if before is None or before < 1:
            return jsonify(error="before must be the id of an activity entry (a whole number)"), 400
    entries, more = latest_entries(g.installation.id, before)
    return jsonify(entries=[entry_json(e) for e in entries], more=more)
