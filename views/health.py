"""Liveness and readiness for load balancers and the README's first check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        checks["database"] = f"error: {type(e).__name__}"
    backend = current_app.extensions["jobs"]
    if hasattr(backend, "redis"):
        try:
            backend.redis.ping()
            checks["jobs"] = "redis ok"
        except Exception as e:  # noqa: BLE001
            checks["jobs"] = f"redis error: {type(e).__name__}"
    else:
        checks["jobs"] = "in-process"
    healthy = all(v.endswith("ok") or v == "in-process" for v in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503
