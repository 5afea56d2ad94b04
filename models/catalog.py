"""SKUs (the pool's truth), bundle recipes, and listings (a SKU as one channel sells it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


def sku_key(sku: str | None, barcode: str | None = None) -> str | None:
    """The matching key: the SKU trimmed and case-folded; else ``barcode:`` + barcode."""
    if sku and sku.strip():
        return sku.strip().casefold()
    if barcode and barcode.strip():
        return "barcode:" + barcode.strip()
    return None


class Sku(Base):
    __tablename__ = "sku"
    __table_args__ = (UniqueConstraint("pool_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(512))
    # Units physically held, and units promised to open orders not yet taken off on_hand.
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    # Units never offered on any channel (damaged, display, margin of error).
    safety_buffer: Mapped[int] = mapped_column(Integer, default=0)
    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)
    # Restock planning: who supplies it, and whether a reorder is planned (ETA = today + lead time
    # when no open restock covers the waiting demand).
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier.id", ondelete="SET NULL"), index=True
    )
    reorder_planned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Money in minor units (cents) of the pool's currency (``StockPool.settings["currency"]``):
    # the selling price (from the channels' catalogs) and the unit cost (entered or imported by
    # the merchant). Revenue ranking, stock value and reports use them; None = not known.
    price_minor: Mapped[int | None] = mapped_column(Integer)
    unit_cost_minor: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    components = relationship(
        "BundleComponent",
        foreign_keys="BundleComponent.bundle_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def available(self) -> int:
        """on_hand − committed − safety buffer (never below zero). Bundles: see sync.ledger."""
        return max(0, self.on_hand - self.committed - self.safety_buffer)


class BundleComponent(Base):
    """One line of a bundle's recipe: ``quantity`` units of ``component`` per bundle."""

    __tablename__ = "bundle_component"
    __table_args__ = (UniqueConstraint("bundle_id", "component_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("sku.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("sku.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    component = relationship("Sku", foreign_keys=[component_id])


class Listing(Base):
    """A sellable variant on one channel, and what StockGuard knows of its stock there."""

    __tablename__ = "listing"
    __table_args__ = (
        UniqueConstraint("installation_id", "external_id"),
        Index("ix_listing_level", "installation_id", "level_ref"),
        Index("ix_listing_push", "installation_id", "push_pending"),
        Index("ix_listing_public", "installation_id", "public_id"),
        Index("ix_listing_public_product", "installation_id", "product_public_id"),
        {"sqlite_autoincrement": True},
    )

    LINKED = "linked"
    UNMATCHED = "unmatched"  # no SKU nor barcode to match on
    CONFLICT = "conflict"  # the same SKU twice in one store
    IGNORED = "ignored"  # the merchant chose not to sync it
    UNSUPPORTED = "unsupported"  # e.g. Shopify items that require components natively
    UNTRACKED = "untracked"  # the channel doesn't track its stock
    DELETED = "deleted"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    sku_id: Mapped[int | None] = mapped_column(
        ForeignKey("sku.id", ondelete="SET NULL"), index=True
    )
    # Platform ids, opaque to the engine: the variant, its product, and where its level lives.
    external_id: Mapped[str] = mapped_column(String(255))
    product_ref: Mapped[str | None] = mapped_column(String(255))
    level_ref: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default=UNMATCHED)
    note: Mapped[str | None] = mapped_column(String(512))
    # What the channel shows, as far as StockGuard knows: set by our writes, moved by the
    # channel's own orders; a level the channel reports that differs is a change made there.
    channel_quantity: Mapped[int | None] = mapped_column(Integer)
    # Units the channel moved by itself that no order has explained yet: seen when a write was
    # refused as stale. Negative = probably sales whose webhooks are still on their way; they are
    # held back from every channel at once, and folded into the ledger if no order explains them.
    unexplained: Mapped[int] = mapped_column(Integer, default=0)
    # The price this channel sells it at, in minor units of the channel's currency.
    price_minor: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(8))
    push_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the store's theme calls the variant and its product, and the product page.
    public_id: Mapped[str | None] = mapped_column(String(32))
    product_public_id: Mapped[str | None] = mapped_column(String(32))
    product_title: Mapped[str | None] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(1024))
    last_pushed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_observed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    sku_row = relationship("Sku")
