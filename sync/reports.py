"""The merchant's reports: stock value at cost, cash tied up, turnover, days of inventory, slow
movers and best-sellers — one pool, a period of 7/30/90/365 days, SQL aggregates only.

Where the figures come from:
- units sold: the ledger. ``sale`` movements minus the ``restock`` movements of cancelled or
  refunded orders, plus the ``bundle`` movements that orders caused on components (a bundle's
  sale moves its components, not the bundle). Adjustments, reconciles and receipts are not sales.
- money: minor units of the pool's currency (``pool.settings["currency"]``). Revenue = units sold
  × the SKU's selling price now (the ledger keeps no line prices); costs are the merchant's
  ``unit_cost_minor``. A SKU without a cost is counted in units and listed as such, never as 0.
- average stock over the period: (stock at the start + stock now) ÷ 2, the start being today's
  on hand minus every movement since (the accountants' average inventory).

Every query is a GROUP BY over the pool's rows: a few queries whatever the number of SKUs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, and_, case, cast, func, or_, select

from models import Forecast, Movement, Sku, StockPool, utcnow
from money import exponent

PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
DEFAULT_COVER_DAYS = 180  # stock lasting longer than this at the period's pace is slow
LIST_LIMIT = 100


class ReportError(ValueError):
    """A report asked for with parameters it has no answer for (400)."""


def period_days(raw) -> int:
    """The period parameter: one of PERIODS (default 30)."""
    if raw in (None, ""):
        return DEFAULT_PERIOD
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = None
    if days not in PERIODS:
        raise ReportError(f"period must be one of {', '.join(map(str, PERIODS))} (days)")
    return days


def cover_days(raw) -> int:
    if raw in (None, ""):
        return DEFAULT_COVER_DAYS
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 3650:
        raise ReportError("cover_days must be a whole number of days from 1 to 3650")
    return days


def is_sale():
    """Movements that are sales (negative) or their cancellation / refund (positive)."""
    return or_(
        Movement.kind.in_([Movement.SALE, Movement.RESTOCK]),
        and_(Movement.kind == Movement.BUNDLE, Movement.order_ref.is_not(None)),
    )


def _per_sku(pool_id: int, since: dt.datetime, *, held: bool = True):
    """One row per SKU of the pool with what the reports need: its stock, cost and price, the
    net units sold since ``since`` and every unit that moved since (subquery).

    Built from the SKU outward (SKU ⟕ its movements, by the ``movement.sku_id`` index), so the
    plan stays linear even before PostgreSQL has statistics on a freshly loaded table (joining
    a pre-aggregated ledger to ``sku`` there gave a nested loop re-aggregating per SKU)."""
    moves = and_(Movement.sku_id == Sku.id, Movement.created_at >= since)
    sale_delta = case((is_sale(), Movement.on_hand_delta), else_=0)
    query = (
        select(
            Sku.id,
            Sku.sku,
            Sku.name,
            Sku.on_hand,
            Sku.unit_cost_minor.label("cost"),
            Sku.price_minor.label("price"),
            (-func.coalesce(func.sum(sale_delta), 0)).label("units"),
            func.coalesce(func.sum(Movement.on_hand_delta), 0).label("delta"),
        )
        .select_from(Sku)
        .outerjoin(Movement, moves)
        .where(Sku.pool_id == pool_id)
        .group_by(Sku.id)
    )
    if held:
        query = query.where(Sku.is_bundle.is_(False))
    return query.subquery()


def _big(column):
    return cast(column, BigInteger)


def _positive(expr):
    return case((expr > 0, expr), else_=0)


def _held(pool_id: int):
    return and_(Sku.pool_id == pool_id, Sku.is_bundle.is_(False))


def _int(value) -> int:
    return int(value or 0)


def money_context(session, pool_id: int) -> dict:
    pool = session.get(StockPool, pool_id)
    currency = pool.setting("currency", None) if pool else None
    return {"currency": currency, "exponent": exponent(currency)}


# --------------------------------------------------------------------------- stock value


def stock_value(session, pool_id: int) -> dict:
    """Σ on hand × unit cost; the SKUs holding stock without a cost, counted apart."""
    has_cost = Sku.unit_cost_minor.is_not(None)
    row = session.execute(
        select(
            func.sum(case((has_cost, _big(Sku.on_hand) * Sku.unit_cost_minor), else_=0)),
            func.sum(case((has_cost, Sku.on_hand), else_=0)),
            func.count(case((has_cost, Sku.id))),
            func.sum(case((has_cost, 0), else_=Sku.on_hand)),
            func.count(case((has_cost, None), else_=Sku.id)),
        ).where(_held(pool_id), Sku.on_hand > 0)
    ).one()
    missing = session.execute(
        select(Sku.id, Sku.sku, Sku.name, Sku.on_hand)
        .where(_held(pool_id), Sku.on_hand > 0, Sku.unit_cost_minor.is_(None))
        .order_by(Sku.on_hand.desc(), Sku.id)
        .limit(LIST_LIMIT)
    ).all()
    return {
        "value_minor": _int(row[0]),
        "units": _int(row[1]),
        "skus": _int(row[2]),
        "units_without_cost": _int(row[3]),
        "skus_without_cost": _int(row[4]),
        "without_cost": [
            {"sku_id": r.id, "sku": r.sku, "name": r.name, "on_hand": r.on_hand} for r in missing
        ],
    }


# --------------------------------------------------------------------------- turnover


def turnover(session, pool_id: int, days: int, now: dt.datetime | None = None) -> dict:
    """COGS over the period ÷ average stock value at cost (in units when no SKU has a cost),
    and the days of inventory it implies (period ÷ turnover = average stock ÷ daily COGS)."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    p = _per_sku(pool_id, since)
    opening = p.c.on_hand - p.c.delta
    stock_sum = _positive(opening) + _positive(p.c.on_hand)  # twice the average
    has_cost = p.c.cost.is_not(None)
    row = session.execute(
        select(
            func.sum(case((has_cost, _big(p.c.units) * p.c.cost), else_=0)),
            func.sum(case((has_cost, _big(stock_sum) * p.c.cost), else_=0)),
            func.sum(p.c.units),
            func.sum(stock_sum),
            func.count(case((has_cost, p.c.id))),
        )
    ).one()
    cogs, twice_value, units_sold, twice_units, costed = (_int(v) for v in row)
    if costed and twice_value:
        basis, rate = "cost", cogs / (twice_value / 2)
    else:
        basis, rate = "units", (units_sold / (twice_units / 2)) if twice_units else 0.0
    return {
        "period_days": days,
        "basis": basis,
        "cogs_minor": cogs,
        "average_stock_value_minor": round(twice_value / 2),
        "units_sold": units_sold,
        "average_units": twice_units / 2,
        "turnover": round(rate, 4),
        "turnover_annual": round(rate * 365 / days, 4),
        "days_of_inventory": round(days / rate, 1) if rate > 0 else None,
    }


