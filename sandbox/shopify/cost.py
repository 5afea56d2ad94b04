"""Calculated query cost and the leaky bucket behind ``extensions.cost``.

The cost model is Shopify's documented one, simplified
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits#cost-calculation):

* scalar and enum fields cost 0, object fields 1 (a list of objects counts once);
* a union/interface field costs the maximum of its type-conditioned selections;
* a connection (a ``…Connection`` field with ``first``/``last``) costs
  ``2 + size × cost of one node`` where the node cost is the larger of ``nodes`` and
  ``edges { node }``; ``size`` is ``first``/``last`` for the requested cost and the number of
  nodes actually returned for the actual cost;
* a mutation root field costs 10; objects in its payload are free except the inventory objects
  Shopify prices there (``PRICED_IN_PAYLOADS``: ``inventorySetQuantities`` selecting
  ``changes { item location }`` costs 13, ``inventoryActivate`` 13, and a bulk variant update
  selecting ``inventoryItem`` 11 in ``captures/2026-04/products``); connections are never free;
* in the actual cost, an object that came back ``null`` costs nothing (a failed
  ``inventorySetQuantities`` is charged 10 of its 13, as captured).

Real Shopify prices large connections lower than this (captures show ``locations(first: 10)``
at 6), so budgets computed here are conservative. ``per_item_lists`` (the sandbox's
``list_pricing = "per_item"``) is more pessimistic still: a list of objects costs one object per
element — per id asked for in ``nodes(ids:)`` for the requested cost, per element returned for
the actual cost — the upper bound benchmarks use to make a run rate-limit bound. The bucket holds 2,000 points and refills
continuously at the plan's restore rate; a query runs only if its requested cost is available,
and is then charged its actual cost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
)
from graphql.utilities import value_from_ast_untyped

from .state import BUCKET_SIZE

MUTATION_COST = 10
PRICED_IN_PAYLOADS = frozenset(
    {"InventoryAdjustmentGroup", "InventoryItem", "InventoryLevel", "Location"}
)
CONNECTION_BASE_COST = 2
SINGLE_QUERY_MAX_COST = 1000


class CostCalculator:
    """Walk one operation (and optionally its result) and add up points."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict,
        variables: dict[str, Any],
        actual: bool,
        per_item_lists: bool = False,
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.actual = actual  # price what came back (nodes returned) rather than what was asked
        self.per_item_lists = per_item_lists  # a list of objects costs one object per element

    def operation_cost(self, operation: OperationDefinitionNode, data: Any = None) -> int:
        is_mutation = operation.operation.value == "mutation"
        root = self.schema.mutation_type if is_mutation else self.schema.query_type
        if is_mutation:
            total = 0
            for key, node, field_type in self._fields(root, operation.selection_set):
                child = _child(data, key)
                total += MUTATION_COST
                if not (self.actual and isinstance(data, dict) and child is None):
                    total += self._field_cost(node, field_type, child, free=True)
            return total
        return self._selection_cost(root, operation.selection_set, data, free=False)

    # -- internals

    def _fields(self, parent: GraphQLObjectType, selection_set: SelectionSetNode):
        """(response key, field node, field type) for fields selected directly on ``parent``."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                field_def = parent.fields.get(name)
                if field_def is None:
                    continue
                key = selection.alias.value if selection.alias else name
                yield key, selection, field_def.type
            elif isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
                fragment = self._fragment(selection)
                if fragment is not None and self._applies(fragment[0], parent):
                    yield from self._fields(parent, fragment[1])

    def _applies(self, condition: str | None, parent: GraphQLObjectType) -> bool:
        if condition is None or condition == parent.name:
            return True
        abstract = self.schema.get_type(condition)
        return isinstance(abstract, GraphQLAbstractType) and self.schema.is_sub_type(
            abstract, parent
        )

    def _fragment(self, selection) -> tuple[str | None, SelectionSetNode] | None:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            return condition, selection.selection_set
        definition = self.fragments.get(selection.name.value)
        if definition is None:
            return None
        return definition.type_condition.name.value, definition.selection_set

    def _selection_cost(self, parent, selection_set, data, free: bool) -> int:
        if isinstance(parent, GraphQLAbstractType):
            # Maximum over the concrete types the selection could take.
            options = [
                self._selection_cost(t, selection_set, data, free)
                for t in self.schema.get_possible_types(parent)
            ]
            return max(options, default=0)
        total = 0
        for key, node, field_type in self._fields(parent, selection_set):
            if self.actual and isinstance(data, dict) and data.get(key) is None:
                continue  # nothing came back here: nothing to pay for
            total += self._field_cost(node, field_type, _child(data, key), free)
        return total

    def _field_cost(self, node: FieldNode, field_type, data, free: bool) -> int:
        named = get_named_type(field_type)
        if is_leaf_type(named) or node.selection_set is None:
            return 0
        if isinstance(named, GraphQLObjectType) and self._is_connection(node, named):
            return self._connection_cost(node, named, data)
        count = 1
        if self.per_item_lists and is_list_type(get_nullable_type(field_type)):
            if self.actual:
                count = len([item for item in data or () if item is not None])
            else:
                count = self._list_length(node, "ids") or 1
        if isinstance(data, list):  # a list of objects is priced as one object (by default)
            data = data[0] if data else None
        children = self._selection_cost(named, node.selection_set, data, free)
        if is_abstract_type(named):
            own = 0
        elif free:
            own = 1 if named.name in PRICED_IN_PAYLOADS else 0
        else:
            own = 1
        return count * (own + children)

    @staticmethod
    def _is_connection(node: FieldNode, named: GraphQLObjectType) -> bool:
        return named.name.endswith("Connection") and "pageInfo" in named.fields

    def _connection_cost(self, node: FieldNode, named: GraphQLObjectType, data) -> int:
        size = self._argument(node, "first") or self._argument(node, "last") or 0
        if self.actual:
            size = 0  # what came back, under whatever alias `nodes`/`edges` were given
        per_node = 0
        for key, child, child_type in self._fields(named, node.selection_set):
            if child.selection_set is None:
                continue
            if self.actual and child.name.value in ("nodes", "edges"):
                size = max(size, len(_child(data, key) or []))
            if child.name.value == "nodes":
                node_type = get_named_type(child_type)
                sample = _first(data, key)
                cost = 1 + self._selection_cost(node_type, child.selection_set, sample, False)
                per_node = max(per_node, cost)
            elif child.name.value == "edges":
                edge_type = get_named_type(child_type)
                sample = _first(data, key)
                for _, edge_child, edge_child_type in self._fields(edge_type, child.selection_set):
                    if edge_child.name.value == "node" and edge_child.selection_set is not None:
                        target = get_named_type(edge_child_type)
                        cost = 1 + self._selection_cost(
                            target, edge_child.selection_set, _child(sample, "node"), False
                        )
                        per_node = max(per_node, cost)
        return CONNECTION_BASE_COST + size * per_node

    def _list_length(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = value_from_ast_untyped(argument.value, self.variables)
                return len(value) if isinstance(value, list) else None
        return None

    def _argument(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = value_from_ast_untyped(argument.value, self.variables)
                return value if isinstance(value, int) else None
        return None


def _child(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def _first(data: Any, key: str) -> Any:
    listed = _child(data, key)
    return listed[0] if isinstance(listed, list) and listed else None


class LeakyBucket:
    """Points for one app on one shop: refills at ``restore_rate`` per second up to 2,000."""

    def __init__(self, restore_rate: int, clock: Callable[[], float], size: int = BUCKET_SIZE):
        self.size = size
        self.restore_rate = restore_rate
        self._clock = clock
        self._available = float(size)
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.size, self._available + (now - self._stamp) * self.restore_rate)
        self._stamp = now

    @property
    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._available

    def set_available(self, points: float) -> None:
        """Test hook: pretend other calls already used the bucket."""
        with self._lock:
            self._refill()
            self._available = max(0.0, min(self.size, float(points)))

    def try_take(self, points: int) -> bool:
        with self._lock:
            self._refill()
            if points > self._available:
                return False
            self._available -= points
            return True

    def refund(self, points: int) -> None:
        with self._lock:
            self._available = min(self.size, self._available + points)

    def status(self) -> dict:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.size,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }
