"""The forecast maths over a (SKUs × days) matrix of daily net sales, all SKUs at once.

Nothing here touches the database: ``demand`` turns history into velocity and spread, and
``plan`` turns those and the stock into cover, safety stock, reorder point and order quantity.
Every step is a NumPy operation over whole arrays; no Python loop runs per SKU or per day.

How velocity is made (per SKU):
- only the SKU's own days count (from its first day in the pool): before it, nothing is known;
- days far above the SKU's usual sales (over 3 × its 90th percentile) are capped, so one
  campaign day does not set the pace for weeks (alerts watch spikes as they happen);
- weekday factors (Saturday sells 2 × the average...) when the SKU has 4 weeks of history,
  shrunk towards 1 when few units back them;
- a weighted least-squares line through the deseasonalised days, weights halving every
  ``HALFLIFE`` days: its value over the next week is the velocity, its slope (damped) the trend;
- spread = standard deviation of the days around that fit (Poisson floor for new products);
- a new product (under ``NEW_DAYS`` of history) gets the plain mean of its days.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from statistics import NormalDist

import numpy as np

FIT_DAYS = 91  # the recent window velocity, weekday factors and spread stand on
HALFLIFE = 14.0  # days for a day's weight to halve in the fit
NEW_DAYS = 14  # under this much history: no trend, no weekday factors, mean of the days
WEEKDAY_DAYS = 28  # weekday factors need 4 of each weekday
WEEKDAY_PRIOR = 5.0  # units of "no pattern" each weekday's factor is shrunk with
TREND_DAMP = 0.5  # share of the fitted slope trusted for the days ahead
SPIKE_CAP = 3.0  # days above this × the 90th percentile (at least 1 unit) are capped
HORIZON_AHEAD = 7  # velocity = mean expected demand over the next week
CHUNK_SKUS = 512  # SKUs computed together (fastest measured: 512–1,024)


@dataclass
class Demand:
    """Per-SKU arrays (length S, or S × 7 for ``weekday``): the demand model of each SKU."""

    velocity: np.ndarray  # expected units a day over the next week
    spread: np.ndarray  # standard deviation of daily demand
    level: np.ndarray  # deseasonalised demand on the last day of history
    slope: np.ndarray  # damped trend, units a day per day
    weekday: np.ndarray  # multiplicative factors, Monday first, mean 1
    history_days: np.ndarray  # days of history the SKU has in the window
    units_30d: np.ndarray  # net units sold over the last 30 days
    units_window: np.ndarray  # net units sold over the whole window
    new: np.ndarray  # bool: fewer than NEW_DAYS of history


def z_score(service_level: float) -> float:
    """The standard normal quantile of a service level (0.95 → 1.645)."""
    if not 0.5 <= service_level < 1:
        raise ValueError("service level must be at least 0.5 and below 1 (e.g. 0.95)")
    return NormalDist().inv_cdf(service_level)


def demand(sales: np.ndarray, start: np.ndarray, first_weekday: int) -> Demand:
    """The demand model of each row of ``sales`` (S × D, day D−1 = yesterday).

    ``start[i]``: the first day index SKU i existed (D: no history at all); ``first_weekday``:
    weekday of day 0 (Monday = 0).
    """
    sales = np.asarray(sales, dtype=np.float64)
    start = np.asarray(start)
    if len(sales) <= CHUNK_SKUS:
        return _demand(sales, start, first_weekday)
    # Rows are independent: blocks of SKUs keep each step's temporaries in the CPU's cache
    # (whole-pool temporaries of 100,000 × 91 days make every step a trip to memory).
    parts = [
        _demand(sales[i : i + CHUNK_SKUS], start[i : i + CHUNK_SKUS], first_weekday)
        for i in range(0, len(sales), CHUNK_SKUS)
    ]
    return Demand(
        **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Demand)}
    )


def _demand(sales: np.ndarray, start: np.ndarray, first_weekday: int) -> Demand:
    n_skus, n_days = sales.shape
    start = np.clip(np.asarray(start, dtype=np.int64), 0, n_days)
    days = np.arange(n_days)
    valid = days[None, :] >= start[:, None]
    history = (n_days - start).astype(np.int64)
    net = np.where(valid, sales, 0.0)
    units_window = net.sum(axis=1)
    units_30d = net[:, -30:].sum(axis=1)

    # The recent window, NaN where the SKU did not exist yet.
    fit = min(FIT_DAYS, n_days)
    recent = np.where(valid[:, -fit:], sales[:, -fit:], np.nan)
    seen = ~np.isnan(recent)
    count = seen.sum(axis=1)
    some = count > 0
    # 90th percentile of each row's own days (NaN sorts last; nanpercentile is 30× slower).
    ordered = np.sort(recent, axis=1)
    at = np.maximum(np.floor(0.9 * (count - 1)).astype(np.int64), 0)
    p90 = np.where(some, np.take_along_axis(ordered, at[:, None], axis=1)[:, 0], 0.0)
    cap = SPIKE_CAP * np.maximum(p90, 1.0)
    capped = np.minimum(recent, cap[:, None])
    filled = np.where(seen, capped, 0.0)
    mean = np.divide(filled.sum(axis=1), count, out=np.zeros(n_skus), where=some)

    # Weekday factors: each weekday's units against what the mean would give, shrunk.
    weekday_of = (first_weekday + days[-fit:]) % 7
    onehot = weekday_of[:, None] == np.arange(7)[None, :]  # fit × 7
    onehot = onehot.astype(np.float64)
    per_weekday = filled @ onehot  # S × 7 units
    days_per_weekday = seen.astype(np.float64) @ onehot  # S × 7 days
    expected = days_per_weekday * mean[:, None]
    factors = (per_weekday + WEEKDAY_PRIOR) / (expected + WEEKDAY_PRIOR)
    patterned = (history >= WEEKDAY_DAYS) & (mean > 0)
    factors = np.where(patterned[:, None], factors, 1.0)
    factors = np.maximum(factors, 0.0)
    norm = factors.mean(axis=1, keepdims=True)
    factors = np.divide(factors, norm, out=np.ones_like(factors), where=norm > 0)
    by_day = factors[:, weekday_of]  # S × fit
    deseasoned = np.divide(filled, by_day, out=np.zeros_like(filled), where=by_day > 0)

    # Exponentially weighted least-squares line; x = 0 is yesterday.
    x = days[-fit:].astype(np.float64) - (n_days - 1)
    # Weights step once a week (not daily), so an imperfect weekday factor cannot tilt the
    # level towards whichever weekdays happen to be the most recent.
    week_age = np.floor(-x / 7.0) * 7.0 + 3.0
    w = np.where(seen, 0.5 ** (week_age / HALFLIFE)[None, :], 0.0)
    sw, swx, swxx = w.sum(axis=1), w @ x, w @ (x * x)
    swy, swxy = (w * deseasoned).sum(axis=1), (w * deseasoned) @ x
    den = sw * swxx - swx * swx
    trended = (history >= NEW_DAYS) & (den > 1e-9)
    slope = np.divide(sw * swxy - swx * swy, den, out=np.zeros(n_skus), where=trended)
    # The level from the raw days (whole weeks weigh alike, so the pattern averages out): a
    # shrunk weekday factor must not bias it, only the slope is read off the deseasoned days.
    raw_swy = (w * filled).sum(axis=1)
    level = np.divide(raw_swy - slope * swx, sw, out=np.zeros(n_skus), where=sw > 0)
    slope *= TREND_DAMP
    ahead = (HORIZON_AHEAD + 1) / 2.0
    velocity = np.maximum(level + slope * ahead, 0.0)

    # Spread: the days around the fitted line (with the weekday pattern back on).
    fitted = np.maximum(level[:, None] + slope[:, None] * x[None, :], 0.0) * by_day
    resid = np.where(seen, capped - fitted, 0.0)
    spread = np.sqrt(np.divide((resid**2).sum(axis=1), count, out=np.zeros(n_skus), where=some))

    # New products: the mean of their few days, and at least Poisson's spread.
    new = history < NEW_DAYS
    velocity = np.where(new, np.maximum(mean, 0.0), velocity)
    level = np.where(new, np.maximum(mean, 0.0), level)
    spread = np.where(new & some, np.maximum(spread, np.sqrt(velocity)), spread)
    return Demand(
        velocity=velocity,
        spread=spread,
        level=level,
        slope=np.where(new, 0.0, slope),
        weekday=factors,
        history_days=history,
        units_30d=units_30d,
        units_window=units_window,
        new=new,
    )


@dataclass
class Plan:
    days_of_cover: np.ndarray  # NaN: does not sell
    safety_stock: np.ndarray
    reorder_point: np.ndarray
    order_quantity: np.ndarray


def plan(
    velocity: np.ndarray,
    spread: np.ndarray,
    available: np.ndarray,
    lead_time: np.ndarray,
    lead_time_spread: np.ndarray,
    on_order: np.ndarray,
    z: float,
    review_days: float,
) -> Plan:
    """Cover, safety stock (z × √(L σd² + d² σL²)), reorder point (d L + safety) and the order
    that covers lead time + review period + safety stock beyond what is held and on order."""
    d, sd = np.asarray(velocity, float), np.asarray(spread, float)
    lead, lead_sd = np.asarray(lead_time, float), np.asarray(lead_time_spread, float)
    held = np.asarray(available, float)
    cover = np.divide(held, d, out=np.full(d.shape, np.nan), where=d > 0)
    safety = np.ceil(z * np.sqrt(lead * sd**2 + d**2 * lead_sd**2) - 1e-9)
    safety = np.where(d > 0, np.maximum(safety, 0.0), 0.0)
    reorder = np.where(d > 0, np.ceil(d * lead + safety - 1e-9), 0.0)
    need = d * (lead + review_days) + safety - held - np.asarray(on_order, float)
    order = np.where(d > 0, np.maximum(np.ceil(need - 1e-9), 0.0), 0.0)
    return Plan(cover, safety.astype(np.int64), reorder.astype(np.int64), order.astype(np.int64))


def abc(value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ABC class and rank (1 = best) by ``value``: A = the top ~80 %, B the next 15 %, C the
    rest and everything that sold nothing. Ties keep the input order."""
    value = np.maximum(np.asarray(value, float), 0.0)
    order = np.argsort(-value, kind="stable")
    rank = np.empty(len(value), dtype=np.int64)
    rank[order] = np.arange(1, len(value) + 1)
    total = value.sum()
    classes = np.full(len(value), "C", dtype="<U1")
    if total > 0:
        before = np.cumsum(value[order]) - value[order]  # share sold by better SKUs
        share = before / total
        ranked = np.where(share < 0.80, "A", np.where(share < 0.95, "B", "C"))
        ranked = np.where(value[order] > 0, ranked, "C")
        classes[order] = ranked
    return classes, rank


def expected_demand(level, slope, weekday, first_weekday: int, days: int, offset: int = 1):
    """Expected units on each of ``days`` days, the first ``offset`` days after the last day of
    history and on weekday ``first_weekday``; for the chart's forecast line."""
    x = np.arange(offset, offset + days, dtype=np.float64)
    factors = np.asarray(weekday, float)[(first_weekday + np.arange(days)) % 7]
    return np.maximum(level + slope * x, 0.0) * factors
