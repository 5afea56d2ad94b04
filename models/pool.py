"""A stock pool: the stores of one merchant that share one stock truth per SKU."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class StockPool(Base):
    __tablename__ = "stock_pool"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # Defaults for the pool's SKUs: {"safety_buffer": 0, "settle_seconds": 2.0}
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def setting(self, name: str, default):
        return (self.settings or {}).get(name, default)
