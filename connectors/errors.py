"""Typed failures every connector raises, whatever the platform said or the network did."""

from __future__ import annotations


class ForgedCredential(Exception):
    """A credential was presented whose signature does not hold (altered, or not StockGuard's):
    refused with 403 — unlike a missing or expired one (401: open the app again)."""


class ConnectorError(Exception):
    """A platform call failed. ``retryable`` tells jobs whether trying again can help."""

    retryable = False
    # The installation whose call failed, when a storefront connector made it (set by
    # ``connectors.base.ModuleConnector``): the engine marks that store when its credential is
    # refused, whichever job made the call.
    installation_id: int | None = None

    def __init__(self, message: str, *, status: int | None = None, body: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = body


class Unauthorized(ConnectorError):
    """The credentials were refused (revoked token, deleted key, uninstalled app)."""


class NotFound(ConnectorError):
    """The resource does not exist on the platform."""


class InvalidRequest(ConnectorError):
    """The platform refused what we sent (validation / user errors)."""

    def __init__(self, message: str, *, errors: list | None = None, **kw):
        super().__init__(message, **kw)
        self.errors = errors or []


class RateLimited(ConnectorError):
    """Throttled; try again after ``retry_after`` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float = 1.0, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Transient(ConnectorError):
    """5xx, timeout or connection failure: the same call may succeed later."""

    retryable = True
