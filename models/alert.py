"""Stock alerts: each pool's alert settings, the alerts opened per SKU and condition, and each
alert's delivery per channel.

Settings live in their own row (not in ``StockPool.settings``): they are typed and validated as a
whole, the webhook address is a secret (sealed like store credentials), and the daily digest is
claimed with one conditional UPDATE of that row so two sweeps never send it twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow

BELOW_THRESHOLD = "below_threshold"
STOCKOUT_BEFORE_RESTOCK = "stockout_before_restock"
RESTOCK_OVERDUE = "restock_overdue"
SALES_SPIKE = "sales_spike"
CONDITIONS = (BELOW_THRESHOLD, STOCKOUT_BEFORE_RESTOCK, RESTOCK_OVERDUE, SALES_SPIKE)
# About a store, not a SKU: the platform refused its credential (sync/connection.py opens and
# clears it; the sweep leaves it alone).
STORE_DISCONNECTED = "store_disconnected"

EMAIL, WEBHOOK = "email", "webhook"
CHANNELS = (EMAIL, WEBHOOK)


class AlertSettings(Base):
    """How a pool is alerted. No row = the defaults (every condition on, no channel)."""

    __tablename__ = "alert_settings"

    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), primary_key=True
    )
    email_recipients: Mapped[list] = mapped_column(JSON, default=list)
    # The Slack-format incoming webhook URL, sealed (it is the only credential Slack asks for).
    webhook_sealed: Mapped[str | None] = mapped_column(Text)
    # {condition: on/off}; a condition missing from the dict is on.
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    threshold_units: Mapped[int] = mapped_column(Integer, default=5)
    spike_factor: Mapped[float] = mapped_column(Float, default=3.0)
    spike_window_hours: Mapped[int] = mapped_column(Integer, default=3)
    # Send each alert as it opens; the digest (if any) comes on top.
    instant: Mapped[bool] = mapped_column(Boolean, default=True)
    # "HH:MM" UTC for a daily digest of the open alerts; None = no digest.
    digest_at: Mapped[str | None] = mapped_column(String(5))
    last_digest_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def webhook_url(self) -> str | None:
        from crypto import vault

        return vault.open(self.webhook_sealed)["url"] if self.webhook_sealed else None

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        from crypto import vault

        self.webhook_sealed = vault.seal({"url": url}) if url else None


class Alert(Base):
    """One condition true for one SKU (or, for store conditions, one store), from
    ``opened_at`` until ``cleared_at``."""

    __tablename__ = "alert"
    __table_args__ = (
        # One open alert per SKU and condition, even with two sweeps racing (both dialects
        # support partial indexes; INSERT ... ON CONFLICT DO NOTHING targets this one).
        Index(
            "uq_alert_open",
            "pool_id",
            "sku_id",
            "condition",
            unique=True,
            postgresql_where=text("cleared_at IS NULL"),
            sqlite_where=text("cleared_at IS NULL"),
        ),
        Index(
            "uq_alert_store_open",
            "installation_id",
            "condition",
            unique=True,
            postgresql_where=text("cleared_at IS NULL AND installation_id IS NOT NULL"),
            sqlite_where=text("cleared_at IS NULL AND installation_id IS NOT NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    # None for an alert about a store (then ``installation_id`` names it).
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("sku.id", ondelete="CASCADE"), index=True)
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    condition: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The figures that made it true when it opened (units left, dates, the spike's ratio).
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    sku = relationship("Sku")
    deliveries = relationship(
        "AlertDelivery",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AlertDelivery.channel",
    )


class AlertDelivery(Base):
    """An alert told on one channel: failed ones are retried by the next sweep, sent ones never
    sent again."""

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("alert_id", "channel"), {"sqlite_autoincrement": True})

    PENDING, SENT, FAILED = "pending", "sent", "failed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
