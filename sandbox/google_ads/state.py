"""What one sandbox Google Ads account holds: customer, budgets, campaigns, ad groups, ads.

Ids are int64 like Google's; an ad's own key is ``{ad_group_id}~{ad_id}``, as in its resource
name ``customers/{customer_id}/adGroupAds/{ad_group_id}~{ad_id}``. Statuses are the API's words
(``ENABLED``, ``PAUSED``, ``REMOVED``): Google never deletes, "remove" sets ``REMOVED`` and the
object stays readable.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field


@dataclass
class Budget:
    id: int
    name: str
    amount_micros: int
    explicitly_shared: bool = False
    status: str = "ENABLED"
    delivery_method: str = "STANDARD"
    period: str = "DAILY"


@dataclass
class Campaign:
    id: int
    name: str
    status: str
    budget_id: int
    channel_type: str = "SEARCH"


@dataclass
class AdGroup:
    id: int
    name: str
    status: str
    campaign_id: int


@dataclass
class AdGroupAd:
    ad_group_id: int
    ad_id: int
    name: str
    status: str
    final_urls: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.ad_group_id}~{self.ad_id}"


@dataclass
class Account:
    """One Google Ads client account (customer) and everything in it."""

    customer_id: str
    descriptive_name: str
    currency_code: str
    time_zone: str
    manager: bool = False
    budgets: dict[int, Budget] = field(default_factory=dict)
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    ad_groups: dict[int, AdGroup] = field(default_factory=dict)
    ads: dict[str, AdGroupAd] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(21_345_000_001))

    def next_id(self) -> int:
        return next(self._ids)

    # ------------------------------------------------------------------ resource names

    def resource_name(self, kind: str, key) -> str:
        collection = {
            "campaign": "campaigns",
            "ad_group": "adGroups",
            "ad_group_ad": "adGroupAds",
            "campaign_budget": "campaignBudgets",
        }[kind]
        return f"customers/{self.customer_id}/{collection}/{key}"

    @property
    def customer_resource_name(self) -> str:
        return f"customers/{self.customer_id}"

    def campaigns_of_budget(self, budget_id: int) -> list[Campaign]:
        return [c for c in self.campaigns.values() if c.budget_id == budget_id]


# Digits after the decimal point of ISO 4217 currencies that are not 2 (Google Ads bills in
# these; amounts must be multiples of the currency's minimum unit).
ZERO_DECIMAL = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                "UYI", "VND", "VUV", "XAF", "XOF", "XPF")  # fmt: skip
THREE_DECIMAL = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
CURRENCY_EXPONENTS = {**dict.fromkeys(ZERO_DECIMAL, 0), **dict.fromkeys(THREE_DECIMAL, 3)}


def micros_per_minor_unit(currency: str) -> int:
    """1,000,000 micros make one unit; 10,000 make one cent of a 2-decimal currency."""
    return 10 ** (6 - CURRENCY_EXPONENTS.get(currency.upper(), 2))
