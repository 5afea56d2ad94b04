"""A loopback Meta Marketing API (Graph API v26.0) ad account.

    sb = MetaSandbox()
    server = ServerThread(sb.wsgi_app).start()
    sb.base_url = server.url
    app.config.update(sb.config())          # META_GRAPH_URL → the sandbox

The methods below are what the merchant does in Ads Manager (create, pause, delete, change a
budget) and what a test needs to steer the API (expire the token, inject faults); ``writes``
and ``requests`` record what the API received.
"""

from __future__ import annotations

import secrets
import threading
import time

from .graph import THROTTLES, GraphError
from .server import GraphApp
from .state import AD, AD_SET, CAMPAIGN, AdObject, Store

__all__ = ["FAULT_KINDS", "GraphError", "MetaSandbox"]

FAULT_KINDS = ("server_error", "timeout", *THROTTLES)
LEVEL_PARENT = {CAMPAIGN: None, AD_SET: CAMPAIGN, AD: AD_SET}


class MetaSandbox:
    """State, HTTP surface and Ads Manager actions of one sandbox ad account."""

    def __init__(self, clock=time.time):
        self.store = Store(clock)
        self.lock = self.store.lock
        self.base_url: str | None = None
        self.app_id = str(10**14 + secrets.randbelow(9 * 10**14))
        self.app_secret = secrets.token_hex(16)  # Meta app secrets: 32 hex characters
        self.access_token = "EAA" + secrets.token_urlsafe(90).replace("-", "").replace("_", "")
        self.expired_at: float | None = None
        self.requests: list[dict] = []
        self._faults: list[list] = []  # [kind, remaining]
        self.hang_seconds = 5.0
        self.release = threading.Event()
        self.throttle_regain_minutes = (
            0  # x-business-use-case-usage estimated_time_to_regain_access
        )
        self.wsgi_app = GraphApp(self)

    # ------------------------------------------------------------------ wiring

    def config(self) -> dict:
        """App config entries that point the connector at this sandbox."""
        return {"META_GRAPH_URL": self.base_url}

    @property
    def account_ref(self) -> str:
        return self.store.account_ref

    def connect_form(self) -> dict:
        """The connect form as a merchant types it (bare account number, as Ads Manager shows)."""
        return {
            "ad_account_id": self.store.account_id,
            "access_token": self.access_token,
            "app_secret": self.app_secret,
            "app_id": self.app_id,
        }

    @property
    def writes(self) -> list[dict]:
        """Status and budget changes received through the API, in order."""
        return self.store.writes

    @property
    def max_page_size(self) -> int:
        return self.store.max_page_size

    @max_page_size.setter
    def max_page_size(self, n: int) -> None:
        """Cap every edge's ``limit`` (Graph caps silently): makes paging visible in tests."""
        self.store.max_page_size = n

    # ------------------------------------------------------------------ Ads Manager

    def create_object(
        self,
        level: str,
        name: str,
        *,
        parent: str | None = None,
        active: bool = True,
        daily_budget: int | None = None,
        url: str | None = None,
    ) -> str:
        """Create a campaign / ad set / ad; ``daily_budget`` in minor units; ``url`` the ad's
        landing page (its creative's ``object_story_spec.link_data.link``)."""
        if level not in LEVEL_PARENT:
            raise ValueError(f"unknown level {level!r}")
        want = LEVEL_PARENT[level]
        owner = self.store.get(parent) if parent else None
        if (want is None) != (parent is None) or (want and (owner is None or owner.level != want)):
            raise ValueError(f"a {level} needs a {want} as parent" if want else "no parent")
        if level == AD and daily_budget is not None:
            raise ValueError("ads have no budget of their own")
        obj = AdObject(
            id=self.store.new_id(),
            level=level,
            name=name,
            status="ACTIVE" if active else "PAUSED",
            parent=parent,
            daily_budget=daily_budget,
            url=url if level == AD else None,
            creative_id=self.store.new_id() if level == AD else None,
            created=self.store.clock(),
        )
        self.store.add(obj)
        return obj.id

    def _obj(self, ref: str) -> AdObject:
        obj = self.store.get(ref)
        if obj is None:
            raise KeyError(ref)
        return obj

    def is_active(self, ref: str) -> bool:
        return self._obj(ref).status == "ACTIVE"

    def raw_status(self, ref: str) -> str:
        return self._obj(ref).status

    def effective_status(self, ref: str) -> str:
        return self.store.effective_status(self._obj(ref))

    def merchant_set_active(self, ref: str, active: bool) -> None:
        self.store.update(ref, {"status": "ACTIVE" if active else "PAUSED"}, source="merchant")

    def merchant_set_daily_budget(self, ref: str, amount: int) -> None:
        """An edit in Ads Manager: counts toward the ad set's 4 changes an hour too."""
        self.store.update(ref, {"daily_budget": str(amount)}, source="merchant")

    def daily_budget(self, ref: str) -> int | None:
        return self._obj(ref).daily_budget

    def delete_object(self, ref: str) -> None:
        """Delete in Ads Manager: Meta keeps the object readable by id with status DELETED."""
        self._obj(ref).status = "DELETED"

    def archive_object(self, ref: str) -> None:
        self._obj(ref).status = "ARCHIVED"

    def forget_object(self, ref: str) -> None:
        """Make the id unknown altogether (code 100, subcode 33 from then on)."""
        with self.lock:
            self.store.objects.pop(ref, None)

    # ------------------------------------------------------------------ credentials

    def expire_credentials(self) -> None:
        """The token expires: every call answers 190/463 "Session has expired"."""
        self.expired_at = time.time() - 60

    def restore_credentials(self) -> None:
        self.expired_at = None

    # ------------------------------------------------------------------ faults

    def inject_faults(self, kind: str, count: int = 1) -> None:
        """The next ``count`` API calls fail: ``server_error`` (500, code 2), ``throttle``
        (80004 with x-business-use-case-usage), ``throttle_user`` (17), ``throttle_account``
        (613), or ``timeout`` (held ``hang_seconds``)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        with self.lock:
            if kind == "timeout":
                self.release.clear()
            self._faults.append([kind, count])

    def take_fault(self) -> str | None:
        with self.lock:
            while self._faults and self._faults[0][1] <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            self._faults[0][1] -= 1
            return self._faults[0][0]

    def reset_faults(self) -> None:
        with self.lock:
            self._faults.clear()
        self.release.set()

    def api_requests(self, method: str | None = None) -> list[dict]:
        """Requests that reached the Graph routes (optionally one method's)."""
        return [r for r in self.requests if method is None or r["method"] == method]
