"""Limits on what a request may carry, enforced where it is parsed.

- JSON nested deeper than ``MAX_JSON_DEPTH``: Python's parser recurses and raises RecursionError
  (a 500) somewhere past ~1,000 levels; nothing StockGuard reads nests beyond a handful.
- NUL characters in JSON text: PostgreSQL refuses them in text columns (a 500 on insert or even
  on a lookup), and no field of ours has a use for them.
- Ids in URLs (``<int:…>``) past the database's 32-bit integers: PostgreSQL refuses the
  comparison (a 500); such a URL names nothing, so it is a 404.

Refusals are ``ValueError``: ``request.get_json(silent=True)`` then gives None (our views answer
400) and the webhook parsers answer 400.
"""

from __future__ import annotations

import json

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

MAX_JSON_DEPTH = 64
MAX_ID = 2**31 - 1


def loads(data: str | bytes, *, allow_nul: bool = False):
    """``json.loads`` that refuses (ValueError) nesting past MAX_JSON_DEPTH and, unless
    ``allow_nul``, NUL characters in strings and keys."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    stack = [(value, 1)]
    while stack:  # iterative: the check itself must not recurse
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            if not allow_nul and isinstance(item, dict) and any("\0" in k for k in item):
                raise ValueError("JSON text may not contain NUL characters")
            stack.extend((child, depth + 1) for child in children)
        elif not allow_nul and isinstance(item, str) and "\0" in item:
            raise ValueError("JSON text may not contain NUL characters")
    return value


def id_arg(value: str) -> int:
    """For ``request.args.get(name, type=id_arg)``: a whole number a database id or page can be;
    anything else is a ValueError, so the argument counts as not given (as a non-number did)."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(f"{value!r} is out of range")
    return number


class JSONProvider(DefaultJSONProvider):
    """The app's JSON: Flask's, with ``loads`` limited as above (``request.get_json``)."""

    def loads(self, s: str | bytes, **kwargs):
        return loads(s)


class IdConverter(IntegerConverter):
    """``<int:…>`` for database ids: a number past MAX_ID matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
