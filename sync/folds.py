"""What a listing's folded changes were, so an order that explains one later is not counted twice.

A settle (or the reconcile) folds a change it sees on a channel into the ledger when no order
explains it in time. An order's webhook can come later than that — WooCommerce sends them from a
queue that lags under load and never retries, Shopify retries a failed delivery for hours — and
its units were then counted already: once in the fold, once as the sale. Each fold is remembered
on the listing (when it was seen, how many units); an order movement whose stock change happened
before a fold of the same sign was seen is part of that fold, and the order is recorded with a
movement that takes the fold's share back.
"""

from __future__ import annotations

import datetime as dt

from models import Listing, utcnow

KEEP = dt.timedelta(hours=24)
MAX_FOLDS = 50
# Platform times have one-second precision (WooCommerce's date_modified_gmt): an order stamped
# with the second a fold was seen in may have happened after it.
PRECISION = dt.timedelta(seconds=1)


def remember(listing: Listing, units: int, at: dt.datetime | None = None) -> None:
    """The ledger took ``units`` as a change made on this channel, seen at ``at``."""
    if units == 0:
        return
    at = at or utcnow()
    details = dict(listing.details or {})
    kept = [f for f in details.get("folds", []) if _time(f[0]) and _time(f[0]) > at - KEEP]
    kept.append([at.isoformat(), units])
    details["folds"] = kept[-MAX_FOLDS:]
    listing.details = details


def explained(listing: Listing, units: int, happened_at: dt.datetime | None) -> int:
    """How many of an order's ``units`` (signed) a fold already counted; those are taken off
    the remembered folds. 0 when the order's time is unknown: never guess."""
    if units == 0 or happened_at is None:
        return 0
    details = dict(listing.details or {})
    folds = [list(f) for f in details.get("folds", [])]
    left, taken = units, 0
    for fold in folds:
        seen = _time(fold[0])
        if seen is None or seen < happened_at + PRECISION or (fold[1] > 0) != (left > 0):
            continue
        share = max(fold[1], left) if left < 0 else min(fold[1], left)
        fold[1] -= share
        left -= share
        taken += share
        if left == 0:
            break
    if taken:
        details["folds"] = [f for f in folds if f[1] != 0]
        listing.details = details
    return taken


def when(stamp: str | None) -> dt.datetime | None:
    """A platform's time stamp (ISO 8601, UTC when it says no zone); None when unreadable."""
    if not stamp:
        return None
    return _time(str(stamp).split("~", 1)[0])


def _time(text: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
