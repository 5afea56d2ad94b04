"""Shopify install and admin authentication, as the connector exposes them.

The authorization code grant lives in ``oauth.py``, session tokens and managed installation in
``session.py``, expiring offline tokens in ``tokens.py``.
"""

from __future__ import annotations

from connectors.shopify.oauth import (
    PLATFORM,
    SESSION_KEY,
    SHOP_RE,
    admin_url,
    bp,
    configure_library,
    finish_install,
    normalize_shop,
)
from connectors.shopify.oauth import normalize_shop as normalize_store
from connectors.shopify.session import (
    authenticate_admin,
    install_from_admin,
    verify_session_token,
)

__all__ = [
    "PLATFORM",
    "SESSION_KEY",
    "SHOP_RE",
    "admin_url",
    "normalize_store",
    "authenticate_admin",
    "bp",
    "configure_library",
    "finish_install",
    "install_from_admin",
    "normalize_shop",
    "verify_session_token",
]
