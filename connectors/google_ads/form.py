"""The Google Ads connect form and its validation (nothing is sent anywhere here).

A merchant connects with an OAuth client of their Google Cloud project (client id + secret), a
refresh token granted for the ``https://www.googleapis.com/auth/adwords`` scope
(https://developers.google.com/google-ads/api/docs/oauth/overview), and the customer id of the
account whose campaigns StockGuard manages, as the Google Ads UI shows it (123-456-7890). The
login customer id is the manager account's, only when access goes through one
(https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid). The developer
token is optional: Google sunset developer tokens on 9 Sep 2026; the header "is optional and
ignored by the API servers" (https://developers.google.com/google-ads/api/docs/api-policy/developer-token),
so it is sent only when given.
"""

from __future__ import annotations

import re

from connectors.base import CredentialField
from connectors.errors import InvalidRequest

FIELDS = (
    CredentialField(
        "developer_token",
        "Developer token",
        secret=True,
        required=False,
        help="Optional since Google sunset developer tokens (September 2026); sent if given.",
    ),
    CredentialField(
        "client_id",
        "OAuth client ID",
        help="From the Google Cloud project with the Google Ads API enabled "
        "(ends in .apps.googleusercontent.com).",
    ),
    CredentialField("client_secret", "OAuth client secret", secret=True),
    CredentialField(
        "refresh_token",
        "Refresh token",
        secret=True,
        help="Granted to that OAuth client for the Google Ads (adwords) scope.",
    ),
    CredentialField(
        "customer_id", "Customer ID", help="The Google Ads account to manage, e.g. 123-456-7890."
    ),
    CredentialField(
        "login_customer_id",
        "Manager account ID",
        required=False,
        help="Only if you reach the account through a manager account: the manager's ID.",
    ),
)

_CUSTOMER_ID = re.compile(r"^(\d{3})-?(\d{3})-?(\d{4})$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.apps\.googleusercontent\.com$")
_DEVELOPER_TOKEN = re.compile(r"^[A-Za-z0-9_-]{10,100}$")
_OPAQUE = re.compile(r"^\S{8,2048}$")


def _customer_id(value: str) -> str | None:
    match = _CUSTOMER_ID.match(value)
    return "".join(match.groups()) if match else None


def parse(form: dict) -> tuple[str, dict]:
    """(10-digit customer id, credentials) from the form; InvalidRequest naming bad fields.

    Messages never repeat what was typed (it may be a secret pasted in the wrong box)."""
    values = {f.name: str(form.get(f.name) or "").strip() for f in FIELDS}
    errors: list[dict] = []

    def bad(name: str, message: str) -> None:
        errors.append({"field": name, "message": message})

    for f in FIELDS:
        if f.required and not values[f.name]:
            bad(f.name, f"{f.label} is required.")
    token = values["developer_token"]
    if token and not _DEVELOPER_TOKEN.match(token):
        bad("developer_token", "A developer token is letters, digits, '-' and '_' only.")
    if values["client_id"] and not _CLIENT_ID.match(values["client_id"]):
        bad("client_id", "An OAuth client ID ends in .apps.googleusercontent.com.")
    for name, label in (("client_secret", "client secret"), ("refresh_token", "refresh token")):
        if values[name] and not _OPAQUE.match(values[name]):
            bad(name, f"The {label} looks incomplete or has spaces in it.")
    customer = _customer_id(values["customer_id"]) if values["customer_id"] else None
    if values["customer_id"] and customer is None:
        bad("customer_id", "A customer ID is 10 digits, like 123-456-7890.")
    login = _customer_id(values["login_customer_id"]) if values["login_customer_id"] else None
    if values["login_customer_id"] and login is None:
        bad("login_customer_id", "A manager account ID is 10 digits, like 123-456-7890.")
    if errors:
        raise InvalidRequest("Check the Google Ads connection details.", errors=errors)
    credentials = {
        "client_id": values["client_id"],
        "client_secret": values["client_secret"],
        "refresh_token": values["refresh_token"],
    }
    if token:
        credentials["developer_token"] = token
    if login:
        credentials["login_customer_id"] = login
    return customer, credentials
