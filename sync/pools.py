"""Stock pools: which stores share one stock truth, and the signed link that joins another."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from models import Installation, StockPool

LINK_MAX_AGE = 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pool-link")


def link_token(pool_id: int) -> str:
    """A signed, hour-long token that lets an install join ``pool_id`` (made for an admin of it)."""
    return _serializer().dumps({"pool": pool_id})


def read_link_token(token: str | None) -> int | None:
    if not token or len(token) > 512:
        return None
    try:
        return int(_serializer().loads(token, max_age=LINK_MAX_AGE)["pool"])
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None


def ensure_pool(session, installation: Installation, pool_id: int | None = None) -> StockPool:
    """The store's pool: the one it was asked to join, else its own, created now."""
    if pool_id is not None and installation.pool_id != pool_id:
        pool = session.get(StockPool, pool_id)
        if pool is not None:
            installation.pool_id = pool.id
            return pool
    if installation.pool_id is not None:
        pool = session.get(StockPool, installation.pool_id)
        if pool is not None:
            return pool
    pool = StockPool(name=installation.name or installation.shop_domain, settings={})
    session.add(pool)
    session.flush()
    installation.pool_id = pool.id
    return pool
