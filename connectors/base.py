"""What the engine needs from a platform, in platform-neutral terms.

A storefront platform (Shopify, WooCommerce, ...) provides a ``StorefrontConnector``: install
routes, webhook verification, topic parsing into neutral events, and webhook registration. The
engine in ``sync/`` sees only these types; no ``if platform == ...`` outside ``connectors/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from flask import Blueprint, Request

    from models import Installation


# --------------------------------------------------------------------------- inbound webhooks


class WebhookRejected(Exception):
    """A delivery we refuse: ``status`` is the HTTP answer (400, 401, 404)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class VerifiedWebhook:
    """A delivery whose signature checked out, ready to be recorded in the inbox."""

    platform: str
    installation_id: int | None
    topic: str
    dedupe_key: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Acknowledge:
    """A request to answer 200 without recording: activation ping, topic we don't handle."""

    reason: str


# --------------------------------------------------------------------------- neutral events


@dataclass(frozen=True)
class AppUninstalled:
    """The merchant removed StockGuard from the store."""


@dataclass(frozen=True)
class ShopRedacted:
    """The platform asks us to erase everything we hold about the store."""


@dataclass(frozen=True)
class CustomerRedacted:
    """Erase what we hold about one customer of the store."""

    customer_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerDataRequested:
    """A customer asked the merchant what data is held about them."""

    customer_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    request_id: str | None = None


Event = AppUninstalled | ShopRedacted | CustomerRedacted | CustomerDataRequested


@dataclass(frozen=True)
class WebhookRegistration:
    """What a connector registered on the platform for one installation."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


class StorefrontConnector(Protocol):
    """One storefront platform, as the engine and the web layer see it."""

    platform: ClassVar[str]
    display_name: ClassVar[str]

    def blueprint(self) -> Blueprint:
        """Install routes (mounted under ``/auth/<platform>``)."""

    def verify_webhook(
        self, request: Request, installation_id: int | None
    ) -> VerifiedWebhook | Acknowledge:
        """Check signature and shape; raise ``WebhookRejected`` to refuse the delivery."""

    def parse_webhook(self, topic: str, payload: dict) -> list[Event] | None:
        """Neutral events for a recorded delivery; ``None`` when no handler exists for the topic."""

    def register_webhooks(self, installation: Installation) -> WebhookRegistration:
        """Make the platform's subscriptions for ``installation`` match what we need."""
