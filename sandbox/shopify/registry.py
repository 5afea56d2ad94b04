"""One registry of root fields, plus the rules every resolver follows.

Resolver modules (``resolvers_*.py``) register root fields with ``@REGISTRY.query("shop")`` /
``@REGISTRY.mutation("webhookSubscriptionCreate")`` and global-id lookups with
``@REGISTRY.node("WebhookSubscription")``; ``graphql_exec.RESOLVER_MODULES`` lists the modules.
Adding inventory later = a new module and one line there.

Resolvers return plain dicts keyed by GraphQL field names. A value may be a callable
``(info, **args)`` for fields that take arguments. A field the dict does not carry raises
``SandboxUnimplemented`` naming it: the sandbox never answers a silent ``null`` for data it does
not model.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sandbox import ShopifySandbox
    from .state import Shop

Resolver = Callable[..., Any]


class SandboxUnimplemented(Exception):
    """The document asked for something the sandbox does not model (yet)."""

    def __init__(self, what: str):
        super().__init__(
            f"Shopify sandbox: no resolver for {what}. Add it to a sandbox/shopify/resolvers_*.py "
            "module rather than expecting null."
        )
        self.extensions = {"code": "SANDBOX_UNIMPLEMENTED", "field": what}


class ShopifyFieldError(Exception):
    """An error Shopify reports in ``errors`` for one field (e.g. BAD_REQUEST, NOT_FOUND)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.extensions = {"code": code}


@dataclass
class RequestContext:
    """``info.context`` for every resolver: who is asking, about which shop."""

    sandbox: ShopifySandbox
    shop: Shop
    access_token: str
    api_version: str
    # Webhooks a mutation triggered, as (topic, payload): sent once the sandbox lock is released.
    events: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def scopes(self) -> list[str]:
        return self.shop.token_scopes.get(self.access_token, [])


class Registry:
    def __init__(self) -> None:
        self.queries: dict[str, Resolver] = {}
        self.mutations: dict[str, Resolver] = {}
        self.nodes: dict[str, Resolver] = {}

    def _add(self, table: dict[str, Resolver], name: str):
        def decorate(fn: Resolver) -> Resolver:
            if name in table:
                raise ValueError(f"{name} is registered twice")
            table[name] = fn
            return fn

        return decorate

    def query(self, name: str):
        """Register ``fn(ctx, info, **args)`` as the QueryRoot field ``name``."""
        return self._add(self.queries, name)

    def mutation(self, name: str):
        """Register ``fn(ctx, info, **args)`` as the Mutation field ``name``."""
        return self._add(self.mutations, name)

    def node(self, resource: str):
        """Register ``fn(ctx, legacy_id) -> dict | None`` to resolve ``gid://shopify/{resource}/…``."""
        return self._add(self.nodes, resource)

    def root_value(self, operation: str) -> Mapping[str, Any]:
        table = self.mutations if operation == "mutation" else self.queries
        return {name: _bind(fn) for name, fn in table.items()}


def _bind(fn: Resolver) -> Resolver:
    return lambda info, **args: fn(info.context, info, **args)


REGISTRY = Registry()


def field_resolver(source: Any, info, **args: Any) -> Any:
    """Resolve from the parent dict, or fail loudly naming ``Type.field``."""
    if isinstance(source, Mapping) and info.field_name in source:
        value = source[info.field_name]
        return value(info, **args) if callable(value) else value
    raise SandboxUnimplemented(f"{info.parent_type.name}.{info.field_name}")


def type_resolver(value: Any, info, abstract_type) -> str:
    if isinstance(value, Mapping) and "__typename" in value:
        return value["__typename"]
    raise SandboxUnimplemented(
        f"the concrete type of {abstract_type.name} at {info.path.as_list()}"
    )


# --------------------------------------------------------------------------- connections


def encode_cursor(last_id: int, last_value: str) -> str:
    """Shopify cursors are base64 JSON: ``{"last_id":…,"last_value":"2026-07-03 20:55:48.000000"}``."""
    raw = json.dumps({"last_id": last_id, "last_value": last_value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor.encode()))["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ShopifyFieldError(
            "Invalid cursor for current pagination sort.", "BAD_REQUEST"
        ) from exc


def paginate(
    items: list[Any],
    *,
    key: Callable[[Any], int],
    sort_value: Callable[[Any], str],
    node: Callable[[Any], dict],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> dict:
    """A Relay connection over ``items`` (already sorted) the way the Admin API pages."""
    if first is None and last is None:
        raise ShopifyFieldError("you must provide one of first or last", "BAD_REQUEST")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= 250:
            raise ShopifyFieldError(
                f"The '{name}' argument must be between 0 and 250.", "BAD_REQUEST"
            )
    ids = [key(item) for item in items]
    start, end = 0, len(items)
    if after is not None:
        after_id = decode_cursor(after)
        start = ids.index(after_id) + 1 if after_id in ids else end
    if before is not None:
        before_id = decode_cursor(before)
        end = ids.index(before_id) if before_id in ids else end
    window = items[start:end]
    has_next = has_previous = False
    if first is not None and len(window) > first:
        window, has_next = window[:first], True
    if last is not None and len(window) > last:
        window, has_previous = window[len(window) - last :], True
    has_previous = has_previous or start > 0
    has_next = has_next or end < len(items)
    edges = [{"cursor": encode_cursor(key(i), sort_value(i)), "node": node(i)} for i in window]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
