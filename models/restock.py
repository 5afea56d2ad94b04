"""Suppliers and the restocks the merchant expects from them (the source of restock ETAs)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


class Supplier(Base):
    __tablename__ = "supplier"
    __table_args__ = (UniqueConstraint("pool_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    # Days from placing an order with this supplier to the goods on the shelf.
    lead_time_days: Mapped[int] = mapped_column(Integer, default=14)
    # How many days deliveries run early or late (standard deviation): widens safety stock.
    lead_time_spread_days: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Restock(Base):
    """Units of one SKU on their way: ``quantity`` expected on ``expected_on``."""

    __tablename__ = "restock"
    __table_args__ = (
        UniqueConstraint("pool_id", "reference"),
        {"sqlite_autoincrement": True},
    )

    OPEN, RECEIVED, CANCELLED = "open", "received", "cancelled"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier.id", ondelete="SET NULL"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    expected_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    # The merchant's own reference (purchase order number); unique in the pool when given, so
    # importing the same CSV twice creates nothing new.
    reference: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the merchant was told this restock is late (once per restock).
    overdue_alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    sku = relationship("Sku")
    supplier = relationship("Supplier")
