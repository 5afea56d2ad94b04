"""Ad accounts, the campaigns / ad sets / ads StockGuard may pause, their links to SKUs, and the
audit log of every action StockGuard planned or took on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crypto import vault
from models.base import Base, UTCDateTime, utcnow

DRY_RUN_HOURS = 24


class AdAccount(Base):
    """One ad account of one platform, connected to a stock pool."""

    __tablename__ = "ad_account"
    __table_args__ = (
        UniqueConstraint("pool_id", "platform", "account_ref"),
        {"sqlite_autoincrement": True},
    )

    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"  # the platform refused the token: actions wait

    DRY_RUN, APPROVE, AUTOMATIC = "dry_run", "approve", "automatic"
    MODES = (DRY_RUN, APPROVE, AUTOMATIC)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    # The store whose panel connected it: its activity log tells the merchant what happened.
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installation.id", ondelete="SET NULL")
    )
    platform: Mapped[str] = mapped_column(String(32))
    account_ref: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(8))
    # Fernet-encrypted JSON: tokens, secrets. Never logged, never sent to the panel.
    credentials_sealed: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), default=ACTIVE)
    # What StockGuard does with its decisions once the dry run is over.
    mode: Mapped[str] = mapped_column(String(16), default=AUTOMATIC)
    # Until then every decision is only shown (dry run), whatever the mode.
    dry_run_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def credentials(self) -> dict:
        return vault.open(self.credentials_sealed) if self.credentials_sealed else {}

    @credentials.setter
    def credentials(self, value: dict | None) -> None:
        self.credentials_sealed = vault.seal(value) if value else None

    def effective_mode(self, now: dt.datetime) -> str:
        if self.mode == self.DRY_RUN or (self.dry_run_until and now < self.dry_run_until):
            return self.DRY_RUN
        return self.mode

    def __repr__(self) -> str:  # never shows credentials
        return f"<AdAccount {self.id} {self.platform} {self.account_ref} {self.status}>"


class AdObject(Base):
    """A campaign, ad set (ad group) or ad of a connected account, as last read, and
    StockGuard's hold on it."""

    __tablename__ = "ad_object"
    __table_args__ = (
        UniqueConstraint("account_id", "ref"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("ad_account.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(512), default="")
    parent_ref: Mapped[str | None] = mapped_column(String(128))
    # Neutral status as last read (active / paused / removed / other) and the platform's word.
    status: Mapped[str] = mapped_column(String(16))
    raw_status: Mapped[str | None] = mapped_column(String(64))
    daily_budget: Mapped[int | None] = mapped_column(Integer)  # minor units
    budget_ref: Mapped[str | None] = mapped_column(String(255))
    destination_urls: Mapped[list] = mapped_column(JSON, default=list)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)  # deleted on the platform
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Per-object policy: overrides the pool's ad policy key by key.
    policy: Mapped[dict] = mapped_column(JSON, default=dict)
    # StockGuard's hold. paused_by_us: we paused it and may resume it (nobody else's pause is
    # ours to lift). budget_lowered_*: we lowered its budget from → to.
    paused_by_us: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    budget_lowered_from: Mapped[int | None] = mapped_column(Integer)
    budget_lowered_to: Mapped[int | None] = mapped_column(Integer)
    budget_lowered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The same hold as the dry run imagines it (nothing was done on the platform).
    dry_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    dry_paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dry_lowered: Mapped[bool] = mapped_column(Boolean, default=False)


class AdLink(Base):
    """This ad object sells this SKU: its stock decides the object's fate."""

    __tablename__ = "ad_link"
    __table_args__ = (UniqueConstraint("ad_object_id", "sku_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    ad_object_id: Mapped[int] = mapped_column(
        ForeignKey("ad_object.id", ondelete="CASCADE"), index=True
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdAction(Base):
    """One pause, resume or budget change StockGuard decided: the audit log, and the queue of
    what is still to be done (``state`` queued / sending)."""

    __tablename__ = "ad_action"
    __table_args__ = (
        Index("ix_ad_action_open", "account_id", "state"),
        {"sqlite_autoincrement": True},
    )

    PAUSE, RESUME = "pause", "resume"
    LOWER_BUDGET, RESTORE_BUDGET = "lower_budget", "restore_budget"

    PLANNED = "planned"  # dry run: what would have been done
    AWAITING = "awaiting_approval"  # approve mode: the merchant confirms it
    QUEUED = "queued"  # to be done (automatic, or approved)
    SENDING = "sending"  # the platform call is under way (or its outcome is not recorded yet)
    DONE = "done"
    SKIPPED = "skipped"  # nothing to do, or the merchant changed the object: left alone
    FAILED = "failed"
    REJECTED = "rejected"  # the merchant said no
    SUPERSEDED = "superseded"  # stock moved back before it was done
    OPEN = (AWAITING, QUEUED, SENDING)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("ad_account.id", ondelete="CASCADE"))
    ad_object_id: Mapped[int] = mapped_column(
        ForeignKey("ad_object.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    # The stock that decided it: [{"sku", "available", "days_of_cover", "pause_at", "resume_at"}]
    stock: Mapped[list] = mapped_column(JSON, default=list)
    status_before: Mapped[str | None] = mapped_column(String(16))
    status_after: Mapped[str | None] = mapped_column(String(16))
    budget_before: Mapped[int | None] = mapped_column(Integer)
    budget_after: Mapped[int | None] = mapped_column(Integer)
    # Estimated from the object's daily budget over the time it was paused (or lowered).
    spend_avoided: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    executed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The platform asked us to wait (a long rate-limit hint): not claimed before then.
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
