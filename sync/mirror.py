"""Telling channels the truth: pushes (our writes) and settles (reading what a channel did).

- ``request_push`` marks every listing of the SKUs whose available may have changed; one push
  job per store then writes the latest value of each marked listing (coalesced: however many
  changes happened meanwhile, one write with the newest number).
- A push never overwrites a change made on the channel in between: the connector writes with
  compare-and-set (Shopify ``changeFromQuantity``) or re-reads first (WooCommerce). A listing that
  moved under us is *settled*: its level is read, the difference is folded into the ledger as a
  change made on that channel, and the new truth is pushed everywhere.
- ``channel_quantity`` is what we believe the channel shows. Our own write sets it, so the
  channel's notification of that write (``LevelObserved`` with the same number) is an echo and
  creates no movement.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from connectors import registry
from connectors.base import LevelWrite, ListingRef
from extensions import db
from models import Installation, Listing, Movement, Sku, StockPool, record_activity, utcnow
from sync import folds, ledger, unseen
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)

PUSH_BATCH = 100
MAX_PUSH_ROUNDS = 50
DEFAULT_SETTLE_SECONDS = 2.0
LOCKED_RETRY_SECONDS = 0.5


class PushIncomplete(RuntimeError):
    """Some listings could not be written; the job raises so the queue retries it."""


def listing_ref(listing: Listing) -> ListingRef:
    return ListingRef(
        listing_id=listing.id,
        external_id=listing.external_id,
        product_ref=listing.product_ref,
        level_ref=listing.level_ref,
        details=dict(listing.details or {}),
    )


def channel_buffer(installation: Installation) -> int:
    return int((installation.settings or {}).get("channel_buffer", 0) or 0)


def location_of(installation: Installation) -> str | None:
    return (installation.settings or {}).get("location_ref")


def in_flight(session, sku_ids) -> dict[int, int]:
    """Per SKU, the units channels took that no order explains yet (≤ 0)."""
    rows = session.execute(
        select(Listing.sku_id, func.sum(Listing.unexplained))
        .where(Listing.sku_id.in_(list(sku_ids)), Listing.unexplained < 0)
        .group_by(Listing.sku_id)
    ).all()
    return {sku_id: int(total) for sku_id, total in rows}


def desired_quantity(
    session, listing: Listing, installation: Installation, held: dict[int, int] | None = None
) -> int:
    """What this channel should show: the SKU's available, less units probably sold elsewhere
    already (unexplained), less the channel's buffer — or, when the pool allocates its last
    units, this channel's share of them."""
    sku = session.get(Sku, listing.sku_id)
    held = in_flight(session, [sku.id]) if held is None else held
    total = max(0, ledger.available(session, sku) + held.get(sku.id, 0))
    shares = allocation(session, sku, total)
    if shares is not None:
        total = shares.get(listing.id, 0)
    return max(0, total - channel_buffer(installation))


def allocation(session, sku: Sku, total: int) -> dict[int, int] | None:
    """Below the pool's ``allocate_below`` units, each channel is offered its own share of the
    last units instead of all of them: two stores can then never sell the same unit, however
    close together their orders come (at the price of a store showing sold out while another
    still has one). Shares split evenly, the odd units to the listings linked first. None when
    the pool doesn't allocate, or has enough units not to."""
    pool = session.get(StockPool, sku.pool_id)
    below = int(pool.setting("allocate_below", 0) or 0) if pool else 0
    if total >= below:
        return None
    ids = session.scalars(
        select(Listing.id)
        .join(Installation, Installation.id == Listing.installation_id)
        .where(
            Listing.sku_id == sku.id,
            Listing.status == Listing.LINKED,
            Installation.status == Installation.ACTIVE,  # a store gone sells nothing
        )
        .order_by(Listing.id)
    ).all()
    if len(ids) < 2:
        return None
    base, extra = divmod(total, len(ids))
    return {listing_id: base + (1 if i < extra else 0) for i, listing_id in enumerate(ids)}


