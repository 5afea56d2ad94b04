"""Backtest: StockGuard's forecast against a naive last-week forecast, 7 days ahead.

    .venv/bin/python bench/backtest.py [--skus 500] [--seed 6]

Generates a year of daily sales for 500 SKUs — trends up and down, weekday patterns, Poisson
noise, campaign spikes, some SKUs that never sell and some launched during the year — then, at
rolling origins (every 7 days over the last 6 months), forecasts the next 7 days' demand with
``sync.forecast.model.demand`` (velocity with the weekday pattern and trend) and with the naive
rule "next week sells what last week sold", and prints MAE (units per SKU-week) and WAPE
(Σ|error| / Σ actual) of each, overall and per kind of series. Pure NumPy, no database: the
ledger path is what tests/forecast checks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync.forecast import model  # noqa: E402

DAYS = 365
AHEAD = 7
KINDS = ("steady", "trend", "weekday", "spiky", "zero", "new")


def generate(n: int, seed: int):
    """(sales S × DAYS, start day per SKU, kind per SKU), day 0 a Monday."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(len(KINDS), size=n, p=[0.25, 0.2, 0.25, 0.15, 0.05, 0.10])
    t = np.arange(DAYS)
    base = rng.lognormal(mean=0.5, sigma=1.0, size=n)[:, None]
    rate = np.repeat(base, DAYS, axis=1)
    trend = kind == KINDS.index("trend")
    slope = rng.uniform(-0.6, 1.5, size=n)[:, None]  # relative change over the year
    rate[trend] *= np.maximum(1 + slope[trend] * t[None, :] / DAYS, 0.05)
    week = np.array([0.8, 0.8, 0.9, 1.0, 1.1, 1.6, 1.8])
    week /= week.mean()
    patterned = np.isin(kind, [KINDS.index("weekday"), KINDS.index("spiky")])
    rate[patterned] *= week[t % 7][None, :]
    rate *= 1 + 0.1 * np.sin(2 * np.pi * t / DAYS)[None, :]  # a mild season
    sales = rng.poisson(rate).astype(np.float64)
    spiky = np.flatnonzero(kind == KINDS.index("spiky"))
    for sku in spiky:  # two or three campaign days at 5–15 × the rate
        for day in rng.choice(DAYS, size=rng.integers(2, 4), replace=False):
            sales[sku, day] += rng.poisson(rate[sku, day] * rng.uniform(5, 15))
    start = np.zeros(n, dtype=np.int64)
    new = np.flatnonzero(kind == KINDS.index("new"))
    start[new] = rng.integers(200, DAYS - 10, size=len(new))
    sales[np.arange(DAYS)[None, :] < start[:, None]] = 0.0
    sales[kind == KINDS.index("zero")] = 0.0
    return sales, start, kind


def backtest(sales, start, kind):
    stockguard, naive, actual, kinds = [], [], [], []
    for origin in range(DAYS - 182, DAYS - AHEAD + 1, 7):
        past = sales[:, :origin]
        live = start < origin  # launched before the origin
        d = model.demand(past, np.minimum(start, origin), first_weekday=0)
        x = np.arange(1, AHEAD + 1, dtype=np.float64)
        weekdays = (origin + np.arange(AHEAD)) % 7
        daily = np.maximum(d.level[:, None] + d.slope[:, None] * x[None, :], 0.0)
        ahead = (daily * d.weekday[:, weekdays]).sum(axis=1)
        last_week = past[:, -7:].sum(axis=1)
        # A product launched under a week ago: the naive rule scales up the days it has.
        have = np.clip(origin - start, 1, 7)
        last_week = last_week * 7 / have
        truth = sales[:, origin : origin + AHEAD].sum(axis=1)
        stockguard.append(ahead[live])
        naive.append(last_week[live])
        actual.append(truth[live])
        kinds.append(kind[live])
    return [np.concatenate(x) for x in (stockguard, naive, actual, kinds)]


def scores(forecast, actual):
    err = np.abs(forecast - actual)
    wape = f"{err.sum() / actual.sum():.1%}" if actual.sum() > 0 else "-"
    return err.mean(), wape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    sales, start, kind = generate(args.skus, args.seed)
    ours, naive, actual, kinds = backtest(sales, start, kind)
    print(f"{args.skus} SKUs × {DAYS} days, {int(sales.sum()):,} units; 7-day-ahead demand at "
          f"{len(range(DAYS - 182, DAYS - AHEAD + 1, 7))} weekly origins")  # fmt: skip
    print(f"{'series':<10}{'n':>7}  {'MAE ours':>9}{'MAE naive':>10}  {'WAPE ours':>9}"
          f"{'WAPE naive':>11}")  # fmt: skip
    rows = [("all", np.ones(len(kinds), bool))]
    rows += [(name, kinds == i) for i, name in enumerate(KINDS)]
    for name, mask in rows:
        if not mask.any():
            continue
        mae_o, wape_o = scores(ours[mask], actual[mask])
        mae_n, wape_n = scores(naive[mask], actual[mask])
        print(f"{name:<10}{mask.sum():>7}  {mae_o:>9.2f}{mae_n:>10.2f}  {wape_o:>9}"
              f"{wape_n:>11}")  # fmt: skip


if __name__ == "__main__":
    main()
