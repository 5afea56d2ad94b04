"""Import unit costs from CSV (``sku,unit_cost``): all or nothing, every bad line named.

A cost is a decimal amount of the pool's currency, with ``.`` or ``,`` as the decimal mark
("12.50", "12,5"); no thousands separators (a "1,234.5" is ambiguous and refused), no currency
signs, never negative, at most the currency's decimals. SKUs are matched like the catalog does
(trimmed, case-insensitive); an unknown SKU or the same SKU twice is an error, not a guess.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from models import Sku, StockPool, sku_key
from money import MAX_MINOR, exponent
from sync.data import csv_io
from sync.data.csv_io import CsvError

MAX_BYTES, MAX_ROWS = csv_io.MAX_BYTES, csv_io.MAX_ROWS  # under MAX_CONTENT_LENGTH (1 MB)
CHUNK = 5_000
_AMOUNT = re.compile(r"^\d+(?:[.,]\d+)?$")


def parse_cost(text: str, currency: str | None) -> int:
    """ "12,50" → 1250 (in minor units); ValueError saying why for anything else."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError("unit_cost is empty")
    if raw.startswith("-"):
        raise ValueError(f"unit_cost {raw!r} is negative")
    if not _AMOUNT.match(raw):
        raise ValueError(f"unit_cost {raw[:40]!r} is not a decimal number (like 12.50 or 12,50)")
    places = exponent(currency)
    value = Decimal(raw.replace(",", "."))
    if -value.as_tuple().exponent > places:
        raise ValueError(f"unit_cost {raw!r} has more than {places} decimals")
    minor = int(value.scaleb(places))
    if minor > MAX_MINOR:
        raise ValueError(f"unit_cost {raw!r} is too large")
    return minor


def import_csv(session, pool_id: int, raw: bytes) -> dict:
    """Set ``unit_cost_minor`` of the pool's SKUs from the file; CsvError lists every bad line."""
    pool = session.get(StockPool, pool_id)
    currency = pool.setting("currency", None) if pool else None
    lines = csv_io.read(raw, {"sku", "unit_cost"})
    if not lines:
        raise CsvError(["the file has no lines under its header"])
    keys = sorted({sku_key(row.get("sku")) for _, row in lines} - {None})
    known = {}
    for start in range(0, len(keys), CHUNK):  # SQLite allows ~32k bound values a statement
        known.update(
            session.execute(
                select(Sku.key, Sku.id).where(
                    Sku.pool_id == pool_id, Sku.key.in_(keys[start : start + CHUNK])
                )
            ).all()
        )
    errors, costs, first_line = [], {}, {}
    for number, row in lines:
        code = (row.get("sku") or "").strip()
        key = sku_key(code)
        problems = []
        if key is None:
            problems.append("sku is empty")
        elif key in first_line:
            problems.append(f"SKU {code!r} is already on line {first_line[key]}")
        elif key not in known:
            problems.append(f"unknown SKU {code!r}")
        if row.get(csv_io.EXTRA):
            problems.append(
                "more cells than columns: write 1234.50 without a thousands separator, or "
                'quote a decimal comma ("12,50")'
            )
        else:
            try:
                cost = parse_cost(row.get("unit_cost"), currency)
            except ValueError as e:
                problems.append(str(e))
        if key is not None:
            first_line.setdefault(key, number)
        if problems:
            errors.append(f"line {number}: {'; '.join(problems)}")
        else:
            costs[known[key]] = cost
    if errors:
        raise CsvError(errors)
    ids = sorted(costs)
    for start in range(0, len(ids), CHUNK):
        for sku in session.scalars(select(Sku).where(Sku.id.in_(ids[start : start + CHUNK]))):
            sku.unit_cost_minor = costs[sku.id]
    session.flush()
    return {"updated": len(costs), "currency": currency}
