"""Hypothesis strategies that take a real payload and break it the ways senders do.

A mutation is drawn, applied to a copy of the payload, and serialised to the bytes that will be
signed and sent. Deep nesting is spliced into the serialised text (``json.dumps`` itself would
recurse too deep), so the endpoint meets the nesting a hostile body can carry within 1 MB.
"""

from __future__ import annotations

import copy
import json
import math

from hypothesis import strategies as st

DEEP = "__fuzz_deep__"  # placeholder for a nested value spliced into the serialised body

# Values that break parsers: wrong types, huge and negative numbers, odd floats, text of every
# script (and lone surrogates, which JSON can carry but UTF-8 can't), empty containers.
HUGE = st.sampled_from(
    [2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**20, 10**400, -1, -7, 0, 1e308, -0.5, 1.5]
)
ODD_FLOATS = st.sampled_from([math.nan, math.inf, -math.inf])
# Every script, controls, NUL and lone surrogates (which Hypothesis leaves out by default).
ANY_TEXT = st.text(
    st.characters(categories=("L", "M", "N", "P", "S", "Z", "Cc", "Cs")), max_size=30
)
TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        ["", " ", "0", "-3", "1e400", "nan", "ü€😀", "\u0000", "\ud800", "' OR 1=1 --", "a" * 300]
    ),
)
LEAF = st.one_of(st.none(), st.booleans(), st.integers(), HUGE, ODD_FLOATS, TEXT)
VALUE = st.recursive(
    LEAF,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(value, prefix=(), depth=4) -> list[tuple]:
    """Every key/index path in ``value`` (containers and leaves), up to ``depth`` levels."""
    found = [prefix] if prefix else []
    if depth == 0:
        return found
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key), depth - 1)
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            found += paths(child, (*prefix, index), depth - 1)
    return found


def _parent(payload, path):
    node = payload
    for step in path[:-1]:
        node = node[step]
    return node


def apply(payload: dict, mutation: tuple) -> dict:
    """A copy of ``payload`` with one mutation applied (a missing path is left alone)."""
    kind, path, value = mutation
    out = copy.deepcopy(payload)
    try:
        parent = _parent(out, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "set":
            parent[path[-1]] = value
        elif kind == "extra":  # a key the sender added
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else parent
            if isinstance(target, dict):
                target[value[0]] = value[1]
        elif kind == "deep":
            parent[path[-1]] = f"{DEEP}{value}"
    except (KeyError, IndexError, TypeError):
        pass  # an earlier mutation removed or replaced the path
    return out


def serialise(payload: dict, ascii_only: bool = True) -> bytes:
    # NaN / Infinity: Python's json writes them, and reads them back as the app does.
    text = json.dumps(payload, ensure_ascii=ascii_only)
    while DEEP in text:
        start = text.index(f'"{DEEP}')
        end = text.index('"', start + 1)
        depth = int(text[start + 1 + len(DEEP) : end])
        text = text[:start] + "[" * depth + "]" * depth + text[end + 1 :]
    return text.encode("utf-8", "surrogatepass")


def mutations(hot: list[tuple], every: list[tuple]):
    """One mutation: mostly on the paths that matter to stock (``hot``), else anywhere."""
    path = (
        st.one_of(st.sampled_from(hot), st.sampled_from(every)) if every else st.sampled_from(hot)
    )
    return st.one_of(
        st.tuples(st.just("delete"), path, st.none()),
        st.tuples(st.just("set"), path, VALUE),
        st.tuples(st.just("set"), path, HUGE),
        st.tuples(st.just("extra"), path, st.tuples(st.text(max_size=12), VALUE)),
        st.tuples(st.just("deep"), path, st.sampled_from([3, 60, 3000, 200_000])),
    )


def mutated(base: dict, hot: list[tuple], max_mutations: int = 3):
    """(the mutations drawn, the payload bytes) for ``base``."""
    every = paths(base)
    return st.tuples(st.lists(mutations(hot, every), max_size=max_mutations), st.booleans()).map(
        lambda drawn: (drawn[0], _apply_all(base, *drawn))
    )


def _apply_all(base: dict, ms: list[tuple], ascii_only: bool) -> bytes:
    payload = base
    for m in ms:
        payload = apply(payload, m)
    return serialise(payload, ascii_only)
