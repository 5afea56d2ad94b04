"""This web process's copy of the storefront's availability rows.

The engine (``sync.availability``) writes ``Availability`` rows, each change with a larger
``version``. Here each store's rows are held in memory and, at most every ``REFRESH_SECONDS``,
the rows whose version grew are read again (one indexed query). Shoppers' requests are answered
from memory: a burst of traffic never reaches the ledger and barely the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from models import Availability, Installation, StockPool
from sync.alerts.crisis import notice as alert_notice
from sync.storefront_settings import public_settings, storefront_settings

REFRESH_SECONDS = 0.5  # how stale an answer may be, at most, besides the HTTP cache
# Now and then every row is read again: a row whose version was stamped long before its commit
# (a stalled refresh) or by a worker whose clock runs behind is not missed for long.
FULL_READ_SECONDS = 60.0
SHOP_SECONDS = 5.0  # how long a store's settings and origins are kept
# Rows are re-read from slightly before the newest version seen: a refresh that committed
# late (its version was taken before a newer one's commit) is not missed.
OVERLAP_NS = 5_000_000_000


@dataclass(frozen=True)
class Snapshot:
    """One consistent state of a store's variants. Never changed once built: a refresh builds
    the next one and swaps it in, so readers need no lock."""

    variants: dict[str, dict]
    products: dict[str, frozenset[str]]
    generation: int  # grows with every change: part of the encoded-answer cache key

    def _replace_generation(self, previous: Snapshot) -> Snapshot:
        """This full read, numbered after ``previous`` (whose answers it must not reuse)."""
        return Snapshot(self.variants, self.products, previous.generation + 1)


EMPTY = Snapshot({}, {}, 0)


@dataclass
class ShopView:
    installation_id: int
    shop: str
    origins: frozenset[str]
    settings: dict
    loaded_at: float
    settings_tag: str = ""  # a digest of ``settings`` and ``notice``: part of the answer cache key
    notice: str | None = None  # alert mode's shop-wide message (plain text), while it is on
    snapshot: Snapshot = EMPTY
    read_from: int = -1  # re-read rows whose version is above this (ns)
    checked_at: float = 0.0
    full_read_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _origins(installation: Installation, settings: dict) -> frozenset[str]:
    saved = (installation.settings or {}).get("storefront_origins") or []
    return frozenset([*saved, *settings.get("origins", [])])


COLUMNS = (
    Availability.variant_id,
    Availability.product_id,
    Availability.state,
    Availability.quantity,
    Availability.eta,
    Availability.eta_soon,
    Availability.notify,
    Availability.alternatives,
    Availability.deleted,
)


def _variant(row) -> dict:
    return {
        "product": row.product_id,
        "state": row.state,
        "quantity": row.quantity,
        "eta": row.eta.isoformat() if row.eta else None,
        "eta_soon": row.eta_soon,
        "notify": row.notify,
        "alternatives": row.alternatives or [],
    }


def _apply(snapshot: Snapshot, rows) -> Snapshot:
    """The next snapshot: ``snapshot`` with ``rows`` (plain column tuples) applied."""
    variants = dict(snapshot.variants)
    members = {product: set(ids) for product, ids in snapshot.products.items()}
    for row in rows:
        old = variants.pop(row.variant_id, None)
        if old is not None:
            members.get(old["product"], set()).discard(row.variant_id)
        if not row.deleted:
            variants[row.variant_id] = _variant(row)
            members.setdefault(row.product_id, set()).add(row.variant_id)
    products = {product: frozenset(ids) for product, ids in members.items() if ids}
    return Snapshot(variants, products, snapshot.generation + 1)


def db_pool(session, installation: Installation) -> StockPool | None:
    return session.get(StockPool, installation.pool_id) if installation.pool_id else None


class StorefrontCache:
    def __init__(self):
        self._shops: dict[str, ShopView] = {}
        # Addresses that are no store, kept apart: a flood of made-up names fills (and clears)
        # only this, never the stores' own cached rows.
        self._unknown: dict[str, float] = {}
        self._lock = threading.Lock()
        self.answers = AnswerCache()

    def clear(self) -> None:
        with self._lock:
            self._shops.clear()
            self._unknown.clear()
        self.answers.clear()

    def shop(self, session, shop: str) -> ShopView | None:
        now = time.monotonic()
        view = self._shops.get(shop)
        if view is not None and now - view.loaded_at < SHOP_SECONDS:
            return view
        if view is None and now - self._unknown.get(shop, -SHOP_SECONDS) < SHOP_SECONDS:
            return None
        installation = session.scalar(
            select(Installation).where(
                or_(
                    Installation.shop_domain == shop,
                    Installation.shop_domain == f"https://{shop}",
                    Installation.shop_domain == f"http://{shop}",
                ),
                Installation.status == Installation.ACTIVE,
            )
        )
        if installation is None:
            fresh = None
        else:
            settings = storefront_settings(installation)
            fresh = ShopView(
                installation_id=installation.id,
                shop=shop,
                origins=_origins(installation, settings),
                settings=public_settings(settings),
                loaded_at=now,
                notice=alert_notice(db_pool(session, installation)),
            )
            # The notice is in the tag: switching alert mode changes the answer and its ETag.
            fresh.settings_tag = hashlib.blake2b(
                json.dumps([fresh.settings, fresh.notice], sort_keys=True).encode(), digest_size=8
            ).hexdigest()
            if view is not None and view.installation_id == installation.id:
                fresh.snapshot, fresh.read_from = view.snapshot, view.read_from
                fresh.checked_at, fresh.lock = view.checked_at, view.lock
        with self._lock:
            if fresh is None:
                self._shops.pop(shop, None)
                if len(self._unknown) > 10_000:
                    self._unknown.clear()
                self._unknown[shop] = now
            else:
                self._shops[shop] = fresh
        return fresh

    def rows(self, session, view: ShopView) -> Snapshot:
        """The store's variants, re-read (at most every REFRESH_SECONDS) where they changed.

        One request refreshes; the others answer from the snapshot they have meanwhile.
        """
        if time.monotonic() - view.checked_at < REFRESH_SECONDS or not view.lock.acquire(
            blocking=view.snapshot is EMPTY
        ):
            return view.snapshot
        try:
            if time.monotonic() - view.checked_at < REFRESH_SECONDS:
                return view.snapshot
            started, now = time.time_ns(), time.monotonic()
            full = now - view.full_read_at >= FULL_READ_SECONDS
            query = select(*COLUMNS).where(Availability.installation_id == view.installation_id)
            if not full:
                query = query.where(Availability.version > view.read_from)
            changed = session.execute(query).all()
            if full:
                view.snapshot = _apply(EMPTY, changed)._replace_generation(view.snapshot)
                view.full_read_at = now
            elif changed:
                view.snapshot = _apply(view.snapshot, changed)
            # Next time: what changed since shortly before this read (a refresh that took its
            # version earlier but committed later is still seen).
            view.read_from = started - OVERLAP_NS
            view.checked_at = time.monotonic()
        finally:
            view.lock.release()
        return view.snapshot


class AnswerCache:
    """Encoded answers (body, ETag) by store snapshot and ids asked: product pages ask the same
    ids again and again, and encoding JSON is most of an answer's cost."""

    SIZE = 1024

    def __init__(self):
        self._items: dict[tuple, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get(self, key: tuple):
        return self._items.get(key)

    def put(self, key: tuple, value: tuple[bytes, str]) -> None:
        with self._lock:
            if len(self._items) >= self.SIZE:
                self._items.clear()  # cheap and rare: the working set is small
            self._items[key] = value


STATE_RANK = {"in_stock": 0, "low_stock": 1, "preorder": 2, "out_of_stock": 3}


def answer(view: ShopView, snapshot: Snapshot, variant_ids, product_ids, today: dt.date) -> dict:
    """The API's answer for the ids asked (absent ids are simply left out)."""
    variants: dict[str, dict] = {}
    products: dict[str, dict] = {}
    for product_id in product_ids:
        members = sorted(snapshot.products.get(product_id, ()))
        if not members:
            continue
        for variant_id in members:
            variants[variant_id] = snapshot.variants[variant_id]
        best = min((snapshot.variants[v]["state"] for v in members), key=STATE_RANK.__getitem__)
        products[product_id] = {"state": best, "variants": members}
    for variant_id in variant_ids:
        if variant_id in snapshot.variants:
            variants[variant_id] = snapshot.variants[variant_id]
    iso_today = today.isoformat()
    for variant_id, data in variants.items():
        if data["eta"] and data["eta"] < iso_today:  # never a date in the past
            variants[variant_id] = {**data, "eta": None, "eta_soon": True}
    return {
        "shop": view.shop,
        "variants": variants,
        "products": products,
        "settings": view.settings,
        "notice": view.notice,
    }
