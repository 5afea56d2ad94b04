"""Connecting ad accounts, importing their campaigns / ad sets / ads, and linking them to SKUs
(with suggestions from the ads' landing pages)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from sqlalchemy import select

from connectors import registry
from connectors.base import REMOVED
from connectors.errors import ConnectorError, InvalidRequest, Unauthorized
from extensions import db
from inputs import MAX_ID
from models import (
    AdAccount,
    AdAction,
    AdLink,
    AdObject,
    Installation,
    JobRun,
    Listing,
    Sku,
    record_activity,
    sku_key,
    utcnow,
)
from models.ads import DRY_RUN_HOURS
from sync.ads.execute import refresh_object
from sync.queue import jobs
from sync.worker import job

MAX_LINK_SKUS = 100


class AdsError(ValueError):
    """Bad input from the panel: ``status`` is the HTTP answer, ``errors`` the fields."""

    def __init__(self, message: str, *, status: int = 400, errors: list | None = None):
        super().__init__(message)
        self.message, self.status, self.errors = message, status, errors or []


def connector_for(platform: str):
    connector = registry.ad_platform(platform) if isinstance(platform, str) else None
    if connector is None:
        raise AdsError(
            "platform must be one of " + ", ".join(registry.ADS), errors=[{"field": "platform"}]
        )
    return connector


def connect(session, installation: Installation, platform: str, form: dict) -> AdAccount:
    """Check the credentials against the platform, then store them sealed. Reconnecting an
    account already connected replaces its credentials and lets its waiting actions run."""
    connector = connector_for(platform)
    try:
        account_ref, credentials = connector.parse_credentials(form)
    except InvalidRequest as e:
        raise AdsError(str(e), errors=e.errors) from None
    try:
        info = connector.test_connection(account_ref, credentials)
    except Unauthorized:
        raise AdsError(
            f"{connector.display_name} refused these credentials (expired or without access "
            "to this account)"
        ) from None
    except ConnectorError as e:
        raise AdsError(
            f"{connector.display_name} could not be reached to check them: {e}", status=502
        ) from None
    account = session.scalar(
        select(AdAccount).where(
            AdAccount.pool_id == installation.pool_id,
            AdAccount.platform == platform,
            AdAccount.account_ref == account_ref,
        )
    )
    reconnect = account is not None
    if account is None:
        account = AdAccount(
            pool_id=installation.pool_id,
            platform=platform,
            account_ref=account_ref,
            connected_at=utcnow(),
            dry_run_until=utcnow() + dt.timedelta(hours=DRY_RUN_HOURS),
        )
        session.add(account)
    account.installation_id = installation.id
    account.name = (info.name or account_ref)[:255]
    account.currency = info.currency
    account.credentials = credentials
    account.status, account.last_error = AdAccount.ACTIVE, None
    session.flush()
    record_activity(
        session,
        installation,
        "ads_reconnected" if reconnect else "ads_connected",
        f"{connector.display_name} ad account “{account.name}” "
        + ("reconnected." if reconnect else f"connected (dry run for {DRY_RUN_HOURS} h)."),
    )
    if reconnect:
        from sync.ads.decide import enqueue_execution

        db.after_commit(lambda a=account.id: enqueue_execution(a))
    return account


def retest(session, account: AdAccount) -> None:
    """Read the account with the stored credentials; an account that works again resumes its
    waiting actions."""
    connector = connector_for(account.platform)
    try:
        info = connector.test_connection(account.account_ref, account.credentials)
    except Unauthorized as e:
        account.status, account.last_error = AdAccount.NEEDS_RECONNECT, str(e)[:500]
        session.commit()
        raise AdsError(
            f"{connector.display_name} refused the stored credentials: reconnect the account"
        ) from None
    except ConnectorError as e:
        raise AdsError(f"{connector.display_name} could not be reached: {e}", status=502) from None
    account.name, account.currency = (info.name or account.account_ref)[:255], info.currency
    if account.status != AdAccount.ACTIVE:
        from sync.ads.decide import enqueue_execution

        account.status, account.last_error = AdAccount.ACTIVE, None
        db.after_commit(lambda a=account.id: enqueue_execution(a))


def account_in_pool(session, pool_id: int, account_id: int) -> AdAccount:
    account = session.scalar(
        select(AdAccount).where(AdAccount.id == account_id, AdAccount.pool_id == pool_id)
    )
    if account is None:
        raise AdsError("no such ad account for this store", status=404)
    return account


def object_in_pool(session, pool_id: int, object_id) -> AdObject:
    if isinstance(object_id, bool) or not isinstance(object_id, int) or not 0 < object_id <= MAX_ID:
        raise AdsError("ad object ids are whole numbers", errors=[{"field": "object_id"}])
    obj = session.scalar(
        select(AdObject).where(AdObject.id == object_id, AdObject.pool_id == pool_id)
    )
    if obj is None:
        raise AdsError("no such ad object for this store", status=404)
    return obj


def set_mode(session, account: AdAccount, mode: str | None, end_dry_run: bool) -> None:
    if mode is not None:
        if mode not in AdAccount.MODES:
            raise AdsError("mode must be one of " + ", ".join(AdAccount.MODES))
        if mode == AdAccount.DRY_RUN and account.mode != AdAccount.DRY_RUN:
            # The dry run starts from what StockGuard really holds.
            for obj in session.scalars(select(AdObject).where(AdObject.account_id == account.id)):
                obj.dry_paused, obj.dry_paused_at = obj.paused_by_us, obj.paused_at
                obj.dry_lowered = obj.budget_lowered_from is not None
        account.mode = mode
    if end_dry_run:
        account.dry_run_until = utcnow()


# --------------------------------------------------------------------------- import


def start_import(session, installation: Installation, account: AdAccount) -> JobRun:
    run = JobRun(
        installation_id=installation.id,
        kind="ads_import",
        status=JobRun.QUEUED,
        details={"account_id": account.id, "platform": account.platform},
    )
    session.add(run)
    session.flush()
    db.after_commit(lambda r=run.id: jobs.enqueue(import_objects, r, job_id=f"ads-import-{r}"))
    return run


@job
def import_objects(run_id: int) -> None:
    """Read every campaign, ad set and ad of the account; objects no longer listed are gone."""
    session = db.session
    run = session.get(JobRun, run_id)
    if run is None or run.status in (JobRun.DONE, JobRun.FAILED):
        return
    account = session.get(AdAccount, (run.details or {}).get("account_id"))
    if account is None:
        run.status, run.message = JobRun.FAILED, "the ad account was disconnected"
        session.commit()
        return
    run.status, run.started_at = JobRun.RUNNING, utcnow()
    session.commit()
    connector = registry.ad_platform(account.platform)
    at = utcnow()
    existing = {
        o.ref: o for o in session.scalars(select(AdObject).where(AdObject.account_id == account.id))
    }
    seen: set[str] = set()
    try:
        for page in connector.list_objects(account.account_ref, account.credentials):
            for info in page:
                obj = existing.get(info.ref)
                if obj is None:
                    obj = AdObject(pool_id=account.pool_id, account_id=account.id, level=info.level)
                    obj.ref = info.ref
                    session.add(obj)
                    existing[info.ref] = obj
                refresh_object(obj, info, at)
                seen.add(info.ref)
            run.done = len(seen)
            session.commit()
    except ConnectorError as e:
        session.rollback()
        run = session.get(JobRun, run_id)
        run.status, run.message, run.finished_at = JobRun.FAILED, str(e)[:500], utcnow()
        if isinstance(e, Unauthorized):
            account = session.get(AdAccount, account.id)
            account.status, account.last_error = AdAccount.NEEDS_RECONNECT, str(e)[:500]
        session.commit()
        if e.retryable:
            raise
        return
    for ref, obj in existing.items():
        if ref not in seen:
            obj.gone = True
    account.imported_at = at
    run.status, run.total, run.finished_at = JobRun.DONE, len(seen), utcnow()
    run.message = f"{len(seen)} campaigns, ad sets and ads"
    session.commit()


@job
def refresh_linked() -> dict:
    """Re-read the linked objects of every working account (a merchant's change in the ads
    manager is seen within the interval even when no stock moves); gone ones are marked."""
    session = db.session
    at = utcnow()
    refreshed = 0
    accounts = session.scalars(select(AdAccount).where(AdAccount.status == AdAccount.ACTIVE))
    for account in accounts.all():
        objects = session.scalars(
            select(AdObject).where(
                AdObject.account_id == account.id,
                AdObject.gone.is_(False),
                AdObject.id.in_(select(AdLink.ad_object_id)),
            )
        ).all()
        if not objects:
            continue
        connector = registry.ad_platform(account.platform)
        try:
            remote = connector.read_objects(
                account.account_ref, account.credentials, [(o.level, o.ref) for o in objects]
            )
        except Unauthorized as e:
            account.status, account.last_error = AdAccount.NEEDS_RECONNECT, str(e)[:500]
            session.commit()
            continue
        except ConnectorError:
            session.rollback()
            continue  # the next run tries again; the executor reads before acting anyway
        for obj in objects:
            info = remote.get(obj.ref)
            if info is None or info.status == REMOVED:
                obj.gone, obj.seen_at = True, at
            else:
                refresh_object(obj, info, at)
            refreshed += 1
        session.commit()
    return {"refreshed": refreshed}


# --------------------------------------------------------------------------- links


def sku_ids_of(session, pool_id: int, codes) -> list[int]:
    """The pool's SKU ids for SKU codes as the merchant types them (trimmed, any case)."""
    if (
        not isinstance(codes, list)
        or not codes
        or len(codes) > MAX_LINK_SKUS
        or not all(isinstance(c, str) and sku_key(c) for c in codes)
    ):
        raise AdsError(
            f"skus must be a list of 1 to {MAX_LINK_SKUS} SKU codes", errors=[{"field": "skus"}]
        )
    keys = {sku_key(c): c for c in codes}
    found = dict(
        session.execute(
            select(Sku.key, Sku.id).where(Sku.pool_id == pool_id, Sku.key.in_(list(keys)))
        ).all()
    )
    missing = [code for key, code in keys.items() if key not in found]
    if missing:
        raise AdsError(f"no such SKU for this store: {missing[0]}", status=404)
    return [found[key] for key in keys]


