"""This web process's copy of the storefront's availability rows.

The engine (``sync.availability``) writes ``Availability`` rows, each change with a larger
``version``. Here each store's rows are held in memory and, at most every ``REFRESH_SECONDS``,
the rows whose version grew are read again (one indexed query). Shoppers' requests are answered
from memory: a burst of traffic never reaches the ledger and barely the database.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from models import Availability, Installation
from sync.storefront_settings import public_settings, storefront_settings

REFRESH_SECONDS = 0.5  # how stale an answer may be, at most, besides the HTTP cache
SHOP_SECONDS = 5.0  # how long a store's settings and origins are kept
# Rows are re-read from slightly before the newest version seen: a refresh that committed
# late (its version was taken before a newer one's commit) is not missed.
OVERLAP_NS = 5_000_000_000


@dataclass
class ShopView:
    installation_id: int
    shop: str
    origins: frozenset[str]
    settings: dict
    loaded_at: float
    variants: dict[str, dict] = field(default_factory=dict)
    products: dict[str, set[str]] = field(default_factory=dict)
    version: int = 0
    checked_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _origins(installation: Installation, settings: dict) -> frozenset[str]:
    saved = (installation.settings or {}).get("storefront_origins") or []
    return frozenset([*saved, *settings.get("origins", [])])


def _variant(row: Availability) -> dict:
    return {
        "product": row.product_id,
        "state": row.state,
        "quantity": row.quantity,
        "eta": row.eta.isoformat() if row.eta else None,
        "eta_soon": row.eta_soon,
        "notify": row.notify,
        "alternatives": row.alternatives or [],
    }


class StorefrontCache:
    def __init__(self):
        self._shops: dict[str, ShopView | None] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._shops.clear()

    def shop(self, session, shop: str) -> ShopView | None:
        now = time.monotonic()
        view = self._shops.get(shop)
        if view is not None and now - view.loaded_at < SHOP_SECONDS:
            return view
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
            )
            if view is not None and view.installation_id == installation.id:
                fresh.variants, fresh.products = view.variants, view.products
                fresh.version, fresh.checked_at = view.version, view.checked_at
        with self._lock:
            if len(self._shops) > 10_000:
                self._shops.clear()
            self._shops[shop] = fresh
        return fresh

    def rows(self, session, view: ShopView) -> ShopView:
        """Bring ``view``'s variants up to date (at most every REFRESH_SECONDS)."""
        if time.monotonic() - view.checked_at < REFRESH_SECONDS:
            return view
        with view.lock:
            if time.monotonic() - view.checked_at < REFRESH_SECONDS:
                return view
            since = view.version - OVERLAP_NS if view.version else -1
            changed = session.scalars(
                select(Availability).where(
                    Availability.installation_id == view.installation_id,
                    Availability.version > since,
                )
            ).all()
            for row in changed:
                view.version = max(view.version, row.version)
                old = view.variants.get(row.variant_id)
                if old is not None:
                    view.products.get(old["product"], set()).discard(row.variant_id)
                if row.deleted:
                    view.variants.pop(row.variant_id, None)
                    continue
                view.variants[row.variant_id] = _variant(row)
                view.products.setdefault(row.product_id, set()).add(row.variant_id)
            view.checked_at = time.monotonic()
        return view


STATE_RANK = {"in_stock": 0, "low_stock": 1, "preorder": 2, "out_of_stock": 3}


def answer(view: ShopView, variant_ids, product_ids, today: dt.date) -> dict:
    """The API's answer for the ids asked (absent ids are simply left out)."""
    variants: dict[str, dict] = {}
    products: dict[str, dict] = {}
    for product_id in product_ids:
        members = sorted(view.products.get(product_id, ()))
        if not members:
            continue
        for variant_id in members:
            variants[variant_id] = view.variants[variant_id]
        best = min((view.variants[v]["state"] for v in members), key=STATE_RANK.__getitem__)
        products[product_id] = {"state": best, "variants": members}
    for variant_id in variant_ids:
        if variant_id in view.variants:
            variants[variant_id] = view.variants[variant_id]
    iso_today = today.isoformat()
    for variant_id, data in variants.items():
        if data["eta"] and data["eta"] < iso_today:  # never a date in the past
            variants[variant_id] = {**data, "eta": None, "eta_soon": True}
    return {
        "shop": view.shop,
        "variants": variants,
        "products": products,
        "settings": view.settings,
    }
