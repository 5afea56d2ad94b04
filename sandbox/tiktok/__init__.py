"""A loopback TikTok API for Business (v1.3) advertiser account.

    sb = TikTokSandbox()
    server = ServerThread(sb.wsgi_app).start()
    sb.base_url = server.url
    app.config.update(sb.config())

The HTTP side (``server.py``) answers ``/open_api/v1.3/...`` in TikTok's envelope and checks the
``Access-Token`` header and the advertiser id on every call. The methods below are what the
merchant does in TikTok Ads Manager, or what a test needs to look at.
"""

from __future__ import annotations

import secrets
import threading
import time
from decimal import Decimal

from .server import create_app
from .state import KINDS, Account

__all__ = ["TikTokSandbox"]

FAULT_KINDS = ("server_error", "system_error", "throttle", "timeout")


class TikTokSandbox:
    """State, HTTP surface and Ads Manager actions of one advertiser account."""

    def __init__(self) -> None:
        self.base_url: str | None = None
        self.account = Account()
        self.access_token = secrets.token_hex(20)  # TikTok tokens are 40 hex characters
        self.expired = False
        self.requests: list[dict] = []
        self.writes: list[dict] = []
        self.hang_seconds = 30.0  # how long a "timeout" fault holds the request
        self.release = threading.Event()
        self._faults: list[list] = []  # [kind, remaining]
        self._lock = threading.Lock()
        self.wsgi_app = create_app(self)

    # ------------------------------------------------------------------ connection

    @property
    def account_ref(self) -> str:
        return self.account.advertiser.advertiser_id

    def config(self) -> dict:
        """App config entries that point the connector at this sandbox."""
        if not self.base_url:
            raise RuntimeError("set sb.base_url to the server's URL first")
        return {"TIKTOK_API_URL": self.base_url.rstrip("/")}

    def connect_form(self) -> dict:
        """What the merchant types into StockGuard's TikTok connect form."""
        return {"advertiser_id": self.account_ref, "access_token": self.access_token}

    def token_valid(self, token: str) -> bool:
        return not self.expired and secrets.compare_digest(token, self.access_token)

    def expire_credentials(self) -> None:
        """The token stops working (revoked in TikTok, or the authorization lapsed)."""
        self.expired = True

    def restore_credentials(self) -> None:
        """The same token works again (the merchant re-authorized the app)."""
        self.expired = False

    # ------------------------------------------------------------------ faults

    def inject_faults(self, kind: str, count: int = 1) -> None:
        """Fail the next ``count`` API calls: ``server_error`` (HTTP 500 with a 50000 envelope),
        ``system_error`` (TikTok's usual HTTP 200 + code 50000), ``throttle`` (HTTP 200 + code
        40100) or ``timeout`` (held for ``hang_seconds``, past the client's timeout)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append([kind, count])

    def take_fault(self) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault[1] > 0:
                    fault[1] -= 1
                    return fault[0]
        return None

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def close(self) -> None:
        """Let go of requests held by a ``timeout`` fault."""
        self.release.set()

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
        """Create a campaign / ad group (``ad_set``) / ad; ``daily_budget`` in minor units."""
        kind = KINDS[level]
        values: dict = {"operation_status": "ENABLE" if active else "DISABLE"}
        if kind in ("campaign", "adgroup"):
            if daily_budget is not None:
                values["budget"] = Decimal(daily_budget) / 100
                values["budget_mode"] = "BUDGET_MODE_DAY"
            else:
                values["budget_mode"] = "BUDGET_MODE_INFINITE"
        elif daily_budget is not None:
            raise ValueError("TikTok ads have no budget of their own")
        if kind == "ad":
            values["landing_page_url"] = url
        return self.account.create(kind, name, parent, **values).id

    def set_budget(self, ref: str, amount_minor: int | None, mode: str = "BUDGET_MODE_DAY"):
        """Edit a budget by hand (e.g. switch to a lifetime ``BUDGET_MODE_TOTAL`` budget)."""
        with self.account.lock:
            obj = self.account.get(ref)
            obj.budget_mode = mode
            obj.budget = None if amount_minor is None else Decimal(amount_minor) / 100

    def is_active(self, ref: str) -> bool:
        with self.account.lock:
            obj = self.account.get(ref)
            return not obj.deleted and obj.operation_status == "ENABLE"

    def raw_status(self, ref: str) -> str:
        """The object's ``operation_status`` (``DELETE`` once deleted)."""
        with self.account.lock:
            obj = self.account.get(ref)
            return "DELETE" if obj.deleted else obj.operation_status

    def secondary_status(self, ref: str) -> str:
        with self.account.lock:
            return self.account.secondary_status(self.account.get(ref))

    def merchant_set_active(self, ref: str, active: bool) -> None:
        """The merchant switches the object on or off in Ads Manager (not an API write)."""
        with self.account.lock:
            obj = self.account.get(ref)
            obj.operation_status = "ENABLE" if active else "DISABLE"

    def daily_budget(self, ref: str) -> int | None:
        """The daily budget in minor units; None for no budget, or a lifetime one."""
        with self.account.lock:
            obj = self.account.get(ref)
            if obj.budget is None or obj.budget_mode != "BUDGET_MODE_DAY":
                return None
            return int(obj.budget * 100)

    def delete_object(self, ref: str) -> None:
        """Delete in Ads Manager: gone from ``/get/`` and no longer writable."""
        with self.account.lock:
            self.account.delete(self.account.get(ref))

    # ------------------------------------------------------------------ what was received

    def record_write(self, ref: str, field: str, value) -> None:
        with self._lock:
            entry = {"ref": ref, "field": field, "value": value, "at": time.time()}
            if field == "status":
                entry["active"] = value == "ENABLE"
            self.writes.append(entry)

    def api_calls(self, path_suffix: str = "") -> list[dict]:
        """Requests under ``/open_api/v1.3`` whose path ends with ``path_suffix``."""
        return [
            r
            for r in self.requests
            if r["path"].startswith("/open_api/v1.3/") and r["path"].endswith(path_suffix)
        ]
