"""TikTok objects and money in neutral words.

- ``operation_status`` is what the advertiser (or we) set: ENABLE → active, DISABLE → paused;
  ``secondary_status`` ``*_STATUS_DELETE`` (only listed when asked for) or DELETE → removed.
  The platform's own word is kept in ``raw_status``.
- Budgets are decimal amounts of the account currency (``budget`` 50.5 = 50.50). Neutral minor
  units are that amount × 100 — right for two-decimal currencies (USD, EUR, ...); for
  zero-decimal ones (JPY, KRW) the "minor units" are then hundredths of a yen, consistently in
  both directions.
- Only ``BUDGET_MODE_DAY`` (and the dynamic daily budget) is a daily budget; a lifetime
  (``BUDGET_MODE_TOTAL``) or no budget (``BUDGET_MODE_INFINITE``, e.g. an ad group under a
  campaign budget) is reported as ``daily_budget=None``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from connectors.base import ACTIVE, AD, AD_SET, CAMPAIGN, OTHER, PAUSED, REMOVED, AdObjectInfo

from .client import LEVELS

STATUSES = {"ENABLE": ACTIVE, "DISABLE": PAUSED, "DELETE": REMOVED}
DAILY_MODES = frozenset({"BUDGET_MODE_DAY", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET"})
PARENT_FIELD = {CAMPAIGN: None, AD_SET: "campaign_id", AD: "adgroup_id"}


def to_minor(amount) -> int:
    """50.5 (account currency) → 5050."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_amount(minor: int) -> float:
    """5050 → 50.5, as TikTok's ``budget`` number."""
    return float(Decimal(int(minor)) / 100)


def status_of(raw: dict) -> str:
    secondary = str(raw.get("secondary_status") or "")
    if secondary.endswith("_STATUS_DELETE"):
        return REMOVED
    return STATUSES.get(str(raw.get("operation_status") or ""), OTHER)


def daily_budget_of(raw: dict) -> int | None:
    if raw.get("budget_mode") not in DAILY_MODES or raw.get("budget") in (None, ""):
        return None
    return to_minor(raw["budget"])


def object_info(level: str, raw: dict) -> AdObjectInfo:
    """One ``list`` entry of ``/<kind>/get/`` as the engine sees it."""
    spec = LEVELS[level]
    parent_field = PARENT_FIELD[level]
    urls: tuple[str, ...] = ()
    if level == AD:
        found = [raw.get("landing_page_url"), *(raw.get("landing_page_urls") or [])]
        urls = tuple(dict.fromkeys(u for u in found if isinstance(u, str) and u))
    return AdObjectInfo(
        level=level,
        ref=str(raw[spec.id_field]),
        name=str(raw.get(spec.name_field) or ""),
        status=status_of(raw),
        raw_status="DELETE" if status_of(raw) == REMOVED else raw.get("operation_status"),
        parent_ref=str(raw[parent_field]) if parent_field and raw.get(parent_field) else None,
        daily_budget=daily_budget_of(raw) if level != AD else None,
        destination_urls=urls,
    )
