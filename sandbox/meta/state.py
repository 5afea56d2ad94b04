"""What the Meta sandbox holds: one ad account, its campaigns / ad sets / ads, and the Graph
reads and writes on them.

Behaviour follows Meta's "Manage your ad object's status" page: DELETED objects stay readable
by their own id but no edge lists them; ARCHIVED ones are left out of edges unless filtered
for; an ARCHIVED object may only be renamed or deleted, a DELETED one only renamed.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from . import graph

CAMPAIGN, AD_SET, AD = "campaign", "ad_set", "ad"
STATUSES = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED")
BUDGET_CHANGES_PER_HOUR = 4

NODE_TYPES = {CAMPAIGN: "AdCampaignGroup", AD_SET: "AdCampaign", AD: "AdGroup"}
COMMON = {
    "id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "account_id",
    "created_time",
    "updated_time",
}
FIELDS = {
    CAMPAIGN: frozenset(COMMON | {"daily_budget", "lifetime_budget", "objective"}),
    AD_SET: frozenset(COMMON | {"campaign_id", "daily_budget", "lifetime_budget"}),
    AD: frozenset(COMMON | {"campaign_id", "adset_id", "creative"}),
}
CREATIVE_FIELDS = frozenset(
    {
        "id",
        "name",
        "object_story_spec",
        "asset_feed_spec",
        "object_type",
        "status",
        "link_url",
        "object_url",
        "url_tags",
        "title",
        "body",
        "effective_object_story_id",
    }
)
NESTED = {AD: {"creative": ("AdCreative", CREATIVE_FIELDS)}}
ACCOUNT_FIELDS = frozenset(
    {"id", "account_id", "name", "currency", "timezone_name", "account_status", "amount_spent"}
)
EDGES = {"campaigns": CAMPAIGN, "adsets": AD_SET, "ads": AD}


@dataclass
class AdObject:
    id: str
    level: str
    name: str
    status: str
    parent: str | None
    daily_budget: int | None = None
    url: str | None = None
    creative_id: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(when))


class Store:
    """The account and its objects, guarded by one lock."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self.lock = threading.RLock()
        self.account_id = str(10**14 + secrets.randbelow(9 * 10**14))
        self.account = {
            "name": "Sandbox Store Ads",
            "currency": "EUR",
            "timezone_name": "Europe/Paris",
            "account_status": 1,
        }
        self.objects: dict[str, AdObject] = {}
        self.order: list[str] = []
        self._next = 120200000000000000 + secrets.randbelow(10**12) * 1000
        # ad set id -> times its budget changed (Meta: 4 an hour, then blocked)
        self.budget_changes: dict[str, list[float]] = {}
        self.writes: list[dict] = []
        self.max_page_size = 500

    @property
    def account_ref(self) -> str:
        return f"act_{self.account_id}"

    def new_id(self) -> str:
        with self.lock:
            self._next += 1 + secrets.randbelow(50)
            return str(self._next)

    # ------------------------------------------------------------------ objects

    def add(self, obj: AdObject) -> AdObject:
        with self.lock:
            self.objects[obj.id] = obj
            self.order.append(obj.id)
        return obj

    def get(self, ref: str) -> AdObject | None:
        return self.objects.get(str(ref))

    def campaign_of(self, obj: AdObject) -> AdObject | None:
        current = obj
        while current is not None and current.level != CAMPAIGN:
            current = self.get(current.parent) if current.parent else None
        return current

    def ancestors(self, obj: AdObject) -> list[AdObject]:
        found, current = [], obj
        while current.parent and (parent := self.get(current.parent)) is not None:
            found.append(parent)
            current = parent
        return found

    def effective_status(self, obj: AdObject) -> str:
        if obj.status != "ACTIVE":
            return obj.status
        for parent in self.ancestors(obj):
            if parent.status != "ACTIVE":
                return "CAMPAIGN_PAUSED" if parent.level == CAMPAIGN else "ADSET_PAUSED"
        return "ACTIVE"

    def view(self, obj: AdObject) -> dict:
        """Every field of the node, as Graph would serialise it."""
        data = {
            "id": obj.id,
            "name": obj.name,
            "status": obj.status,
            "configured_status": obj.status,
            "effective_status": self.effective_status(obj),
            "account_id": self.account_id,
            "created_time": _iso(obj.created),
            "updated_time": _iso(obj.updated),
        }
        if obj.level in (CAMPAIGN, AD_SET) and obj.daily_budget is not None:
            data["daily_budget"] = str(obj.daily_budget)  # Graph sends budgets as strings
        if obj.level == CAMPAIGN:
            data["objective"] = "OUTCOME_SALES"
        if obj.level == AD_SET:
            data["campaign_id"] = obj.parent
        if obj.level == AD:
            data["adset_id"] = obj.parent
            campaign = self.campaign_of(obj)
            data["campaign_id"] = campaign.id if campaign else None
            data["creative"] = self.creative_view(obj)
        return data

    def creative_view(self, obj: AdObject) -> dict:
        creative = {"id": obj.creative_id, "name": f"{obj.name} creative", "status": "ACTIVE"}
        if obj.url:
            creative["object_type"] = "SHARE"
            creative["object_story_spec"] = {
                "page_id": "104000000000001",
                "link_data": {"link": obj.url, "message": obj.name},
            }
        return creative

    # ------------------------------------------------------------------ reads

    def read_node(self, ref: str, fields) -> dict:
        if ref == self.account_ref:
            view = {"id": ref, "account_id": self.account_id, **self.account}
            view["amount_spent"] = "0"
            return graph.project(view, fields or [("id", None)], "AdAccount", ACCOUNT_FIELDS, {})
        obj = self.get(ref)
        if obj is None:
            raise graph.unknown_object(ref, "GET")
        return graph.project(
            self.view(obj),
            fields or [("id", None)],
            NODE_TYPES[obj.level],
            FIELDS[obj.level],
            NESTED.get(obj.level, {}),
        )

    def children(self, ref: str, edge: str, statuses: list[str] | None) -> list[AdObject]:
        """What ``GET /{ref}/{edge}`` lists, newest first. DELETED never; ARCHIVED only when
        filtered for by ``effective_status``."""
        level = EDGES.get(edge)
        if level is None:
            raise graph.unknown_path(f"/{edge}")
        if ref == self.account_ref:
            scope = None
        else:
            owner = self.get(ref)
            if owner is None:
                raise graph.unknown_object(ref, "GET")
            if owner.level == AD or (owner.level == AD_SET and level != AD):
                raise graph.unknown_path(f"/{edge}")
            scope = owner
        found = []
        for oid in reversed(self.order):
            obj = self.objects[oid]
            if obj.level != level or obj.status == "DELETED":
                continue
            if scope is not None and scope not in self.ancestors(obj):
                continue
            effective = self.effective_status(obj)
            if statuses is not None:
                if effective not in statuses:
                    continue
            elif obj.status == "ARCHIVED":
                continue
            found.append(obj)
        return found

    def page(self, objects: list[AdObject], fields, limit: int, after: str | None):
        """(rows, before, after, more) for one page of an edge."""
        start = _decode_cursor(after) if after else 0
        limit = max(1, min(limit, self.max_page_size))
        chunk = objects[start : start + limit]
        level = chunk[0].level if chunk else None
        rows = [
            graph.project(
                self.view(o),
                fields or [("id", None)],
                NODE_TYPES[level],
                FIELDS[level],
                NESTED.get(level, {}),
            )
            for o in chunk
        ]
        before = _encode_cursor(start)
        after_cursor = _encode_cursor(start + len(chunk))
        return rows, before, after_cursor, start + len(chunk) < len(objects)

    # ------------------------------------------------------------------ writes

    def update(self, ref: str, params: dict, *, source: str = "api") -> None:
        """``POST /{ref}`` with ``status`` and/or ``daily_budget`` (and ``name``)."""
        with self.lock:
            obj = self.get(ref)
            if obj is None or ref == self.account_ref:
                raise graph.unknown_object(ref, "POST")
            status = params.get("status")
            budget = params.get("daily_budget")
            if status is not None and status not in STATUSES:
                raise graph.invalid_param(
                    "(#100) Param status must be one of {ACTIVE, PAUSED, DELETED, ARCHIVED}"
                )
            if status is not None or budget is not None:
                self._check_editable(obj, status, budget)
            amount = self._check_budget(obj, budget) if budget is not None else None
            now = self.clock()
            if amount is not None and obj.level == AD_SET:
                recent = [t for t in self.budget_changes.get(obj.id, []) if now - t < 3600]
                if len(recent) >= BUDGET_CHANGES_PER_HOUR:
                    raise graph.budget_change_limit()
                self.budget_changes[obj.id] = recent + [now]
            if "name" in params and params["name"]:
                obj.name = str(params["name"])
            if status is not None:
                obj.status = status
                if source == "api":
                    self.writes.append(
                        {"ref": obj.id, "field": "status", "value": status, "at": now}
                    )
            if amount is not None:
                obj.daily_budget = amount
                if source == "api":
                    self.writes.append(
                        {"ref": obj.id, "field": "daily_budget", "value": amount, "at": now}
                    )
            obj.updated = now

    def _check_editable(self, obj: AdObject, status, budget) -> None:
        # Meta documents what may change but not the error text for the rest: the sandbox
        # answers code 100 "Invalid parameter" with a user message, as other edit refusals do.
        if obj.status == "DELETED":
            raise graph.invalid_param(
                "Invalid parameter", "This object was deleted: only its name can be edited."
            )
        if obj.status == "ARCHIVED" and (budget is not None or status not in (None, "DELETED")):
            raise graph.invalid_param(
                "Invalid parameter", "An archived object can only be renamed or deleted."
            )

    def _check_budget(self, obj: AdObject, budget) -> int:
        try:
            amount = int(str(budget))
        except ValueError:
            amount = 0
        if amount <= 0:
            raise graph.invalid_param("(#100) Param daily_budget must be a positive integer")
        if obj.level == AD or obj.daily_budget is None:
            where = "ad" if obj.level == AD else obj.level.replace("_", " ")
            raise graph.invalid_param(
                "Invalid parameter", f"This {where} has no daily budget of its own to change."
            )
        return amount


def _encode_cursor(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return max(0, int(json.loads(raw)["o"]))
    except (ValueError, KeyError, TypeError):
        raise graph.invalid_param("(#100) The after parameter is not a valid cursor") from None
