"""Catalog import and linking: a store's variants become listings, matched to the pool's SKUs.

Matching: SKU trimmed and case-folded, barcode second. The first store to bring a SKU seeds its
stock (an ``initial`` movement); a store that joins later is told the pool's truth. The same SKU
twice in one store is a conflict the merchant resolves; a variant with neither SKU nor barcode is
unmatched. Which location of a store feeds the pool is explicit (``settings.location_ref``).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from connectors import registry
from connectors.base import CatalogItem
from extensions import db
from models import (
    Installation,
    JobRun,
    Listing,
    Movement,
    Sku,
    record_activity,
    sku_key,
    utcnow,
)
from sync import availability, ledger, mirror
from sync.pools import ensure_pool
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- install


def start_import(session, installation: Installation) -> JobRun:
    """Queue a catalog import the merchant can watch; the caller commits."""
    run = JobRun(installation_id=installation.id, kind="import", status=JobRun.QUEUED, details={})
    session.add(run)
    session.flush()
    db.after_commit(
        lambda: jobs.enqueue(import_catalog, installation.id, run.id, job_id=f"import-{run.id}")
    )
    return run


def installed(session, installation: Installation, pool_id: int | None = None) -> JobRun:
    """After an install: join or create the pool, then import the catalog."""
    ensure_pool(session, installation, pool_id)
    return start_import(session, installation)


# --------------------------------------------------------------------------- import


@job
def import_catalog(installation_id: int, run_id: int | None = None) -> int:
    """Read every variant of the store into listings and link them; returns listings seen."""
    session = db.session
    installation = session.get(Installation, installation_id)
    run = session.get(JobRun, run_id) if run_id else None
    if installation is None or not installation.is_active:
        if run:
            run.status, run.message, run.finished_at = (
                JobRun.FAILED,
                "store not connected",
                utcnow(),
            )
            session.commit()
        return 0
    connector = registry.storefront(installation.platform)
    pool = ensure_pool(session, installation)
    location = _ensure_location(session, connector, installation)
    if run:
        run.status, run.started_at, run.done = JobRun.RUNNING, utcnow(), 0
    session.commit()
    seen: set[str] = set()
    try:
        for page in connector.catalog(installation, location):
            for item in page:
                upsert_listing(session, installation, pool, item)
                seen.add(item.external_id)
            if run:
                run.done = len(seen)
                run.total = max(run.total or 0, len(seen))
            session.commit()
    except Exception as e:
        session.rollback()
        if run:
            run = session.get(JobRun, run_id)
            run.status, run.message, run.finished_at = JobRun.FAILED, str(e)[:500], utcnow()
            session.commit()
        raise
    gone = _mark_missing(session, installation, seen)
    conflicts = resolve_conflicts(session, installation)
    remember_origins(installation, connector)
    availability.mark(session, installation_id=installation.id, everything=True)
    summary = _summary(session, installation)
    if run:
        run.status, run.finished_at, run.total = JobRun.DONE, utcnow(), len(seen)
        run.details = {**summary, "conflicts": conflicts, "gone": gone}
        run.message = (
            f"{summary.get(Listing.LINKED, 0)} linked, {summary.get(Listing.UNMATCHED, 0)} "
            f"unmatched, {conflicts} in conflict"
        )
    record_activity(
        session, installation, "import", f"Catalog imported: {len(seen)} variants", **summary
    )
    session.commit()
    return len(seen)


def _ensure_location(session, connector, installation: Installation) -> str:
    settings = dict(installation.settings or {})
    if not settings.get("location_ref"):
        locations = connector.locations(installation)
        primary = next(
            (loc for loc in locations if loc.primary), locations[0] if locations else None
        )
        settings["location_ref"] = primary.ref if primary else ""
        settings["location_name"] = primary.name if primary else ""
        installation.settings = settings
    return settings["location_ref"]


def _summary(session, installation) -> dict:
    return dict(
        session.execute(
            select(Listing.status, func.count())
            .where(Listing.installation_id == installation.id)
            .group_by(Listing.status)
        ).all()
    )


def upsert_listing(session, installation, pool, item: CatalogItem) -> Listing:
    listing = session.scalar(
        select(Listing).where(
            Listing.installation_id == installation.id, Listing.external_id == item.external_id
        )
    )
    if listing is None:
        listing = Listing(
            installation_id=installation.id,
            pool_id=pool.id,
            external_id=item.external_id,
            level_ref=item.level_ref,
            status=Listing.UNMATCHED,
            details={},
        )
        session.add(listing)
    changed_key = sku_key(listing.sku, listing.barcode) != sku_key(item.sku, item.barcode)
    listing.pool_id = pool.id
    listing.product_ref = item.product_ref
    listing.level_ref = item.level_ref
    listing.sku, listing.barcode, listing.title = item.sku, item.barcode, item.title
    storefront = (item.public_id, item.product_public_id, item.product_title, item.url)
    if storefront != (
        listing.public_id,
        listing.product_public_id,
        listing.product_title,
        listing.url,
    ):
        listing.public_id, listing.product_public_id = item.public_id, item.product_public_id
        listing.product_title, listing.url = item.product_title, item.url
    listing.details = {
        **(listing.details or {}),
        **item.details,
        "product_type": item.product_type,
        "handle": item.handle,
    }
    listing.price_minor, listing.currency = item.price_minor, item.currency
    remember_currency(installation, pool, item.currency)
    session.flush()
    if listing.status == Listing.IGNORED:
        return listing
    if not (listing.status == Listing.LINKED and not changed_key and item.tracked):
        link(session, installation, pool, listing, item)
    derive_price(session, pool, listing)
    return listing


def remember_currency(installation, pool, currency: str | None) -> None:
    """The store's currency on its installation; the pool's is the first store's that has one
    (every amount StockGuard keeps for the pool is in it)."""
    if not currency:
        return
    if (installation.settings or {}).get("currency") != currency:
        installation.settings = {**(installation.settings or {}), "currency": currency}
    if not pool.setting("currency", None):
        pool.settings = {**(pool.settings or {}), "currency": currency}


def derive_price(session, pool, listing: Listing) -> None:
    """The SKU sells at the price of its most recently read listing in the pool's currency;
    a listing priced in another currency leaves it alone (no exchange rates are invented)."""
    if listing.sku_id is None or listing.price_minor is None:
        return
    if listing.currency != pool.setting("currency", None):
        return
    sku = session.get(Sku, listing.sku_id)
    if sku is not None and sku.price_minor != listing.price_minor:
        sku.price_minor = listing.price_minor


def link(session, installation, pool, listing: Listing, item: CatalogItem) -> None:
    """Match ``listing`` to the pool's SKU (creating and seeding it when new)."""
    listing.sku_id, listing.note = None, None
    if item.requires_components:
        listing.status = Listing.UNSUPPORTED
        listing.note = (
            "Shopify assembles this item from components natively; StockGuard leaves "
            "its stock to Shopify. Define it as a bundle in StockGuard to sync it."
        )
        return
    if not item.tracked or item.quantity is None:
        listing.status = Listing.UNTRACKED
        listing.note = "The channel does not track this variant's stock."
        return
    key = sku_key(item.sku, item.barcode)
    if key is None:
        listing.status = Listing.UNMATCHED
        listing.note = "No SKU or barcode to match on."
        return
    twin = session.scalar(
        select(Listing.id).where(
            Listing.installation_id == installation.id,
            Listing.id != listing.id,
            Listing.status.in_([Listing.LINKED, Listing.CONFLICT]),
            func.lower(func.trim(Listing.sku)) == key
            if not key.startswith("barcode:")
            else Listing.barcode == key.removeprefix("barcode:"),
        )
    )
    if twin is not None:
        listing.status = Listing.CONFLICT
        listing.note = (
            f"Another variant of this store has the same SKU {item.sku or item.barcode!r}."
        )
        return
    sku, created = _sku_for(session, pool, key, item)
    listing.sku_id = sku.id
    listing.status = Listing.LINKED
    listing.channel_quantity = item.quantity
    if "linked_at" not in (listing.details or {}):
        # From here on the ledger follows this listing's orders: what orders placed before
        # took off its stock is in the level just read (sync/inbound.py, apply_snapshot).
        listing.details = {**(listing.details or {}), "linked_at": utcnow().isoformat()}
    if created:
        skus = ledger.lock_skus(session, [sku.id])
        ledger.record(
            session,
            skus[sku.id],
            Movement.INITIAL,
            item.quantity,
            f"initial:{pool.id}:{listing.id}",
            installation_id=installation.id,
            listing_id=listing.id,
            note=f"stock found on {installation.name or installation.shop_domain} at import",
        )
    else:
        # The pool's truth wins; tell this channel.
        listing.push_pending = True
        db.after_commit(lambda: mirror.enqueue_push(installation.id))


