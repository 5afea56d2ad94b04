"""Outgoing messages: e-mail through SMTP (``SMTP_URL``), text messages through an HTTP gateway
(``SMS_URL``). Without them (one machine, development) the message is written to the log.
"""

from __future__ import annotations

import logging
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


def send_email(to: str, subject: str, text: str, html: str | None = None, headers=None) -> None:
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
        log.info("e-mail to %s (SMTP_URL unset, not sent): %s\n%s", mask(to), subject, text)
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


def send_sms(to: str, body: str) -> None:
    url = current_app.config.get("SMS_URL")
    if not url:
        log.info("text message to %s (SMS_URL unset, not sent): %s", mask(to), body)
        return
    try:
        response = requests.post(url, json={"to": to, "body": body}, timeout=TIMEOUT)
    except requests.RequestException as e:
        raise DeliveryError(f"SMS gateway unreachable: {type(e).__name__}") from e
    if response.status_code >= 300:
        raise DeliveryError(f"SMS gateway answered {response.status_code}")
