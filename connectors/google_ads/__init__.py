"""Google Ads: pause and resume campaigns and ad groups, read them, set campaign budgets.

The official ``google-ads`` library (34.0.0) over gRPC, API v26 (see ``client.py`` for the
channel, OAuth and retries). Status writes are ``CampaignService.MutateCampaigns`` /
``AdGroupService.MutateAdGroups`` updates with an update mask
(https://developers.google.com/google-ads/api/docs/samples/update-campaign), budgets
``CampaignBudgetService.MutateCampaignBudgets`` on the campaign's budget resource
(https://developers.google.com/google-ads/api/docs/campaigns/budgets); all mutates use partial
failure so each object gets its own result. Reads are GAQL through ``GoogleAdsService.Search``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from google.ads.googleads.v26.services.services.ad_group_service import AdGroupServiceClient
from google.ads.googleads.v26.services.services.campaign_budget_service import (
    CampaignBudgetServiceClient,
)
from google.ads.googleads.v26.services.services.campaign_service import CampaignServiceClient
from google.api_core import protobuf_helpers

from connectors.base import (
    AD,
    AD_SET,
    CAMPAIGN,
    AdAccountInfo,
    AdObjectInfo,
    AdWriteResult,
    CredentialField,
)
from connectors.errors import InvalidRequest

from . import failures, form, mapping
from .client import AdsSession

CHUNK = 1000  # operations per mutate and ids per IN (...) (the API allows 10,000 operations)
PAGE = 1000  # ads per yielded page of list_objects


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_result(ref: str, errors: list) -> AdWriteResult:
    if not errors:
        return AdWriteResult(ref=ref, ok=True)
    return AdWriteResult(
        ref=ref, ok=False, gone=failures.gone(errors), error=failures.describe(errors)
    )


class GoogleAdsConnector:
    platform: ClassVar[str] = "google_ads"
    display_name: ClassVar[str] = "Google Ads"
    levels: ClassVar[tuple[str, ...]] = (CAMPAIGN, AD_SET)
    budget_changes_per_hour: ClassVar[int | None] = None
    credential_fields: ClassVar[tuple[CredentialField, ...]] = form.FIELDS

    def parse_credentials(self, form_data: dict) -> tuple[str, dict]:
        return form.parse(form_data)

    # ------------------------------------------------------------------ reads

    def test_connection(self, account_ref: str, credentials: dict) -> AdAccountInfo:
        """``SELECT customer.* FROM customer``: the account itself, which must not be a
        manager account (those hold no campaigns)."""
        with AdsSession(account_ref, credentials) as session:
            rows = session.rows(mapping.CUSTOMER_QUERY, "test connection")
        if not rows:
            raise InvalidRequest(
                "Google Ads returned no account",
                errors=[{"field": "customer_id", "message": "No such Google Ads account."}],
            )
        customer = rows[0].customer
        if customer.manager:
            raise InvalidRequest(
                "Google Ads account is a manager account",
                errors=[
                    {
                        "field": "customer_id",
                        "message": "This is a manager account: enter the ID of the account "
                        "with the campaigns, and this one as the manager account ID.",
                    }
                ],
            )
        return AdAccountInfo(
            ref=account_ref,
            name=customer.descriptive_name or mapping.dashed(account_ref),
            currency=customer.currency_code or None,
            timezone=customer.time_zone or None,
        )

    def list_objects(self, account_ref: str, credentials: dict) -> Iterator[list[AdObjectInfo]]:
        """Live (not removed) campaigns, then ad groups, then ads; campaigns and ad groups
        carry their ads' final URLs."""
        with AdsSession(account_ref, credentials) as session:
            ads = session.rows(mapping.ads_query(), "list ads")
            by_campaign, by_group = mapping.destination_urls(ads)
            for page in session.search(mapping.campaigns_query(), "list campaigns"):
                if page:
                    yield [mapping.campaign_info(row, by_campaign) for row in page]
            for page in session.search(mapping.ad_groups_query(), "list ad groups"):
                if page:
                    yield [mapping.ad_group_info(row, by_group) for row in page]
            for chunk in _chunks(ads, PAGE):
                yield [mapping.ad_info(row) for row in chunk]

    def read_objects(
        self, account_ref: str, credentials: dict, objects: list[tuple[str, str]]
    ) -> dict[str, AdObjectInfo | None]:
        """Objects as they are now, removed ones included (status REMOVED); None for a ref
        the account does not know."""
        found: dict[str, AdObjectInfo | None] = {ref: None for _, ref in objects}
        wanted: dict[str, list[str]] = {CAMPAIGN: [], AD_SET: [], AD: []}
        for level, ref in objects:
            if level not in wanted:
                raise InvalidRequest(
                    f"Google Ads has no level {level!r}",
                    errors=[{"field": "level", "message": "Unknown level."}],
                )
            if mapping.valid_ref(level, ref) and ref not in wanted[level]:
                wanted[level].append(ref)
        if not any(wanted.values()):
            return found
        with AdsSession(account_ref, credentials) as session:
            for ids in _chunks(wanted[CAMPAIGN]):
                ads = session.rows(mapping.ads_query(campaign_ids=ids), "read campaign ads")
                urls, _ = mapping.destination_urls(ads)
                for row in session.rows(mapping.campaigns_query(ids), "read campaigns"):
                    info = mapping.campaign_info(row, urls)
                    found[info.ref] = info
            for ids in _chunks(wanted[AD_SET]):
                ads = session.rows(mapping.ads_query(ad_group_ids=ids), "read ad group ads")
                _, urls = mapping.destination_urls(ads)
                for row in session.rows(mapping.ad_groups_query(ids), "read ad groups"):
                    info = mapping.ad_group_info(row, urls)
                    found[info.ref] = info
            for keys in _chunks(wanted[AD]):
                query = mapping.ads_query(keys=keys, customer_id=account_ref)
                for row in session.rows(query, "read ads"):
                    info = mapping.ad_info(row)
                    found[info.ref] = info
        return found

    # ------------------------------------------------------------------ writes

    def set_status(
        self, account_ref: str, credentials: dict, level: str, refs: list[str], active: bool
    ) -> list[AdWriteResult]:
        """ENABLED / PAUSED on campaigns or ad groups: one update (mask resource_name,
        status) per object, partial failure, so an unknown or removed one is ``gone``."""
        if level not in self.levels:
            raise InvalidRequest(
                f"StockGuard changes Google Ads campaigns and ad groups, not {level!r}",
                errors=[{"field": "level", "message": "Not a level StockGuard changes."}],
            )
        results: dict[str, AdWriteResult] = {}
        unique = list(dict.fromkeys(refs))
        for ref in unique:
            if not mapping.valid_ref(level, ref):
                results[ref] = AdWriteResult(
                    ref=ref, ok=False, gone=True, error="not a Google Ads id"
                )
        valid = [ref for ref in unique if ref not in results]
        if valid:
            with AdsSession(account_ref, credentials) as session:
                for chunk in _chunks(valid):
                    operations = [
                        self._status_operation(session, level, ref, active) for ref in chunk
                    ]
                    if level == CAMPAIGN:
                        service, method = CampaignServiceClient, "mutate_campaigns"
                    else:
                        service, method = AdGroupServiceClient, "mutate_ad_groups"
                    what = f"{'resume' if active else 'pause'} {level}s"
                    response = session.mutate(service, method, operations, what)
                    per_op = failures.operation_errors(response.partial_failure_error)
                    common = per_op.get(-1, [])
                    for i, ref in enumerate(chunk):
                        results[ref] = _write_result(ref, per_op.get(i, []) + common)
        return [results[ref] for ref in refs]

    @staticmethod
    def _status_operation(session: AdsSession, level: str, ref: str, active: bool):
        client = session.client
        if level == CAMPAIGN:
            operation = client.get_type("CampaignOperation")
            obj = operation.update
            obj.resource_name = CampaignServiceClient.campaign_path(session.customer_id, ref)
            enum = client.enums.CampaignStatusEnum
        else:
            operation = client.get_type("AdGroupOperation")
            obj = operation.update
            obj.resource_name = AdGroupServiceClient.ad_group_path(session.customer_id, ref)
            enum = client.enums.AdGroupStatusEnum
        obj.status = enum.ENABLED if active else enum.PAUSED
        client.copy_from(operation.update_mask, protobuf_helpers.field_mask(None, obj._pb))
        return operation

    def set_daily_budget(
        self, account_ref: str, credentials: dict, obj: AdObjectInfo, amount: int
    ) -> AdWriteResult:
        """Set the campaign's budget (``campaign_budget.amount_micros``), read live: the
        campaign's budget now, not ``obj.budget_ref``, which the merchant may have swapped.
        A budget other campaigns share, or a custom-period (total) one, is left alone."""
        if amount < 0:
            raise InvalidRequest(
                "A budget cannot be negative",
                errors=[{"field": "amount", "message": "A budget cannot be negative."}],
            )
        if obj.level != CAMPAIGN:
            return AdWriteResult(
                ref=obj.ref,
                ok=False,
                error="Google Ads ad groups and ads have no budget; their campaign's applies",
            )
        if not mapping.valid_ref(CAMPAIGN, obj.ref):
            return AdWriteResult(ref=obj.ref, ok=False, gone=True, error="not a Google Ads id")
        with AdsSession(account_ref, credentials) as session:
            rows = session.rows(mapping.budget_query(obj.ref), "read campaign budget")
            if not rows or rows[0].campaign.status.name == "REMOVED":
                return AdWriteResult(ref=obj.ref, ok=False, gone=True, error="campaign not found")
            row = rows[0]
            budget = row.campaign_budget
            if not row.campaign.campaign_budget:
                return AdWriteResult(ref=obj.ref, ok=False, error="the campaign has no budget")
            if budget.reference_count > 1:
                return AdWriteResult(
                    ref=obj.ref,
                    ok=False,
                    error=f"the budget is shared by {budget.reference_count} campaigns",
                )
            if budget.period.name != "DAILY":
                return AdWriteResult(ref=obj.ref, ok=False, error="not a daily budget")
            client = session.client
            operation = client.get_type("CampaignBudgetOperation")
            update = operation.update
            update.resource_name = row.campaign.campaign_budget
            update.amount_micros = mapping.minor_to_micros(amount, row.customer.currency_code)
            client.copy_from(operation.update_mask, protobuf_helpers.field_mask(None, update._pb))
            if "amount_micros" not in operation.update_mask.paths:  # a 0 is not "set"
                operation.update_mask.paths.append("amount_micros")
            response = session.mutate(
                CampaignBudgetServiceClient,
                "mutate_campaign_budgets",
                [operation],
                "set campaign budget",
            )
        per_op = failures.operation_errors(response.partial_failure_error)
        return _write_result(obj.ref, per_op.get(0, []) + per_op.get(-1, []))
