"""Meta's words ↔ StockGuard's: the connect form, statuses, budgets, landing pages.

Statuses: an object's own ``status`` is ACTIVE, PAUSED, DELETED or ARCHIVED
(https://developers.facebook.com/docs/marketing-api/reference/ad-campaign-group/); DELETED and
ARCHIVED can never be switched back on, so both are REMOVED. ``effective_status`` (which also
says CAMPAIGN_PAUSED, IN_PROCESS, …) is not what the merchant set, so it is not used for it.

Budgets: ``daily_budget`` comes as a string in the account currency's smallest unit (cents for
EUR/USD; "0" or absent when the object has none of its own — a lifetime budget, or an ad set
under a campaign budget).

Landing pages: Graph exposes the ad's creative; a link ad's destination is
``creative.object_story_spec.link_data.link`` (plus ``child_attachments[].link`` for carousels
and ``call_to_action.value.link`` on link and video data), and dynamic creatives list theirs in
``asset_feed_spec.link_urls[].website_url``
(https://developers.facebook.com/docs/marketing-api/reference/ad-creative-link-data/).
Ads made from an existing Page post carry no spec, so they come without landing pages.
"""

from __future__ import annotations

import re

from connectors.base import (
    ACTIVE,
    AD,
    AD_SET,
    CAMPAIGN,
    OTHER,
    PAUSED,
    REMOVED,
    AdObjectInfo,
    CredentialField,
)
from connectors.errors import InvalidRequest

STATUS = {"ACTIVE": ACTIVE, "PAUSED": PAUSED, "DELETED": REMOVED, "ARCHIVED": REMOVED}
GONE_STATUSES = ("DELETED",)

# What each level reads (Graph field expansion for the ad's creative).
FIELDS = {
    CAMPAIGN: "id,name,status,effective_status,daily_budget",
    AD_SET: "id,name,status,effective_status,campaign_id,daily_budget",
    AD: "id,name,status,effective_status,adset_id,creative{object_story_spec,asset_feed_spec}",
}
EDGES = {CAMPAIGN: "campaigns", AD_SET: "adsets", AD: "ads"}
PARENT_FIELD = {AD_SET: "campaign_id", AD: "adset_id"}

CREDENTIAL_FIELDS = (
    CredentialField(
        "ad_account_id",
        "Ad account ID",
        help="The number in Ads Manager > Account overview (with or without act_).",
    ),
    CredentialField(
        "access_token",
        "Access token",
        secret=True,
        help="A system user token of your Business Manager with the ads_management permission.",
    ),
    CredentialField(
        "app_secret",
        "App secret",
        secret=True,
        help="App dashboard > App settings > Basic. StockGuard signs every call with it "
        "(appsecret_proof).",
    ),
    CredentialField(
        "app_id", "App ID", required=False, help="App dashboard > App settings > Basic."
    ),
)

ACCOUNT_ID = re.compile(r"^(?:act_)?(\d{1,20})$")
APP_SECRET = re.compile(r"^[0-9a-fA-F]{32}$")
APP_ID = re.compile(r"^\d{1,20}$")
TOKEN = re.compile(r"^[A-Za-z0-9_\-.|%]{16,2048}$")


def parse_credentials(form: dict) -> tuple[str, dict]:
    """("act_<id>", credentials) from the connect form; every bad field named, no value echoed."""
    form = form if isinstance(form, dict) else {}

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    errors = []
    account = ACCOUNT_ID.match(text("ad_account_id"))
    if not account:
        errors.append(
            {
                "field": "ad_account_id",
                "message": "the ad account ID is a number, optionally written act_<number>",
            }
        )
    token = text("access_token")
    if not TOKEN.match(token):
        errors.append(
            {"field": "access_token", "message": "paste the whole access token (no spaces)"}
        )
    secret = text("app_secret")
    if not APP_SECRET.match(secret):
        errors.append(
            {"field": "app_secret", "message": "the app secret is 32 letters and digits (0-9, a-f)"}
        )
    app_id = text("app_id")
    if app_id and not APP_ID.match(app_id):
        errors.append({"field": "app_id", "message": "the app ID is a number"})
    if errors:
        raise InvalidRequest(
            "check " + ", ".join(e["field"] for e in errors), errors=errors, status=400
        )
    credentials = {"access_token": token, "app_secret": secret.lower()}
    if app_id:
        credentials["app_id"] = app_id
    return f"act_{account.group(1)}", credentials


def minor_units(value) -> int | None:
    """Graph's budget string → int cents; None for "0", "" or absent (no budget of its own)."""
    if value is None or value == "":
        return None
    try:
        amount = int(str(value))
    except ValueError:
        return None
    return amount if amount > 0 else None


def destination_urls(creative: dict | None) -> tuple[str, ...]:
    """Landing pages named in a creative, in order, without repeats."""
    if not isinstance(creative, dict):
        return ()
    found: list[str] = []
    spec = creative.get("object_story_spec") or {}
    for key in ("link_data", "video_data", "template_data"):
        data = spec.get(key) or {}
        found.append(data.get("link"))
        found.append(((data.get("call_to_action") or {}).get("value") or {}).get("link"))
        for child in data.get("child_attachments") or ():
            found.append((child or {}).get("link"))
    for link in (creative.get("asset_feed_spec") or {}).get("link_urls") or ():
        found.append((link or {}).get("website_url"))
    out: list[str] = []
    for url in found:
        if isinstance(url, str) and url.startswith(("http://", "https://")) and url not in out:
            out.append(url)
    return tuple(out)


def object_info(level: str, data: dict) -> AdObjectInfo:
    """An ``AdObjectInfo`` from a Graph node read with ``FIELDS[level]``."""
    raw = data.get("status")
    return AdObjectInfo(
        level=level,
        ref=str(data["id"]),
        name=data.get("name") or str(data["id"]),
        status=STATUS.get(raw, OTHER),
        raw_status=raw,
        parent_ref=str(data[PARENT_FIELD[level]]) if data.get(PARENT_FIELD.get(level)) else None,
        daily_budget=minor_units(data.get("daily_budget")) if level != AD else None,
        destination_urls=destination_urls(data.get("creative")) if level == AD else (),
    )
