"""What channels tell us about stock: orders, restocks, level changes, product changes.

Every handler here runs inside the inbox's transaction for one delivery and is idempotent:
order movements carry the order line (or refund line) as their unique reference, snapshots
only apply when newer, and level reports are settled against what we believe the channel shows.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import or_, select

from connectors import registry
from connectors.base import (
    LevelObserved,
    OrderRestocked,
    OrderSold,
    OrderStockSnapshot,
    ProductChanged,
    ProductDeleted,
    StockLine,
)
from extensions import db
from models import ChannelOrderLine, Installation, Listing, Movement
from sync import folds, forecast, ledger, mirror, unseen
from sync.dispatch import handle
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)

LINK_MARGIN = dt.timedelta(minutes=1)


def find_listing(session, installation: Installation, line) -> Listing | None:
    """The listing an order line or level report names (variant id first, then level id)."""
    conditions = []
    if getattr(line, "external_id", None):
        conditions.append(Listing.external_id == str(line.external_id))
    if getattr(line, "level_ref", None):
        conditions.append(Listing.level_ref == str(line.level_ref))
    if not conditions:
        return None
    return session.scalar(
        select(Listing)
        .where(Listing.installation_id == installation.id, or_(*conditions))
        .order_by(Listing.id)
        .limit(1)
    )


def _linked(session, installation, lines: tuple[StockLine, ...]):
    """(line, listing) for lines whose listing is linked to a SKU, and the SKUs locked."""
    pairs = []
    for line in lines:
        listing = find_listing(session, installation, line)
        if listing is not None and listing.status == Listing.LINKED and listing.sku_id:
            pairs.append((line, listing))
    skus = ledger.lock_skus(session, {listing.sku_id for _, listing in pairs})
    # Then the listings (lock order: SKUs, then listings), re-read: a push may have written
    # their channel_quantity since we looked them up, and we are about to move it.
    if pairs:
        session.scalars(
            select(Listing)
            .where(Listing.id.in_(sorted({listing.id for _, listing in pairs})))
            .order_by(Listing.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    return pairs, skus


def _move_lines(
    session, installation, pairs, skus, kind, sign, ref_of, order_ref, happened_at=None
) -> set[int]:
    moved = set()
    cas = registry.storefront(installation.platform).compare_and_set
    for line, listing in pairs:
        sku = skus[listing.sku_id]
        units = sign * line.quantity
        ref = ref_of(line)
        if ledger.apply(
            session,
            skus,
            sku,
            kind,
            units,
            ref,
            installation_id=installation.id,
            listing_id=listing.id,
            order_ref=order_ref,
        ):
            # The channel moved its own level by the same units when it took the order.
            counted = mirror.channel_moved(listing, units, happened_at, cas)
            _take_back(session, skus, sku, installation, listing, counted, ref, order_ref)
            moved.add(sku.id)
    return moved


def _take_back(session, skus, sku, installation, listing, counted, ref, order_ref) -> None:
    """An order whose units a fold counted already (its webhook came after the change was
    folded): take the fold's share back, so the order counts once."""
    if not counted:
        return
    ledger.apply(
        session,
        skus,
        sku,
        Movement.ADJUSTMENT,
        -counted,
        f"{ref}:folded",
        installation_id=installation.id,
        listing_id=listing.id,
        order_ref=order_ref,
        note=f"order {order_ref} explains a change already counted on this channel",
    )


def _prefix(installation: Installation) -> str:
    return f"{installation.platform}:{installation.id}"


@handle.register
def _order_sold(event: OrderSold, session, installation, delivery):
    pairs, skus = _linked(session, installation, event.lines)
    base = f"{_prefix(installation)}:order:{event.order_ref}"
    moved = _move_lines(
        session,
        installation,
        pairs,
        skus,
        Movement.SALE,
        -1,
        lambda line: f"{base}:line:{line.line_ref}:sold",
        event.order_ref,
        folds.when(event.placed_at),
    )
    mirror.request_push(session, moved)
    forecast.refresh_if_large(session, moved)


@handle.register
def _order_restocked(event: OrderRestocked, session, installation, delivery):
    pairs, skus = _linked(session, installation, event.lines)
    base = f"{_prefix(installation)}:order:{event.order_ref}:restock:{event.restock_ref}"
    moved = _move_lines(
        session,
        installation,
        pairs,
        skus,
        Movement.RESTOCK,
        +1,
        lambda line: f"{base}:line:{line.line_ref}",
        event.order_ref,
    )
    mirror.request_push(session, moved)


