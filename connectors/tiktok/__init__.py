"""TikTok Ads behind the neutral ``AdConnector``: campaigns, ad groups (``ad_set``) and ads.

Config keys: ``TIKTOK_API_URL`` (base URL; the SDK's ``Configuration.host``),
``ADS_HTTP_TIMEOUT`` (seconds to connect and to read, default 10), ``TIKTOK_PAGE_SIZE``
(rows per ``/get/`` page, default 1000, TikTok's maximum).

Credentials: the advertiser id (the account ref) and a long-lived access token from the TikTok
API for Business authorization (sealed; sent only as the ``Access-Token`` header).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from connectors.base import (
    AD,
    AD_LEVELS,
    AD_SET,
    CAMPAIGN,
    AdAccountInfo,
    AdObjectInfo,
    AdWriteResult,
    CredentialField,
)
from connectors.errors import InvalidRequest, NotFound

from .client import LEVELS, NoPermission, Session, TikTokRefused
from .mapping import object_info, to_amount

# /<kind>/status/update/ takes at most 20 ids per call; a /get/ filter at most 100.
STATUS_BATCH = 20
READ_BATCH = 100
# Codes after which a write is re-checked object by object: the call names objects that are
# unknown, deleted or not ours (40001 no permission, 40002 parameter error, 40007 not found).
OBJECT_CODES = frozenset({40001, 40002, 40007})

ADVERTISER_ID = re.compile(r"^[0-9]{1,32}$")
TOKEN = re.compile(r"^[\x21-\x7e]{16,512}$")  # printable ASCII, no spaces


class TikTokConnector:
    platform: ClassVar[str] = "tiktok"
    display_name: ClassVar[str] = "TikTok Ads"
    levels: ClassVar[tuple[str, ...]] = (CAMPAIGN, AD_SET, AD)
    budget_changes_per_hour: ClassVar[int | None] = None
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField(
            "advertiser_id",
            "Advertiser ID",
            help="The number shown under the account name in TikTok Ads Manager.",
        ),
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help="The long-lived token of your TikTok API for Business app authorization.",
        ),
    )

    # ----------------------------------------------------------------- credentials

    def parse_credentials(self, form: dict) -> tuple[str, dict]:
        errors = []
        advertiser_id = str(form.get("advertiser_id") or "").strip()
        token = str(form.get("access_token") or "").strip()
        if not advertiser_id:
            errors.append({"field": "advertiser_id", "message": "Enter the advertiser ID."})
        elif not ADVERTISER_ID.match(advertiser_id):
            errors.append(
                {"field": "advertiser_id", "message": "An advertiser ID is made of digits only."}
            )
        if not token:
            errors.append({"field": "access_token", "message": "Enter the access token."})
        elif not TOKEN.match(token):
            errors.append(
                {
                    "field": "access_token",
                    "message": "That does not look like a TikTok access token "
                    "(16 to 512 characters, no spaces).",
                }
            )
        if errors:
            raise InvalidRequest("The TikTok connection form has errors.", errors=errors)
        return advertiser_id, {"access_token": token}

    def test_connection(self, account_ref: str, credentials: dict) -> AdAccountInfo:
        with self._session(account_ref, credentials) as s:
            found = s.advertiser_info().get("list") or []
        for entry in found:
            if str(entry.get("advertiser_id")) == str(account_ref):
                return AdAccountInfo(
                    ref=str(account_ref),
                    name=str(entry.get("name") or account_ref),
                    currency=entry.get("currency"),
                    timezone=entry.get("timezone") or entry.get("display_timezone"),
                )
        raise NotFound(f"TikTok advertiser {account_ref} is not visible with this token")

    # ----------------------------------------------------------------- reads

    def list_objects(self, account_ref: str, credentials: dict) -> Iterator[list[AdObjectInfo]]:
        with self._session(account_ref, credentials) as s:
            for level in AD_LEVELS:
                for rows in _pages(s, level):
                    if rows:
                        yield [object_info(level, raw) for raw in rows]

    def read_objects(
        self, account_ref: str, credentials: dict, objects: list[tuple[str, str]]
    ) -> dict[str, AdObjectInfo | None]:
        wanted: dict[str, list[str]] = {}
        for level, ref in objects:
            _check_level(level)
            wanted.setdefault(level, [])
            if str(ref) not in wanted[level]:
                wanted[level].append(str(ref))
        result: dict[str, AdObjectInfo | None] = {
            str(ref): None for _level, ref in objects
        }  # deleted ones are not listed: they stay None
        if not wanted:
            return result
        with self._session(account_ref, credentials) as s:
            for level, refs in wanted.items():
                result.update(_read(s, level, refs))
        return result

    # ----------------------------------------------------------------- writes

    def set_status(
        self, account_ref: str, credentials: dict, level: str, refs: list[str], active: bool
    ) -> list[AdWriteResult]:
        _check_level(level)
        operation = "ENABLE" if active else "DISABLE"
        unique = list(dict.fromkeys(str(r) for r in refs))
        if not unique:
            return []
        done: dict[str, AdWriteResult] = {}
        with self._session(account_ref, credentials) as s:
            for i in range(0, len(unique), STATUS_BATCH):
                done.update(_update_status(s, level, unique[i : i + STATUS_BATCH], operation))
        return [done[str(r)] for r in refs]

    def set_daily_budget(
        self, account_ref: str, credentials: dict, obj: AdObjectInfo, amount: int
    ) -> AdWriteResult:
        _check_level(obj.level)
        if obj.level == AD:
            return AdWriteResult(obj.ref, ok=False, error="TikTok ads have no budget")
        if obj.daily_budget is None:
            # Lifetime (BUDGET_MODE_TOTAL) or no budget: writing `budget` would change that.
            return AdWriteResult(obj.ref, ok=False, error="the object has no daily budget")
        if int(amount) <= 0:
            raise InvalidRequest(
                "A daily budget must be positive.",
                errors=[{"field": "amount", "message": "must be positive"}],
            )
        with self._session(account_ref, credentials) as s:
            try:
                if obj.level == CAMPAIGN:
                    s.campaign_budget(obj.ref, to_amount(amount))
                else:
                    s.adgroup_budget(obj.ref, to_amount(amount))
            except (NoPermission, TikTokRefused) as e:
                if e.code not in OBJECT_CODES:
                    raise
                if obj.ref not in _existing(s, obj.level, [obj.ref]):
                    return AdWriteResult(obj.ref, ok=False, gone=True, error="not found on TikTok")
                return AdWriteResult(obj.ref, ok=False, error=str(e))
        return AdWriteResult(obj.ref, ok=True)

    # ----------------------------------------------------------------- plumbing

    @staticmethod
    def _session(account_ref: str, credentials: dict) -> Session:
        token = (credentials or {}).get("access_token")
        if not token:
            raise InvalidRequest(
                "No TikTok access token stored.",
                errors=[{"field": "access_token", "message": "missing"}],
            )
        return Session(str(account_ref), token)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise InvalidRequest(
            f"Unknown ad level {level!r}.", errors=[{"field": "level", "message": "unknown"}]
        )


def _pages(s: Session, level: str, filtering: dict | None = None) -> Iterator[list[dict]]:
    page = 1
    while True:
        data = s.get_page(level, page, filtering)
        yield data.get("list") or []
        total_pages = int((data.get("page_info") or {}).get("total_page") or 0)
        if page >= total_pages:
            return
        page += 1


def _read(s: Session, level: str, refs: list[str]) -> dict[str, AdObjectInfo]:
    found: dict[str, AdObjectInfo] = {}
    ids_param = LEVELS[level].ids_param
    for i in range(0, len(refs), READ_BATCH):
        for rows in _pages(s, level, {ids_param: refs[i : i + READ_BATCH]}):
            for raw in rows:
                info = object_info(level, raw)
                found[info.ref] = info
    return found


def _existing(s: Session, level: str, refs: list[str]) -> set[str]:
    """Which of ``refs`` TikTok still lists (not deleted, ours). Raises ``Unauthorized`` when
    the advertiser itself is out of reach."""
    return set(_read(s, level, refs))


def _update_status(
    s: Session, level: str, chunk: list[str], operation: str
) -> dict[str, AdWriteResult]:
    """One status call for ≤ 20 ids. TikTok refuses the whole call when one id is unknown or
    deleted; then the ids still listed are written again without the gone ones."""
    try:
        return _confirmed(s, s.status_update(level, chunk, operation), level, chunk)
    except (NoPermission, TikTokRefused) as e:
        if e.code not in OBJECT_CODES:
            raise
        refused = e
    alive = _existing(s, level, chunk)
    results = {
        ref: AdWriteResult(ref, ok=False, gone=True, error="not found on TikTok")
        for ref in chunk
        if ref not in alive
    }
    rest = [ref for ref in chunk if ref in alive]
    if rest and results:
        try:
            results.update(_confirmed(s, s.status_update(level, rest, operation), level, rest))
        except (NoPermission, TikTokRefused) as e:
            if e.code not in OBJECT_CODES:
                raise
            results.update({ref: AdWriteResult(ref, ok=False, error=str(e)) for ref in rest})
    elif rest:  # every id exists: the refusal is about the request itself
        results.update({ref: AdWriteResult(ref, ok=False, error=str(refused)) for ref in rest})
    return results


def _confirmed(s: Session, data: dict, level: str, chunk: list[str]) -> dict[str, AdWriteResult]:
    """Results for ``chunk`` from a successful answer, which lists the ids it changed; an id
    it leaves out is looked up: gone if TikTok no longer lists it."""
    listed = data.get(LEVELS[level].ids_param)
    changed = {str(i) for i in listed} if isinstance(listed, list) else set(chunk)
    results = {ref: AdWriteResult(ref, ok=True) for ref in chunk if ref in changed}
    missing = [ref for ref in chunk if ref not in changed]
    if missing:
        alive = _existing(s, level, missing)
        for ref in missing:
            results[ref] = (
                AdWriteResult(ref, ok=False, error="TikTok did not confirm the change")
                if ref in alive
                else AdWriteResult(ref, ok=False, gone=True, error="not found on TikTok")
            )
    return results
