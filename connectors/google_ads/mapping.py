"""Google Ads rows ↔ neutral ad objects: GAQL queries, statuses, money, refs.

Refs: a campaign or an ad group is its numeric id; an ad is its ad group ad's key
``{ad_group_id}~{ad_id}`` (resource ``customers/{cid}/adGroupAds/{ad_group_id}~{ad_id}``), since
the status lives on the ad group ad. Statuses ENABLED / PAUSED / REMOVED (CampaignStatusEnum,
AdGroupStatusEnum, AdGroupAdStatusEnum) map to ACTIVE / PAUSED / REMOVED; a removed object
stays readable with REMOVED. Money is in micros (1,000,000 per currency unit): a daily budget
is ``campaign_budget.amount_micros`` (https://developers.google.com/google-ads/api/docs/campaigns/budgets),
and neutral minor units are micros / 10,000 for the usual 2-decimal currencies (micros / 1,000,000
for JPY, KRW... and / 1,000 for BHD, KWD...: ISO 4217 exponents).
"""

from __future__ import annotations

import re

from connectors.base import ACTIVE, AD, AD_SET, CAMPAIGN, OTHER, PAUSED, REMOVED, AdObjectInfo

STATUSES = {"ENABLED": ACTIVE, "PAUSED": PAUSED, "REMOVED": REMOVED}

ZERO_DECIMAL = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                "UYI", "VND", "VUV", "XAF", "XOF", "XPF")  # fmt: skip
THREE_DECIMAL = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")

_ID = re.compile(r"^[1-9]\d{0,18}$")
_AD_KEY = re.compile(r"^([1-9]\d{0,18})~([1-9]\d{0,18})$")


def neutral_status(raw: str) -> str:
    return STATUSES.get(raw, OTHER)


def micros_per_minor_unit(currency: str | None) -> int:
    code = (currency or "").upper()
    exponent = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return 10 ** (6 - exponent)


def micros_to_minor(micros: int, currency: str | None) -> int:
    return round(micros / micros_per_minor_unit(currency))


def minor_to_micros(amount: int, currency: str | None) -> int:
    return int(amount) * micros_per_minor_unit(currency)


def valid_ref(level: str, ref: str) -> bool:
    """Whether ``ref`` can name a Google Ads object of ``level`` (also keeps GAQL safe)."""
    pattern = _AD_KEY if level == AD else _ID
    return isinstance(ref, str) and bool(pattern.match(ref))


def dashed(customer_id: str) -> str:
    return f"{customer_id[:3]}-{customer_id[3:6]}-{customer_id[6:]}"


# --------------------------------------------------------------------------- GAQL
# https://developers.google.com/google-ads/api/docs/query/overview; fields from
# https://developers.google.com/google-ads/api/fields/v26/{customer,campaign,ad_group,ad_group_ad}

CUSTOMER_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, "
    "customer.time_zone, customer.manager FROM customer"
)
_CAMPAIGN_FIELDS = (
    "campaign.id, campaign.name, campaign.status, campaign.campaign_budget, "
    "campaign_budget.amount_micros, campaign_budget.period, customer.currency_code"
)
_AD_GROUP_FIELDS = "ad_group.id, ad_group.name, ad_group.status, campaign.id"
_AD_FIELDS = (
    "ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.status, ad_group_ad.ad.final_urls, "
    "ad_group.id, campaign.id"
)
_LIVE = {
    "campaign": ("campaign",),
    "ad_group": ("ad_group", "campaign"),
    "ad_group_ad": ("ad_group_ad", "ad_group", "campaign"),
}


def _where(resource: str, conditions: list[str], include_removed: bool) -> str:
    if not include_removed:
        conditions = conditions + [f"{r}.status != 'REMOVED'" for r in _LIVE[resource]]
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


_LITERAL = re.compile(r"^(?:[1-9]\d{0,18}|'customers/\d{10}/adGroupAds/\d{1,19}~\d{1,19}')$")


def _in(field: str, values) -> str:
    # Only ids and ad group ad names checked here ever reach a query: GAQL has no parameters.
    for value in values:
        if not _LITERAL.match(value):
            raise ValueError("not a Google Ads id")
    return f"{field} IN ({', '.join(values)})"


