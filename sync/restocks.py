"""Restocks and suppliers: when units are expected, and the restock ETA shoppers are shown.

ETA rule: the earliest open restock that, with those before it, covers the waiting demand (the
shoppers waiting for a notice, at least one); else today + the supplier's lead time when the
merchant planned a reorder; else no date. A covering restock that is already late gives no date
but "soon" — a date in the past is never shown — and the merchant is told once that it is late.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from extensions import db
from models import Installation, Movement, Restock, Sku, Supplier, record_activity, sku_key, utcnow
from sync import ledger, mirror
from sync.data import csv_io
from sync.data.csv_io import CsvError, CsvTooLarge
from sync.worker import job

MAX_CSV_BYTES, MAX_CSV_ROWS = csv_io.MAX_BYTES, csv_io.MAX_ROWS
MAX_QUANTITY = 1_000_000


class RestockError(ValueError):
    """Bad restock input: ``errors`` lists each problem (with its CSV line when there is one)."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


@dataclass(frozen=True)
class Eta:
    date: dt.date | None = None
    soon: bool = False  # covered by a restock that is late: "back soon", never a past date


def today() -> dt.date:
    return utcnow().date()


def open_restocks(session, sku_ids) -> dict[int, list[Restock]]:
    rows = session.scalars(
        select(Restock)
        .where(Restock.sku_id.in_(list(sku_ids)), Restock.status == Restock.OPEN)
        .order_by(Restock.expected_on, Restock.id)
    ).all()
    by_sku: dict[int, list[Restock]] = defaultdict(list)
    for row in rows:
        by_sku[row.sku_id].append(row)
    return by_sku


def eta(sku: Sku, restocks: list[Restock], waiting: int, on: dt.date, supplier=None) -> Eta:
    """The ETA for ``sku`` given its open restocks (by date) and the shoppers ``waiting``."""
    need, covered = max(1, waiting), 0
    for restock in restocks:
        covered += restock.quantity
        if covered >= need:
            return Eta(soon=True) if restock.expected_on < on else Eta(date=restock.expected_on)
    if sku.reorder_planned and supplier is not None:
        return Eta(date=on + dt.timedelta(days=supplier.lead_time_days))
    return Eta()


# --------------------------------------------------------------------------- suppliers


def upsert_supplier(session, pool_id: int, data) -> Supplier:
    if not isinstance(data, dict):
        raise RestockError(["send an object with name, lead_time_days and email"])
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise RestockError(["name: required, at most 255 characters"])
    lead = data.get("lead_time_days", 14)
    if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= 365:
        raise RestockError(["lead_time_days: a whole number of days from 0 to 365"])
    email = data.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 320):
        raise RestockError(["email: not an e-mail address"])
    supplier = session.scalar(
        select(Supplier).where(Supplier.pool_id == pool_id, Supplier.name == name.strip())
    )
    if supplier is None:
        supplier = Supplier(pool_id=pool_id, name=name.strip())
        session.add(supplier)
    supplier.lead_time_days, supplier.email = lead, email
    session.flush()
    return supplier


# --------------------------------------------------------------------------- restocks


def _parse_row(session, pool_id: int, row: dict, where: str, suppliers: dict) -> dict:
    errors = []
    sku = None
    key = sku_key(str(row.get("sku") or ""))
    if not key:
        errors.append(f"{where}sku: required")
    else:
        sku = session.scalar(select(Sku).where(Sku.pool_id == pool_id, Sku.key == key))
        if sku is None:
            errors.append(f"{where}sku: no SKU {str(row.get('sku'))[:64]!r} in this store")
    quantity = row.get("quantity")
    try:
        quantity = int(str(quantity).strip())
        if not 0 < quantity <= MAX_QUANTITY:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(f"{where}quantity: a whole number from 1 to {MAX_QUANTITY}")
    try:
        expected = dt.date.fromisoformat(str(row.get("expected_on") or "").strip())
    except ValueError:
        errors.append(f"{where}expected_on: a date like 2026-12-03")
        expected = None
    reference = (str(row.get("reference") or "").strip() or None) if row.get("reference") else None
    if reference and len(reference) > 128:
        errors.append(f"{where}reference: at most 128 characters")
    supplier_name = str(row.get("supplier") or "").strip()
    supplier = None
    if supplier_name:
        supplier = suppliers.get(supplier_name) or session.scalar(
            select(Supplier).where(Supplier.pool_id == pool_id, Supplier.name == supplier_name)
        )
        if supplier is None:
            errors.append(f"{where}supplier: no supplier {supplier_name[:64]!r}")
        else:
            suppliers[supplier_name] = supplier
    if errors:
        raise RestockError(errors)
    return {
        "sku": sku,
        "quantity": quantity,
        "expected_on": expected,
        "reference": reference,
        "supplier": supplier,
    }


