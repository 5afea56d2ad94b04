"""What shoppers are shown: availability per variant (the storefront's cache), visibility
policies per product, and notify-me subscriptions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Availability(Base):
    """One variant as the storefront API answers for it, kept fresh by the engine.

    ``version`` grows with every change (nanoseconds), so web processes reload only the rows
    that changed since they last looked.
    """

    __tablename__ = "availability"
    __table_args__ = (
        UniqueConstraint("installation_id", "variant_id"),
        Index("ix_availability_version", "installation_id", "version"),
        Index("ix_availability_type", "installation_id", "product_type", "state"),
    )

    IN_STOCK, LOW_STOCK, OUT_OF_STOCK, PREORDER = (
        "in_stock",
        "low_stock",
        "out_of_stock",
        "preorder",
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str] = mapped_column(String(32), index=True)
    # What alternatives are matched on (Shopify product type, WooCommerce first category).
    product_type: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    # Units the channel offers (never published unless the merchant shows "only N left").
    available: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int | None] = mapped_column(Integer)
    eta: Mapped[dt.date | None] = mapped_column(Date)
    eta_soon: Mapped[bool] = mapped_column(Boolean, default=False)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    alternatives: Mapped[list] = mapped_column(JSON, default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StorefrontMark(Base):
    """A listing whose availability must be computed again.

    Marks are rows of their own, never a flag on the listing: marking is an insert (it never
    waits on, nor makes wait, the push jobs that lock listing rows), and a refresh deletes
    exactly the marks it read, so a mark made while it computes is never lost. ``listing_id``
    is deliberately not a foreign key: checking one would lock the listing rows (KEY SHARE)
    until the marking transaction ends, and pushes skip locked listings. A mark whose listing
    is gone is simply dropped by the refresh.
    """

    __tablename__ = "storefront_mark"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    listing_id: Mapped[int] = mapped_column(Integer)


class ProductPolicy(Base):
    """How a sold-out product is shown, and what StockGuard changed on the channel for it."""

    __tablename__ = "product_policy"
    __table_args__ = (UniqueConstraint("installation_id", "product_ref"),)

    BADGE, HIDE, PREORDER = "badge", "hide", "preorder"
    MODES = (BADGE, HIDE, PREORDER)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    product_ref: Mapped[str] = mapped_column(String(255))
    # None: follow the store's default (settings.storefront.visibility, itself "badge").
    mode: Mapped[str | None] = mapped_column(String(16))
    grace_minutes: Mapped[int | None] = mapped_column(Integer)
    sold_out_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set only when StockGuard itself hid the product / turned pre-order on; with what undoes it.
    hidden_by_us: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    hide_restore: Mapped[dict] = mapped_column(JSON, default=dict)
    preorder_by_us: Mapped[bool] = mapped_column(Boolean, default=False)
    preorder_restore: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotifySubscription(Base):
    """A shopper who asked to be told when a variant is back."""

    __tablename__ = "notify_subscription"
    __table_args__ = (
        Index("ix_notify_waiting", "installation_id", "listing_id", "status", "id"),
        # One waiting sign-up per shopper and variant, even for two identical requests at once.
        Index(
            "uq_notify_waiting_contact",
            "installation_id",
            "listing_id",
            "contact",
            unique=True,
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
        {"sqlite_autoincrement": True},
    )

    WAITING, SENT, UNSUBSCRIBED, FAILED = "waiting", "sent", "unsubscribed", "failed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    variant_id: Mapped[str] = mapped_column(String(32))
    # A lower-cased e-mail address or an E.164 phone number.
    contact: Mapped[str] = mapped_column(String(320), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # "email" | "sms"
    locale: Mapped[str] = mapped_column(String(8), default="en")
    consent: Mapped[bool] = mapped_column(Boolean)
    consent_text: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(512))
