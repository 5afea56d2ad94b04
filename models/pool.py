"""A stock pool: the stores of one merchant that share one stock truth per SKU."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class StockPool(Base):
    # Locking the row (a forecast refresh, an ads evaluation, alert mode, a settings write) is
    # always FOR NO KEY UPDATE (``with_for_update(key_share=True)``): every movement and
    # forecast row references the pool, so their inserts take FOR KEY SHARE on it, and a FOR
    # UPDATE held while waiting for an order's SKU locks deadlocks with that order.
    __tablename__ = "stock_pool"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # Defaults for the pool's SKUs: {"safety_buffer": 0, "settle_seconds": 2.0}
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def setting(self, name: str, default):
        return (self.settings or {}).get(name, default)
