"""The store's connection in the admin panel: whether the platform still accepts StockGuard's
credential (a banner and a reconnect link when it does not, in every panel of the pool), and
the merchant's "disconnect this store"."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from connectors import registry
from extensions import db
from models import Installation
from sync import connection as store_connection
from views import panel_i18n
from views.admin_api import ApiError, _api_error, _json_body, admin_required

bp = Blueprint("admin_store", __name__, url_prefix="/admin/api/store")
bp.register_error_handler(ApiError, _api_error)


def disconnected(installation: Installation) -> list[dict]:
    """The stores of ``installation``'s pool that need reconnecting (itself included)."""
    app_url = current_app.config["APP_URL"].rstrip("/")
    found = []
    for store in store_connection.disconnected_stores(db.session, installation.pool_id):
        connector = registry.storefront(store.platform)
        if connector is None:  # a platform no longer enabled: nothing to reconnect here
            continue
        found.append(
            {
                "id": store.id,
                "name": store_connection.store_name(store),
                "platform_name": connector.display_name,
                "this_store": store.id == installation.id,
                "reconnect_url": app_url + connector.reconnect_url(store),
            }
        )
    return found


@bp.get("/connection")
@admin_required
def connection():
    """This store's status and the pool's stores to reconnect."""
    inst = g.installation
    return jsonify(status=inst.status, disconnected=disconnected(inst))


@bp.post("/disconnect")
@admin_required
def disconnect():
    """Remove StockGuard's webhooks from the store, forget its credential, mark it uninstalled;
    ``{"erase": true}`` also erases what StockGuard holds for it (listings, activity, ...)."""
    data = _json_body()
    erase = data.get("erase", False)
    if not isinstance(erase, bool):
        raise ApiError(400, "erase must be true or false")
    inst = g.installation
    lang = panel_i18n.choose_language(None, data.get("locale"), request.accept_languages)
    result = store_connection.disconnect(db.session, inst, erase=erase)
    steps = result.steps.get(lang) or result.steps.get("en")
    if not result.done:
        db.session.rollback()
        return jsonify(error="this store is disconnected from its own admin", steps=steps), 409
    db.session.commit()
    return jsonify(
        status=Installation.UNINSTALLED,
        erased=erase,
        webhooks_removed=result.removed,
        steps=steps,
    )
