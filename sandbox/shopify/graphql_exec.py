"""Run one Admin API GraphQL request the way Shopify does, against the real 2026-04 schema.

Order of checks (each failure answers HTTP 200 with ``errors``):
parse → validate (graphql-ruby codes, no cost) → pick the operation → coerce variables
(``INVALID_VARIABLE``) → price (``MAX_COST_EXCEEDED`` over 1,000) → leaky bucket (``THROTTLED``)
→ execute with the registered resolvers → charge the actual cost → ``extensions.cost``.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from .cost import SINGLE_QUERY_MAX_COST, CostCalculator, LeakyBucket
from .registry import REGISTRY, RequestContext, field_resolver, type_resolver
from .validation import format_validation_errors, shopify_rules
from .variables import variable_errors

SCHEMA_PATH = Path(__file__).with_name("admin-2026-04.graphql")

# Modules whose import registers root fields; later work appends e.g. "resolvers_inventory".
RESOLVER_MODULES = (
    "resolvers_shop",
    "resolvers_webhooks",
    "resolvers_catalog",
    "resolvers_inventory",
    "resolvers_products",
)

RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"

_schema: GraphQLSchema | None = None
_schema_lock = threading.Lock()


def admin_schema() -> GraphQLSchema:
    """The Admin 2026-04 schema, built once per process (~1.4 s) on first use."""
    global _schema
    with _schema_lock:
        if _schema is None:
            schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
            # Shopify's schema breaks the rule that an implementation of a non-deprecated
            # interface field may not be deprecated; graphql-core would refuse to validate.
            schema._validation_errors = []
            for module in RESOLVER_MODULES:
                importlib.import_module(f"{__package__}.{module}")
            _schema = schema
        return _schema


def _errors(*errors: dict) -> dict:
    return {"errors": list(errors)}


def _select_operation(document: DocumentNode, name: str | None):
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for operation in operations:
            if operation.name and operation.name.value == name:
                return operation, None
        return None, f'No operation named "{name}"'
    if len(operations) == 1:
        return operations[0], None
    return None, "An operation name is required"


def run_graphql(
    ctx: RequestContext,
    bucket: LeakyBucket,
    query: Any,
    variables: Any,
    operation_name: Any,
) -> dict:
    """Answer one request body; always a JSON-able dict (the HTTP status is 200)."""
    schema = admin_schema()
    if not isinstance(query, str) or not query.strip():
        return _errors({"message": "No query string was present"})
    try:
        document = parse(query)
    except GraphQLSyntaxError as error:
        return _errors(error.formatted)

    invalid = validate(schema, document, rules=list(shopify_rules()))
    if invalid:
        return _errors(*format_validation_errors(schema, document, invalid))

    operation, problem = _select_operation(document, operation_name or None)
    if operation is None:
        return _errors({"message": problem})
    if variables is not None and not isinstance(variables, dict):
        return _errors({"message": "Variables must be an object"})
    variables = variables or {}
    bad_variables = variable_errors(schema, operation, variables)
    if bad_variables:
        return _errors(*bad_variables)

    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    per_item = getattr(ctx.sandbox, "list_pricing", "once") == "per_item"
    requested = CostCalculator(
        schema, fragments, variables, actual=False, per_item_lists=per_item
    ).operation_cost(operation)
    if requested > SINGLE_QUERY_MAX_COST:
        return _errors(
            {
                "message": (
                    f"Query cost is {requested}, which exceeds the single query max cost limit "
                    f"({SINGLE_QUERY_MAX_COST}).\n\nSee {RATE_LIMIT_DOCS} for more information on "
                    "how the\ncost of a query is calculated.\n\nTo query larger amounts of data "
                    "with fewer limits, bulk operations should be used instead.\nSee "
                    "https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for "
                    "usage details.\n"
                ),
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": requested,
                    "maxCost": SINGLE_QUERY_MAX_COST,
                },
            }
        )
    if not bucket.try_take(requested):
        body = _errors(
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS},
            }
        )
        body["extensions"] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": bucket.status(),
            }
        }
        return body

    result = execute(
        schema,
        document,
        root_value=REGISTRY.root_value(operation.operation.value),
        context_value=ctx,
        variable_values=variables,
        operation_name=operation.name.value if operation.name else None,
        field_resolver=field_resolver,
        type_resolver=type_resolver,
    )
    actual = CostCalculator(
        schema, fragments, variables, actual=True, per_item_lists=per_item
    ).operation_cost(operation, result.data)
    actual = min(actual, requested)  # fewer nodes than asked for cost less, never more
    bucket.refund(requested - actual)
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    body["data"] = result.data
    body["extensions"] = {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": bucket.status(),
        }
    }
    return body
