"""Configuration, read from the environment only.

``STOCKGUARD_ENV=development`` (what ``python app.py`` sets) fills missing secrets with
throwaway development values kept under ``instance/``; any other environment refuses to start
without them, naming what is missing.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from connectors import registry

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"

SHOPIFY_API_VERSION = "2026-04"
# The Shopify access scopes are not configured here: shopify.app.toml is their one list
# (connectors/shopify/app_toml.py), because Shopify's managed installation grants those.

# Secrets that production must be given, whatever the platforms. Each enabled platform adds its
# own (its connector's ``config_keys``). Development invents them (see _dev_secrets).
REQUIRED_SECRETS = (
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEY",
    "APP_URL",
)


class ConfigError(RuntimeError):
    """The environment does not describe a runnable StockGuard."""


def _dev_secrets() -> dict[str, str]:
    """Development values, generated once and kept in instance/dev-secrets.json."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SHOPIFY_API_KEY": "dev-api-key",
        "SHOPIFY_API_SECRET": secrets.token_hex(16),
        "APP_URL": "http://127.0.0.1:5000",
    }
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


def _platforms(value) -> tuple[str, ...]:
    """``STOCKGUARD_PLATFORMS`` ("shopify,woocommerce"): the storefront platforms served."""
    if isinstance(value, str):
        value = value.split(",")
    names = tuple(dict.fromkeys(n.strip().lower() for n in value if n and n.strip()))
    unknown = [n for n in names if n not in registry.STOREFRONTS]
    if unknown:
        raise ConfigError(
            "StockGuard cannot start: STOCKGUARD_PLATFORMS names unknown platforms "
            + ", ".join(unknown)
            + " (known: "
            + ", ".join(registry.STOREFRONTS)
            + ")."
        )
    if not names:
        raise ConfigError("StockGuard cannot start: STOCKGUARD_PLATFORMS enables no platform.")
    return names


def load_config(overrides: dict | None = None, environ: dict | None = None) -> dict:
    """Build the Flask config mapping from ``environ`` (default ``os.environ``) plus overrides."""
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    mode = overrides.get("ENV") or env.get("STOCKGUARD_ENV", "production")
    platforms = _platforms(
        overrides.get("STOCKGUARD_PLATFORMS")
        or env.get("STOCKGUARD_PLATFORMS")
        or ",".join(registry.STOREFRONTS)
    )
    platform_keys = [key for name in platforms for key in registry.config_keys(name)]

    cfg: dict = {
        "ENV": mode,
        "STOCKGUARD_PLATFORMS": platforms,
        # Every platform's own settings, from the environment (required only when enabled).
        **{
            key: env.get(key) for name in registry.STOREFRONTS for key in registry.config_keys(name)
        },
        "SHOPIFY_API_VERSION": SHOPIFY_API_VERSION,
        "APP_URL": (env.get("APP_URL") or "").rstrip("/") or None,
        "SECRET_KEY": env.get("SECRET_KEY"),
        "TOKEN_ENCRYPTION_KEY": env.get("TOKEN_ENCRYPTION_KEY"),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'stockguard.db'}",
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RQ_QUEUE": env.get("RQ_QUEUE", "stockguard"),
        # smtp://[user:password@]host[:port][?starttls=1] or smtps://…; unset: e-mails are logged.
        "SMTP_URL": env.get("SMTP_URL") or None,
        "MAIL_FROM": env.get("MAIL_FROM", "StockGuard <no-reply@stockguard.local>"),
        # An HTTP SMS gateway: POST {"to", "body"} as JSON; unset: text messages are logged.
        "SMS_URL": env.get("SMS_URL") or None,
        # "1": alert webhooks may point at loopback/private addresses (tests, the demo); off,
        # such addresses are refused (SSRF).
        "ALERT_WEBHOOK_PRIVATE_OK": env.get("ALERT_WEBHOOK_PRIVATE_OK") == "1",
        # "1": a store's address may be loopback/private (tests, the demo, benches: sandboxes on
        # 127.0.0.1); off, StockGuard refuses to call such an address (SSRF, see netguard.py).
        "STORE_PRIVATE_OK": (env.get("STORE_PRIVATE_OK") or "").lower() in ("1", "true"),
        # Install starts (WooCommerce connect) per hour per client address (0 = off).
        "INSTALL_RATE_LIMIT": int(env.get("INSTALL_RATE_LIMIT", "30")),
        # Where the ad platforms' APIs are (tests and the demo point them at loopback sandboxes
        # through the SDKs' documented base-URL / endpoint settings).
        "META_GRAPH_URL": (env.get("META_GRAPH_URL") or "https://graph.facebook.com").rstrip("/"),
        "TIKTOK_API_URL": (env.get("TIKTOK_API_URL") or "https://business-api.tiktok.com").rstrip(
            "/"
        ),
        "GOOGLE_ADS_ENDPOINT": env.get("GOOGLE_ADS_ENDPOINT") or "googleads.googleapis.com",
        "GOOGLE_OAUTH_TOKEN_URI": env.get("GOOGLE_OAUTH_TOKEN_URI")
        or "https://oauth2.googleapis.com/token",
        # A PEM bundle of roots to trust for the Google Ads gRPC channel (tests: the sandbox CA);
        # unset: the system's roots.
        "GOOGLE_ADS_ROOT_CERTIFICATES": env.get("GOOGLE_ADS_ROOT_CERTIFICATES") or None,
        # Seconds an ad platform call may take before it counts as a time out (then retried).
        "ADS_HTTP_TIMEOUT": float(env.get("ADS_HTTP_TIMEOUT", "10")),
        # Storefront API: requests per minute per client address, and notify-me sign-ups per
        # hour per client address (0 turns a limit off).
        "STOREFRONT_RATE_LIMIT": int(env.get("STOREFRONT_RATE_LIMIT", "600")),
        "NOTIFY_RATE_LIMIT": int(env.get("NOTIFY_RATE_LIMIT", "10")),
        # Behind a reverse proxy: how many X-Forwarded-For hops to trust for the client address.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # A webhook body past 1 MB is refused with 413 before it is read.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Seconds an OAuth/app-auth round trip may take before its state expires.
        "INSTALL_STATE_TTL": 600,
        # Shopify's callback timestamp may be this old (clock skew plus the merchant's click).
        "OAUTH_TIMESTAMP_TOLERANCE": 300,
        # Inbox rows older than this and still unprocessed are re-enqueued by the sweeper.
        "SWEEP_AFTER_SECONDS": int(env.get("SWEEP_AFTER_SECONDS", "60")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
    cfg.update(overrides)
    cfg["STOCKGUARD_PLATFORMS"] = platforms
    required = (*REQUIRED_SECRETS, *platform_keys)

    if cfg["ENV"] == "development":
        dev = _dev_secrets()
        for name in required:
            if not cfg.get(name):
                cfg[name] = dev.get(name) or secrets.token_hex(16)
    else:
        missing = [name for name in required if not cfg.get(name)]
        if missing:
            raise ConfigError(
                "StockGuard cannot start: missing "
                + ", ".join(missing)
                + " (set them in the environment; see README 'Configuration')."
            )
        cfg["SESSION_COOKIE_SECURE"] = cfg["APP_URL"].startswith("https://")

    if cfg["DATABASE_URL"].startswith("sqlite:///"):
        Path(cfg["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    # postgres:// and postgresql:// both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if cfg["DATABASE_URL"].startswith(prefix):
            cfg["DATABASE_URL"] = "postgresql+psycopg://" + cfg["DATABASE_URL"][len(prefix) :]
    return cfg
