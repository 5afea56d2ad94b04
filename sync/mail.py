"""Outgoing messages: e-mail through SMTP (``SMTP_URL``), text messages through an HTTP gateway
(``SMS_URL``). Without them (one machine, development) the log says what was not sent: to whom
(masked), which message, how long, and its links with every token in them masked. Never the
body: a shopper's notice carries the link that unsubscribes them, an alert the merchant's stock.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from flask import current_app

log = logging.getLogger(__name__)

TIMEOUT = 10


class DeliveryError(RuntimeError):
    """The message could not be handed over (the reason is safe to show the merchant)."""


def mask(contact: str) -> str:
    """``j***@example.com`` / ``+33******78``: enough for a log line, not a contact list.
    Several addresses (``a@x, b@y``) are masked one by one."""
    if "," in contact:
        return ", ".join(mask(part.strip()) for part in contact.split(",") if part.strip())
    if "@" in contact:
        name, _, domain = contact.partition("@")
        return f"{name[:1]}***@{domain}"
    return contact[:3] + "*" * max(0, len(contact) - 5) + contact[-2:]


URL = re.compile(r"https?://[^\s<>\"'()]+", re.IGNORECASE)
# A path segment shown as is: a word or a slug ("products", "blue-tee"), an API version ("v1").
PLAIN_SEGMENT = re.compile(r"^(?:[a-z][a-z-]{0,39}|v\d{1,2})$")
HIDDEN = "…"


def outline_link(url: str) -> str:
    """``https://shop.example/products/blue-tee`` as is; any other path segment (a token, an id)
    and any query or fragment masked: ``https://app.example/storefront/v1/unsubscribe/…``."""
    parts = urlsplit(url)
    segments = [
        seg if PLAIN_SEGMENT.fullmatch(seg) else HIDDEN for seg in parts.path.split("/")[1:] if seg
    ]
    # The host is kept whole only when it is one (no user:password@ in front of it).
    host = parts.hostname or HIDDEN
    if parts.port:
        host += f":{parts.port}"
    tail = "?" + HIDDEN if parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}" + "".join("/" + seg for seg in segments) + tail


def outline(kind: str, text: str) -> str:
    """What a log line may say of a message it does not show: its kind, its length, its links
    (masked by ``outline_link``)."""
    links = [outline_link(u.rstrip(".,;:!?")) for u in URL.findall(text)]
    return f"{kind}, {len(text)} characters" + (f", links: {' '.join(links)}" if links else "")


def send_email(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers=None,
    kind: str = "e-mail",
) -> None:
    """Send an e-mail; ``kind`` names the message in a log line (the template it came from)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="stockguard")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    url = current_app.config.get("SMTP_URL")
    if not url:
        log.info("e-mail to %s not sent (SMTP_URL unset): %s", mask(to), outline(kind, text))
        return
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    try:
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(
                parts.hostname,
                parts.port or 465,
                timeout=TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=TIMEOUT)
        with smtp:
            if query.get("starttls") == ["1"]:
                smtp.starttls(context=ssl.create_default_context())
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as e:
        raise DeliveryError(f"mail server refused or unreachable: {type(e).__name__}") from e


def send_sms(to: str, body: str, kind: str = "text message") -> None:
    """Send a text message; ``kind`` names the message in a log line."""
    url = current_app.config.get("SMS_URL")
    if not url:
        log.info("text message to %s not sent (SMS_URL unset): %s", mask(to), outline(kind, body))
        return
    try:
        response = requests.post(url, json={"to": to, "body": body}, timeout=TIMEOUT)
    except requests.RequestException as e:
        raise DeliveryError(f"SMS gateway unreachable: {type(e).__name__}") from e
    if response.status_code >= 300:
        raise DeliveryError(f"SMS gateway answered {response.status_code}")
