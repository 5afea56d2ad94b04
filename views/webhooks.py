"""Thin webhook views: signature → parse → record durably → enqueue → 200, in milliseconds."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy.exc import IntegrityError

from connectors import registry
from connectors.base import Acknowledge, WebhookRejected
from models.installation import forget_cached_ids
from sync import inbox
from sync.jobs import enqueue_delivery

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/<platform>")
@bp.post("/<platform>/<int:installation_id>")
def receive(platform: str, installation_id: int | None = None):
    connector = registry.enabled(platform)
    if connector is None:
        abort(404)
    for attempt in (1, 2):
        try:
            verified = connector.verify_webhook(request, installation_id)
        except WebhookRejected as e:
            log.info("%s webhook rejected (%s): %s", platform, e.status, e.message)
            return jsonify(error=e.message), e.status
        if isinstance(verified, Acknowledge):
            return jsonify(ok=True, note=verified.reason), 200
        try:
            delivery_id = inbox.record(verified)
            break
        except IntegrityError:
            # The installation was erased after we cached its id: look it up again.
            forget_cached_ids()
            if attempt == 2:
                raise
    if delivery_id is None:
        return jsonify(ok=True, duplicate=True), 200
    # If Redis is down right now the row is safe: the sweeper enqueues it later.
    try:
        enqueue_delivery(delivery_id, fresh=True)
    except Exception:  # noqa: BLE001 - the delivery is recorded; never fail the ack for this
        log.exception("enqueue failed for delivery %s; the sweeper will pick it up", delivery_id)
    return Response(_OK, status=200, mimetype="application/json")


_OK = b'{"ok":true}\n'