# --------------------------------------------------------------------------- slow movers


def _slow(p, days: int, cover: int):
    """On hand, and at the period's pace it lasts longer than ``cover`` days (or never sells)."""
    return and_(p.c.on_hand > 0, or_(p.c.units <= 0, p.c.on_hand * days > p.c.units * cover))


def slow_movers(
    session, pool_id: int, days: int, cover: int, now: dt.datetime | None = None
) -> dict:
    """Stock that sells too slowly, biggest cash at cost first (then most units)."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    p = _per_sku(pool_id, since)
    cash = _big(p.c.on_hand) * p.c.cost
    total = session.execute(
        select(func.count(), func.sum(cash), func.sum(p.c.on_hand)).where(_slow(p, days, cover))
    ).one()
    rows = session.execute(
        select(p.c.id, p.c.sku, p.c.name, p.c.on_hand, p.c.cost, p.c.units, cash.label("cash"))
        .where(_slow(p, days, cover))
        .order_by(p.c.cost.is_(None), cash.desc(), p.c.on_hand.desc(), p.c.id)
        .limit(LIST_LIMIT)
    ).all()
    return {
        "period_days": days,
        "cover_days": cover,
        "count": _int(total[0]),
        "cash_minor": _int(total[1]),
        "units": _int(total[2]),
        "items": [
            {
                "sku_id": r.id,
                "sku": r.sku,
                "name": r.name,
                "on_hand": r.on_hand,
                "sold": _int(r.units),
                "unit_cost_minor": r.cost,
                "cash_minor": None if r.cost is None else _int(r.cash),
                "days_of_cover": round(r.on_hand * days / r.units, 1) if r.units > 0 else None,
            }
            for r in rows
        ],
    }


# --------------------------------------------------------------------------- cash tied up


def cash_tied_up(
    session, pool_id: int, days: int, cover: int, now: dt.datetime | None = None
) -> dict:
    """Stock at cost split by ABC class (from the forecast; "-" when not ranked yet) and the
    share sitting in slow movers."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    has_cost = Sku.unit_cost_minor.is_not(None)
    cash = case((has_cost, _big(Sku.on_hand) * Sku.unit_cost_minor), else_=0)
    klass = func.coalesce(Forecast.abc, "-")
    rows = session.execute(
        select(
            klass,
            func.sum(cash),
            func.sum(Sku.on_hand),
            func.count(),
            func.sum(case((has_cost, 0), else_=Sku.on_hand)),
        )
        .select_from(Sku)
        .outerjoin(Forecast, Forecast.sku_id == Sku.id)
        .where(_held(pool_id), Sku.on_hand > 0)
        .group_by(klass)
        .order_by(klass)
    ).all()
    p = _per_sku(pool_id, since)
    slow = session.execute(
        select(func.sum(_big(p.c.on_hand) * p.c.cost), func.sum(p.c.on_hand)).where(
            _slow(p, days, cover)
        )
    ).one()
    classes = [
        {
            "abc": r[0],
            "cash_minor": _int(r[1]),
            "units": _int(r[2]),
            "skus": _int(r[3]),
            "units_without_cost": _int(r[4]),
        }
        for r in rows
    ]
    total = sum(c["cash_minor"] for c in classes)
    return {
        "cash_minor": total,
        "by_class": classes,
        "slow_cash_minor": _int(slow[0]),
        "slow_units": _int(slow[1]),
    }