def link(session, pool_id: int, obj: AdObject, sku_ids) -> list[AdLink]:
    """Link ``obj`` to SKUs of the same pool (all checked before anything is written)."""
    if (
        not isinstance(sku_ids, list)
        or not sku_ids
        or len(sku_ids) > MAX_LINK_SKUS
        or any(
            isinstance(i, bool) or not isinstance(i, int) or not 0 < i <= MAX_ID for i in sku_ids
        )
    ):
        raise AdsError(
            f"sku_ids must be a list of 1 to {MAX_LINK_SKUS} SKU ids",
            errors=[{"field": "sku_ids"}],
        )
    found = set(session.scalars(select(Sku.id).where(Sku.id.in_(sku_ids), Sku.pool_id == pool_id)))
    missing = sorted(set(sku_ids) - found)
    if missing:
        raise AdsError(f"no such SKU for this store: {missing[0]}", status=404)
    if obj.gone:
        raise AdsError("this ad object was deleted on the platform", status=409)
    have = set(session.scalars(select(AdLink.sku_id).where(AdLink.ad_object_id == obj.id)))
    added = [AdLink(pool_id=pool_id, ad_object_id=obj.id, sku_id=s) for s in dict.fromkeys(sku_ids)]
    added = [a for a in added if a.sku_id not in have]
    session.add_all(added)
    session.flush()
    from sync.ads.decide import request_evaluation

    request_evaluation(session, found)
    return added


