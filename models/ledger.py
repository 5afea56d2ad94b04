"""The ledger: append-only stock movements, and the stock state of channel orders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Movement(Base):
    """One change of a SKU's stock. ``external_ref`` is unique: a replay inserts nothing."""

    __tablename__ = "movement"
    __table_args__ = ({"sqlite_autoincrement": True},)

    SALE = "sale"  # a channel took stock for an order
    RESTOCK = "restock"  # cancelled / refunded / returned units back in stock
    ADJUSTMENT = "adjustment"  # a change made on a channel by hand (or by another app)
    RECONCILE = "reconcile"  # drift found by the scheduled reconcile
    INITIAL = "initial"  # the stock a SKU had when it was first imported
    MANUAL = "manual"  # set in StockGuard's panel
    BUNDLE = "bundle"  # a component moved by a bundle's sale or restock
    RECEIPT = "receipt"  # a supplier restock received (entered in the panel)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    committed_delta: Mapped[int] = mapped_column(Integer, default=0)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    external_ref: Mapped[str] = mapped_column(String(255), unique=True)
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installation.id", ondelete="SET NULL"), index=True
    )
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id", ondelete="SET NULL"))
    order_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ChannelOrderLine(Base):
    """How many units a channel order line holds taken off stock, as last applied to the ledger."""

    __tablename__ = "channel_order_line"
    __table_args__ = (UniqueConstraint("installation_id", "order_ref", "line_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    order_ref: Mapped[str] = mapped_column(String(255))
    line_ref: Mapped[str] = mapped_column(String(255))
    reduced: Mapped[int] = mapped_column(Integer, default=0)
    # The order's modification stamp the line was last applied from (older snapshots are stale).
    version: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class JobRun(Base):
    """A long job the merchant watches: catalog import, reconcile."""

    __tablename__ = "job_run"
    __table_args__ = ({"sqlite_autoincrement": True},)

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
