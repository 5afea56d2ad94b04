"""An installation: StockGuard connected to one store on one platform."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crypto import vault
from models.base import Base, UTCDateTime, utcnow

ID_CACHE_SECONDS = 30.0
_ID_CACHE: dict[tuple[str, str], tuple[float, int]] = {}
_ID_CACHE_LOCK = threading.Lock()


def forget_cached_ids() -> None:
    with _ID_CACHE_LOCK:
        _ID_CACHE.clear()


class Installation(Base):
    __tablename__ = "installation"
    # Ids are never reused (SQLite would reuse the highest after a delete): webhook URLs and
    # caches name installations by id.
    __table_args__ = (UniqueConstraint("platform", "shop_domain"), {"sqlite_autoincrement": True})

    ACTIVE = "active"
    INSTALLING = "installing"
    UNINSTALLED = "uninstalled"
    # The platform refused the stored credential (key deleted, token revoked): its webhooks
    # may still arrive and are applied, but nothing is written to or read from the store until
    # the merchant reconnects it (sync/connection.py).
    NEEDS_RECONNECT = "needs_reconnect"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    # Shopify: "{name}.myshopify.com"; WooCommerce: the store URL without trailing slash.
    shop_domain: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    # The stock pool this store shares its stock with (created with its first install).
    pool_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=INSTALLING)
    scopes: Mapped[str | None] = mapped_column(String(1024))
    # Fernet-encrypted JSON: tokens, consumer keys, webhook secrets. Never logged.
    credentials_sealed: Mapped[str | None] = mapped_column(Text)
    # Platform facts that are not secret: registered webhook ids, API key id, currency, ...
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    installed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uninstalled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # An invitation into another stock pool, waiting for this store's admin to accept it in
    # this store's panel: an install link never moves a store between pools by itself.
    invited_pool_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="SET NULL")
    )
    invited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Panel tokens signed before this moment open nothing: set when the store is uninstalled or
    # disconnected, so a token from before does not come back to life on a re-install.
    panel_tokens_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
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
    def is_installed(self) -> bool:
        """Installed, whether or not the platform still accepts its credential."""
        return self.status in (self.ACTIVE, self.NEEDS_RECONNECT)

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
    def cached_id(cls, engine, platform: str, shop_domain: str) -> int | None:
        """The installation id for a store, cached briefly per process for the webhook hot path.

        Only hits are cached (a store may install at any moment). A cached id whose row was
        erased meanwhile makes the inbox insert fail its foreign key; the caller then calls
        ``forget_cached_ids`` and looks again.
        """
        key = (platform, shop_domain)
        now = time.monotonic()
        hit = _ID_CACHE.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        with engine.connect() as conn:
            found = conn.execute(
                select(cls.id).where(cls.platform == platform, cls.shop_domain == shop_domain)
            ).scalar()
        if found is not None:
            with _ID_CACHE_LOCK:
                _ID_CACHE[key] = (now + ID_CACHE_SECONDS, found)
        return found

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
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when the install was started from an existing pool's panel ("connect another store").
    pool_id: Mapped[int | None] = mapped_column(Integer)

    @classmethod
    def issue(
        cls,
        session: Session,
        platform: str,
        shop_domain: str,
        pool_id: int | None = None,
        ttl_seconds: int = 600,
    ) -> str:
        """Create a nonce for one install round trip; the caller commits.

        Anyone may start an install, so states past their time are deleted here: the table
        holds at most what was started within ``ttl_seconds`` (and the callers rate-limit that).
        """
        session.execute(
            delete(cls).where(cls.created_at < utcnow() - dt.timedelta(seconds=ttl_seconds))
        )
        nonce = secrets.token_urlsafe(32)
        session.add(cls(nonce=nonce, platform=platform, shop_domain=shop_domain, pool_id=pool_id))
        return nonce

    @classmethod
    def consume(
        cls, session: Session, nonce: str, platform: str, shop_domain: str, ttl_seconds: int
    ) -> InstallState | None:
        """Mark ``nonce`` used if it is ours, unused and fresh; the row, else None.

        Atomic: under a race exactly one caller gets the row."""
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
        return session.get(cls, nonce) if result.rowcount == 1 else None


class SpentToken(Base):
    """A single-use token (a launch link, a signed request from a store) that was used.

    Rows live until the token would have expired anyway, then any ``spend`` deletes them."""

    __tablename__ = "spent_token"

    token_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    @classmethod
    def spend(cls, session: Session, token_id: str, expires_at: dt.datetime) -> bool:
        """Record ``token_id`` as used; False if it was already (atomic under a race)."""
        session.execute(delete(cls).where(cls.expires_at < utcnow()))
        try:
            with session.begin_nested():
                session.execute(insert(cls).values(token_id=token_id, expires_at=expires_at))
        except IntegrityError:
            return False
        return True
