"""The install use case: what StockGuard does once a platform proved that a store granted access.

Connectors speak each platform's install protocol and hand over an ``InstallGrant``
(connectors/installs.py); this module is the engine's side of that port. A pool link never moves
a store by itself: the invited store's admin accepts the invitation in that store's own panel
(``accept_invitation``), so a link sent to another merchant cannot pull their store — listings,
stock and all — into someone else's pool.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update

from connectors.installs import EXTENSION, InstallGrant
from extensions import db
from models import Installation, Listing, StockPool, record_activity, utcnow
from models.installation import forget_cached_ids
from sync import catalog, connection
from sync.pools import read_link_token

INVITATION_DAYS = 7


class InvitationError(ValueError):
    """There is no invitation to act on (none, expired, or its pool is gone)."""


class EngineInstalls:
    """``InstallService`` for connectors, on the app's database session."""

    def invited_pool(self, token: str | None, platform: str, shop: str) -> int | None:
        return read_link_token(token, platform, shop)

    def begin(self, platform: str, shop: str, name: str | None, credentials: dict) -> int:
        session = db.session
        installation = Installation.find(session, platform, shop)
        if installation is None:
            installation = Installation(platform=platform, shop_domain=shop, name=name)
            installation.credentials = credentials
            session.add(installation)
            session.commit()
        return installation.id

    def abandon(self, installation_id: int) -> None:
        session = db.session
        installation = session.get(Installation, installation_id)
        if installation is not None and installation.status == Installation.INSTALLING:
            session.delete(installation)
            forget_cached_ids()
        session.commit()

    def complete(self, grant: InstallGrant) -> Installation:
        return complete(db.session, grant)


def init_app(app) -> None:
    app.extensions[EXTENSION] = EngineInstalls()


def complete(session, grant: InstallGrant) -> Installation:
    """Activate the store with the grant's credentials, keep or create its pool, import its
    catalog and record it; an invitation into another pool waits for the admin. Caller commits."""
    installation = Installation.find(session, grant.platform, grant.shop)
    reinstall = installation is not None and installation.status != Installation.INSTALLING
    if installation is None:
        installation = Installation(platform=grant.platform, shop_domain=grant.shop)
        session.add(installation)
    installation.name = grant.name or installation.name
    installation.scopes = grant.scopes
    installation.credentials = grant.credentials  # a re-install replaces the credentials
    # Active again; a store whose credential had been refused catches up (pushes, reconcile).
    connection.credentials_restored(session, installation)
    installation.settings = {**(installation.settings or {}), **grant.settings}
    session.flush()
    catalog.installed(session, installation)
    record_activity(
        session,
        installation,
        "install",
        "StockGuard was re-installed" if reinstall else "StockGuard was installed",
        scopes=grant.scopes,
        webhooks_created=grant.webhooks_created,
        webhooks_updated=grant.webhooks_updated,
    )
    if grant.invited_pool_id is not None and grant.invited_pool_id != installation.pool_id:
        invite(session, installation, grant.invited_pool_id)
    return installation


# --------------------------------------------------------------------------- pool invitations


def pool_stores(session, pool_id: int | None, *, besides: int | None = None) -> list[str]:
    """The names of the stores in a pool (for the merchant: who would share stock)."""
    if pool_id is None:
        return []
    rows = session.scalars(
        select(Installation)
        .where(Installation.pool_id == pool_id, Installation.id != (besides or 0))
        .order_by(Installation.id)
    )
    return [row.name or row.shop_domain for row in rows]


def invite(session, installation: Installation, pool_id: int) -> None:
    """Record an invitation into ``pool_id`` for the store's admin to accept or decline."""
    if session.get(StockPool, pool_id) is None:
        return
    installation.invited_pool_id = pool_id
    installation.invited_at = utcnow()
    stores = ", ".join(pool_stores(session, pool_id)) or "another store"
    record_activity(
        session,
        installation,
        "pool_invitation",
        f"Invited to share stock with {stores}: accept or decline in StockGuard's panel",
        pool_id=pool_id,
    )


def invitation(session, installation: Installation) -> dict | None:
    """The open invitation of a store: who invites, since when; None when there is none."""
    pool_id = installation.invited_pool_id
    if pool_id is None or installation.invited_at is None:
        return None
    if installation.invited_at < utcnow() - dt.timedelta(days=INVITATION_DAYS):
        return None
    if session.get(StockPool, pool_id) is None or pool_id == installation.pool_id:
        return None
    return {
        "pool_id": pool_id,
        "stores": pool_stores(session, pool_id),
        "invited_at": installation.invited_at.isoformat(),
    }


def accept_invitation(session, installation: Installation) -> Installation:
    """Move the store into the pool it was invited to and re-import its catalog there."""
    found = invitation(session, installation)
    if found is None:
        raise InvitationError("there is no open invitation to share stock")
    installation.invited_pool_id = installation.invited_at = None
    move_to_pool(session, installation, found["pool_id"])
    record_activity(
        session,
        installation,
        "pool_join",
        f"Now sharing stock with {', '.join(found['stores'])}",
        pool_id=found["pool_id"],
    )
    return installation


def move_to_pool(session, installation: Installation, pool_id: int) -> None:
    """Move the store into ``pool_id``: its listings are linked again there (the pool's truth
    wins, the store is told it), and the pool it leaves is deleted if no store is left in it."""
    left = installation.pool_id
    session.execute(
        update(Listing)
        .where(Listing.installation_id == installation.id, Listing.status != Listing.IGNORED)
        .values(status=Listing.UNMATCHED, sku_id=None, push_pending=False)
    )
    installation.pool_id = pool_id
    session.flush()
    if left is not None and left != pool_id:
        remaining = session.scalar(
            select(func.count()).select_from(Installation).where(Installation.pool_id == left)
        )
        if not remaining:
            session.execute(delete(StockPool).where(StockPool.id == left))
    session.expire_all()
    catalog.installed(session, session.get(Installation, installation.id))


def decline_invitation(session, installation: Installation) -> None:
    """Forget the store's invitation; nothing moves."""
    if installation.invited_pool_id is None:
        raise InvitationError("there is no open invitation to share stock")
    installation.invited_pool_id = installation.invited_at = None
    record_activity(session, installation, "pool_invitation", "Invitation to share stock declined")
