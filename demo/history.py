"""Eight weeks of past sales for the demo's SKUs, so the forecast has a pace to work from.

A fresh install has no history: the forecast would see no sales, days of cover would be
unknown, and "runs out before the restock" could never fire. A store that has used StockGuard
for a while has that history in its ledger; the demo writes what such a ledger holds: one
fulfilled sale movement per SKU and day, dated in the past. The stock the stores hold now is
what is left after those sales, so nothing is pushed and no channel changes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select

DAYS = 56
# Units sold per day on average, for the SKUs the story is about (the others are new: no pace,
# so no forecast warnings about them). TEE-M lasts about 9 days: past its restock in 7 days,
# until the supplier is late. MUG lasts past its restock. BOTTLE has no restock planned: the
# forecast flags it from the start.
PACE = {"TEE-M": 0.9, "MUG": 0.7, "BOTTLE": 0.35}


def write_history(session, pool_id: int, installation_id: int, today: dt.date) -> int:
    """Add the past sales to the pool's ledger (the caller commits); how many movements."""
    from models import Movement, Sku

    rng = np.random.default_rng(6)  # the same history on every start
    skus = session.scalars(select(Sku).where(Sku.pool_id == pool_id, Sku.is_bundle.is_(False)))
    first = today - dt.timedelta(days=DAYS)
    written = 0
    for sku in skus:
        pace = PACE.get(sku.sku or sku.key)
        if pace is None:
            continue
        # The SKU was known that long ago (the forecast trusts a pace only over its lifetime).
        sku.created_at = dt.datetime.combine(first, dt.time(9), tzinfo=dt.UTC)
        for offset, units in enumerate(rng.poisson(pace, DAYS)):
            if not units:
                continue
            day = first + dt.timedelta(days=offset)
            session.add(
                Movement(
                    pool_id=pool_id,
                    sku_id=sku.id,
                    kind=Movement.SALE,
                    on_hand_delta=-int(units),
                    committed_delta=0,
                    on_hand_after=sku.on_hand,
                    external_ref=f"demo-history:{sku.id}:{day.isoformat()}",
                    installation_id=installation_id,
                    note="sales before the demo started",
                    created_at=dt.datetime.combine(day, dt.time(14), tzinfo=dt.UTC),
                )
            )
            written += 1
    session.flush()
    return written
