"""MutateCampaigns, MutateAdGroups and MutateCampaignBudgets as the API applies them.

Updates need an ``update_mask`` (FieldMaskError.FIELD_MASK_MISSING otherwise); the mask may
name ``resource_name`` (protobuf_helpers.field_mask puts it there). Without ``partial_failure``
a request is atomic: one bad operation fails it whole with INVALID_ARGUMENT; with it, good
operations are applied, failed ones get an empty result and their errors come back in
``partial_failure_error`` (a google.rpc.Status whose details hold a GoogleAdsFailure; each
error's location starts at ``operations[i]``) — see
https://developers.google.com/google-ads/api/docs/best-practices/partial-failures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from google.ads.googleads.v26.errors.types import errors as err
from google.ads.googleads.v26.resources.types.ad_group import AdGroup
from google.ads.googleads.v26.resources.types.campaign import Campaign
from google.ads.googleads.v26.resources.types.campaign_budget import CampaignBudget
from google.protobuf import any_pb2
from google.rpc import status_pb2

from .failures import VERSION, ads_error, invalid
from .state import Account, micros_per_minor_unit


@dataclass(frozen=True)
class Kind:
    """One mutable resource: how its resource names look and which fields an update may set."""

    name: str  # "campaign" | "ad_group" | "campaign_budget"
    pattern: re.Pattern
    fields: frozenset[str]


CAMPAIGN = Kind(
    "campaign", re.compile(r"^customers/(\d+)/campaigns/(\d+)$"), frozenset({"status", "name"})
)
AD_GROUP = Kind(
    "ad_group", re.compile(r"^customers/(\d+)/adGroups/(\d+)$"), frozenset({"status", "name"})
)
BUDGET = Kind(
    "campaign_budget",
    re.compile(r"^customers/(\d+)/campaignBudgets/(\d+)$"),
    frozenset({"amount_micros", "name"}),
)


def _lookup(account: Account, kind: Kind, key: int):
    table = {"campaign": account.campaigns, "ad_group": account.ad_groups}.get(kind.name)
    return (table if table is not None else account.budgets).get(key)


def _check(account, kind: Kind, i: int, op, seen: set) -> tuple[object, list[str]]:
    """The object an update operation targets and its mask, or raise one GoogleAdsError."""
    which = type(op).pb(op).WhichOneof("operation")
    if which != "update":
        raise _OpError(
            ads_error(
                "mutate_error",
                "MUTATE_NOT_ALLOWED",
                "Mutates are not allowed for the requested resource.",
                location=[("operations", i), (which or "operation", None)],
            )
        )
    where = [("operations", i), ("update", None), ("resource_name", None)]
    match = kind.pattern.match(op.update.resource_name)
    if not match:
        raise _OpError(
            ads_error(
                "request_error",
                "RESOURCE_NAME_MALFORMED",
                "Resource name is malformed.",
                location=where,
                trigger=op.update.resource_name,
            )
        )
    obj = _lookup(account, kind, int(match.group(2)))
    if match.group(1) != account.customer_id or obj is None:
        raise _OpError(
            ads_error(
                "mutate_error", "RESOURCE_NOT_FOUND", "Resource was not found.", location=where
            )
        )
    if op.update.resource_name in seen:
        raise _OpError(
            ads_error(
                "mutate_error",
                "ID_EXISTS_IN_MULTIPLE_MUTATES",
                "Cannot mutate the same resource twice in one request.",
                location=where,
            )
        )
    seen.add(op.update.resource_name)
    if obj.status == "REMOVED":
        raise _OpError(
            ads_error(
                "operation_access_denied_error",
                "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE",
                "This operation is not allowed because the resource is removed.",
                location=where[:2],
            )
        )
    paths = [p for p in op.update_mask.paths if p != "resource_name"]
    if not paths:
        raise _OpError(
            ads_error(
                "field_mask_error",
                "FIELD_MASK_MISSING",
                "The field mask must be provided for update operations.",
                location=[("operations", i), ("update_mask", None)],
            )
        )
    for path in paths:
        if path not in kind.fields:
            raise _OpError(
                ads_error(
                    "field_mask_error",
                    "FIELD_NOT_FOUND",
                    "The field mask contained an invalid field.",
                    location=[("operations", i), ("update_mask", None)],
                    trigger=path,
                )
            )
    update = op.update
    if "status" in paths and update.status.name not in ("ENABLED", "PAUSED"):
        raise _OpError(
            ads_error(
                "request_error",
                "INVALID_ENUM_VALUE",
                "The enum value is not permitted.",
                location=[("operations", i), ("update", None), ("status", None)],
            )
        )
    if "amount_micros" in paths:
        amount = update.amount_micros
        amount_at = [("operations", i), ("update", None), ("amount_micros", None)]
        if amount < 0:
            raise _OpError(
                ads_error(
                    "campaign_budget_error",
                    "NEGATIVE_MONEY_AMOUNT",
                    "A money amount was negative.",
                    location=amount_at,
                )
            )
        if amount % micros_per_minor_unit(account.currency_code):
            raise _OpError(
                ads_error(
                    "campaign_budget_error",
                    "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
                    "A money amount was not a multiple of a minimum unit.",
                    location=amount_at,
                )
            )
    return obj, paths


class _OpError(Exception):
    def __init__(self, error: err.GoogleAdsError):
        super().__init__(error.message)
        self.error = error


def _status_message(errors: list[err.GoogleAdsError]) -> str:
    def one(e: err.GoogleAdsError) -> str:
        path = ".".join(
            f"{p.field_name}[{p.index}]" if "index" in p else p.field_name
            for p in e.location.field_path_elements
        )
        return f"{e.message}, at {path}" if path else e.message

    if len(errors) == 1:
        return one(errors[0])
    return "Multiple errors in 'details'. First error: " + one(errors[0])


def mutate(sandbox, kind: Kind, request, response_cls, result_cls):
    """Apply ``request``'s operations to the sandbox account; the Mutate*Response."""
    account: Account = sandbox.account
    if not request.operations:
        raise invalid(
            ads_error(
                "collection_size_error", "TOO_FEW", "Too few.", location=[("operations", None)]
            )
        )
    with account.lock:
        planned, errors, seen = [], [], set()
        for i, op in enumerate(request.operations):
            try:
                planned.append((i, *_check(account, kind, i, op, seen)))
            except _OpError as e:
                errors.append(e.error)
                planned.append((i, None, None))
        if errors and not request.partial_failure:
            raise invalid(*errors)
        results = []
        for i, obj, paths in planned:
            if obj is None or request.validate_only:
                results.append(result_cls())
                continue
            update = request.operations[i].update
            for path in paths:
                value = getattr(update, path)
                setattr(obj, path, value.name if path == "status" else value)
                sandbox.record_write(kind.name, obj, path)
            result = result_cls(resource_name=update.resource_name)
            if request.response_content_type.name == "MUTABLE_RESOURCE":
                setattr(result, kind.name, _resource(account, kind, obj))
            results.append(result)
        response = response_cls(results=results)
        if errors:
            failure = err.GoogleAdsFailure(errors=errors)
            response.partial_failure_error = status_pb2.Status(
                code=3,  # google.rpc.Code.INVALID_ARGUMENT
                message=_status_message(errors),
                details=[
                    any_pb2.Any(
                        type_url=f"type.googleapis.com/google.ads.googleads.{VERSION}.errors."
                        "GoogleAdsFailure",
                        value=err.GoogleAdsFailure.serialize(failure),
                    )
                ],
            )
        return response


def _resource(account: Account, kind: Kind, obj):
    if kind is CAMPAIGN:
        return Campaign(
            resource_name=account.resource_name("campaign", obj.id),
            id=obj.id,
            name=obj.name,
            status=obj.status,
            campaign_budget=account.resource_name("campaign_budget", obj.budget_id),
        )
    if kind is AD_GROUP:
        return AdGroup(
            resource_name=account.resource_name("ad_group", obj.id),
            id=obj.id,
            name=obj.name,
            status=obj.status,
            campaign=account.resource_name("campaign", obj.campaign_id),
        )
    return CampaignBudget(
        resource_name=account.resource_name("campaign_budget", obj.id),
        id=obj.id,
        name=obj.name,
        amount_micros=obj.amount_micros,
    )
