"""The forecast of each SKU: how fast it sells, when it runs out, and what to reorder.

One row per SKU, replaced by every forecast run (``sync.forecast``). Alerts, the ads engine's
days of cover and the panel read it; nothing else writes it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Forecast(Base):
    __tablename__ = "forecast"

    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id", ondelete="CASCADE"), primary_key=True)
    pool_id: Mapped[int] = mapped_column(
        ForeignKey("stock_pool.id", ondelete="CASCADE"), index=True
    )
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Expected confirmed units sold per day (weighted recent average with weekday pattern), and
    # the spread (standard deviation) of daily demand around it.
    velocity: Mapped[float] = mapped_column(Float, default=0.0)
    spread: Mapped[float] = mapped_column(Float, default=0.0)
    # Days the available stock lasts at that velocity (None: it does not sell), and the day it
    # is projected to run out (None: not within the horizon).
    days_of_cover: Mapped[float | None] = mapped_column(Float)
    stockout_on: Mapped[dt.date | None] = mapped_column(Date)
    lead_time_days: Mapped[float] = mapped_column(Float, default=0.0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    order_quantity: Mapped[int] = mapped_column(Integer, default=0)
    # ABC class by revenue over the history window ("A" = the best-sellers making ~80 %).
    abc: Mapped[str] = mapped_column(String(1), default="C")
    # Position in the pool by revenue over the window: 1 = the best-seller (order lists by it).
    rank: Mapped[int] = mapped_column(Integer, default=0)
    revenue_minor: Mapped[int] = mapped_column(Integer, default=0)
    units_30d: Mapped[int] = mapped_column(Integer, default=0)
    # Share of orders that end up confirmed (not cancelled / refused) on this SKU's channels.
    confirmation_rate: Mapped[float] = mapped_column(Float, default=1.0)
    # Days of sales history the forecast stands on (a new product has few).
    history_days: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
