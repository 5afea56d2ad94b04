"""An installation: StockGuard connected to one store on one platform."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crypto import vault
from models.base import Base, UTCDateTime, utcnow


class Installation(Base):
    __tablename__ = "installation"
    __table_args__ = (UniqueConstraint("platform", "shop_domain"),)

    ACTIVE = "active"
    INSTALLING = "installing"
    UNINSTALLED = "uninstalled"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    # Shopify: "{name}.myshopify.com"; WooCommerce: the store URL without trailing slash.
    shop_domain: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=INSTALLING)
    scopes: Mapped[str | None] = mapped_column(String(1024))
    # Fernet-encrypted JSON: tokens, consumer keys, webhook secrets. Never logged.
    credentials_sealed: Mapped[str | None] = mapped_column(Text)
    # Platform facts that are not secret: registered webhook ids, API key id, currency, ...
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    installed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uninstalled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    deliveries = relationship(
        "WebhookDelivery",
        back_populates="installation",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    activity = relationship(
        "ActivityEntry",
        back_populates="installation",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_active(self) -> bool:
        return self.status == self.ACTIVE

    @property
    def credentials(self) -> dict:
        """Decrypted credentials; an empty dict once the token was dropped."""
        return vault.open(self.credentials_sealed) if self.credentials_sealed else {}

    @credentials.setter
    def credentials(self, value: dict | None) -> None:
        self.credentials_sealed = vault.seal(value) if value else None

    def __repr__(self) -> str:  # never shows credentials
        return f"<Installation {self.id} {self.platform} {self.shop_domain} {self.status}>"

    @classmethod
    def find(cls, session: Session, platform: str, shop_domain: str) -> Installation | None:
        return session.scalar(
            select(cls).where(cls.platform == platform, cls.shop_domain == shop_domain)
        )


class InstallState(Base):
    """A single-use nonce for an OAuth / app-auth round trip, bound to the browser that began it."""

    __tablename__ = "install_state"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    shop_domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def issue(cls, session: Session, platform: str, shop_domain: str) -> str:
        """Create a nonce for one install round trip; the caller commits."""
        nonce = secrets.token_urlsafe(32)
        session.add(cls(nonce=nonce, platform=platform, shop_domain=shop_domain))
        return nonce

    @classmethod
    def consume(
        cls, session: Session, nonce: str, platform: str, shop_domain: str, ttl_seconds: int
    ) -> bool:
        """Mark ``nonce`` used if it is ours, unused and fresh. Atomic: one winner under races."""
        oldest = utcnow() - dt.timedelta(seconds=ttl_seconds)
        result = session.execute(
            update(cls)
            .where(
                cls.nonce == nonce,
                cls.platform == platform,
                cls.shop_domain == shop_domain,
                cls.used_at.is_(None),
                cls.created_at >= oldest,
            )
            .values(used_at=utcnow())
        )
        return result.rowcount == 1