def _sku_for(session, pool, key: str, item: CatalogItem) -> tuple[Sku, bool]:
    """The pool's SKU for ``key``, created if new (safe when two imports race)."""
    table = Sku.__table__
    inserted = session.execute(
        db.insert(table)
        .values(
            pool_id=pool.id,
            key=key,
            sku=item.sku,
            barcode=item.barcode,
            name=item.title,
            on_hand=0,
            committed=0,
            safety_buffer=int(pool.setting("safety_buffer", 0)),
            is_bundle=False,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["pool_id", "key"])
        .returning(table.c.id)
    ).scalar()
    sku = session.scalar(select(Sku).where(Sku.pool_id == pool.id, Sku.key == key))
    return sku, inserted is not None


def resolve_conflicts(session, installation) -> int:
    """Mark every listing that shares its SKU with another of the same store as a conflict."""
    rows = session.scalars(
        select(Listing).where(
            Listing.installation_id == installation.id,
            Listing.status.in_([Listing.LINKED, Listing.CONFLICT]),
        )
    ).all()
    by_key: dict[str, list[Listing]] = {}
    for row in rows:
        by_key.setdefault(sku_key(row.sku, row.barcode) or "", []).append(row)
    count = 0
    for same in by_key.values():
        if len(same) > 1:
            for row in same:
                row.status, row.sku_id, row.push_pending = Listing.CONFLICT, None, False
                row.note = (
                    f"{len(same)} variants of this store share the SKU {row.sku or row.barcode!r}."
                )
                count += 1
    return count


