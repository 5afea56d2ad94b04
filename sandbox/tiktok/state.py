"""What one TikTok advertiser account holds: campaigns, ad groups, ads, and their JSON shapes.

Shapes follow the Business API v1.3 ``/campaign/get/``, ``/adgroup/get/`` and ``/ad/get/``
answers (fields as listed by the official ``business_api_client`` docs and by Airbyte's
``source-tiktok-marketing`` schemas): ids are strings, ``operation_status`` is what the
advertiser set (ENABLE / DISABLE), ``secondary_status`` is what the platform derives
(``CAMPAIGN_STATUS_DELETE``, ``ADGROUP_STATUS_CAMPAIGN_DISABLE``, ...), budgets are decimal
amounts of the account currency with a ``budget_mode``.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

# Neutral level words → the platform's own object names.
KINDS = {"campaign": "campaign", "ad_set": "adgroup", "ad": "ad"}
PARENT_KIND = {"campaign": None, "adgroup": "campaign", "ad": "adgroup"}

# Every field each /get/ endpoint may return (a ``fields`` entry outside these is refused, as
# TikTok refuses unknown field names).
FIELDS = {
    "campaign": (
        "advertiser_id", "campaign_id", "campaign_name", "campaign_type", "objective_type",
        "budget", "budget_mode", "budget_optimize_on", "operation_status", "secondary_status",
        "is_new_structure", "create_time", "modify_time",
    ),
    "adgroup": (
        "advertiser_id", "campaign_id", "campaign_name", "adgroup_id", "adgroup_name",
        "placement_type", "optimization_goal", "billing_event", "budget", "budget_mode",
        "operation_status", "secondary_status", "create_time", "modify_time",
    ),
    "ad": (
        "advertiser_id", "campaign_id", "campaign_name", "adgroup_id", "adgroup_name", "ad_id",
        "ad_name", "ad_format", "ad_text", "call_to_action", "landing_page_url",
        "landing_page_urls", "operation_status", "secondary_status", "create_time",
        "modify_time",
    ),
}  # fmt: skip

SECONDARY_PREFIX = {"campaign": "CAMPAIGN_STATUS", "adgroup": "ADGROUP_STATUS", "ad": "AD_STATUS"}


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


@dataclass
class AdObject:
    kind: str  # campaign | adgroup | ad
    id: str
    name: str
    parent_id: str | None
    operation_status: str = "ENABLE"
    deleted: bool = False
    budget: Decimal | None = None  # account currency, 2 decimals
    budget_mode: str | None = None
    landing_page_url: str | None = None
    create_time: str = field(default_factory=_now)
    modify_time: str = field(default_factory=_now)


@dataclass
class Advertiser:
    advertiser_id: str
    name: str = "StockGuard Sandbox Shop"
    currency: str = "USD"
    timezone: str = "Etc/GMT"
    display_timezone: str = "Coordinated Universal Time"
    country: str = "US"
    status: str = "STATUS_ENABLE"


class Account:
    """One advertiser and its objects; every access goes through ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        # TikTok ids are 19-digit numbers sent as strings.
        self.advertiser = Advertiser(str(6_900_000_000_000_000_000 + secrets.randbelow(10**17)))
        self.objects: dict[str, AdObject] = {}
        self._ids = itertools.count(1_800_000_000_000_000_000 + secrets.randbelow(10**15) * 1000)

    # ------------------------------------------------------------------ objects

    def create(self, kind: str, name: str, parent_id: str | None, **values) -> AdObject:
        with self.lock:
            want = PARENT_KIND[kind]
            if want is not None:
                parent = self.objects.get(parent_id or "")
                if parent is None or parent.kind != want:
                    raise ValueError(f"a {kind} needs a {want} as parent, not {parent_id!r}")
            obj = AdObject(kind=kind, id=str(next(self._ids)), name=name, parent_id=parent_id)
            for key, value in values.items():
                setattr(obj, key, value)
            self.objects[obj.id] = obj
            return obj

    def get(self, object_id: str) -> AdObject:
        with self.lock:
            obj = self.objects.get(str(object_id))
            if obj is None:
                raise KeyError(f"no TikTok object {object_id!r} in the sandbox")
            return obj

    def live(self, kind: str, object_id: str) -> AdObject | None:
        """The object of ``kind`` with that id, unless unknown or deleted."""
        obj = self.objects.get(str(object_id))
        if obj is None or obj.kind != kind or obj.deleted:
            return None
        return obj

    def parent(self, obj: AdObject) -> AdObject | None:
        return self.objects.get(obj.parent_id) if obj.parent_id else None

    def campaign_of(self, obj: AdObject) -> AdObject:
        while obj.kind != "campaign":
            obj = self.objects[obj.parent_id]
        return obj

    def delete(self, obj: AdObject) -> None:
        """Delete ``obj`` and what it contains (TikTok deletes a campaign's ad groups and ads)."""
        with self.lock:
            obj.deleted = True
            obj.modify_time = _now()
            for child in list(self.objects.values()):
                if child.parent_id == obj.id and not child.deleted:
                    self.delete(child)

    # ------------------------------------------------------------------ statuses

    def secondary_status(self, obj: AdObject) -> str:
        prefix = SECONDARY_PREFIX[obj.kind]
        if obj.deleted:
            return f"{prefix}_DELETE"
        if obj.operation_status == "DISABLE":
            return f"{prefix}_DISABLE"
        parent = self.parent(obj)
        while parent is not None:
            if parent.operation_status == "DISABLE":
                return f"{prefix}_{parent.kind.upper()}_DISABLE"
            parent = self.parent(parent)
        return "CAMPAIGN_STATUS_ENABLE" if obj.kind == "campaign" else f"{prefix}_DELIVERY_OK"

    # ------------------------------------------------------------------ JSON

    def to_json(self, obj: AdObject) -> dict:
        """The object as the ``/<kind>/get/`` list entry shows it (every field)."""
        out: dict = {
            "advertiser_id": self.advertiser.advertiser_id,
            "operation_status": obj.operation_status,
            "secondary_status": self.secondary_status(obj),
            "create_time": obj.create_time,
            "modify_time": obj.modify_time,
        }
        campaign = self.campaign_of(obj)
        out["campaign_id"] = campaign.id
        out["campaign_name"] = campaign.name
        if obj.kind == "campaign":
            out.update(
                campaign_type="REGULAR_CAMPAIGN",
                objective_type="TRAFFIC",
                budget_optimize_on=False,
                is_new_structure=True,
            )
        if obj.kind in ("campaign", "adgroup"):
            out["budget"] = float(obj.budget) if obj.budget is not None else 0.0
            out["budget_mode"] = obj.budget_mode or "BUDGET_MODE_INFINITE"
        if obj.kind == "adgroup":
            out.update(
                adgroup_id=obj.id,
                adgroup_name=obj.name,
                placement_type="PLACEMENT_TYPE_AUTOMATIC",
                optimization_goal="CLICK",
                billing_event="CPC",
            )
        if obj.kind == "ad":
            group = self.objects[obj.parent_id]
            out.update(
                adgroup_id=group.id,
                adgroup_name=group.name,
                ad_id=obj.id,
                ad_name=obj.name,
                ad_format="SINGLE_VIDEO",
                ad_text=obj.name,
                call_to_action="SHOP_NOW",
                landing_page_url=obj.landing_page_url,
                landing_page_urls=None,
            )
        return out

    def advertiser_json(self) -> dict:
        a = self.advertiser
        return {
            "advertiser_id": a.advertiser_id,
            "name": a.name,
            "currency": a.currency,
            "timezone": a.timezone,
            "display_timezone": a.display_timezone,
            "country": a.country,
            "status": a.status,
            "role": "ROLE_ADVERTISER",
            "balance": 0.0,
            "create_time": 1_700_000_000,
        }
