"""The webhook inbox: every signed delivery, durably recorded before it is acknowledged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # Shopify: X-Shopify-Event-Id. WooCommerce: installation + topic + resource + modified
        # time, since its delivery id changes on every send.
        UniqueConstraint("platform", "dedupe_key"),
        Index("ix_webhook_delivery_pending", "status", "received_at"),
    )

    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"  # gave up after retries; visible to the merchant and re-sweepable
    SKIPPED = "skipped"  # installation gone or topic needs no work
    REJECTED = "rejected"  # a payload we can't use: retrying can't help, so never swept again

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str] = mapped_column(String(128))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    installation = relationship("Installation", back_populates="deliveries")

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.platform} {self.topic} {self.status}>"
