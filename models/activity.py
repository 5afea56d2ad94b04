"""The activity log: what StockGuard did or saw for a store, in words a merchant reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.installation import Installation


class ActivityEntry(Base):
    """What StockGuard did or saw for a store, in words a merchant reads."""

    __tablename__ = "activity_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    installation = relationship("Installation", back_populates="activity")


def record_activity(
    session: Session, installation: Installation | None, kind: str, message: str, **details
) -> ActivityEntry:
    entry = ActivityEntry(
        installation_id=installation.id if installation else None,
        kind=kind,
        message=message,
        details=details,
    )
    session.add(entry)
    return entry
