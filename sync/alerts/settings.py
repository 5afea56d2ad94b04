"""A pool's alert settings: read with defaults, validated as a whole before anything is saved."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app

from models import AlertSettings
from models.alert import CONDITIONS, EMAIL, WEBHOOK

MAX_RECIPIENTS = 10
MAX_URL = 2048
THRESHOLD_MAX = 1_000_000
SPIKE_FACTOR_RANGE = (1.5, 100.0)
SPIKE_HOURS_RANGE = (1, 72)
_EMAIL = re.compile(
    r"^[^@\s,;<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class AlertSettingsError(ValueError):
    """Bad settings input; ``field`` names the setting at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass
class Settings:
    """The settings a sweep uses (a pool without a row gets these defaults)."""

    email_recipients: list[str] = field(default_factory=list)
    webhook_url: str | None = None
    conditions: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(CONDITIONS, True))
    threshold_units: int = 5
    spike_factor: float = 3.0
    spike_window_hours: int = 3
    instant: bool = True
    digest_at: str | None = None

    def enabled(self, condition: str) -> bool:
        return bool(self.conditions.get(condition, True))

    def channels(self) -> list[str]:
        """The channels configured, in a fixed order."""
        out = []
        if self.email_recipients:
            out.append(EMAIL)
        if self.webhook_url:
            out.append(WEBHOOK)
        return out

    def as_json(self) -> dict:
        return {
            "email_recipients": list(self.email_recipients),
            "webhook_url": self.webhook_url,
            "conditions": {c: self.enabled(c) for c in CONDITIONS},
            "threshold_units": self.threshold_units,
            "spike_factor": self.spike_factor,
            "spike_window_hours": self.spike_window_hours,
            "instant": self.instant,
            "digest": self.digest_at or "off",
        }


def load(session, pool_id: int) -> Settings:
    row = session.get(AlertSettings, pool_id)
    if row is None:
        return Settings()
    return Settings(
        email_recipients=list(row.email_recipients or []),
        webhook_url=row.webhook_url,
        conditions={c: bool((row.conditions or {}).get(c, True)) for c in CONDITIONS},
        threshold_units=row.threshold_units,
        spike_factor=row.spike_factor,
        spike_window_hours=row.spike_window_hours,
        instant=row.instant,
        digest_at=row.digest_at,
    )


def _whole(data: dict, name: str, low: int, high: int) -> int:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AlertSettingsError(name, f"a whole number from {low} to {high}")
    return value


def _recipients(value) -> list[str]:
    if isinstance(value, str):  # "a@x.com, b@y.com" as typed in a form
        value = [v for v in re.split(r"[,;\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AlertSettingsError("email_recipients", "a list of e-mail addresses")
    cleaned = []
    for address in value:
        address = address.strip()
        if len(address) > 254 or not _EMAIL.match(address):
            raise AlertSettingsError("email_recipients", f"not an e-mail address: {address[:80]!r}")
        if address.lower() not in {a.lower() for a in cleaned}:
            cleaned.append(address)
    if len(cleaned) > MAX_RECIPIENTS:
        raise AlertSettingsError("email_recipients", f"at most {MAX_RECIPIENTS} addresses")
    return cleaned


def _webhook(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_URL or re.search(r"\s", value):
        raise AlertSettingsError("webhook_url", "an https:// address")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise AlertSettingsError("webhook_url", "an https:// address (plain http is refused)")
    private = parts.hostname == "localhost" or _private_literal(parts.hostname)
    if private and not current_app.config.get("ALERT_WEBHOOK_PRIVATE_OK"):
        raise AlertSettingsError("webhook_url", "a public address (not a private network)")
    return value


def _private_literal(host: str) -> bool:
    """An IP address written in the URL that is not a public Internet address."""
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return False


def validate(data, current: Settings) -> Settings:
    """``current`` with the fields in ``data`` replaced; AlertSettingsError on any bad field."""
    if not isinstance(data, dict):
        raise AlertSettingsError("body", "the body must be a JSON object")
    known = set(Settings().as_json())
    for name in data:
        if name not in known:
            raise AlertSettingsError(str(name)[:64], "not an alert setting")
    new = Settings(**{**current.__dict__, "conditions": dict(current.conditions)})
    if "email_recipients" in data:
        new.email_recipients = _recipients(data["email_recipients"])
    if "webhook_url" in data:
        new.webhook_url = _webhook(data["webhook_url"])
    if "conditions" in data:
        conditions = data["conditions"]
        if not isinstance(conditions, dict):
            raise AlertSettingsError("conditions", "an object of condition: true/false")
        for name, on in conditions.items():
            if name not in CONDITIONS:
                raise AlertSettingsError("conditions", f"unknown condition {str(name)[:64]!r}")
            if not isinstance(on, bool):
                raise AlertSettingsError("conditions", f"{name}: true or false")
            new.conditions[name] = on
    if "threshold_units" in data:
        new.threshold_units = _whole(data, "threshold_units", 0, THRESHOLD_MAX)
    if "spike_window_hours" in data:
        new.spike_window_hours = _whole(data, "spike_window_hours", *SPIKE_HOURS_RANGE)
    if "spike_factor" in data:
        factor = data["spike_factor"]
        low, high = SPIKE_FACTOR_RANGE
        if (
            isinstance(factor, bool)
            or not isinstance(factor, int | float)
            or not low <= factor <= high
        ):
            raise AlertSettingsError("spike_factor", f"a number from {low:g} to {high:g}")
        new.spike_factor = float(factor)
    if "instant" in data:
        if not isinstance(data["instant"], bool):
            raise AlertSettingsError("instant", "true or false")
        new.instant = data["instant"]
    if "digest" in data:
        digest = data["digest"]
        if digest in (None, "", "off"):
            new.digest_at = None
        elif isinstance(digest, str) and _HHMM.match(digest):
            new.digest_at = digest
        else:
            raise AlertSettingsError("digest", '"off" or a time of day HH:MM (UTC)')
    return new


def save(session, pool_id: int, settings: Settings) -> AlertSettings:
    row = session.get(AlertSettings, pool_id)
    if row is None:
        row = AlertSettings(pool_id=pool_id)
        session.add(row)
    if row.digest_at != settings.digest_at:
        row.last_digest_on = None  # a new time: today's digest may still be due
    row.email_recipients = list(settings.email_recipients)
    row.webhook_url = settings.webhook_url
    row.conditions = dict(settings.conditions)
    row.threshold_units = settings.threshold_units
    row.spike_factor = settings.spike_factor
    row.spike_window_hours = settings.spike_window_hours
    row.instant = settings.instant
    row.digest_at = settings.digest_at
    session.flush()
    return row
