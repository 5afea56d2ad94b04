"""Stock pools: which stores share one stock truth, and the signed link that joins another."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from models import Installation, StockPool

LINK_MAX_AGE = 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pool-link")


def link_token(pool_id: int, platform: str, shop: str) -> str:
    """A signed, hour-long invitation into ``pool_id`` for one store (``platform``, ``shop`` as
    installations name it), made by an admin of the pool. Whoever else sees the link can only
    invite that same store, whose admin still accepts or declines in its own panel."""
    return _serializer().dumps({"pool": pool_id, "platform": platform, "shop": shop})


def read_link_token(token: str | None, platform: str, shop: str) -> int | None:
    """The pool ``token`` invites this store into, or None (forged, expired, another store's)."""
    if not token or len(token) > 1024:
        return None
    try:
        data = _serializer().loads(token, max_age=LINK_MAX_AGE)
        if data["platform"] != platform or data["shop"] != shop:
            return None
        return int(data["pool"])
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
