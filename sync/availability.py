"""The storefront's view of stock, kept fresh by the engine.

Every change that can move what a shopper should see — a ledger movement (through
``mirror.request_push``), a restock, a setting, a policy, a catalog change — leaves a
``StorefrontMark`` for the listings concerned and queues one coalesced refresh per store. The
refresh
computes each variant's ``Availability`` row (state, quantity when shown, ETA, notify-me,
alternatives), and from the change between the old row and the new one it drives the two
side effects: the visibility policy (hide / re-show / pre-order) and notify-me notices.

The public API reads those rows only (``views.storefront`` keeps a per-process copy and reloads
rows whose ``version`` grew), so a burst of shoppers never touches the ledger.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict

from sqlalchemy import delete, func, insert, select, update

from extensions import db
from models import (
    Availability,
    Installation,
    Listing,
    NotifySubscription,
    ProductPolicy,
    Sku,
    StorefrontMark,
    Supplier,
)
from sync import ledger, mirror, restocks
from sync.queue import jobs
from sync.storefront_settings import storefront_settings
from sync.worker import job

log = logging.getLogger(__name__)

BATCH = 500
MAX_ROUNDS = 40
MAX_ALTERNATIVES = 3
SHOWN = (Listing.LINKED, Listing.UNTRACKED)
SOLD_OUT = (Availability.OUT_OF_STOCK, Availability.PREORDER)


def mark(
    session,
    *,
    sku_ids=None,
    installation_id: int | None = None,
    product_refs=None,
    everything: bool = False,
) -> set[int]:
    """Mark listings for a refresh after commit: of SKUs (and their bundles/components), of
    products of one store, or every listing of one store."""
    query = select(Listing.id, Listing.installation_id)
    if sku_ids is not None:
        ids = ledger.related_skus(session, sku_ids)
        if not ids:
            return set()
        query = query.where(Listing.sku_id.in_(ids))
    if installation_id is not None:
        query = query.where(Listing.installation_id == installation_id)
    if product_refs is not None:
        query = query.where(Listing.product_ref.in_(list(product_refs)))
    if sku_ids is None and product_refs is None and not everything:
        raise ValueError("mark() needs SKUs, products or everything=True")
    return mark_listings(session, session.execute(query).all())


def mark_listings(session, rows) -> set[int]:
    """Leave a mark for each ``(listing id, installation id)``; refresh those stores after commit."""
    rows = list(rows)
    if rows:
        session.execute(
            insert(StorefrontMark),
            [{"listing_id": listing, "installation_id": inst} for listing, inst in rows],
        )
    installations = {inst for _, inst in rows}
    for installation in installations:
        db.after_commit(lambda i=installation: enqueue_refresh(i))
    return installations


def enqueue_refresh(installation_id: int) -> None:
    jobs.enqueue(refresh_installation, installation_id, job_id=f"storefront-{installation_id}")


@job
def refresh_installation(installation_id: int) -> int:
    """Compute the availability rows of every marked listing of one store."""
    session = db.session
    installation = session.get(Installation, installation_id)
    if installation is None or not installation.is_active:
        session.rollback()
        return 0
    done = 0
    for _round in range(MAX_ROUNDS):
        # One refresher per store at a time (two would compute the same products and both see
        # the same rise: notices twice). NO KEY UPDATE: inserts that reference the store (its
        # webhook deliveries) are not held up.
        session.refresh(installation, with_for_update={"key_share": True})
        marks = session.execute(
            select(StorefrontMark.id, StorefrontMark.listing_id)
            .where(StorefrontMark.installation_id == installation_id)
            .order_by(StorefrontMark.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        if not marks:
            session.rollback()
            return done
        # Settings read with the marks: a settings change marks every listing when it commits,
        # so marks seen here were made under these settings or older ones.
        settings = storefront_settings(installation)
        marked = session.scalars(
            select(Listing).where(Listing.id.in_({listing for _, listing in marks}))
        ).all()
        products = {row.product_ref for row in marked if row.product_ref}
        siblings = session.scalars(
            select(Listing).where(
                Listing.installation_id == installation_id, Listing.product_ref.in_(products)
            )
        ).all()
        listings = {row.id: row for row in [*marked, *siblings]}
        pending = time.time_ns()
        done += refresh(session, installation, settings, list(listings.values()), pending)
        session.execute(delete(StorefrontMark).where(StorefrontMark.id.in_([m for m, _ in marks])))
        # Versions are stamped last, just before the commit: web processes re-read rows newer
        # than a few seconds before their last read, so the stamp must be close to the commit.
        session.flush()
        session.execute(
            update(Availability)
            .where(Availability.installation_id == installation_id, Availability.version == pending)
            .values(version=time.time_ns())
        )
        session.commit()
    enqueue_refresh(installation_id)  # a very large change: carry on in the next job
    return done


def refresh(
    session, installation, settings: dict, listings: list[Listing], version: int | None = None
) -> int:
    """Recompute the rows of ``listings`` (whole products), then apply policies and notices."""
    from sync import notify, visibility

    sku_ids = {row.sku_id for row in listings if row.sku_id}
    skus = {s.id: s for s in session.scalars(select(Sku).where(Sku.id.in_(sku_ids)))}
    held = mirror.in_flight(session, sku_ids) if sku_ids else {}
    planned = restocks.open_restocks(session, sku_ids) if sku_ids else {}
    supplier_ids = {s.supplier_id for s in skus.values() if s.supplier_id}
    suppliers = (
        {s.id: s for s in session.scalars(select(Supplier).where(Supplier.id.in_(supplier_ids)))}
        if supplier_ids
        else {}
    )
    waiting = waiting_by_sku(session, sku_ids)
    existing = {
        row.listing_id: row
        for row in session.scalars(
            select(Availability).where(
                Availability.installation_id == installation.id,
                Availability.listing_id.in_([row.id for row in listings]),
            )
        )
    }
    policies = {
        p.product_ref: p
        for p in session.scalars(
            select(ProductPolicy).where(
                ProductPolicy.installation_id == installation.id,
                ProductPolicy.product_ref.in_({row.product_ref for row in listings}),
            )
        )
    }
    today, version = restocks.today(), version or time.time_ns()
    product_sold_out: dict[str, bool] = {}
    product_rows: dict[str, list[Availability]] = {}
    for listing in sorted(listings, key=lambda row: row.id):
        row = existing.get(listing.id)
        if not listing.public_id or listing.status not in SHOWN:
            if row is not None and not row.deleted:
                row.deleted, row.version = True, version
            continue
        policy = policies.get(listing.product_ref)
        mode = (policy.mode if policy else None) or settings["visibility"]
        sku = skus.get(listing.sku_id)
        values = _values(settings, installation, listing, sku, mode, held)
        if values["state"] in SOLD_OUT and sku is not None:
            when = restocks.eta(
                sku,
                planned.get(sku.id, []),
                waiting.get(sku.id, 0),
                today,
                suppliers.get(sku.supplier_id),
            )
            values["eta"], values["eta_soon"] = when.date, when.soon
        if row is None:
            row = Availability(installation_id=installation.id, listing_id=listing.id)
            session.add(row)
            before = None
        else:
            before = (row.state, row.available, row.deleted)
        for name, value in values.items():
            setattr(row, name, value)
        row.variant_id, row.product_id = listing.public_id, listing.product_public_id or ""
        row.product_type = (listing.details or {}).get("product_type")
        row.deleted, row.version = False, version
        product = listing.product_ref or listing.external_id
        # A product is sold out when none of its variants can be bought (an untracked variant
        # always can).
        sellable = listing.status == Listing.UNTRACKED or values["available"] > 0
        product_sold_out[product] = product_sold_out.get(product, True) and not sellable
        product_rows.setdefault(product, []).append(row)
        if before is not None and not before[2] and values["available"] > before[1]:
            notify.restocked(session, installation, settings, listing, values["available"], before)
    # Pre-order is switched on the channel for a whole product, once all of it is sold out:
    # until then a sold-out variant of it is simply out of stock.
    for product, rows in product_rows.items():
        if not product_sold_out[product]:
            for row in rows:
                if row.state == Availability.PREORDER:
                    row.state = Availability.OUT_OF_STOCK
    session.flush()
    if settings["alternatives"] != "off":
        _alternatives(session, installation, listings, version)
    for product_ref, sold_out in product_sold_out.items():
        visibility.evaluate(session, installation, product_ref, sold_out, policies, settings)
    return len(listings)


def _values(settings, installation, listing: Listing, sku: Sku | None, mode: str, held) -> dict:
    values = {"quantity": None, "eta": None, "eta_soon": False, "alternatives": []}
    if listing.status == Listing.UNTRACKED or sku is None:
        # The channel doesn't track its stock: always sellable, nothing to count.
        return {**values, "state": Availability.IN_STOCK, "available": 0, "notify": False}
    # What this store may sell: the same figure its stock level is told (buffer, allocation).
    units = mirror.desired_quantity(db.session, listing, installation, held)
    if units <= 0:
        state = Availability.PREORDER if mode == "preorder" else Availability.OUT_OF_STOCK
    elif units <= settings["low_stock_threshold"]:
        state = Availability.LOW_STOCK
    else:
        state = Availability.IN_STOCK
    if state == Availability.LOW_STOCK and settings["show_quantity"]:
        values["quantity"] = units
    notify = settings["notify"] and state in SOLD_OUT
    return {**values, "state": state, "available": units, "notify": notify}


def _alternatives(session, installation, listings, version) -> None:
    """Up to three in-stock products of the same type for each sold-out variant."""
    fresh = session.scalars(
        select(Availability).where(
            Availability.installation_id == installation.id,
            Availability.listing_id.in_([row.id for row in listings]),
        )
    ).all()
    by_type: dict[str, list] = {}
    for row in fresh:
        if row.deleted or row.state not in SOLD_OUT or not row.product_type:
            continue
        if row.product_type not in by_type:
            by_type[row.product_type] = _in_stock_products(session, installation, row.product_type)
        picks = [a for a in by_type[row.product_type] if a["product"] != row.product_id]
        alternatives = picks[:MAX_ALTERNATIVES]
        if row.alternatives != alternatives:
            row.alternatives, row.version = alternatives, version


def _in_stock_products(session, installation, product_type: str) -> list[dict]:
    best = session.execute(
        select(
            Availability.product_id,
            func.max(Availability.available),
            func.min(Listing.product_title),
            func.min(Listing.url),
        )
        .join(Listing, Listing.id == Availability.listing_id)
        .where(
            Availability.installation_id == installation.id,
            Availability.product_type == product_type,
            Availability.state.in_((Availability.IN_STOCK, Availability.LOW_STOCK)),
            Availability.deleted.is_(False),
        )
        .group_by(Availability.product_id)
        .order_by(func.max(Availability.available).desc(), Availability.product_id)
        .limit(MAX_ALTERNATIVES + 1)
    ).all()
    return [
        {"product": product, "title": title or "", "url": url or ""}
        for product, _units, title, url in best
    ]


def waiting_by_sku(session, sku_ids) -> dict[int, int]:
    """Shoppers waiting for a notice, per SKU, across the pool's stores."""
    if not sku_ids:
        return {}
    counts: dict[int, int] = defaultdict(int)
    for sku_id, n in session.execute(
        select(Listing.sku_id, func.count(NotifySubscription.id))
        .join(Listing, Listing.id == NotifySubscription.listing_id)
        .where(
            Listing.sku_id.in_(list(sku_ids)),
            NotifySubscription.status == NotifySubscription.WAITING,
        )
        .group_by(Listing.sku_id)
    ):
        counts[sku_id] += n
    return counts


@job
def refresh_all() -> int:
    """Every store's view again (alternatives and dates drift as other products move)."""
    session = db.session
    ids = session.scalars(
        select(Installation.id).where(Installation.status == Installation.ACTIVE)
    ).all()
    for installation_id in ids:
        mark(session, installation_id=installation_id, everything=True)
    session.commit()
    return len(ids)


def notify_units(units: int, factor: float) -> int:
    return max(0, math.ceil(units * factor))