def unlink(session, pool_id: int, link_id: int) -> None:
    row = session.scalar(select(AdLink).where(AdLink.id == link_id, AdLink.pool_id == pool_id))
    if row is None:
        raise AdsError("no such link for this store", status=404)
    session.delete(row)


def _handle(url: str | None) -> tuple[str | None, str | None]:
    """(host, last path segment) of a product page: what an ad's landing page is matched on."""
    if not url:
        return None, None
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s]
    return (parts.hostname or None), (segments[-1].casefold() if segments else None)


def suggestions(session, pool_id: int) -> list[dict]:
    """Links the merchant may want: an object whose ads land on a product page of the pool.
    Ad sets and campaigns inherit their ads' landing pages."""
    objects = session.scalars(
        select(AdObject).where(AdObject.pool_id == pool_id, AdObject.gone.is_(False))
    ).all()
    by_ref = {(o.account_id, o.ref): o for o in objects}
    urls: dict[int, set[str]] = {o.id: set(o.destination_urls or ()) for o in objects}
    for obj in objects:  # carry each ad's pages up to its ad set and campaign
        parent = by_ref.get((obj.account_id, obj.parent_ref))
        hops = 0
        while parent is not None and hops < 3:
            urls[parent.id] |= set(obj.destination_urls or ())
            parent, hops = by_ref.get((parent.account_id, parent.parent_ref)), hops + 1
    pages: dict[str, set[tuple[str | None, int]]] = {}
    for url, sku_id in session.execute(
        select(Listing.url, Listing.sku_id).where(
            Listing.pool_id == pool_id, Listing.sku_id.is_not(None), Listing.url.is_not(None)
        )
    ):
        host, handle = _handle(url)
        if handle:
            pages.setdefault(handle, set()).add((host, sku_id))
    linked = set(
        session.execute(
            select(AdLink.ad_object_id, AdLink.sku_id).where(AdLink.pool_id == pool_id)
        ).all()
    )
    out = []
    for obj in objects:
        skus: set[int] = set()
        for url in urls[obj.id]:
            host, handle = _handle(url)
            for page_host, sku_id in pages.get(handle, ()):
                if page_host is None or host is None or page_host == host:
                    skus.add(sku_id)
        fresh = sorted(s for s in skus if (obj.id, s) not in linked)
        if fresh:
            out.append({"object_id": obj.id, "sku_ids": fresh})
    codes = dict(
        session.execute(
            select(Sku.id, Sku.sku).where(Sku.id.in_({s for o in out for s in o["sku_ids"]}))
        ).all()
    )
    for suggestion in out:
        suggestion["skus"] = [codes.get(s) for s in suggestion["sku_ids"]]
    return out


def decide_approval(session, pool_id: int, action_id: int, approve: bool) -> AdAction:
    action = session.scalar(
        select(AdAction).where(AdAction.id == action_id, AdAction.pool_id == pool_id)
    )
    if action is None:
        raise AdsError("no such ad action for this store", status=404)
    if action.state != AdAction.AWAITING:
        raise AdsError(f"this action is {action.state.replace('_', ' ')}, not awaiting", status=409)
    if approve:
        action.state = AdAction.QUEUED
        from sync.ads.decide import enqueue_execution

        db.after_commit(lambda a=action.account_id: enqueue_execution(a))
    else:
        action.state, action.executed_at = AdAction.REJECTED, utcnow()
        action.note = "rejected by the merchant"
    return action