def campaigns_query(ids: list[str] | None = None) -> str:
    """Live campaigns, or the campaigns ``ids`` whatever their status."""
    where = _where("campaign", [_in("campaign.id", ids)] if ids else [], bool(ids))
    return f"SELECT {_CAMPAIGN_FIELDS} FROM campaign{where} ORDER BY campaign.id"  # noqa: S608


_BUDGET_FIELDS = (
    "campaign.id, campaign.status, campaign.campaign_budget, campaign_budget.amount_micros, "
    "campaign_budget.period, campaign_budget.explicitly_shared, "
    "campaign_budget.reference_count, customer.currency_code"
)


def budget_query(campaign_id: str) -> str:
    where = _in("campaign.id", [campaign_id])
    return f"SELECT {_BUDGET_FIELDS} FROM campaign WHERE {where}"  # noqa: S608


def ad_groups_query(ids: list[str] | None = None) -> str:
    where = _where("ad_group", [_in("ad_group.id", ids)] if ids else [], bool(ids))
    return f"SELECT {_AD_GROUP_FIELDS} FROM ad_group{where} ORDER BY ad_group.id"  # noqa: S608


def ads_query(
    *,
    keys: list[str] | None = None,
    customer_id: str = "",
    campaign_ids: list[str] | None = None,
    ad_group_ids: list[str] | None = None,
) -> str:
    """Ads by key (any status), or the live ads of all / some campaigns or ad groups."""
    if keys:
        names = [f"'customers/{customer_id}/adGroupAds/{key}'" for key in keys]
        where = _where("ad_group_ad", [_in("ad_group_ad.resource_name", names)], True)
    else:
        conditions = []
        if campaign_ids:
            conditions.append(_in("campaign.id", campaign_ids))
        if ad_group_ids:
            conditions.append(_in("ad_group.id", ad_group_ids))
        where = _where("ad_group_ad", conditions, False)
    return f"SELECT {_AD_FIELDS} FROM ad_group_ad{where}"  # noqa: S608


# --------------------------------------------------------------------------- rows


def ad_key(row) -> str:
    return f"{row.ad_group.id}~{row.ad_group_ad.ad.id}"


def destination_urls(ad_rows) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """Final URLs of the ads, gathered per campaign id and per ad group id (first seen first)."""
    by_campaign: dict[str, dict] = {}
    by_group: dict[str, dict] = {}
    for row in ad_rows:
        urls = dict.fromkeys(row.ad_group_ad.ad.final_urls)
        by_campaign.setdefault(str(row.campaign.id), {}).update(urls)
        by_group.setdefault(str(row.ad_group.id), {}).update(urls)
    return (
        {k: tuple(v) for k, v in by_campaign.items()},
        {k: tuple(v) for k, v in by_group.items()},
    )


def campaign_info(row, urls: dict[str, tuple]) -> AdObjectInfo:
    campaign, budget = row.campaign, row.campaign_budget
    raw = campaign.status.name
    ref = str(campaign.id)
    # A custom-period (total) budget is no daily budget; the budget stays named.
    daily = (
        micros_to_minor(budget.amount_micros, row.customer.currency_code)
        if campaign.campaign_budget and budget.period.name == "DAILY"
        else None
    )
    return AdObjectInfo(
        level=CAMPAIGN,
        ref=ref,
        name=campaign.name,
        status=neutral_status(raw),
        raw_status=raw,
        daily_budget=daily,
        budget_ref=campaign.campaign_budget or None,
        destination_urls=urls.get(ref, ()),
    )


def ad_group_info(row, urls: dict[str, tuple]) -> AdObjectInfo:
    group = row.ad_group
    raw = group.status.name
    ref = str(group.id)
    return AdObjectInfo(
        level=AD_SET,
        ref=ref,
        name=group.name,
        status=neutral_status(raw),
        raw_status=raw,
        parent_ref=str(row.campaign.id),
        destination_urls=urls.get(ref, ()),
    )


def ad_info(row) -> AdObjectInfo:
    ad = row.ad_group_ad.ad
    raw = row.ad_group_ad.status.name
    urls = tuple(dict.fromkeys(ad.final_urls))
    # Most ad types have no name of their own (only image and video ads do).
    name = ad.name or (urls[0] if urls else f"Ad {ad.id}")
    return AdObjectInfo(
        level=AD,
        ref=ad_key(row),
        name=name,
        status=neutral_status(raw),
        raw_status=raw,
        parent_ref=str(row.ad_group.id),
        destination_urls=urls,
    )
