"""shopify.app.toml, the one list of what StockGuard asks Shopify for: scopes and webhook topics.

With ``[access_scopes]`` (and no ``use_legacy_install_flow``) Shopify installs the app itself
with these scopes; the OAuth install asks for the same ones. ``[[webhooks.subscriptions]]`` with
``topics`` are app-specific subscriptions: Shopify delivers them for every shop the app is
installed on once ``shopify app deploy`` ran.
https://shopify.dev/docs/apps/build/authentication-authorization/app-installation/manage-access-scopes
https://shopify.dev/docs/apps/build/webhooks/subscribe (app-specific vs shop-specific subscriptions)
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

PATH = Path(__file__).resolve().parents[2] / "shopify.app.toml"


@functools.cache
def config() -> dict:
    with PATH.open("rb") as fh:
        return tomllib.load(fh)


def scopes() -> list[str]:
    """The access scopes StockGuard requires, in the TOML's order."""
    raw = config()["access_scopes"]["scopes"]
    return [s.strip() for s in raw.split(",") if s.strip()]


def webhook_topics() -> list[str]:
    """App-specific subscription topics (REST form, ``orders/create``), compliance ones aside."""
    found: list[str] = []
    for entry in config().get("webhooks", {}).get("subscriptions", []):
        for topic in entry.get("topics", []):
            if topic not in found:
                found.append(topic)
    return found


def compliance_topics() -> list[str]:
    found: list[str] = []
    for entry in config().get("webhooks", {}).get("subscriptions", []):
        found += [t for t in entry.get("compliance_topics", []) if t not in found]
    return found


def missing_scopes(granted: str | list[str] | None) -> list[str]:
    """Required scopes not granted; ``write_x`` grants ``read_x`` (Shopify's implied scopes).

    https://shopify.dev/docs/api/usage/access-scopes
    """
    if isinstance(granted, str) or granted is None:
        granted = [s.strip() for s in (granted or "").split(",") if s.strip()]
    have = set(granted)
    have |= {"read_" + s.removeprefix("write_") for s in granted if s.startswith("write_")}
    return [s for s in scopes() if s not in have]
