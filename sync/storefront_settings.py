"""A store's storefront settings: what shoppers see, with defaults and strict validation.

Kept in ``installation.settings["storefront"]``; every value a merchant sends is checked here, so
what reaches the badge script (texts, colours) is bounded plain text the script draws with
``textContent``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LANGUAGES = ("en", "fr", "ar")
TEXT_KEYS = (
    "in_stock",
    "low_stock",
    "out_of_stock",
    "preorder",
    "eta",
    "eta_soon",
    "notify",
    "email",
    "consent",
    "submit",
    "thanks",
    "error",
    "alternatives",
)
STATES = ("in_stock", "low_stock", "out_of_stock", "preorder")
VISIBILITY = ("badge", "hide", "preorder")
ALTERNATIVES = ("product_type", "off")
MAX_TEXT = 200
MAX_ORIGINS = 10

DEFAULTS: dict = {
    "low_stock_threshold": 5,  # "low_stock" at or under this many units
    "show_quantity": True,  # "only N left" (only when low)
    "notify": True,  # notify-me offered on sold-out and pre-order variants
    "notify_factor": 1.0,  # shoppers notified per restocked unit
    "alternatives": "product_type",
    "visibility": "badge",  # default policy for sold-out products
    "hide_grace_minutes": 60,
    "texts": {},
    "colors": {
        "in_stock": "#1a7f37",
        "low_stock": "#9a6700",
        "out_of_stock": "#cf222e",
        "preorder": "#0969da",
    },
    "origins": [],  # extra storefront origins (a custom domain the platform doesn't report)
}

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class SettingsError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def storefront_settings(installation) -> dict:
    """The store's settings, defaults filled in."""
    saved = (installation.settings or {}).get("storefront") or {}
    merged = {**DEFAULTS, **saved}
    merged["colors"] = {**DEFAULTS["colors"], **(saved.get("colors") or {})}
    return merged


def _int(field: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(field, f"must be a whole number from {low} to {high}")
    return value


def _bool(field: str, value) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(field, "must be true or false")
    return value


def _choice(field: str, value, choices) -> str:
    if value not in choices:
        raise SettingsError(field, "must be one of " + ", ".join(choices))
    return value


def _texts(value) -> dict:
    if not isinstance(value, dict):
        raise SettingsError("texts", "must map a language to its texts")
    out: dict = {}
    for lang, texts in value.items():
        if lang not in LANGUAGES:
            raise SettingsError("texts", f"unknown language {str(lang)[:8]!r}")
        if not isinstance(texts, dict):
            raise SettingsError(f"texts.{lang}", "must map a text key to a text")
        clean = {}
        for key, text in texts.items():
            if key not in TEXT_KEYS:
                raise SettingsError(f"texts.{lang}", f"unknown text {str(key)[:32]!r}")
            if not isinstance(text, str) or len(text) > MAX_TEXT:
                raise SettingsError(
                    f"texts.{lang}.{key}", f"must be text of ≤ {MAX_TEXT} characters"
                )
            if text.strip():
                clean[key] = text.strip()
        if clean:
            out[lang] = clean
    return out


def _colors(value) -> dict:
    if not isinstance(value, dict):
        raise SettingsError("colors", "must map a state to a colour")
    for state, color in value.items():
        if state not in STATES:
            raise SettingsError("colors", f"unknown state {str(state)[:32]!r}")
        if not isinstance(color, str) or not _COLOR.match(color):
            raise SettingsError(f"colors.{state}", "must be a colour like #1a7f37")
    return dict(value)


def normalize_origin(value) -> str:
    """``https://host[:port]`` from an origin or URL the merchant typed; SettingsError if not one."""
    if not isinstance(value, str) or len(value) > 255:
        raise SettingsError("origins", "each origin must be a web address")
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise SettingsError("origins", f"{value[:80]!r} is not an https:// address")
    return f"https://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _origins(value) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ORIGINS:
        raise SettingsError("origins", f"must be a list of at most {MAX_ORIGINS} addresses")
    return sorted({normalize_origin(v) for v in value})


VALIDATORS = {
    "low_stock_threshold": lambda v: _int("low_stock_threshold", v, 0, 100_000),
    "show_quantity": lambda v: _bool("show_quantity", v),
    "notify": lambda v: _bool("notify", v),
    "notify_factor": lambda v: _factor(v),
    "alternatives": lambda v: _choice("alternatives", v, ALTERNATIVES),
    "visibility": lambda v: _choice("visibility", v, VISIBILITY),
    "hide_grace_minutes": lambda v: _int("hide_grace_minutes", v, 0, 60 * 24 * 30),
    "texts": _texts,
    "colors": _colors,
    "origins": _origins,
}


def _factor(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.1 <= value <= 100:
        raise SettingsError("notify_factor", "must be a number from 0.1 to 100")
    return float(value)


def validated(changes) -> dict:
    """The changes a merchant sent, checked; raises SettingsError naming the first bad field."""
    if not isinstance(changes, dict) or not changes:
        raise SettingsError("settings", "send an object with the settings to change")
    out = {}
    for field, value in changes.items():
        check = VALIDATORS.get(field)
        if check is None:
            raise SettingsError(str(field)[:64], "unknown setting")
        out[field] = check(value)
    return out


def public_settings(settings: dict) -> dict:
    """What the badge script receives: texts and colours only."""
    return {"texts": settings["texts"], "colors": settings["colors"]}
