"""Meta (Facebook & Instagram) ads through the Marketing API, Graph API v26.0.

Reads: ``GET /act_{id}?fields=name,currency,timezone_name``; ``GET /act_{id}/{campaigns|adsets|
ads}?fields=…&limit=…`` with cursor paging (the SDK's ``Cursor`` follows
``paging.cursors.after`` while ``paging.next`` is present); one ``GET /{id}?fields=…`` per object
to re-read. Several objects are deliberately not read with ``GET /?ids=a,b``: Meta lists
multi-ID requests among the legacy Graph features that new apps may not adopt from 4 Nov 2026
(Graph API v27.0 announcement), and one unknown id fails the whole request.

Writes: ``POST /{id}`` with ``status=ACTIVE|PAUSED`` or ``daily_budget=<minor units>``, answered
``{"success": true}`` (https://developers.facebook.com/docs/marketing-api/reference/ad-campaign-group/#Updating).
A deleted object stays readable by id with status DELETED but no edge lists it
(https://developers.facebook.com/docs/marketing-api/best-practices/manage-your-ad-object-status):
``read_objects`` reports it None (gone, as an unknown id is), since nothing can switch it back on.

Config: ``META_GRAPH_URL`` (base URL, default https://graph.facebook.com) and
``ADS_HTTP_TIMEOUT`` (seconds per HTTP call, default 10).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import ClassVar

from facebook_business.adobjects.ad import Ad
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.campaign import Campaign
from flask import current_app

from connectors.base import (
    AD,
    AD_SET,
    CAMPAIGN,
    AdAccountInfo,
    AdObjectInfo,
    AdWriteResult,
    CredentialField,
)
from connectors.errors import InvalidRequest, NotFound, Unauthorized

from . import mapping
from .client import API_VERSION, BudgetChangeLimit, GraphClient

log = logging.getLogger(__name__)

SDK_CLASS = {CAMPAIGN: Campaign, AD_SET: AdSet, AD: Ad}
# AdAccount edge readers: GET /act_{id}/campaigns, /adsets, /ads
EDGE_READER = {CAMPAIGN: "get_campaigns", AD_SET: "get_ad_sets", AD: "get_ads"}
PAGE_SIZE = 100

__all__ = ["API_VERSION", "BudgetChangeLimit", "MetaConnector"]


def _client(credentials: dict) -> GraphClient:
    token = (credentials or {}).get("access_token")
    secret = (credentials or {}).get("app_secret")
    if not token or not secret:
        raise Unauthorized("the stored Meta credentials lack the access token or app secret")
    cfg = current_app.config
    return GraphClient(
        cfg.get("META_GRAPH_URL") or "https://graph.facebook.com",
        access_token=token,
        app_secret=secret,
        app_id=credentials.get("app_id"),
        timeout=float(cfg.get("ADS_HTTP_TIMEOUT", 10)),
    )


def _level_class(level: str):
    cls = SDK_CLASS.get(level)
    if cls is None:
        raise InvalidRequest(
            f"Meta has no level {level!r}", errors=[{"field": "level", "message": "unknown"}]
        )
    return cls


class MetaConnector:
    """The ``AdConnector`` for Meta: campaigns, ad sets and ads of one ad account."""

    platform: ClassVar[str] = "meta"
    display_name: ClassVar[str] = "Meta (Facebook & Instagram)"
    levels: ClassVar[tuple[str, ...]] = (CAMPAIGN, AD_SET, AD)
    # "For each ad set, the budget is only allowed to change 4 times per hour" (Marketing API
    # rate limiting, Ad Set Level Limits).
    budget_changes_per_hour: ClassVar[int | None] = 4
    credential_fields: ClassVar[tuple[CredentialField, ...]] = mapping.CREDENTIAL_FIELDS

    def parse_credentials(self, form: dict) -> tuple[str, dict]:
        return mapping.parse_credentials(form)

    def test_connection(self, account_ref: str, credentials: dict) -> AdAccountInfo:
        """https://developers.facebook.com/docs/marketing-api/reference/ad-account/"""
        client = _client(credentials)
        try:
            account = client.call(
                f"reading {account_ref}",
                lambda api: AdAccount(account_ref, api=api).api_get(
                    params={"fields": "name,currency,timezone_name"}
                ),
            )
        except NotFound as e:
            # 100/33 here means the token cannot see this account (or it does not exist).
            raise Unauthorized(f"this token has no access to ad account {account_ref}") from e
        data = account.export_all_data()
        return AdAccountInfo(
            ref=account_ref,
            name=data.get("name") or account_ref,
            currency=data.get("currency"),
            timezone=data.get("timezone_name"),
        )

    def list_objects(self, account_ref: str, credentials: dict) -> Iterator[list[AdObjectInfo]]:
        """Campaigns, then ad sets, then ads, a page at a time (DELETED and ARCHIVED objects
        are not listed by Meta's edges)."""
        client = _client(credentials)  # built now: the config is read inside the app context
        return self._pages(client, account_ref)

    def _pages(self, client: GraphClient, account_ref: str) -> Iterator[list[AdObjectInfo]]:
        for level in (CAMPAIGN, AD_SET, AD):
            edge = mapping.EDGES[level]
            what = f"listing {edge} of {account_ref}"
            params = {"fields": mapping.FIELDS[level], "limit": PAGE_SIZE}
            cursor = client.call(
                what,
                lambda api, level=level, params=params: getattr(
                    AdAccount(account_ref, api=api), EDGE_READER[level]
                )(params=params),
            )
            while True:
                page = [
                    mapping.object_info(level, cursor[i].export_all_data())
                    for i in range(len(cursor))
                ]
                if page:
                    yield page
                if not client.call(what, lambda api, c=cursor: c.load_next_page()):
                    break

    def read_objects(
        self, account_ref: str, credentials: dict, objects: list[tuple[str, str]]
    ) -> dict[str, AdObjectInfo | None]:
        client = _client(credentials)
        return {ref: self._read(client, level, ref) for level, ref in objects}

    def _read(self, client: GraphClient, level: str, ref: str) -> AdObjectInfo | None:
        cls = _level_class(level)
        try:
            node = client.call(
                f"reading {ref}",
                lambda api: cls(ref, api=api).api_get(params={"fields": mapping.FIELDS[level]}),
            )
        except NotFound:
            return None
        info = mapping.object_info(level, node.export_all_data())
        return None if info.raw_status in mapping.GONE_STATUSES else info

    def set_status(
        self, account_ref: str, credentials: dict, level: str, refs: list[str], active: bool
    ) -> list[AdWriteResult]:
        cls = _level_class(level)
        client = _client(credentials)
        status = "ACTIVE" if active else "PAUSED"
        return [
            self._write(
                client,
                level,
                ref,
                lambda api, r=ref: cls(r, api=api).api_update(params={"status": status}),
                f"setting {ref} {status}",
            )
            for ref in refs
        ]

    def set_daily_budget(
        self, account_ref: str, credentials: dict, obj: AdObjectInfo, amount: int
    ) -> AdWriteResult:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise InvalidRequest(
                "a daily budget is a whole number of minor units, at least 1",
                errors=[{"field": "amount", "message": "whole number ≥ 1"}],
            )
        ref = obj.budget_ref or obj.ref
        if obj.level == AD:
            return AdWriteResult(ref=obj.ref, ok=False, error="a Meta ad has no budget of its own")
        cls = _level_class(obj.level)
        client = _client(credentials)
        return self._write(
            client,
            obj.level,
            ref,
            lambda api: cls(ref, api=api).api_update(params={"daily_budget": amount}),
            f"setting the daily budget of {ref}",
        )

    def _write(self, client: GraphClient, level: str, ref: str, fn, what: str) -> AdWriteResult:
        """One object's write; whole-call failures (token, throttling, 5xx) propagate."""
        try:
            client.call(what, fn)
        except NotFound:
            return AdWriteResult(ref=ref, ok=False, gone=True, error="not found on Meta")
        except InvalidRequest as e:
            # Meta refuses edits to DELETED objects without a documented code: re-read to tell
            # "gone" from a refusal of the value itself (e.g. a budget under the minimum).
            if self._read(client, level, ref) is None:
                return AdWriteResult(ref=ref, ok=False, gone=True, error="deleted on Meta")
            return AdWriteResult(ref=ref, ok=False, error=str(e))
        log.info("meta: %s done", what)
        return AdWriteResult(ref=ref, ok=True)
