"""Shop erasure (Shopify ``shop/redact``): nothing held for the shop survives it.

A pool whose last store is erased goes with everything hanging off it (SKUs, ledger, restocks,
suppliers, alert settings and alerts, bundles, forecasts, ad accounts and their tokens, ...): the
schema's ``ON DELETE CASCADE`` from ``stock_pool`` takes every such row in the same transaction.
A pool other stores still share is theirs too: only the erased store's own rows go (listings,
deliveries, activity, storefront data, credentials), and what it connected for the whole pool
is handed to a store that remains.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select, update

from models import (
    AdAccount,
    Installation,
    InstallState,
    Movement,
    StockPool,
    record_activity,
)

log = logging.getLogger(__name__)


def erase_shop(session, installation: Installation) -> bool:
    """Delete the store and what only it holds; True when its pool went with it. The caller
    commits."""
    pool_id = installation.pool_id
    session.execute(
        delete(InstallState).where(
            InstallState.platform == installation.platform,
            InstallState.shop_domain == installation.shop_domain,
        )
    )
    if pool_id is None:
        _delete_installation(session, installation)
        return False
    # FOR UPDATE, not the usual FOR NO KEY UPDATE: the row may be deleted below, and a store
    # joining the pool meanwhile (its pool_id takes FOR KEY SHARE) must wait for the answer.
    pool = session.scalar(select(StockPool).where(StockPool.id == pool_id).with_for_update())
    others = session.scalar(
        select(func.count())
        .select_from(Installation)
        .where(Installation.pool_id == pool_id, Installation.id != installation.id)
    )
    if not others:
        _delete_installation(session, installation)
        # Nonces of "connect another store" links to this pool (no foreign key on them).
        session.execute(delete(InstallState).where(InstallState.pool_id == pool_id))
        if pool is not None:
            # Cascades to every row with a pool_id (ad accounts whatever their store, too).
            session.execute(delete(StockPool).where(StockPool.id == pool_id))
        log.info("erased installation %s and its pool %s", installation.id, pool_id)
        return True
    _hand_over(session, installation, pool)
    _delete_installation(session, installation)
    log.info("erased installation %s; pool %s kept for its other stores", installation.id, pool_id)
    return False


def _delete_installation(session, installation: Installation) -> None:
    # The ledger is the pool's history (every on_hand_after builds on the one before): its
    # rows stay, no longer naming the store or its listings.
    session.execute(
        update(Movement)
        .where(Movement.installation_id == installation.id)
        .values(installation_id=None, listing_id=None)
    )
    session.delete(installation)  # cascades to listings, deliveries, activity, storefront rows
    session.flush()


def _hand_over(session, installation: Installation, pool: StockPool | None) -> None:
    """Ad accounts the erased store connected serve the whole pool: a remaining store's
    activity log tells their story from now on."""
    heir = session.scalar(
        select(Installation)
        .where(Installation.pool_id == installation.pool_id, Installation.id != installation.id)
        .order_by(Installation.id)
        .limit(1)
    )
    accounts = session.scalars(
        select(AdAccount).where(AdAccount.installation_id == installation.id)
    ).all()
    for account in accounts:
        account.installation_id = heir.id
        record_activity(
            session,
            heir,
            "ads",
            f"The {account.platform} ad account {account.name or account.account_ref} was "
            "connected from a store that has since been removed from StockGuard; its activity "
            "is shown here from now on",
            account_id=account.id,
        )
    if pool is not None:
        mode = (pool.settings or {}).get("alert_mode")
        if isinstance(mode, dict) and mode.get("by") == installation.shop_domain:
            pool.settings = {**pool.settings, "alert_mode": {**mode, "by": None}}
