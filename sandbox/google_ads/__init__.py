"""A loopback Google Ads API (v26, gRPC over TLS) plus Google's OAuth token endpoint.

    sb = GoogleAdsSandbox().start(pki)      # both servers; sb.stop() (or ``with``) ends them
    app = make_app(**sb.config())           # GOOGLE_ADS_ENDPOINT, GOOGLE_OAUTH_TOKEN_URI, roots
    ref = sb.create_object("campaign", "Tents", daily_budget=5000, url=None)

One client account (``sb.account``) holds budgets, campaigns, ad groups and ads. The methods
below are what the merchant does in the Google Ads UI and what tests assert on; the RPC side is
in ``server.py`` (auth, faults, Search/SearchStream) and ``mutate.py``.
"""

from __future__ import annotations

import secrets
import threading
import time

import grpc

from sandbox.common import ServerThread

from .failures import ApiError, ads_error
from .oauth import OAuthState
from .server import PAGE_SIZE, AdsServer, sleep_until
from .state import Account, AdGroup, AdGroupAd, Budget, Campaign, micros_per_minor_unit

__all__ = ["GoogleAdsSandbox", "PAGE_SIZE"]

FAULT_KINDS = ("server_error", "unavailable", "throttle", "quota", "timeout")


def _dashed(customer_id: str) -> str:
    return f"{customer_id[:3]}-{customer_id[3:6]}-{customer_id[6:]}"


