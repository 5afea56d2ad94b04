"""``inventorySetQuantities`` and ``inventoryAdjustQuantities`` with the 2026-04 contract.

From ``captures/2026-04/products/inventory-*.json`` and ``inventorySetQuantities-*.json``:

* the field must carry ``@idempotent(key: …)``, else a BAD_REQUEST error and ``null`` payload;
* every quantity/change must carry ``changeFromQuantity`` (explicit ``null`` opts out of the
  compare-and-set), else INVALID_FIELD_ARGUMENTS naming the input type;
* userErrors with the captured codes, fields and wording (names, reasons, unknown items and
  locations, bounds, duplicate pairs, ledger documents);
* a change that moves nothing answers ``inventoryAdjustmentGroup: null`` and no userErrors;
* a successful change lists the named quantity and its ``on_hand`` mirror, ``quantityAfterChange``
  null.

Not captured, so taken from the schema's enum descriptions: the CHANGE_FROM_QUANTITY_STALE and
IDEMPOTENCY_KEY_PARAMETER_MISMATCH messages, and the field paths given for them. A stale entry
fails the whole call (nothing is applied). A key seen before with the same input replays the
first answer without applying anything again; with other input it is refused.
"""

from __future__ import annotations

import json

from graphql import GraphQLError, VariableNode
from graphql.utilities import value_from_ast_untyped

from .admin_catalog import level_event
from .catalog import Catalog, IdempotentResult, InventoryLevel
from .objects import item_object, legacy_id_of, location_object
from .registry import REGISTRY, RequestContext, ShopifyFieldError
from .state import gid, iso, utcnow

REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)
SET_NAMES = ("available", "on_hand")
ADJUST_NAMES = ("available", "damaged", "incoming", "quality_control", "reserved", "safety_stock")
SET_LIMIT = 1_000_000_000
ADJUST_LIMIT = 2_000_000_000

MISSING_IDEMPOTENT = "The @idempotent directive is required for this mutation but was not provided."
STALE = "The changeFromQuantity value does not match persisted value."
KEY_MISMATCH = "The same idempotency key cannot be used with different operation parameters."


def _error(field: list[str] | None, message: str, code: str | None) -> dict:
    return {"field": field, "message": message, "code": code}


def idempotency_key(info) -> str:
    """The ``@idempotent(key:)`` on this field, or the captured BAD_REQUEST error."""
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    variables = getattr(info.variable_values, "coerced", info.variable_values)
                    return str(value_from_ast_untyped(argument.value, variables))
    raise ShopifyFieldError(MISSING_IDEMPOTENT, "BAD_REQUEST")


def require_change_from(info, entries: list[dict], input_type: str) -> None:
    """Since 2026-04 ``changeFromQuantity`` must be given (``null`` opts out of the check)."""
    if all("changeFromQuantity" in entry for entry in entries):
        return
    field_node = info.field_nodes[0]
    value = next(a.value for a in field_node.arguments if a.name.value == "input")
    where = value
    if isinstance(value, VariableNode):
        where = next(
            d
            for d in info.operation.variable_definitions
            if d.variable.name.value == value.name.value
        )
    raise GraphQLError(
        f"{input_type} must include the following argument: changeFromQuantity.",
        [field_node, where],
        extensions={"code": "INVALID_FIELD_ARGUMENTS"},
    )