# --------------------------------------------------------------------------- best-sellers


def best_sellers(session, pool_id: int, days: int, now: dt.datetime | None = None) -> dict:
    """SKUs by revenue over the period (units sold × price); unpriced ones after, by units."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    p = _per_sku(pool_id, since, held=False)
    revenue = _big(p.c.units) * p.c.price
    rows = session.execute(
        select(
            p.c.id, p.c.sku, p.c.name, p.c.price, p.c.units, revenue.label("revenue"), p.c.on_hand
        )  # fmt: skip
        .where(p.c.units > 0)
        .order_by(p.c.price.is_(None), revenue.desc(), p.c.units.desc(), p.c.id)
        .limit(LIST_LIMIT)
    ).all()
    total = session.execute(
        select(func.sum(revenue), func.sum(p.c.units)).where(p.c.units > 0)
    ).one()
    return {
        "period_days": days,
        "revenue_minor": _int(total[0]),
        "units": _int(total[1]),
        "items": [
            {
                "sku_id": r.id,
                "sku": r.sku,
                "name": r.name,
                "price_minor": r.price,
                "units": _int(r.units),
                "revenue_minor": None if r.price is None else _int(r.revenue),
                "on_hand": r.on_hand,
            }
            for r in rows
        ],
    }


def all_reports(session, pool_id: int, days: int, cover: int, now=None) -> dict:
    """Every report of the panel's Reports view in one answer."""
    now = now or utcnow()
    return {
        **money_context(session, pool_id),
        "period_days": days,
        "stock_value": stock_value(session, pool_id),
        "cash_tied_up": cash_tied_up(session, pool_id, days, cover, now),
        "turnover": turnover(session, pool_id, days, now),
        "slow_movers": slow_movers(session, pool_id, days, cover, now),
        "best_sellers": best_sellers(session, pool_id, days, now),
    }