def _order_line_state(session, installation_id, order_ref, line_ref) -> ChannelOrderLine:
    table = ChannelOrderLine.__table__
    session.execute(
        db.insert(table)
        .values(
            installation_id=installation_id,
            order_ref=order_ref,
            line_ref=line_ref,
            reduced=0,
            version="",
            details={},
        )
        .on_conflict_do_nothing(index_elements=["installation_id", "order_ref", "line_ref"])
    )
    return session.scalar(
        select(ChannelOrderLine)
        .where(
            ChannelOrderLine.installation_id == installation_id,
            ChannelOrderLine.order_ref == order_ref,
            ChannelOrderLine.line_ref == line_ref,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


@handle.register
def _order_snapshot(event: OrderStockSnapshot, session, installation, delivery):
    if apply_snapshot(session, installation, event)[1]:
        # Two states of the order carry the same (one-second) modification time: ask the
        # channel which one is current rather than guess.
        db.after_commit(
            lambda: jobs.enqueue(
                reread_order,
                installation.id,
                event.order_ref,
                job_id=f"reread-{installation.id}-{event.order_ref}",
            )
        )


def apply_snapshot(session, installation, event: OrderStockSnapshot) -> tuple[set[int], bool]:
    """Apply the difference between what each line holds reduced now and what we applied.

    Returns the SKUs it moved, and True when a line's state is ambiguous (same version,
    different units).
    """
    pairs, skus = _linked(session, installation, event.lines)
    moved, ambiguous = set(), False
    base = f"{_prefix(installation)}:order:{event.order_ref}"
    for line, listing in pairs:
        state = _order_line_state(session, installation.id, event.order_ref, line.line_ref)
        if not state.version and _placed_before_link(event, listing, installation):
            # The level read when the listing was linked already shows what this line took
            # off stock: start from what it holds now. (Completing last week's order must not
            # sell it again; a change to it from here on moves the level, and is settled.)
            state.version, state.reduced = event.version, line.quantity
            continue
        if state.version and event.version <= state.version:
            # Older or same version: nothing new, unless the same second holds another state.
            ambiguous |= event.version == state.version and line.quantity != state.reduced
            continue
        change = line.quantity - state.reduced
        state.version = event.version
        state.reduced = line.quantity
        if change == 0:
            continue
        sku = skus[listing.sku_id]
        kind = Movement.SALE if change > 0 else Movement.RESTOCK
        ref = f"{base}:line:{line.line_ref}:{event.version}:{line.quantity}"
        if ledger.apply(
            session,
            skus,
            sku,
            kind,
            -change,
            ref,
            installation_id=installation.id,
            listing_id=listing.id,
            order_ref=event.order_ref,
            note=f"order {event.order_ref} {event.status or ''}".strip(),
        ):
            counted = mirror.channel_moved(
                listing,
                -change,
                folds.when(event.version),
                registry.storefront(installation.platform).compare_and_set,
            )
            _take_back(session, skus, sku, installation, listing, counted, ref, event.order_ref)
            moved.add(sku.id)
    mirror.request_push(session, moved)
    forecast.refresh_if_large(session, moved)
    return moved, ambiguous


def _placed_before_link(event: OrderStockSnapshot, listing: Listing, installation) -> bool:
    """Clearly placed before the listing was linked. The store's clock stamps the order, to the
    second: near the link it is taken as placed after (counting it twice hides a unit for a
    while; not counting a sale our write may have overwritten would sell it twice)."""
    placed = folds.when(event.created_at)
    linked = folds.when((listing.details or {}).get("linked_at")) or installation.installed_at
    return placed is not None and linked is not None and placed + LINK_MARGIN < linked


@job
def reread_order(installation_id: int, order_ref: str) -> None:
    """Read an order's current stock state from the channel and apply it as the newest."""
    session = db.session
    installation = session.get(Installation, installation_id)
    if installation is None or not installation.is_active:
        return
    snapshot = registry.storefront(installation.platform).read_order(installation, order_ref)
    if snapshot is None:
        return
    # Newer than any snapshot stamped with the same second ("~" sorts after the digits).
    stamped = OrderStockSnapshot(
        order_ref=snapshot.order_ref,
        version=f"{snapshot.version}~{time.time():.6f}",
        lines=snapshot.lines,
        status=snapshot.status,
        gateway=snapshot.gateway,
        created_at=snapshot.created_at,
    )
    apply_snapshot(session, installation, stamped)
    session.commit()


@handle.register
def _level_observed(event: LevelObserved, session, installation, delivery):
    """A level changed on the channel: an echo of our write, or a change to settle."""
    location = mirror.location_of(installation)
    if event.location_ref and location and event.location_ref != location:
        return  # a location that doesn't feed the pool
    listing = find_listing(session, installation, event)
    if listing is None:
        return
    if event.sku is not None and (event.sku or None) != (listing.sku or None):
        _refresh_later(installation.id, listing.product_ref)
    if listing.status != Listing.LINKED:
        return
    if event.quantity is not None and event.quantity in (
        listing.channel_quantity,
        unseen.expected_level(listing),
    ):
        return  # our own write coming back, or an order we already applied
    settle_in = mirror.settle_seconds(installation)
    db.after_commit(lambda: mirror.schedule_settle(listing.id, settle_in))


@handle.register
def _product_changed(event: ProductChanged, session, installation, delivery):
    known = {
        row.external_id: (row.sku or None, row.barcode or None)
        for row in session.scalars(
            select(Listing).where(
                Listing.installation_id == installation.id,
                Listing.product_ref == event.product_ref,
            )
        )
    }
    if (
        event.variants is not None
        and known
        and all(known.get(v[0]) == (v[1] or None, v[2] or None) for v in event.variants)
        and len(known) == len(event.variants)
    ):
        return  # nothing that matters to stock changed
    _refresh_later(installation.id, event.product_ref)


@handle.register
def _product_deleted(event: ProductDeleted, session, installation, delivery):
    from sync.catalog import unlist_product

    unlist_product(session, installation, event.product_ref)


def _refresh_later(installation_id: int, product_ref: str | None) -> None:
    if not product_ref:
        return
    from sync.catalog import refresh_product

    db.after_commit(
        lambda: jobs.enqueue(
            refresh_product,
            installation_id,
            product_ref,
            job_id=f"refresh-{installation_id}-{product_ref}",
        )
    )