def _save(session, pool_id: int, parsed: dict) -> tuple[Restock, bool]:
    restock = None
    if parsed["reference"]:
        restock = session.scalar(
            select(Restock).where(
                Restock.pool_id == pool_id, Restock.reference == parsed["reference"]
            )
        )
    created = restock is None
    if created:
        restock = Restock(pool_id=pool_id, reference=parsed["reference"], status=Restock.OPEN)
        session.add(restock)
    restock.sku_id = parsed["sku"].id
    restock.quantity, restock.expected_on = parsed["quantity"], parsed["expected_on"]
    restock.supplier_id = parsed["supplier"].id if parsed["supplier"] else None
    return restock, created


def add_restock(session, pool_id: int, data) -> Restock:
    if not isinstance(data, dict):
        raise RestockError(["send an object with sku, quantity and expected_on"])
    parsed = _parse_row(session, pool_id, data, "", {})
    restock, _ = _save(session, pool_id, parsed)
    session.flush()
    mark_skus(session, [restock.sku_id])
    return restock


def import_csv(session, pool_id: int, raw: bytes) -> dict:
    """Create or update restocks from CSV (sku, quantity, expected_on[, supplier, reference]).

    All or nothing: any bad line rejects the whole file, naming every bad line.
    """
    try:
        lines = csv_io.read(raw, {"sku", "quantity", "expected_on"})
    except CsvTooLarge:
        raise  # 413: the request is refused before any line is looked up
    except CsvError as e:
        raise RestockError(e.errors) from None
    parsed, errors, suppliers = [], [], {}
    for number, row in lines:
        try:
            parsed.append(_parse_row(session, pool_id, row, f"line {number}: ", suppliers))
        except RestockError as e:
            errors.extend(e.errors)
    if errors:
        raise RestockError(errors)
    created = updated = 0
    for item in parsed:
        _, was_created = _save(session, pool_id, item)
        created += was_created
        updated += not was_created
    session.flush()
    mark_skus(session, {item["sku"].id for item in parsed})
    return {"created": created, "updated": updated}


def receive(session, installation: Installation, restock: Restock, quantity: int | None) -> int:
    """The goods arrived: add them to the ledger (once) and close the restock."""
    if restock.status != Restock.OPEN:
        raise RestockError([f"this restock is already {restock.status}"])
    units = restock.quantity if quantity is None else quantity
    if isinstance(units, bool) or not isinstance(units, int) or not 0 < units <= MAX_QUANTITY:
        raise RestockError([f"quantity: a whole number from 1 to {MAX_QUANTITY}"])
    skus = ledger.lock_skus(session, [restock.sku_id])
    sku = skus[restock.sku_id]
    ledger.apply(
        session,
        skus,
        sku,
        Movement.RECEIPT,
        units,
        f"receipt:{restock.id}",
        installation_id=installation.id,
        note=f"restock {restock.reference or restock.id} received",
    )
    restock.status, restock.received_at = Restock.RECEIVED, utcnow()
    mirror.request_push(session, [sku.id])
    record_activity(
        session,
        installation,
        "restock",
        f"Restock received: {units} × {sku.sku or sku.key}",
        restock_id=restock.id,
    )
    return units


def mark_skus(session, sku_ids) -> None:
    """The storefront view of these SKUs must be computed again (their ETA may have moved)."""
    from sync import availability

    availability.mark(session, sku_ids=set(sku_ids))


# --------------------------------------------------------------------------- overdue


@job
def check_overdue() -> int:
    """Tell each store once about every restock that is late, and refresh the ETAs it moves."""
    session = db.session
    late = session.scalars(
        select(Restock).where(
            Restock.status == Restock.OPEN,
            Restock.expected_on < today(),
            Restock.overdue_alerted_at.is_(None),
        )
    ).all()
    for restock in late:
        restock.overdue_alerted_at = utcnow()
        for installation in session.scalars(
            select(Installation).where(Installation.pool_id == restock.pool_id)
        ):
            record_activity(
                session,
                installation,
                "restock_overdue",
                f"Restock {restock.reference or restock.id} of "
                f"{restock.sku.sku or restock.sku.key} was expected on "
                f"{restock.expected_on.isoformat()} and is not received: shoppers are told "
                "'back soon'",
                restock_id=restock.id,
            )
    if late:
        mark_skus(session, {r.sku_id for r in late})
    session.commit()
    return len(late)
