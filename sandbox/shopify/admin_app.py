"""The app developer's side of the sandbox: deployed app configuration, tokens and time."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from . import tokens
from .state import WebhookSubscription, topic_enum


class AppAdmin:
    """Mixed into ``ShopifySandbox``: what ``shopify app deploy`` and the clock change."""

    def issue_expiring_token(self, shop_domain: str, scopes: list[str]) -> dict:
        """Install the app with an expiring offline pair; Shopify's grant response body."""
        with self.lock:
            return tokens.grant_body(self, self.shops[shop_domain], scopes)

    def id_token(self, shop_domain: str, **claims) -> str:
        """The id_token Shopify adds to the app URL when it opens the app in its admin."""
        return tokens.id_token(self, shop_domain, **claims)

    def deploy_app_config(self, config: dict, *, origin: str | None = None) -> None:
        """What ``shopify app deploy`` does with shopify.app.toml (parsed): the scopes and the
        app-specific webhook subscriptions. ``origin`` replaces the origin of the TOML's
        addresses (the app's public URL in this test)."""
        scopes = (config.get("access_scopes") or {}).get("scopes", "")
        subscriptions = []
        for entry in (config.get("webhooks") or {}).get("subscriptions", []):
            uri = entry["uri"]
            if origin:
                parts = urlsplit(uri)
                uri = origin.rstrip("/") + parts.path
            for topic in entry.get("topics", []):
                subscriptions.append(
                    WebhookSubscription(legacy_id=self.ids.next(), topic=topic_enum(topic), uri=uri)
                )
        with self.lock:
            self.app_scopes = [s.strip() for s in scopes.split(",") if s.strip()]
            self.app_subscriptions = subscriptions

    def expire_access_tokens(self, shop_domain: str) -> None:
        """Make the shop's expiring access tokens expire now (the app still believes them valid)."""
        with self.lock:
            for pair in self.tokens.by_access.values():
                if pair.access_token in self.shops[shop_domain].access_tokens:
                    pair.expires_at = self.now() - dt.timedelta(seconds=1)

    def change_scopes(self, shop_domain: str, current: list[str]) -> list:
        """The merchant (or a deploy) changed the app's granted scopes: every token of the app
        on the shop now carries ``current``, and ``app/scopes_update`` goes out.

        Payload per webhook-schemas/2026-04 app/scopes_update.json (``shop_id`` is the gid).
        https://shopify.dev/changelog/new-webhook-topic-app-scopes_update
        """
        with self.lock:
            shop = self.shops[shop_domain]
            previous = sorted({s for t in shop.access_tokens for s in shop.token_scopes.get(t, [])})
            for token in shop.access_tokens:
                shop.token_scopes[token] = list(current)
            for pair in self.tokens.pairs.values():
                if pair.shop_domain == shop_domain:
                    pair.scopes = list(current)
            subscribers = self._subscribers(shop, "APP_SCOPES_UPDATE")
            payload = {
                "id": self.ids.next(),
                "previous": previous,
                "current": list(current),
                "updated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "shop_id": shop.id,
            }
        return self._deliver(shop, "app/scopes_update", payload, subscribers, None)
