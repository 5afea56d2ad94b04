"""The ledger: every stock change is a movement with a unique reference, applied once.

Rules kept here:
- a movement is inserted with its external reference unique; a replay inserts nothing and
  changes nothing (``record`` returns None);
- a SKU's ``on_hand``/``committed`` change only together with the movement row, under the
  SKU's row lock (``lock_skus``, always in id order so two jobs never deadlock);
- a bundle holds no stock of its own: its sale moves its components, and its ``available`` is
  the minimum over components of ``floor(component available / quantity)``.
"""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from extensions import db
from models import BundleComponent, Movement, Sku, utcnow
from models.base import fitted_key

_COLUMNS = (
    "pool_id",
    "sku_id",
    "kind",
    "on_hand_delta",
    "committed_delta",
    "on_hand_after",
    "external_ref",
    "installation_id",
    "listing_id",
    "order_ref",
    "note",
    "created_at",
)


@functools.cache
def _insert(dialect: str):
    table = Movement.__table__
    return (
        db.insert(table)
        .values({c: bindparam(c) for c in _COLUMNS})
        .on_conflict_do_nothing(index_elements=["external_ref"])
        .returning(table.c.id)
    )


def lock_skus(session: Session, sku_ids) -> dict[int, Sku]:
    """Lock SKUs (and the components of bundles among them) in id order; by id."""
    ids = set(sku_ids)
    if not ids:
        return {}
    ids |= set(
        session.scalars(
            select(BundleComponent.component_id).where(BundleComponent.bundle_id.in_(ids))
        )
    )
    # populate_existing: a SKU this session read before the lock (a listing's sku, a bundle's
    # component) must come back with the locked row's values, or ``on_hand +=`` would start
    # from what the session saw before another transaction committed.
    rows = session.scalars(
        select(Sku)
        .where(Sku.id.in_(sorted(ids)))
        .order_by(Sku.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.id: row for row in rows}


def record(
    session: Session,
    sku: Sku,
    kind: str,
    on_hand_delta: int,
    ref: str,
    *,
    committed_delta: int = 0,
    installation_id: int | None = None,
    listing_id: int | None = None,
    order_ref: str | None = None,
    note: str | None = None,
) -> int | None:
    """Apply one movement to a locked, non-bundle SKU; its id, or None if ``ref`` was seen."""
    assert not sku.is_bundle, "bundles move through their components (apply)"
    params = {
        "pool_id": sku.pool_id,
        "sku_id": sku.id,
        "kind": kind,
        "on_hand_delta": on_hand_delta,
        "committed_delta": committed_delta,
        "on_hand_after": sku.on_hand + on_hand_delta,
        "external_ref": fitted_key(ref),
        "installation_id": installation_id,
        "listing_id": listing_id,
        "order_ref": order_ref,
        "note": note,
        "created_at": utcnow(),
    }
    movement_id = session.execute(_insert(db.dialect), params).scalar()
    if movement_id is None:
        return None
    sku.on_hand += on_hand_delta
    sku.committed += committed_delta
    return movement_id


def apply(
    session: Session, skus: dict[int, Sku], sku: Sku, kind: str, on_hand_delta: int, ref: str, **kw
) -> bool:
    """Move ``sku`` (or, for a bundle, each component by its recipe). True if anything moved."""
    if not sku.is_bundle:
        return record(session, sku, kind, on_hand_delta, ref, **kw) is not None
    moved = False
    note = f"{kw.pop('note', None) or kind} via bundle {sku.sku or sku.key}"
    for part in components(session, sku.id):
        component = skus.get(part.component_id) or session.get(Sku, part.component_id)
        if (
            record(
                session,
                component,
                Movement.BUNDLE,
                on_hand_delta * part.quantity,
                f"{ref}:c{component.id}",
                note=note,
                **kw,
            )
            is not None
        ):
            moved = True
    return moved


def components(session: Session, bundle_id: int) -> list[BundleComponent]:
    return list(
        session.scalars(
            select(BundleComponent)
            .where(BundleComponent.bundle_id == bundle_id)
            .order_by(BundleComponent.component_id)
        )
    )


def available(session: Session, sku: Sku) -> int:
    """What may be offered: on_hand − committed − safety buffer; for a bundle, what its
    components allow."""
    if not sku.is_bundle:
        return sku.available
    parts = components(session, sku.id)
    if not parts:
        return 0
    by_id = {
        row.id: row
        for row in session.scalars(select(Sku).where(Sku.id.in_([p.component_id for p in parts])))
    }
    return max(
        0, min(by_id[p.component_id].available // p.quantity for p in parts) - sku.safety_buffer
    )


def related_skus(session: Session, sku_ids) -> set[int]:
    """The SKUs whose available may change when ``sku_ids`` move: themselves, the bundles they
    are part of, and (for bundles) their components."""
    ids = set(sku_ids)
    if not ids:
        return ids
    components_of = set(
        session.scalars(
            select(BundleComponent.component_id).where(BundleComponent.bundle_id.in_(ids))
        )
    )
    ids |= components_of
    ids |= set(
        session.scalars(
            select(BundleComponent.bundle_id).where(BundleComponent.component_id.in_(ids))
        )
    )
    return ids
