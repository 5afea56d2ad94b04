"""``INVALID_VARIABLE`` errors: variables that do not fit their declared types.

Checked before execution, with graphql-ruby's wording as captured from Shopify
(``captures/2026-04``: "Variable $input of type ProductDeleteInput! was provided invalid value
for id (Expected value to not be null)", enum lists, "Field is not defined on …", and
"Invalid global id '…'" for Shopify's gid-only ``ID`` scalar).
"""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    is_enum_type,
    is_input_object_type,
    is_list_type,
    is_non_null_type,
    type_from_ast,
)
from graphql.pyutils import Undefined

from .state import GID_RE
from .validation import locations


def variable_errors(schema: GraphQLSchema, operation: OperationDefinitionNode, raw: dict):
    """INVALID_VARIABLE errors for values that do not fit their declared types."""
    errors = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        var_type = type_from_ast(schema, definition.type)
        if var_type is None:
            continue  # already reported by validation
        problems: list[dict] = []
        if name not in raw:
            if is_non_null_type(var_type) and definition.default_value is None:
                problems.append({"path": [], "explanation": "Expected value to not be null"})
        else:
            _coerce(raw[name], var_type, [], problems)
        if not problems:
            continue
        message = f"Variable ${name} of type {var_type} was provided invalid value"
        nested = [p for p in problems if p["path"]]
        if nested:
            message += " for " + ", ".join(
                f"{'.'.join(str(s) for s in p['path'])} ({p['explanation']})" for p in nested
            )
        errors.append(
            {
                "message": message,
                "locations": locations(definition),
                "extensions": {
                    "code": "INVALID_VARIABLE",
                    "value": raw.get(name),
                    "problems": problems,
                },
            }
        )
    return errors


def _coerce(value: Any, type_, path: list, problems: list[dict]) -> None:
    if is_non_null_type(type_):
        if value is None:
            problems.append({"path": path, "explanation": "Expected value to not be null"})
            return
        type_ = type_.of_type
    if value is None:
        return
    if is_list_type(type_):
        if isinstance(value, list):
            for position, item in enumerate(value):
                _coerce(item, type_.of_type, [*path, position], problems)
        else:
            _coerce(value, type_.of_type, path, problems)
        return
    if is_input_object_type(type_):
        if not isinstance(value, dict):
            problems.append(
                {
                    "path": path,
                    "explanation": f"Expected {json.dumps(value)} to be a key-value object.",
                }
            )
            return
        for key in value:
            if key not in type_.fields:
                problems.append(
                    {"path": [*path, key], "explanation": f"Field is not defined on {type_.name}"}
                )
        for field_name, field in type_.fields.items():
            if field_name in value:
                _coerce(value[field_name], field.type, [*path, field_name], problems)
            elif is_non_null_type(field.type) and field.default_value is Undefined:
                problems.append(
                    {"path": [*path, field_name], "explanation": "Expected value to not be null"}
                )
        return
    if is_enum_type(type_):
        if not isinstance(value, str) or value not in type_.values:
            problems.append(
                {
                    "path": path,
                    "explanation": f'Expected "{value}" to be one of: {", ".join(type_.values)}',
                }
            )
        return
    if type_.name == "ID":
        if not isinstance(value, str) or not GID_RE.match(value):
            text = f"Invalid global id '{value}'"
            problems.append({"path": path, "explanation": text, "message": text})
        return
    try:
        type_.parse_value(value)
    except (GraphQLError, TypeError, ValueError):
        problems.append(
            {
                "path": path,
                "explanation": f"Could not coerce value {json.dumps(value)} to {type_.name}",
            }
        )
