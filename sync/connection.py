"""A store's connection as the engine sees it: its credential refused (the store needs
reconnecting), restored by a new install, or cut by the merchant (disconnect).

- ``credentials_refused`` is called for any platform call a job made for a store that raised
  ``Unauthorized`` (a push, a read, a reconcile, an import: sync/worker.py catches it). The store
  is marked ``needs_reconnect``: nothing is written to or read from it until it is reconnected
  (its pushes stop being retried; the other stores of the pool carry on), its webhooks are still
  applied (its sales are real), the merchant gets an activity entry, an alert, and a banner in
  every panel of the pool.
- ``credentials_restored`` is what the install flow calls after a successful re-install: the
  store is active again, its pending pushes are sent, a reconcile catches up what it missed,
  the alert clears.
- ``disconnect`` is the merchant's own "disconnect this store".
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update

from connectors import registry
from connectors.base import Disconnection
from extensions import db
from models import Alert, AlertDelivery, Installation, Listing, record_activity, utcnow
from models.alert import STORE_DISCONNECTED
from sync import lifecycle

log = logging.getLogger(__name__)


def store_name(installation: Installation) -> str:
    return installation.name or installation.shop_domain


def credentials_refused(session, installation_id: int, error: Exception) -> bool:
    """Mark the store as needing reconnection (once): activity, alert. True when newly marked.

    The caller commits."""
    installation = session.scalar(
        select(Installation).where(Installation.id == installation_id).with_for_update()
    )
    if installation is None or installation.status != Installation.ACTIVE:
        return False
    installation.status = Installation.NEEDS_RECONNECT
    display = registry.storefront(installation.platform).display_name
    waiting = session.scalar(
        select(func.count(Listing.id)).where(
            Listing.installation_id == installation.id,
            Listing.push_pending.is_(True),
            Listing.status == Listing.LINKED,
        )
    )
    log.warning("installation %s: credential refused (%s)", installation.id, error)
    record_activity(
        session,
        installation,
        "needs_reconnect",
        f"{display} refused StockGuard's access to {store_name(installation)} (its key or token "
        "was deleted or revoked). StockGuard no longer updates this store's stock: reconnect "
        f"it. {waiting} listing(s) wait to be written.",
        error=str(error)[:500],
        listings_waiting=waiting,
    )
    _open_alert(session, installation, display)
    return True


def _open_alert(session, installation: Installation, display: str) -> None:
    from sync import alerts

    if installation.pool_id is None:
        return
    if _open_store_alerts(session, installation.id):
        return
    alert = Alert(
        pool_id=installation.pool_id,
        installation_id=installation.id,
        condition=STORE_DISCONNECTED,
        details={"store": store_name(installation), "platform": display},
    )
    session.add(alert)
    session.flush()
    settings = alerts.load(session, installation.pool_id)
    for channel in settings.channels() if settings.instant else []:
        session.add(AlertDelivery(alert_id=alert.id, channel=channel))
    alerts.request_sweep(installation.pool_id)  # delivers it


def _open_store_alerts(session, installation_id: int) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert).where(
                Alert.installation_id == installation_id,
                Alert.condition == STORE_DISCONNECTED,
                Alert.cleared_at.is_(None),
            )
        )
    )


def credentials_restored(session, installation: Installation) -> None:
    """The install flow stored a credential the platform accepts again: the store is active,
    its pending pushes are sent, a reconcile is requested, the alert clears.

    Call it after every successful (re-)install, with the new credential stored; harmless when
    the store was never refused. The caller commits (pushes and the reconcile start then)."""
    from sync import mirror, reconcile

    was = installation.status
    installation.status = Installation.ACTIVE
    installation.uninstalled_at = None
    cleared = _open_store_alerts(session, installation.id)
    for alert in cleared:
        alert.cleared_at = utcnow()
    if was != Installation.NEEDS_RECONNECT and not cleared:
        return
    session.flush()
    # Everything that changed while the store was cut off is written now, not only what
    # was marked: the pool moved, the store did not follow.
    session.execute(
        update(Listing)
        .where(Listing.installation_id == installation.id, Listing.status == Listing.LINKED)
        .values(push_pending=True)
    )
    record_activity(
        session,
        installation,
        "reconnected",
        f"{store_name(installation)} is connected again: its stock is written and reconciled.",
    )
    db.after_commit(lambda i=installation.id: mirror.enqueue_push(i))
    reconcile.start_reconcile(session, installation)


def disconnected_stores(session, pool_id: int | None) -> list[Installation]:
    """The pool's stores whose credential was refused (the panels' banner)."""
    if pool_id is None:
        return []
    return list(
        session.scalars(
            select(Installation)
            .where(
                Installation.pool_id == pool_id,
                Installation.status == Installation.NEEDS_RECONNECT,
            )
            .order_by(Installation.id)
        )
    )


def disconnect(session, installation: Installation, *, erase: bool) -> Disconnection:
    """The merchant disconnects the store: StockGuard removes what it set up there (webhooks),
    forgets the credential and marks the store uninstalled, keeping or erasing its data.

    Nothing changes when the platform disconnects apps itself (``done`` False: the merchant is
    told where). The caller commits."""
    # A refused credential (Unauthorized) is the connector's to explain: it removes nothing
    # then, and its steps say what the merchant removes by hand.
    result = registry.storefront(installation.platform).disconnect(installation)
    if not result.done:
        return result
    for alert in _open_store_alerts(session, installation.id):
        alert.cleared_at = utcnow()
    lifecycle.uninstall(
        session,
        installation,
        "StockGuard was disconnected from this store by the merchant: its access key was "
        f"forgotten and {len(result.removed)} webhook(s) removed from the store",
        webhooks_removed=result.removed,
    )
    if erase:
        lifecycle.erase(session, installation)
    return result