def channel_moved(
    listing: Listing, units: int, happened_at=None, compare_and_set: bool = True
) -> int:
    """The channel moved its own level by ``units`` for an order; part may already be known:
    seen as unexplained (held back), or already folded into the ledger. Returns the units a
    fold counted already (the caller takes them back from the ledger).

    Without compare-and-set our last write may have overwritten the move: it is kept as unseen
    until the next read of the level says (sync/unseen.py)."""
    pending = listing.unexplained or 0
    if units < 0 and pending < 0:
        absorbed = max(pending, units)
    elif units > 0 and pending > 0:
        absorbed = min(pending, units)
    else:
        absorbed = 0
    listing.unexplained = pending - absorbed
    counted = folds.explained(listing, units - absorbed, happened_at)
    if listing.channel_quantity is not None:
        if compare_and_set:
            listing.channel_quantity += units - absorbed - counted
        else:
            unseen.expect(listing, units - absorbed - counted)
    return counted


# --------------------------------------------------------------------------- marking


def request_push(session, sku_ids) -> set[int]:
    """Mark the listings of ``sku_ids`` (and related bundles/components) for a push after commit."""
    ids = ledger.related_skus(session, sku_ids)
    if not ids:
        return set()
    rows = session.execute(
        update(Listing)
        .where(Listing.sku_id.in_(ids), Listing.status == Listing.LINKED)
        .values(push_pending=True)
        .returning(Listing.id, Listing.installation_id)
    ).all()
    installations = {installation_id for _, installation_id in rows}
    for installation_id in installations:
        db.after_commit(lambda i=installation_id: enqueue_push(i))
    # What shoppers are shown moves with the same listings.
    from sync.availability import mark_listings  # availability builds on this module

    mark_listings(session, rows)
    # And so do the ads that sell them.
    from sync.ads.decide import request_evaluation

    request_evaluation(session, ids)
    return installations


def enqueue_push(installation_id: int) -> None:
    jobs.enqueue(push_installation, installation_id, job_id=f"push-{installation_id}")


def schedule_settle(
    listing_id: int, seconds: float = DEFAULT_SETTLE_SECONDS, waited: float = 0.0
) -> None:
    """Read the listing's level a moment from now (late order webhooks get there first)."""
    jobs.enqueue_in(
        seconds, settle_listing, listing_id, waited + seconds, job_id=f"settle-{listing_id}"
    )


# A settle waits while the store's received webhooks are still being processed (an order among
# them would otherwise be counted twice: once as a change on the channel, once as a sale), but
# not forever.
SETTLE_PATIENCE = 30.0


def _inbox_busy(session, installation_id: int) -> bool:
    from models import WebhookDelivery

    return (
        session.scalar(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.installation_id == installation_id,
                WebhookDelivery.status == WebhookDelivery.PENDING,
            )
            .limit(1)
        )
        is not None
    )


# --------------------------------------------------------------------------- push