def _mark_missing(session, installation, seen: set[str]) -> int:
    rows = session.scalars(
        select(Listing).where(
            Listing.installation_id == installation.id, Listing.status != Listing.DELETED
        )
    ).all()
    gone = [row for row in rows if row.external_id not in seen]
    for row in gone:
        row.status, row.sku_id, row.push_pending = Listing.DELETED, None, False
    return len(gone)


def remember_origins(installation: Installation, connector) -> None:
    """The addresses the store's pages are served from: the storefront API answers them (CORS)."""
    try:
        origins = connector.storefront_origins(installation)
    except Exception as e:  # the import itself succeeded; origins are read again next time
        log.warning("storefront origins of %s not read: %s", installation.shop_domain, e)
        return
    installation.settings = {**(installation.settings or {}), "storefront_origins": origins}


# --------------------------------------------------------------------------- product changes


@job
def refresh_product(installation_id: int, product_ref: str) -> int:
    """Re-read one product's variants after the channel says it changed."""
    session = db.session
    installation = session.get(Installation, installation_id)
    if installation is None or not installation.is_active:
        return 0
    connector = registry.storefront(installation.platform)
    pool = ensure_pool(session, installation)
    location = _ensure_location(session, connector, installation)
    items = connector.product_items(installation, product_ref, location)
    if items is None:
        unlist_product(session, installation, product_ref)
        session.commit()
        return 0
    for item in items:
        upsert_listing(session, installation, pool, item)
    keep = {item.external_id for item in items}
    for row in session.scalars(
        select(Listing).where(
            Listing.installation_id == installation.id, Listing.product_ref == product_ref
        )
    ):
        if row.external_id not in keep:
            row.status, row.sku_id, row.push_pending = Listing.DELETED, None, False
    resolve_conflicts(session, installation)
    availability.mark(session, installation_id=installation.id, product_refs=[product_ref])
    session.commit()
    return len(items)


def unlist_product(session, installation, product_ref: str) -> None:
    """The product is gone from the channel: its listings stop syncing (the SKUs stay)."""
    for row in session.scalars(
        select(Listing).where(
            Listing.installation_id == installation.id,
            (Listing.product_ref == str(product_ref)) | (Listing.external_id == str(product_ref)),
        )
    ):
        row.status, row.sku_id, row.push_pending = Listing.DELETED, None, False
        availability.mark_listings(session, [(row.id, installation.id)])
