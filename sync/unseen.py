"""Moves a channel without compare-and-set made for an order, not yet seen in a read of its level.

WooCommerce has no compare-and-set: a push reads the level, then writes it. An order the store
took between that read and the write is overwritten by the write (the write's figure came from
the ledger before the order); one taken after the write moves the level on from it. The order's
webhook cannot say which: its time has one-second precision and comes from the store's clock.
So on such a channel an order's move is not added to what we believe the channel shows
(``Listing.channel_quantity``); it is kept here, and the next read of the level — every push,
settle and reconcile reads before it acts — decides: the level moved by it (the move happened
after our write; it is taken into ``channel_quantity``) or it did not (our write overwrote it;
``channel_quantity`` stays, and the ledger's figure, which has the order in it, is written).

Every move kept was made before its webhook reached us, so before any read that starts after it
was kept: a read resolves all of them. The listing's row lock (held by pushes, settles and
order handlers alike) orders reads and keeps.
"""

from __future__ import annotations

from itertools import combinations

from models import Listing

KEY = "unseen"
MAX_KEPT = 50
EXACT_UP_TO = 12  # moves searched exhaustively for the combination the level shows


def expect(listing: Listing, units: int) -> None:
    """The channel moved (or was about to move) its level by ``units`` for an order."""
    if units == 0:
        return
    details = dict(listing.details or {})
    details[KEY] = [*details.get(KEY, []), int(units)][-MAX_KEPT:]
    listing.details = details


def pending(listing: Listing) -> list[int]:
    return list((listing.details or {}).get(KEY, []))


def expected_level(listing: Listing) -> int | None:
    """What the channel shows if every kept move happened after our last write."""
    if listing.channel_quantity is None:
        return None
    return listing.channel_quantity + sum(pending(listing))


def resolve(listing: Listing, observed: int | None) -> int:
    """A read saw ``observed``: take the kept moves it shows into ``channel_quantity`` and drop
    the rest (overwritten by our write). Returns the units taken in."""
    moves = pending(listing)
    if not moves:
        return 0
    details = dict(listing.details or {})
    details.pop(KEY, None)
    listing.details = details
    if observed is None or listing.channel_quantity is None:
        return 0
    taken = sum(_shown(moves, observed - listing.channel_quantity))
    listing.channel_quantity += taken
    return taken


def forget(listing: Listing) -> None:
    """Our write set the level after a read that resolved every kept move."""
    if KEY in (listing.details or {}):
        details = dict(listing.details)
        details.pop(KEY)
        listing.details = details


def _shown(moves: list[int], difference: int) -> list[int]:
    """The moves that make up ``difference``: exactly when some combination does (the newest
    ones preferred: an older move is the likelier to have been overwritten), otherwise as many
    as fit, newest first, without overshooting."""
    if difference == 0:
        return []
    if sum(moves) == difference:
        return moves
    newest_first = list(reversed(moves))
    if len(moves) <= EXACT_UP_TO:
        for size in range(len(moves) - 1, 0, -1):
            for combo in combinations(newest_first, size):
                if sum(combo) == difference:
                    return list(combo)
    taken, left = [], difference
    for move in newest_first:
        if (move > 0) == (left > 0) and abs(move) <= abs(left):
            taken.append(move)
            left -= move
            if left == 0:
                break
    return taken