class GoogleAdsSandbox:
    """State, servers and merchant actions of one sandbox Google Ads account."""

    def __init__(
        self,
        *,
        customer_id: str = "1234567890",
        name: str = "Acme Outdoor (Google Ads)",
        currency: str = "USD",
        time_zone: str = "America/New_York",
        manager_id: str | None = None,
    ):
        self.account = Account(customer_id, name, currency, time_zone)
        self.manager_id = manager_id  # access only through this manager (login-customer-id)
        self.developer_token = "SgSandboxDevToken_0123"
        self.require_developer_token = False  # the API ignores it since the 2026-09-09 sunset
        self.oauth = OAuthState(
            client_id="1234567890-stockguardsandbox.apps.googleusercontent.com",
            client_secret="GOCSPX-" + secrets.token_urlsafe(21),
            refresh_token="1//0g" + secrets.token_urlsafe(60),
        )
        self.page_size = PAGE_SIZE
        self.throttle_retry_delay = 1.0  # QuotaErrorDetails.retry_delay of a "throttle" fault
        self.quota_retry_delay = 40_591.0  # ... of a "quota" fault (daily operations spent)
        self.hold_seconds = 15.0  # how long a "timeout" fault holds a request
        self.requests: list[dict] = []
        self.writes: list[dict] = []
        self.internal_errors: list[str] = []
        self._faults: list[list] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._ads = AdsServer(self)
        self._token_server: ServerThread | None = None
        self._pki = None

    # ------------------------------------------------------------------ servers

    def start(self, pki) -> GoogleAdsSandbox:
        """Serve the API over TLS (``pki``'s leaf) and the token endpoint over plain HTTP."""
        self._pki = pki
        self._release.clear()
        self._ads.start(pki)
        self._token_server = ServerThread(self.oauth.wsgi_app).start()
        return self

    def stop(self) -> None:
        self._release.set()  # let held ("timeout") requests go
        self._ads.stop()
        if self._token_server is not None:
            self._token_server.stop()
            self._token_server = None

    def __enter__(self) -> GoogleAdsSandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self._ads.port}"

    def config(self) -> dict:
        """App config pointing the connector at this sandbox."""
        return {
            "GOOGLE_ADS_ENDPOINT": self.endpoint,
            "GOOGLE_OAUTH_TOKEN_URI": f"{self._token_server.url}/token",
            "GOOGLE_ADS_ROOT_CERTIFICATES": str(self._pki.ca_cert),
        }

    # ------------------------------------------------------------------ the connect form

    @property
    def account_ref(self) -> str:
        return self.account.customer_id

    def connect_form(self) -> dict:
        """What a merchant types: ids as the Google Ads UI shows them (123-456-7890)."""
        return {
            "developer_token": self.developer_token,
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
            "refresh_token": self.oauth.refresh_token,
            "customer_id": _dashed(self.account.customer_id),
            "login_customer_id": _dashed(self.manager_id) if self.manager_id else "",
        }

    @property
    def token_requests(self) -> list[dict]:
        """Calls to the OAuth token endpoint (not counted in ``requests``)."""
        return self.oauth.requests

    # ------------------------------------------------------------------ objects

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
        """Create a campaign (with its own budget: ``daily_budget`` minor units, default
        1000), an ad group (``ad_set``; Google ad groups have no budget) or an ad."""
        acc = self.account
        status = "ENABLED" if active else "PAUSED"
        with acc.lock:
            if level == "campaign":
                micros = (1000 if daily_budget is None else daily_budget) * self._micros_per_minor
                budget = Budget(acc.next_id(), f"Budget for {name}", micros)
                acc.budgets[budget.id] = budget
                campaign = Campaign(acc.next_id(), name, status, budget.id)
                acc.campaigns[campaign.id] = campaign
                return str(campaign.id)
            if level == "ad_set":
                if daily_budget is not None:
                    raise ValueError("Google Ads ad groups have no budget (it is the campaign's)")
                campaign_id = int(parent) if parent else min(acc.campaigns)
                if campaign_id not in acc.campaigns:
                    raise KeyError(f"no campaign {parent}")
                group = AdGroup(acc.next_id(), name, status, campaign_id)
                acc.ad_groups[group.id] = group
                return str(group.id)
            if level == "ad":
                group_id = int(parent) if parent else min(acc.ad_groups)
                if group_id not in acc.ad_groups:
                    raise KeyError(f"no ad group {parent}")
                ad = AdGroupAd(group_id, acc.next_id(), name, status, [url] if url else [])
                acc.ads[ad.key] = ad
                return ad.key
        raise ValueError(f"unknown level {level!r}")

    def _find(self, ref: str):
        acc = self.account
        if "~" in ref:
            return acc.ads[ref]
        key = int(ref)
        if key in acc.campaigns:
            return acc.campaigns[key]
        return acc.ad_groups[key]

    @property
    def _micros_per_minor(self) -> int:
        return micros_per_minor_unit(self.account.currency_code)

    def raw_status(self, ref: str) -> str:
        return self._find(ref).status

    def is_active(self, ref: str) -> bool:
        return self.raw_status(ref) == "ENABLED"

    def merchant_set_active(self, ref: str, active: bool) -> None:
        with self.account.lock:
            self._find(ref).status = "ENABLED" if active else "PAUSED"

    def daily_budget(self, ref: str) -> int | None:
        obj = self._find(ref)
        if not isinstance(obj, Campaign):
            return None
        return self.account.budgets[obj.budget_id].amount_micros // self._micros_per_minor

    def budget_ref(self, ref: str) -> str:
        """The resource name of the campaign's budget."""
        campaign = self._find(ref)
        return self.account.resource_name("campaign_budget", campaign.budget_id)

    def share_budget(self, *refs: str) -> str:
        """Make the campaigns share the first one's budget, as an explicitly shared budget."""
        acc = self.account
        with acc.lock:
            campaigns = [self._find(r) for r in refs]
            budget = acc.budgets[campaigns[0].budget_id]
            budget.explicitly_shared = True
            for campaign in campaigns:
                campaign.budget_id = budget.id
            return acc.resource_name("campaign_budget", budget.id)

    def set_final_urls(self, ref: str, urls: list[str]) -> None:
        with self.account.lock:
            self._find(ref).final_urls = list(urls)

    def delete_object(self, ref: str) -> None:
        """What "Remove" does in Google Ads: status REMOVED; it stays readable as such."""
        with self.account.lock:
            self._find(ref).status = "REMOVED"

    def purge_object(self, ref: str) -> None:
        """Make the object unknown to the account (as an id from another account is)."""
        acc = self.account
        with acc.lock:
            obj = self._find(ref)
            if isinstance(obj, AdGroupAd):
                del acc.ads[obj.key]
            elif isinstance(obj, AdGroup):
                for key in [k for k, ad in acc.ads.items() if ad.ad_group_id == obj.id]:
                    del acc.ads[key]
                del acc.ad_groups[obj.id]
            else:
                for group in [g for g in acc.ad_groups.values() if g.campaign_id == obj.id]:
                    self.purge_object(str(group.id))
                del acc.campaigns[obj.id]

    # ------------------------------------------------------------------ credentials, faults

    def expire_credentials(self) -> None:
        """The merchant's grant is revoked: refresh → invalid_grant, access tokens → expired."""
        self.oauth.expire_all()

    def restore_credentials(self) -> None:
        """The same refresh token works again (as after reconnecting)."""
        self.oauth.restore()

    def inject_faults(self, kind: str, count: int = 1) -> None:
        """Fail the next ``count`` API calls: ``server_error`` (INTERNAL), ``unavailable``,
        ``throttle`` (RESOURCE_EXHAUSTED, QuotaError.RESOURCE_TEMPORARILY_EXHAUSTED with
        ``throttle_retry_delay``), ``quota`` (daily quota, long retry delay) or ``timeout``
        (held ``hold_seconds``, longer than the client's deadline, then dropped)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append([kind, count])

    def take_fault(self, context: grpc.ServicerContext) -> None:
        with self._lock:
            fault = next((f for f in self._faults if f[1] > 0), None)
            if fault is None:
                return
            fault[1] -= 1
            kind = fault[0]
        if kind == "timeout":
            sleep_until(self._release, self.hold_seconds)
            if not context.is_active():  # the client gave up: nothing is done
                raise ApiError(
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                    ads_error("internal_error", "DEADLINE_EXCEEDED", "Deadline exceeded."),
                )
            return
        if kind == "server_error":
            raise ApiError(
                grpc.StatusCode.INTERNAL,
                ads_error("internal_error", "INTERNAL_ERROR", "An internal error has occurred."),
            )
        if kind == "unavailable":
            raise ApiError(
                grpc.StatusCode.UNAVAILABLE,
                ads_error(
                    "internal_error",
                    "TRANSIENT_ERROR",
                    "The request could not be processed due to a transient error.",
                ),
            )
        delay = self.throttle_retry_delay if kind == "throttle" else self.quota_retry_delay
        code = "RESOURCE_TEMPORARILY_EXHAUSTED" if kind == "throttle" else "RESOURCE_EXHAUSTED"
        raise ApiError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            ads_error(
                "quota_error",
                code,
                f"Too many requests. Retry in {delay:g} seconds.",
                retry_delay=delay,
            ),
        )

    # ------------------------------------------------------------------ records

    def record_request(self, service: str, method: str, path: str, request, metadata) -> None:
        entry = {
            "service": service,
            "method": method,
            "path": path,
            "customer_id": getattr(request, "customer_id", None),
            "metadata": dict(metadata),
            "at": time.time(),
        }
        if "query" in type(request).meta.fields:
            entry["query"] = request.query
        if "operations" in type(request).meta.fields:
            entry["partial_failure"] = request.partial_failure
            entry["operations"] = [
                {
                    "resource_name": op.update.resource_name,
                    "update_mask": list(op.update_mask.paths),
                }
                for op in request.operations
            ]
        with self._lock:
            self.requests.append(entry)

    def record_write(self, kind: str, obj, path: str) -> None:
        acc = self.account
        at = time.time()
        if path == "status":
            entries = [{"ref": str(obj.id), "field": "status", "value": obj.status, "at": at}]
        elif path == "amount_micros":
            budget = acc.resource_name("campaign_budget", obj.id)
            value = obj.amount_micros // self._micros_per_minor
            owners = [str(c.id) for c in acc.campaigns_of_budget(obj.id)] or [str(obj.id)]
            entries = [
                {
                    "ref": ref,
                    "field": "daily_budget",
                    "value": value,
                    "budget_ref": budget,
                    "at": at,
                }
                for ref in owners
            ]
        else:
            return
        with self._lock:
            self.writes.extend(entries)
