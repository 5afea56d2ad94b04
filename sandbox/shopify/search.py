"""The ``query:`` argument of catalog connections, in Shopify's search syntax (the part we model).

https://shopify.dev/docs/api/usage/search-syntax — ``field:value`` terms joined by spaces (AND) or
``OR``; ``-field:value`` / ``NOT field:value`` negate; ``"quoted values"``; a trailing ``*`` is a
prefix match; ``status:active,draft`` lists alternatives. Matching is case-insensitive. A field the
caller's table does not know raises SandboxUnimplemented instead of silently matching everything;
range comparisons (``inventory_total:>5``) are not modelled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .registry import SandboxUnimplemented

T = TypeVar("T")
TOKEN_RE = re.compile(r'(-?)(?:([A-Za-z_]+):)?("(?:[^"\\]|\\.)*"|\S+)')

# A field getter returns the value(s) a record holds for that field.
Fields = dict[str, Callable[[Any], Iterable[str | None] | str | None]]


def _terms(query: str) -> list[list[tuple[bool, str | None, str]]]:
    """``a:1 b:2 OR c:3`` → ``[[(neg, "a", "1"), (neg, "b", "2")], [(neg, "c", "3")]]``."""
    groups: list[list[tuple[bool, str | None, str]]] = [[]]
    negate_next = False
    for match in TOKEN_RE.finditer(query):
        minus, name, raw = match.groups()
        if name is None and raw == "OR":
            groups.append([])
            continue
        if name is None and raw == "AND":
            continue
        if name is None and raw == "NOT":
            negate_next = True
            continue
        value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        groups[-1].append((bool(minus) or negate_next, name, value))
        negate_next = False
    return [g for g in groups if g]


def _values(got) -> list[str]:
    if got is None:
        return []
    if isinstance(got, str):
        return [got]
    return [v for v in got if v is not None]


def _matches(wanted: str, held: list[str]) -> bool:
    for option in wanted.split(","):
        option = option.strip().lower()
        if option.endswith("*"):
            if any(h.lower().startswith(option[:-1]) for h in held):
                return True
        elif any(h.lower() == option for h in held):
            return True
    return False


def search(records: list[T], query: str | None, fields: Fields, free_text: str) -> list[T]:
    """Keep the records ``query`` selects; ``free_text`` names the field bare words search."""
    if not query or not query.strip():
        return list(records)
    groups = _terms(query)
    for group in groups:
        for _, name, value in group:
            key = name or free_text
            if key not in fields:
                raise SandboxUnimplemented(f"search field {name!r} in query {query!r}")
            if value[:1] in "<>":
                raise SandboxUnimplemented(f"range search {name}:{value} in query {query!r}")

    def keep(record: T) -> bool:
        for group in groups:
            if all(
                _matches(value, _values(fields[name or free_text](record))) != negated
                for negated, name, value in group
            ):
                return True
        return False

    return [r for r in records if keep(r)]
