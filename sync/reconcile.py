"""The scheduled reconcile: read every level on every channel, repair what webhooks missed.

A level that differs from what we believe the channel shows is a change we never heard of (a
lost webhook, another app's write): it is recorded as a ``reconcile`` movement and the new truth
is pushed everywhere. Before the levels, it reads the orders changed since its last scan on
channels that never retry a failed delivery (WooCommerce), so a lost order's webhook is applied
as the sale it was rather than folded as a change nobody explained. The reconcile also repairs
the channel's webhooks (re-creates missing Shopify subscriptions, re-enables WooCommerce
webhooks disabled after failures).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import func, select

from connectors import registry
from connectors.errors import ConnectorError
from extensions import db
from models import Installation, JobRun, Listing, Movement, record_activity, utcnow
from sync import folds, inbound, ledger, mirror, unseen
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)

PAGE = 250
ORDERS_OVERLAP = dt.timedelta(hours=1)


@job
def reconcile_all() -> int:
    """Queue a reconcile for every connected store."""
    ids = list(
        db.session.scalars(
            select(Installation.id).where(Installation.status == Installation.ACTIVE)
        )
    )
    for installation_id in ids:
        jobs.enqueue(reconcile_installation, installation_id, job_id=f"reconcile-{installation_id}")
    return len(ids)


def start_reconcile(session, installation: Installation) -> JobRun:
    run = JobRun(
        installation_id=installation.id, kind="reconcile", status=JobRun.QUEUED, details={}
    )
    session.add(run)
    session.flush()
    db.after_commit(
        lambda: jobs.enqueue(
            reconcile_installation, installation.id, run.id, job_id=f"reconcile-run-{run.id}"
        )
    )
    return run


@job
def reconcile_installation(installation_id: int, run_id: int | None = None) -> dict:
    session = db.session
    installation = session.get(Installation, installation_id)
    if installation is None or not installation.is_active:
        return {}
    run = session.get(JobRun, run_id) if run_id else None
    if run is None:
        run = JobRun(installation_id=installation_id, kind="reconcile", details={})
        session.add(run)
    run.status, run.started_at, run.done = JobRun.RUNNING, utcnow(), 0
    run.total = session.scalar(
        select(func.count(Listing.id)).where(
            Listing.installation_id == installation_id, Listing.status == Listing.LINKED
        )
    )
    session.commit()
    run_id = run.id
    connector = registry.storefront(installation.platform)
    location = mirror.location_of(installation)
    report = {"listings": 0, "drifted": 0, "units": 0, "webhooks": {}, "orders": 0}
    try:
        registration = connector.register_webhooks(installation)
        report["webhooks"] = {"created": registration.created, "updated": registration.updated}
        # Orders first: what they moved is then known when the levels are compared.
        report["orders"] = _catch_up_orders(session, connector, installation_id)
        # First pass: read every level. A difference may be an order whose webhook is still on
        # its way, so it is only repaired if it is still the same difference a moment later.
        candidates: dict[int, tuple[int, int | None]] = {}
        last_id = 0
        while True:
            page = session.scalars(
                select(Listing)
                .where(
                    Listing.installation_id == installation_id,
                    Listing.status == Listing.LINKED,
                    Listing.id > last_id,
                )
                .order_by(Listing.id)
                .limit(PAGE)
            ).all()
            if not page:
                break
            last_id = page[-1].id
            refs = [mirror.listing_ref(r) for r in page]
            levels = connector.read_levels(installation, refs, location)
            for row in page:
                seen = levels.get(row.id)
                if seen is not None and seen != row.channel_quantity:
                    candidates[row.id] = (seen, row.channel_quantity)
            report["listings"] += len(page)
            run = session.get(JobRun, run_id)
            run.done = report["listings"]
            session.commit()
        if candidates:
            time.sleep(mirror.settle_seconds(installation))
            ids = sorted(candidates)
            for start in range(0, len(ids), PAGE):
                chunk = {i: candidates[i] for i in ids[start : start + PAGE]}
                for units in _repair(session, connector, installation, chunk, location):
                    if units:
                        report["drifted"] += 1
                        report["units"] += abs(units)
    except ConnectorError as e:
        session.rollback()
        run = session.get(JobRun, run_id)
        run.status, run.finished_at, run.message = JobRun.FAILED, utcnow(), str(e)[:500]
        run.details = report
        session.commit()
        raise
    run = session.get(JobRun, run_id)
    run.status, run.finished_at, run.details = JobRun.DONE, utcnow(), report
    run.message = (
        f"{report['drifted']} listings drifted ({report['units']} units) and were repaired"
    )
    if report["orders"]:
        run.message += f"; {report['orders']} orders no webhook had brought were applied"
    if (
        report["drifted"]
        or report["orders"]
        or report["webhooks"].get("created")
        or report["webhooks"].get("updated")
    ):
        record_activity(session, installation, "reconcile", run.message, **report)
    session.commit()
    mirror.enqueue_push(installation_id)
    return report


def _catch_up_orders(session, connector, installation_id: int) -> int:
    """Apply the orders changed since the last scan that no webhook brought (WooCommerce never
    retries a failed delivery). Applying is idempotent: an order already recorded at that
    version changes nothing. Returns how many orders moved stock."""
    installation = session.get(Installation, installation_id)
    since = (
        folds.when((installation.settings or {}).get("orders_checked_until"))
        or installation.installed_at
    )
    started, recovered = utcnow(), 0
    for page in connector.orders_since(installation, since):
        for snapshot in page:
            moved, ambiguous = inbound.apply_snapshot(session, installation, snapshot)
            if ambiguous:
                ref = snapshot.order_ref
                db.after_commit(
                    lambda ref=ref: jobs.enqueue(
                        inbound.reread_order,
                        installation_id,
                        ref,
                        job_id=f"reread-{installation_id}-{ref}",
                    )
                )
            session.commit()
            recovered += bool(moved)
            installation = session.get(Installation, installation_id)
    installation.settings = {
        **(installation.settings or {}),
        # The store's clock, not ours, stamps its orders: the next scan overlaps this one.
        "orders_checked_until": (started - ORDERS_OVERLAP).isoformat(),
    }
    session.commit()
    return recovered


def _repair(session, connector, installation, first_seen: dict, location) -> list[int]:
    """Re-read drifted listings under their locks; fold each difference still unchanged."""
    listing_ids = list(first_seen)
    sku_ids = session.scalars(select(Listing.sku_id).where(Listing.id.in_(listing_ids))).all()
    skus = ledger.lock_skus(session, [i for i in sku_ids if i])
    rows = session.scalars(
        select(Listing)
        .where(Listing.id.in_(listing_ids), Listing.status == Listing.LINKED)
        .order_by(Listing.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    levels = connector.read_levels(installation, [mirror.listing_ref(r) for r in rows], location)
    units = []
    for row in rows:
        now = levels.get(row.id)
        before = row.channel_quantity
        unseen.resolve(row, now)
        if now == row.channel_quantity or (now, before) != first_seen[row.id]:
            continue  # explained meanwhile (a late order) or changed again: settles handle it
        units.append(mirror.fold(session, skus, installation, row, now, Movement.RECONCILE))
    session.commit()
    return units
