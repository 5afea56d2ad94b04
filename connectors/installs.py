"""The install port: what a connector hands the engine once a platform has proved an install.

A connector's install routes speak the platform's protocol (Shopify OAuth or token exchange,
WooCommerce's ``/wc-auth/v1``) and end with an ``InstallGrant``: the platform, the store, its
name and the credentials the platform gave. What happens then — the installation row, the pool,
the catalog import, the activity entry, an invitation into another pool — is the engine's
(``sync/installs.py``), reached through ``install_service()`` so that connectors never import
the engine. ``create_app`` puts the engine's service in ``app.extensions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from flask import current_app

if TYPE_CHECKING:
    from models import Installation

EXTENSION = "stockguard.installs"


@dataclass(frozen=True)
class InstallGrant:
    """A store granted StockGuard access: what the platform proved, nothing the browser said."""

    platform: str
    shop: str  # the installation's shop_domain
    name: str | None
    credentials: dict = field(repr=False)
    scopes: str
    # Platform facts that are not secret (currency, API key id, registered webhook topics, ...),
    # merged into the installation's settings.
    settings: dict = field(default_factory=dict)
    # The pool this install was invited into (a verified pool link), or None. The engine never
    # moves a store on it alone: the store's admin accepts the invitation in the panel.
    invited_pool_id: int | None = None
    # For the activity entry: what was set up on the platform.
    webhooks_created: list[str] = field(default_factory=list)
    webhooks_updated: list[str] = field(default_factory=list)


class InstallService(Protocol):
    """The engine's side of an install, as connectors see it."""

    def invited_pool(self, token: str | None, platform: str, shop: str) -> int | None:
        """The pool a pool-link token invites this store into (signed, unexpired, made for
        this very store), else None."""

    def begin(self, platform: str, shop: str, name: str | None, credentials: dict) -> int:
        """The installation's id, creating it (not yet active) when the store is new: some
        platforms need the id before the install completes (webhook addresses name it)."""

    def abandon(self, installation_id: int) -> None:
        """Undo ``begin`` for an install that failed: a row never activated is deleted."""

    def complete(self, grant: InstallGrant) -> Installation:
        """Activate the installation with the grant's credentials, set up its pool and start
        the catalog import; the caller commits."""


def install_service() -> InstallService:
    """The engine's install service for this app."""
    return current_app.extensions[EXTENSION]
