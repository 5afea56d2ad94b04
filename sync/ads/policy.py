"""The ad policy: when an ad object is paused, its budget lowered, and given back.

Thresholds are per pool (``StockPool.settings["ads"]``) with a per-object override. Every
decision here is a pure function of the stock figures, the object's hold and the clock, so the
same rules run live, in approve mode and in the dry run.

Flapping is prevented twice: hysteresis (pause at ``pause_at`` units or fewer, resume only at
``resume_at`` or more, ``resume_at > pause_at``) and a minimum pause (an object StockGuard paused
stays paused ``min_pause_minutes``, 60 by default) — so however the stock oscillates, an object
sees at most one pause/resume pair an hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

ALL, ANY = "all", "any"


class PolicyError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class AdPolicy:
    pause_at: int = 2  # pause when available ≤ this many units
    resume_at: int = 5  # resume when available ≥ this many units (hysteresis)
    cover_days: float | None = None  # also pause when days of cover fall below this
    low_at: int | None = None  # lower the daily budget at this many units or fewer
    low_budget_pct: int | None = None  # ... by this percentage
    combine: str = ALL  # several SKUs: pause when all of them (or any) are critical
    min_pause_minutes: int = 60

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULTS = AdPolicy()
KEYS = tuple(DEFAULTS.as_dict())


def _int(data: dict, key: str, low: int, high: int, optional: bool = False) -> int | None:
    value = data[key]
    if value is None or value == "":
        if optional:
            return None
        raise PolicyError(key, f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PolicyError(key, f"{key} must be a whole number")
    try:
        number = int(value)
    except ValueError:
        raise PolicyError(key, f"{key} must be a whole number") from None
    if not low <= number <= high:
        raise PolicyError(key, f"{key} must be between {low} and {high}")
    return number


def validated(data: dict, *, partial: bool) -> dict:
    """A policy (or, ``partial``, an override of some keys) checked in full; PolicyError names
    the first bad field. Unknown keys are refused, not ignored."""
    if not isinstance(data, dict):
        raise PolicyError("policy", "the policy must be an object")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise PolicyError(unknown[0], f"unknown policy setting: {unknown[0]}")
    out: dict = {}
    for key in data:
        if key == "combine":
            if data[key] not in (ALL, ANY):
                raise PolicyError(key, "combine must be 'all' or 'any'")
            out[key] = data[key]
        elif key == "cover_days":
            value = data[key]
            if value is None or value == "":
                out[key] = None
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise PolicyError(key, "cover_days must be a number of days") from None
            if isinstance(value, bool) or not 0 < number <= 365:
                raise PolicyError(key, "cover_days must be between 0 and 365")
            out[key] = number
        elif key in ("low_at", "low_budget_pct"):
            high = 90 if key == "low_budget_pct" else 1_000_000
            out[key] = _int(data, key, 1 if key == "low_budget_pct" else 0, high, optional=True)
        elif key == "min_pause_minutes":
            out[key] = _int(data, key, 0, 7 * 24 * 60)
        else:
            out[key] = _int(data, key, 0, 1_000_000)
    if not partial:
        check(AdPolicy(**{**DEFAULTS.as_dict(), **out}))
    return out


def check(policy: AdPolicy) -> AdPolicy:
    if policy.resume_at <= policy.pause_at:
        raise PolicyError("resume_at", "resume_at must be above pause_at (or ads would flap)")
    if (policy.low_at is None) != (policy.low_budget_pct is None):
        raise PolicyError("low_at", "low_at and low_budget_pct go together")
    if policy.low_at is not None and policy.low_at <= policy.pause_at:
        raise PolicyError("low_at", "low_at must be above pause_at (it is the earlier step)")
    return policy


def effective(pool_settings: dict | None, override: dict | None) -> AdPolicy:
    """The pool's policy with the object's override on top."""
    merged = {**DEFAULTS.as_dict(), **((pool_settings or {}).get("ads") or {}), **(override or {})}
    return check(AdPolicy(**{k: merged[k] for k in KEYS}))


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class SkuStock:
    sku_id: int
    sku: str
    available: int
    days_of_cover: float | None  # None: no sales to measure


def critical(stock: SkuStock, policy: AdPolicy) -> bool:
    if stock.available <= policy.pause_at:
        return True
    return (
        policy.cover_days is not None
        and stock.days_of_cover is not None
        and stock.days_of_cover < policy.cover_days
    )


def recovered(stock: SkuStock, policy: AdPolicy) -> bool:
    if stock.available < policy.resume_at:
        return False
    return (
        policy.cover_days is None
        or stock.days_of_cover is None
        or stock.days_of_cover >= policy.cover_days
    )


def low(stock: SkuStock, policy: AdPolicy) -> bool:
    return policy.low_at is not None and stock.available <= policy.low_at


def budget_back(stock: SkuStock, policy: AdPolicy) -> bool:
    """The budget is given back with the same hysteresis as the pause: at ``low_at`` plus the
    gap between ``pause_at`` and ``resume_at``."""
    if policy.low_at is None:
        return recovered(stock, policy)
    return stock.available >= policy.low_at + (policy.resume_at - policy.pause_at)


def _combined(flags: list[bool], how: str) -> bool:
    return all(flags) if how == ALL else any(flags)


@dataclass(frozen=True)
class Hold:
    """What StockGuard has done to an object (live, or as the dry run imagines it)."""

    paused: bool
    paused_at: dt.datetime | None
    lowered: bool


def decide(
    stocks: list[SkuStock],
    policy: AdPolicy,
    hold: Hold,
    *,
    running: bool,
    has_budget: bool,
    now: dt.datetime,
) -> list[tuple[str, str]]:
    """The actions due now, as (kind, reason). ``running``: the object is active on the
    platform as last read (an object someone else paused is not ours to pause)."""
    if not stocks:
        return []
    how = policy.combine
    # "Any SKU critical" pauses under ANY; under ALL it takes every SKU. The object comes back
    # when the reverse holds: under ALL one recovered SKU is enough, under ANY it takes all.
    is_critical = _combined([critical(s, policy) for s in stocks], how)
    is_back = _combined([recovered(s, policy) for s in stocks], ANY if how == ALL else ALL)
    is_low = _combined([low(s, policy) or critical(s, policy) for s in stocks], how)
    budget_ok = _combined([budget_back(s, policy) for s in stocks], ANY if how == ALL else ALL)
    names = ", ".join(f"{s.sku} at {s.available}" for s in stocks)
    actions: list[tuple[str, str]] = []
    if not hold.paused:
        if is_critical and running:
            actions.append(("pause", f"stock critical ({names}; pause at ≤ {policy.pause_at})"))
        elif (
            is_low
            and not hold.lowered
            and running
            and has_budget
            and policy.low_budget_pct is not None
        ):
            actions.append(
                (
                    "lower_budget",
                    f"stock low ({names}; ≤ {policy.low_at}): budget −{policy.low_budget_pct} %",
                )
            )
        elif hold.lowered and budget_ok:
            actions.append(("restore_budget", f"stock back ({names}): budget given back"))
        return actions
    held_long_enough = hold.paused_at is None or now - hold.paused_at >= dt.timedelta(
        minutes=policy.min_pause_minutes
    )
    if is_back and held_long_enough:
        actions.append(("resume", f"stock back ({names}; resume at ≥ {policy.resume_at})"))
        if hold.lowered and budget_ok:
            actions.append(("restore_budget", f"stock back ({names}): budget given back"))
    return actions
