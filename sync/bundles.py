"""Bundles and kits: a SKU made of components, sold as one, stocked as its parts."""

from __future__ import annotations

from sqlalchemy import delete, select

from models import BundleComponent, Sku, sku_key
from sync import mirror


class BundleError(ValueError):
    """The recipe can't be used (unknown SKU, itself, a bundle inside a bundle, bad quantity)."""


def define_bundle(session, pool_id: int, bundle_sku: str, components: list[tuple[str, int]]) -> Sku:
    """Make ``bundle_sku`` a bundle of ``components`` [(sku, quantity)]; replaces any recipe."""
    bundle = _find(session, pool_id, bundle_sku)
    if not components:
        raise BundleError("a bundle needs at least one component")
    parts: dict[int, int] = {}
    for sku, quantity in components:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 1000:
            raise BundleError(f"quantity of {sku!r} must be a whole number from 1 to 1000")
        component = _find(session, pool_id, sku)
        if component.id == bundle.id:
            raise BundleError("a bundle cannot contain itself")
        if component.is_bundle:
            raise BundleError(f"{sku!r} is itself a bundle; list its components instead")
        parts[component.id] = parts.get(component.id, 0) + quantity
    if session.scalar(select(BundleComponent.id).where(BundleComponent.component_id == bundle.id)):
        raise BundleError(f"{bundle_sku!r} is a component of another bundle")
    session.execute(delete(BundleComponent).where(BundleComponent.bundle_id == bundle.id))
    for component_id, quantity in parts.items():
        session.add(
            BundleComponent(bundle_id=bundle.id, component_id=component_id, quantity=quantity)
        )
    bundle.is_bundle = True
    session.flush()
    mirror.request_push(session, [bundle.id])
    return bundle


def _find(session, pool_id: int, sku: str) -> Sku:
    key = sku_key(sku)
    row = session.scalar(select(Sku).where(Sku.pool_id == pool_id, Sku.key == key)) if key else None
    if row is None:
        raise BundleError(f"no SKU {sku!r} in this stock pool")
    return row