@job
def push_installation(installation_id: int) -> int:
    """Write the newest desired level of every marked listing of one store."""
    session = db.session
    installation = session.get(Installation, installation_id)
    if installation is None or not installation.is_active:
        return 0
    connector = registry.storefront(installation.platform)
    location = location_of(installation)
    written = 0
    stale: set[int] = set()
    for _round in range(MAX_PUSH_ROUNDS):
        rows = session.scalars(
            select(Listing)
            .where(
                Listing.installation_id == installation_id,
                Listing.push_pending.is_(True),
                Listing.status == Listing.LINKED,
            )
            .order_by(Listing.id)
            .limit(PUSH_BATCH)
            .with_for_update(skip_locked=True)
            # request_push() below marks rows with a bulk UPDATE: read them as the database has
            # them, not as this session last saw them.
            .execution_options(populate_existing=True)
        ).all()
        if not rows:
            locked = session.scalar(
                select(Listing.id)
                .where(
                    Listing.installation_id == installation_id,
                    Listing.push_pending.is_(True),
                    Listing.status == Listing.LINKED,
                )
                .limit(1)
            )
            session.rollback()
            if locked is not None:
                # Marked rows another transaction holds (another push, an import, an order
                # being recorded): look again in a moment rather than wait for the sweeper.
                jobs.enqueue_in(
                    LOCKED_RETRY_SECONDS,
                    push_installation,
                    installation_id,
                    job_id=f"push-{installation_id}",
                )
            return written
        writes: list[LevelWrite] = []
        by_id = {}
        held = in_flight(session, {row.sku_id for row in rows})
        for row in rows:
            desired = desired_quantity(session, row, installation, held)
            if row.channel_quantity == desired and not unseen.pending(row):
                row.push_pending = False
                continue
            writes.append(LevelWrite(listing_ref(row), desired, row.channel_quantity))
            by_id[row.id] = (row, desired)
        results = connector.write_levels(installation, writes, location) if writes else []
        failed = []
        hold_back: set[int] = set()
        for result in results:
            row, desired = by_id[result.listing_id]
            if result.written:
                unseen.forget(row)  # the write's read resolved them (its level was expected)
                row.channel_quantity = desired
                row.push_pending = False
                row.last_pushed_at = utcnow()
                written += 1
            elif result.actual is not None and _moved_as_recorded(row, result.actual):
                continue  # still marked: the next round writes from the level now known
            elif result.actual is not None:
                # The channel moved since we last knew (a sale whose webhook is on its way, or a
                # hand edit). Hold those units back everywhere now and write again at once;
                # orders that arrive explain them, a settle folds what they don't.
                row.unexplained = (
                    (row.unexplained or 0) + result.actual - (row.channel_quantity or 0)
                )
                row.channel_quantity = result.actual
                if row.id in stale:
                    row.push_pending = False  # twice in one job: let the settle sort it out
                else:
                    stale.add(row.id)
                    hold_back.add(row.sku_id)
                db.after_commit(lambda i=row.id: schedule_settle(i))
            else:
                failed.append(f"{row.sku or row.external_id}: {result.error}")
        session.commit()
        if hold_back:
            _hold_back(session, hold_back)
        if failed:
            raise PushIncomplete(f"{installation.shop_domain}: " + "; ".join(failed[:5]))
    # Still marked after many rounds (a very busy store): the next job carries on.
    enqueue_push(installation_id)
    return written


def _moved_as_recorded(row: Listing, actual: int) -> bool:
    """The push's read found the level moved: True when orders already recorded (kept unseen)
    account for all of it."""
    unseen.resolve(row, actual)
    return actual == row.channel_quantity


def _hold_back(session, sku_ids: set[int], attempts: int = 5) -> None:
    """Mark every store's listings of ``sku_ids`` for a push, in a transaction of its own.

    Not in the push's own transaction: an order being recorded holds another store's listing and
    marks ours, and PostgreSQL would break that deadlock by rolling back what the push wrote and
    learned (its retry would then take our own write for a change made on the channel). Here a
    deadlock costs nothing but a retry: the order goes first.
    """
    for attempt in range(1, attempts + 1):
        try:
            request_push(session, sku_ids)
            session.commit()
            return
        except OperationalError as e:
            session.rollback()
            if getattr(e.orig, "sqlstate", None) != "40P01" or attempt == attempts:
                raise


# --------------------------------------------------------------------------- settle