def _replay(catalog: Catalog, key: str, mutation: str, data: dict) -> dict | None:
    seen = catalog.idempotent.get(key)
    if seen is None:
        return None
    if seen.mutation == mutation and seen.fingerprint == _fingerprint(data):
        return seen.payload
    return {
        "inventoryAdjustmentGroup": None,
        "userErrors": [_error(None, KEY_MISMATCH, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")],
    }


def _fingerprint(data: dict) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def _remember(catalog: Catalog, key: str, mutation: str, data: dict, payload: dict) -> dict:
    catalog.idempotent[key] = IdempotentResult(mutation, _fingerprint(data), payload)
    return payload


def _target_errors(catalog: Catalog, entry: dict, path: list[str]) -> list[dict]:
    errors = []
    item = catalog.item(legacy_id_of(entry["inventoryItemId"], "InventoryItem") or "")
    location = catalog.location(legacy_id_of(entry["locationId"], "Location"))
    if item is None:
        errors.append(
            _error(
                [*path, "inventoryItemId"],
                "The specified inventory item could not be found.",
                "INVALID_INVENTORY_ITEM",
            )
        )
    if location is None:
        errors.append(
            _error(
                [*path, "locationId"],
                "The specified location could not be found.",
                "INVALID_LOCATION",
            )
        )
    return errors


def _level(catalog: Catalog, entry: dict) -> InventoryLevel | None:
    item = catalog.item(legacy_id_of(entry["inventoryItemId"], "InventoryItem") or "")
    location = catalog.location(legacy_id_of(entry["locationId"], "Location"))
    level = item.levels.get(location.legacy_id) if item and location else None
    return level if level is not None and level.is_active else None


def _duplicates(entries: list[dict], path: str) -> list[dict]:
    pairs = [(e["inventoryItemId"], e["locationId"]) for e in entries]
    return [
        _error(
            ["input", path, str(i), "locationId"],
            "The combination of inventoryItemId and locationId must be unique.",
            "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
        )
        for i, pair in enumerate(pairs)
        if pairs.count(pair) > 1
    ]


def _not_stocked_or_stale(catalog, entries, path, name) -> tuple[list[dict], list]:
    errors, levels = [], []
    for i, entry in enumerate(entries):
        level = _level(catalog, entry)
        if level is None:
            errors.append(
                _error(
                    ["input", path, str(i), "locationId"],
                    "The specified inventory item is not stocked at the location.",
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            )
            continue
        expected = entry.get("changeFromQuantity")
        if expected is not None and expected != level.quantity(name):
            errors.append(
                _error(
                    ["input", path, str(i), "changeFromQuantity"],
                    STALE,
                    "CHANGE_FROM_QUANTITY_STALE",
                )
            )
        levels.append(level)
    return errors, levels


def _group(catalog: Catalog, data: dict, changes: list[dict]) -> dict:
    catalog.adjustment_groups += 1
    group_id = 54_640_716_000_000 + catalog.adjustment_groups * 32_768

    def filtered(info, inventoryItemIds=None, locationIds=None, quantityNames=None):
        return [
            c
            for c in changes
            if (inventoryItemIds is None or c["_item"] in inventoryItemIds)
            and (locationIds is None or c["_location"] in locationIds)
            and (quantityNames is None or c["name"] in quantityNames)
        ]

    return {
        "__typename": "InventoryAdjustmentGroup",
        "id": gid("InventoryAdjustmentGroup", group_id),
        "createdAt": iso(utcnow()),
        "reason": data["reason"],
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "changes": filtered,
        "staffMember": None,
    }


def _change(catalog: Catalog, level: InventoryLevel, name: str, delta: int, ledger=None) -> dict:
    item = catalog.item(level.item_id)
    return {
        "name": name,
        "delta": delta,
        "quantityAfterChange": None,  # Shopify answers null here (captured)
        "ledgerDocumentUri": ledger,
        "item": item_object(item, catalog),
        "location": location_object(level.location, catalog),
        "_item": item.gid,
        "_location": level.location.gid,
    }


def _level_event(ctx: RequestContext, level: InventoryLevel) -> None:
    ctx.events.append(level_event(level))


def _common_errors(data: dict, names: tuple[str, ...], name_message: str, name_code) -> list:
    errors = []
    if data["name"] not in names:
        errors.append(_error(["input", "name"], name_message, name_code))
    if data["reason"] not in REASONS:
        message = "The specified reason is invalid. Valid values are: " + ", ".join(REASONS) + "."
        errors.append(_error(["input", "reason"], message, "INVALID_REASON"))
    return errors


@REGISTRY.mutation("inventorySetQuantities")
def set_quantities(ctx: RequestContext, info, input: dict) -> dict:
    key = idempotency_key(info)
    entries = input["quantities"]
    require_change_from(info, entries, "InventoryQuantityInput")
    catalog = ctx.shop.catalog
    replay = _replay(catalog, key, "inventorySetQuantities", input)
    if replay is not None:
        return replay
    name = input["name"]
    errors = _common_errors(
        input,
        SET_NAMES,
        "The quantity name must be either 'available' or 'on_hand'.",
        "INVALID_NAME",
    )
    for i, entry in enumerate(entries):
        path = ["input", "quantities", str(i)]
        errors += _target_errors(catalog, entry, path)
        quantity = entry["quantity"]
        if name == "on_hand" and quantity < 0:
            errors.append(
                _error(
                    [*path, "quantity"],
                    "The quantity can't be negative.",
                    "INVALID_QUANTITY_NEGATIVE",
                )
            )
        elif quantity > SET_LIMIT:
            errors.append(
                _error(
                    [*path, "quantity"],
                    "The quantity can't be higher than 1,000,000,000.",
                    "INVALID_QUANTITY_TOO_HIGH",
                )
            )
        elif quantity < -SET_LIMIT:
            errors.append(
                _error(
                    [*path, "quantity"],
                    "The quantity can't be lower than -1,000,000,000.",
                    "INVALID_QUANTITY_TOO_LOW",
                )
            )
    errors += _duplicates(entries, "quantities")
    if not errors:
        errors, levels = _not_stocked_or_stale(catalog, entries, "quantities", name)
    if errors:
        return _remember(catalog, key, "inventorySetQuantities", input, _failed(errors))
    changes = []
    for entry, level in zip(entries, levels, strict=True):
        delta = entry["quantity"] - level.quantity(name)
        if delta == 0:
            continue
        level.add("available", delta)  # setting on_hand moves available; on_hand follows
        changes += [
            _change(catalog, level, "available", delta),
            _change(catalog, level, "on_hand", delta),
        ]
        _level_event(ctx, level)
    group = _group(catalog, input, changes) if changes else None
    payload = {"inventoryAdjustmentGroup": group, "userErrors": []}
    return _remember(catalog, key, "inventorySetQuantities", input, payload)


def _failed(errors: list[dict]) -> dict:
    return {"inventoryAdjustmentGroup": None, "userErrors": errors}


def _ledger_errors(changes: list[dict]) -> list[dict]:
    errors = []
    for i, change in enumerate(changes):
        path = ["input", "changes", str(i), "ledgerDocumentUri"]
        ledger = change.get("ledgerDocumentUri")
        if change["_name"] == "available" and ledger:
            errors.append(
                _error(
                    path,
                    "A ledger document URI is not allowed when adjusting available.",
                    "INVALID_AVAILABLE_DOCUMENT",
                )
            )
        elif change["_name"] != "available" and not ledger:
            errors.append(
                _error(
                    path,
                    "A ledger document URI is required except when adjusting available.",
                    "INVALID_QUANTITY_DOCUMENT",
                )
            )
        elif ledger and ledger.startswith("gid://shopify/"):
            errors.append(
                _error(
                    path,
                    "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                    "INTERNAL_LEDGER_DOCUMENT",
                )
            )
    if len({c.get("ledgerDocumentUri") for c in changes}) > 1:
        errors.append(
            _error(
                ["input", "changes"],
                "All changes must have the same ledger document URI or, in the case of adjusting "
                "available, no ledger document URI.",
                "MAX_ONE_LEDGER_DOCUMENT",
            )
        )
    return errors


@REGISTRY.mutation("inventoryAdjustQuantities")
def adjust_quantities(ctx: RequestContext, info, input: dict) -> dict:
    key = idempotency_key(info)
    entries = input["changes"]
    require_change_from(info, entries, "InventoryChangeInput")
    catalog = ctx.shop.catalog
    replay = _replay(catalog, key, "inventoryAdjustQuantities", input)
    if replay is not None:
        return replay
    name = input["name"]
    message = (
        "The specified quantity name is invalid. Valid values are: " + ", ".join(ADJUST_NAMES) + "."
    )
    errors = _common_errors(input, ADJUST_NAMES, message, "INVALID_QUANTITY_NAME")
    for i, entry in enumerate(entries):
        errors += _target_errors(catalog, entry, ["input", "changes", str(i)])
    if not errors:
        errors = _ledger_errors([{**e, "_name": name} for e in entries])
    if not errors:
        errors, levels = _not_stocked_or_stale(catalog, entries, "changes", name)
    if not errors:
        for i, (entry, level) in enumerate(zip(entries, levels, strict=True)):
            after = level.quantity(name) + entry["delta"]
            if not -ADJUST_LIMIT <= after <= ADJUST_LIMIT:
                code = "INVALID_QUANTITY_TOO_HIGH" if after > 0 else "INVALID_QUANTITY_TOO_LOW"
                bound = "higher than 2,000,000,000" if after > 0 else "lower than -2,000,000,000"
                errors.append(
                    _error(
                        ["input", "changes", str(i), "delta"],
                        f"The quantity can't be {bound}.",
                        code,
                    )
                )
    if errors:
        return _remember(catalog, key, "inventoryAdjustQuantities", input, _failed(errors))
    changes = []
    for entry, level in zip(entries, levels, strict=True):
        delta = entry["delta"]
        if delta == 0:
            continue
        level.add(name, delta)
        changes.append(_change(catalog, level, name, delta, entry.get("ledgerDocumentUri")))
        if name != "incoming":  # incoming stock is not on hand yet
            changes.append(_change(catalog, level, "on_hand", delta))
        if name == "available":
            _level_event(ctx, level)
    group = _group(catalog, input, changes) if changes else None
    payload = {"inventoryAdjustmentGroup": group, "userErrors": []}
    return _remember(catalog, key, "inventoryAdjustQuantities", input, payload)
