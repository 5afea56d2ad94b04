"""The panel's alerts API: ``/admin/api/alerts`` (the list), ``/alerts/settings`` (channels,
conditions, thresholds, digest) and ``/alerts/test`` (a test message on every channel).

Every query is scoped to the pool of the installation the request proves (``admin_required``).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, g, jsonify, request
from sqlalchemy import case, or_, select

from extensions import db
from models import Alert, Forecast, Sku, record_activity, utcnow
from sync import alerts
from sync.alerts import deliver
from sync.alerts.sweep import best_sellers_first
from views.admin_api import ApiError, admin_required

bp = Blueprint("admin_alerts", __name__, url_prefix="/admin/api")

CLEARED_DAYS = 7  # cleared alerts stay in the list this long
LIST_LIMIT = 500


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return jsonify(error=e.message), e.status


@bp.errorhandler(alerts.AlertSettingsError)
def _settings_error(e: alerts.AlertSettingsError):
    db.session.rollback()
    return jsonify(error=str(e), field=e.field), 400


def _alert(alert: Alert, sku: Sku, forecast: Forecast | None) -> dict:
    return {
        "id": alert.id,
        "sku": sku.sku or sku.key,
        "name": sku.name,
        "condition": alert.condition,
        "title": deliver.TITLES[alert.condition],
        "message": deliver.describe(alert.condition, alert.details),
        "details": alert.details or {},
        "opened_at": alert.opened_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
        "rank": forecast.rank if forecast and forecast.rank > 0 else None,
        "abc": forecast.abc if forecast and forecast.rank > 0 else None,
        "deliveries": [
            {"channel": d.channel, "status": d.status, "attempts": d.attempts, "error": d.error}
            for d in alert.deliveries
        ],
    }


@bp.get("/alerts")
@admin_required
def alert_list():
    """Open alerts first, then those cleared in the last week; best-sellers first in each."""
    pool_id = g.installation.pool_id
    since = utcnow() - dt.timedelta(days=CLEARED_DAYS)
    rows = db.session.execute(
        select(Alert, Sku, Forecast)
        .join(Sku, Sku.id == Alert.sku_id)
        .outerjoin(Forecast, Forecast.sku_id == Alert.sku_id)
        .where(
            Alert.pool_id == pool_id,
            or_(Alert.cleared_at.is_(None), Alert.cleared_at >= since),
        )
        .order_by(
            case((Alert.cleared_at.is_(None), 0), else_=1),
            *best_sellers_first(),
            Alert.condition,
            Alert.opened_at.desc(),
        )
        .limit(LIST_LIMIT)
    ).all()
    items = [_alert(a, s, f) for a, s, f in rows]
    return jsonify(alerts=items, open=sum(1 for i in items if i["cleared_at"] is None))


@bp.get("/alerts/settings")
@admin_required
def settings_get():
    return jsonify(alerts.load(db.session, g.installation.pool_id).as_json())


@bp.put("/alerts/settings")
@admin_required
def settings_put():
    pool_id = g.installation.pool_id
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    new = alerts.validate(data, alerts.load(db.session, pool_id))
    alerts.save(db.session, pool_id, new)
    record_activity(
        db.session,
        g.installation,
        "alerts.settings",
        "Alert settings changed",
        fields=sorted(data),
    )
    db.session.commit()
    return jsonify(new.as_json())


@bp.post("/alerts/test")
@admin_required
def send_test():
    settings = alerts.load(db.session, g.installation.pool_id)
    if not settings.channels():
        raise ApiError(400, "no channel is set up: add an e-mail address or a webhook first")
    results = deliver.send_test(settings)
    return jsonify(results=results, ok=all(r["ok"] for r in results))
