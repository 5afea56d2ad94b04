"""One dispatcher from neutral events to their handlers (lifecycle, privacy, stock)."""

from __future__ import annotations

from functools import singledispatch

ERASED = "erased"  # the installation and everything under it is gone


@singledispatch
def handle(event, session, installation, delivery):
    raise TypeError(f"no handler for {type(event).__name__}")