@job
def settle_listing(listing_id: int, waited: float = 0.0) -> int:
    """Read one listing's level and fold any change made on the channel into the ledger."""
    session = db.session
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status != Listing.LINKED or listing.sku_id is None:
        session.rollback()
        return 0
    installation = session.get(Installation, listing.installation_id)
    if installation is None or not installation.is_active:
        session.rollback()
        return 0
    if waited < SETTLE_PATIENCE and _inbox_busy(session, installation.id):
        session.rollback()
        schedule_settle(listing_id, 0.5, waited)
        return 0
    # Lock order everywhere: SKUs (by id), then listings.
    skus = ledger.lock_skus(session, [listing.sku_id])
    # populate_existing: the listing read above is in the identity map; without it the locked
    # row would come back as that (possibly stale) object, and a settle that waited for another
    # settle's lock would fold the same change again from the old channel_quantity.
    listing = session.scalar(
        select(Listing)
        .where(Listing.id == listing_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    connector = registry.storefront(installation.platform)
    levels = connector.read_levels(installation, [listing_ref(listing)], location_of(installation))
    observed = levels.get(listing.id)
    unseen.resolve(listing, observed)
    if not _confirmed(listing, observed):
        # First sighting of a difference: look again in a moment. An order whose webhook is
        # still on its way would explain it by then (and must not be counted twice).
        again = settle_seconds(installation)
        session.commit()
        schedule_settle(listing_id, again, waited)
        return 0
    delta = fold(session, skus, installation, listing, observed, Movement.ADJUSTMENT)
    session.commit()
    return delta


def settle_seconds(installation) -> float:
    """How long a level difference waits before it is read again (pool setting)."""
    from models import StockPool

    pool = db.session.get(StockPool, installation.pool_id) if installation.pool_id else None
    return (
        float(pool.setting("settle_seconds", DEFAULT_SETTLE_SECONDS))
        if pool
        else DEFAULT_SETTLE_SECONDS
    )


def _confirmed(listing: Listing, observed: int | None) -> bool:
    """True when ``observed`` matches what we expect, or the same difference was seen before."""
    details = dict(listing.details or {})
    expected = listing.channel_quantity
    pending = listing.unexplained or 0
    if observed is None or expected is None or (observed == expected and not pending):
        if details.pop("suspect", None) is not None:
            listing.details = details
        return True
    seen = details.get("suspect")
    if seen == [observed, expected, pending]:
        details.pop("suspect")
        listing.details = details
        return True
    details["suspect"] = [observed, expected, pending]
    listing.details = details
    return False


def fold(session, skus, installation, listing: Listing, observed: int | None, kind: str) -> int:
    """Take the channel's level as a change made there; the delta recorded (0 for none)."""
    listing.last_observed_at = utcnow()
    if observed is None:
        return 0
    unseen.resolve(listing, observed)
    expected = listing.channel_quantity
    pending = listing.unexplained or 0
    listing.channel_quantity = observed
    listing.unexplained = 0
    delta = (observed - expected if expected is not None else 0) + pending
    if delta == 0:
        if pending:
            request_push(session, [listing.sku_id])  # units held back are released
        return 0
    # Even right after our write on a channel without compare-and-set, a rise is stock added
    # there (a hand edit, a cancellation whose webhook never came): a sale our write
    # overwrote is kept unseen until a read says (sync/unseen.py), never guessed from a rise.
    sku = skus.get(listing.sku_id) or session.get(Sku, listing.sku_id)
    if sku.is_bundle:
        # A bundle's level is computed from its components: put ours back.
        listing.push_pending = True
        db.after_commit(lambda: enqueue_push(installation.id))
        record_activity(
            session,
            installation,
            "bundle",
            f"{listing.title or listing.sku}: bundle stock is computed from its components; "
            f"the {observed} set on the channel was replaced",
        )
        return 0
    folds.remember(listing, delta, listing.last_observed_at)
    ledger.record(
        session,
        sku,
        kind,
        delta,
        f"{kind}:{listing.id}:{uuid.uuid4().hex}",
        installation_id=installation.id,
        listing_id=listing.id,
        note=f"{installation.name or installation.shop_domain}: {expected} → {observed}",
    )
    request_push(session, [sku.id])
    return delta


@job
def sweep_pushes() -> int:
    """Enqueue a push for every store with listings still marked (an enqueue lost with Redis);
    a store that needs reconnecting keeps its marks until it is reconnected."""
    ids = list(
        db.session.scalars(
            select(Listing.installation_id)
            .join(Installation, Installation.id == Listing.installation_id)
            .where(
                Listing.push_pending.is_(True),
                Listing.status == Listing.LINKED,
                Installation.status == Installation.ACTIVE,
            )
            .distinct()
        )
    )
    for installation_id in ids:
        enqueue_push(installation_id)
    return len(ids)
