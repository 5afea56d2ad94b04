"""Logging set-up: one format, and secrets masked wherever they might slip into a line."""

from __future__ import annotations

import logging
import re

# Query parameters and JSON fields whose values must never reach a log line.
_SENSITIVE = (
    "code",
    "hmac",
    "id_token",
    "launch",
    "user_id",
    "state",
    "access_token",
    "refresh_token",
    "subject_token",
    "consumer_key",
    "consumer_secret",
    "client_secret",
    "secret",
    "token",
    # OAuth 1.0a over plain HTTP (WooCommerce) puts the key in the URL, and requests' errors
    # quote the URL: "Max retries exceeded with url: /wp-json/…?oauth_consumer_key=ck_…".
    "oauth_consumer_key",
    "oauth_signature",
    # Pool invitations (a signed token good for an hour), the WordPress plugin's launch
    # signature and the session cookie's value.
    "pool",
    "signature",
    "session",
    "form_token",
    "webhook_secret",
)
_PATTERN = re.compile(
    r"(?P<key>\b(?:" + "|".join(_SENSITIVE) + r"))(?P<sep>=|\"\s*:\s*\"|':\s*')(?P<val>[^&\s\"']+)",
    re.IGNORECASE,
)


def mask(text: str) -> str:
    return _PATTERN.sub(lambda m: f"{m['key']}{m['sep']}***", text)


class RedactingFilter(logging.Filter):
    """Mask secret values in the final message (access logs carry OAuth query strings)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        # A traceback quotes its exceptions' messages (and their causes'): mask it too. The
        # formatter uses ``exc_text`` when it is set.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_stockguard", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        handler._stockguard = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
