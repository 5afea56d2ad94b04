"""Carrying out queued ad actions on the platforms, and the audit trail of each.

For every action the object is read first: a pause is sent only to an object that is running
(one the merchant paused is theirs, and we never mark it ours); a resume only to an object still
paused the way we left it (the merchant re-enabled or removed it meanwhile: left alone, and the
action says so); a budget is given back only if it still is what we set.

Failures: an expired token marks the account *needs reconnect*, tells the merchant, and leaves the
actions queued (nothing lost; they run when the merchant reconnects). Throttling and 5xx / time
outs put the actions back and raise, so the queue retries with backoff. Actions are claimed in
one statement (two workers never send the same one); an action left *sending* by a worker that
died is put back by the sweeper, and then an object already in the target state counts as ours.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import func, or_, select, update

from connectors import registry
from connectors.base import ACTIVE, PAUSED, REMOVED, AdObjectInfo
from connectors.errors import ConnectorError, RateLimited, Unauthorized
from extensions import db
from models import AdAccount, AdAction, AdObject, Installation, StockPool, record_activity, utcnow
from sync.ads import outcome
from sync.ads import policy as rules
from sync.ads.decide import parse_now
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)

SENDING_TIMEOUT = dt.timedelta(minutes=10)
# Rate-limit hints up to this many seconds are retried by the queue's backoff; longer ones
# park the actions until the hint's time.
LONG_WAIT = 60
BUDGET_ACTIONS = (AdAction.LOWER_BUDGET, AdAction.RESTORE_BUDGET)


class ActionsDeferred(RuntimeError):
    """The platform could not take the actions now; they are queued again and the job retries."""


def info_of(obj: AdObject) -> AdObjectInfo:
    return AdObjectInfo(
        level=obj.level,
        ref=obj.ref,
        name=obj.name,
        status=obj.status,
        raw_status=obj.raw_status,
        parent_ref=obj.parent_ref,
        daily_budget=obj.daily_budget,
        budget_ref=obj.budget_ref,
        destination_urls=tuple(obj.destination_urls or ()),
    )


def refresh_object(obj: AdObject, info: AdObjectInfo, at: dt.datetime) -> None:
    obj.name = info.name[:512]
    obj.status, obj.raw_status = info.status, info.raw_status
    obj.parent_ref = info.parent_ref
    obj.daily_budget, obj.budget_ref = info.daily_budget, info.budget_ref
    if info.destination_urls:
        obj.destination_urls = list(info.destination_urls)
    obj.gone, obj.seen_at = False, at


@job
def execute_account(account_id: int, now: str | None = None) -> dict:
    """Carry out the account's queued actions."""
    session = db.session
    at = parse_now(now)
    account = session.get(AdAccount, account_id)
    if account is None or account.status != AdAccount.ACTIVE:
        return {}
    connector = registry.ad_platform(account.platform)
    claimed = _claim(session, account_id, at)
    if not claimed:
        return {}
    actions = session.scalars(
        select(AdAction).where(AdAction.id.in_(claimed)).order_by(AdAction.id)
    ).all()
    objects = {
        o.id: o
        for o in session.scalars(
            select(AdObject).where(AdObject.id.in_({a.ad_object_id for a in actions}))
        )
    }
    credentials = account.credentials
    try:
        remote = connector.read_objects(
            account.account_ref, credentials, [(o.level, o.ref) for o in objects.values()]
        )
        actions = _defer_budget_changes(session, connector, actions, at)
        outcome = _carry_out(connector, account, credentials, actions, objects, remote, at)
    except Unauthorized as e:
        _needs_reconnect(session, account, actions, e)
        return {"needs_reconnect": len(actions)}
    except RateLimited as e:
        sending = [a for a in actions if a.state == AdAction.SENDING]
        if e.retry_after <= LONG_WAIT:
            _release(session, sending, str(e))
            raise ActionsDeferred(f"{account.platform} {account.account_ref}: {e}") from e
        # A long wait (Meta: the ad set's budget changed 4 times this hour, some by hand):
        # the actions sleep until then instead of being retried every minute.
        later = at + dt.timedelta(seconds=e.retry_after)
        for action in sending:
            action.not_before = later
        _release(session, sending, f"the platform asked to wait until {later:%H:%M} UTC")
        jobs.enqueue_in(
            e.retry_after, execute_account, account_id, job_id=f"ads-exec-later-{account_id}"
        )
        return {"deferred": len(sending)}
    except ConnectorError as e:
        _release(session, [a for a in actions if a.state == AdAction.SENDING], str(e))
        if not e.retryable:
            raise
        raise ActionsDeferred(f"{account.platform} {account.account_ref}: {e}") from e
    session.commit()
    return outcome


def _claim(session, account_id: int, at: dt.datetime) -> list[int]:
    rows = session.execute(
        update(AdAction)
        .where(
            AdAction.account_id == account_id,
            AdAction.state == AdAction.QUEUED,
            or_(AdAction.not_before.is_(None), AdAction.not_before <= at),
        )
        .values(state=AdAction.SENDING, attempts=AdAction.attempts + 1, executed_at=at)
        .returning(AdAction.id)
    ).all()
    session.commit()
    return [r[0] for r in rows]


def _release(session, actions, error: str | None) -> None:
    for action in actions:
        action.state = AdAction.QUEUED
        action.note = error
    session.commit()


def _defer_budget_changes(session, connector, actions, at):
    """Keep under the platform's budget changes per hour (Meta: 4 per ad set): a change over
    the limit waits in the queue, and a run is scheduled for when the oldest one ages out."""
    limit = connector.budget_changes_per_hour
    if limit is None or not any(a.kind in BUDGET_ACTIONS for a in actions):
        return actions
    hour_ago = at - dt.timedelta(hours=1)
    recent: dict[int, list[dt.datetime]] = defaultdict(list)
    for object_id, when in session.execute(
        select(AdAction.ad_object_id, AdAction.executed_at).where(
            AdAction.ad_object_id.in_({a.ad_object_id for a in actions}),
            AdAction.kind.in_(BUDGET_ACTIONS),
            AdAction.state == AdAction.DONE,
            AdAction.executed_at > hour_ago,
        )
    ):
        recent[object_id].append(when)
    kept = []
    for action in actions:
        times = recent[action.ad_object_id]
        if action.kind in BUDGET_ACTIONS and len(times) >= limit:
            action.state = AdAction.QUEUED
            action.note = f"waits: {limit} budget changes an hour at most on this platform"
            wait = (min(times) + dt.timedelta(hours=1) - at).total_seconds() + 1
            account_id = action.account_id
            db.after_commit(
                lambda a=account_id, w=wait: jobs.enqueue_in(
                    w, execute_account, a, job_id=f"ads-exec-later-{a}"
                )
            )
            continue
        if action.kind in BUDGET_ACTIONS:
            times.append(at)
        kept.append(action)
    return kept


def _carry_out(connector, account, credentials, actions, objects, remote, at) -> dict:
    """Decide each action against the object as it is now, send what is still due, record."""
    counts: dict[str, int] = defaultdict(int)
    statuses: dict[tuple[str, bool], list[AdAction]] = defaultdict(list)
    budgets: list[tuple[AdAction, int]] = []
    for action in actions:
        obj = objects[action.ad_object_id]
        info = remote.get(obj.ref)
        if info is None or info.status == REMOVED:  # deleted (Meta, TikTok) or removed (Google)
            outcome.gone(obj, action, at)
            counts[action.state] += 1
            continue
        refresh_object(obj, info, at)
        action.status_before = info.status
        action.budget_before = info.daily_budget
        send = _check(action, obj, info, at)
        if send is None:
            counts[action.state] += 1
            continue
        if action.kind in (AdAction.PAUSE, AdAction.RESUME):
            statuses[(obj.level, action.kind == AdAction.RESUME)].append(action)
        else:
            budgets.append((action, send))
    for (level, active), group in statuses.items():
        refs = [objects[a.ad_object_id].ref for a in group]
        results = {
            r.ref: r
            for r in connector.set_status(account.account_ref, credentials, level, refs, active)
        }
        for action in group:
            result = results.get(objects[action.ad_object_id].ref)
            outcome.record(account, action, objects[action.ad_object_id], result, at)
            counts[action.state] += 1
    for action, amount in budgets:
        obj = objects[action.ad_object_id]
        result = connector.set_daily_budget(account.account_ref, credentials, info_of(obj), amount)
        outcome.record(account, action, obj, result, at, amount=amount)
        counts[action.state] += 1
    return dict(counts)


def _check(action: AdAction, obj: AdObject, info: AdObjectInfo, at: dt.datetime):
    """What to send for the action (True, or the new budget), or None with the action closed."""
    retried = action.attempts > 1
    if action.kind == AdAction.PAUSE:
        if info.status == ACTIVE:
            return True
        if retried and info.status == PAUSED:  # our earlier attempt went through
            return _done(action, obj, at, PAUSED)
        return _skip(action, f"already {info.raw_status or info.status}: not StockGuard's to pause")
    if action.kind == AdAction.RESUME:
        if not obj.paused_by_us:
            return _skip(action, "StockGuard did not pause it")
        if info.status == PAUSED:
            return True
        if retried and info.status == ACTIVE:
            return _done(action, obj, at, ACTIVE)
        obj.paused_by_us, obj.paused_at = False, None
        return _skip(
            action,
            f"changed since StockGuard paused it (now {info.raw_status or info.status}): "
            "left as the merchant set it",
        )
    if info.daily_budget is None:
        outcome.clear_budget_hold(obj)
        return _skip(action, "the object has no daily budget of its own")
    if action.kind == AdAction.LOWER_BUDGET:
        return max(1, info.daily_budget * (100 - _pct(obj)) // 100)
    # restore
    if obj.budget_lowered_from is None:
        return _skip(action, "StockGuard did not lower its budget")
    if info.daily_budget != obj.budget_lowered_to:
        outcome.clear_budget_hold(obj)
        return _skip(action, "the merchant changed the budget since: left as it is")
    return obj.budget_lowered_from


def _pct(obj: AdObject) -> int:
    pool = db.session.get(StockPool, obj.pool_id)
    return rules.effective(pool.settings, obj.policy).low_budget_pct or 0


def _skip(action: AdAction, note: str) -> None:
    action.state, action.note = AdAction.SKIPPED, note
    return None


def _done(action: AdAction, obj: AdObject, at: dt.datetime, status: str) -> None:
    outcome.apply_done(action, obj, at, status)
    return None


def _needs_reconnect(session, account: AdAccount, actions, error: Unauthorized) -> None:
    account.status = AdAccount.NEEDS_RECONNECT
    account.last_error = str(error)[:500]
    for action in actions:
        if action.state == AdAction.SENDING:
            action.state, action.note = AdAction.QUEUED, "waits for the account to be reconnected"
    installation = session.get(Installation, account.installation_id)
    record_activity(
        session,
        installation,
        "ads_needs_reconnect",
        f"{account.platform} refused StockGuard's access to ad account {account.account_ref} "
        "(expired or revoked token). Reconnect it in the Ads card: the "
        f"{len(actions)} pending action(s) wait and run then.",
    )
    session.commit()


@job
def sweep_ads() -> dict:
    """Every minute: evaluate every pool with links (pauses whose hold ran out can resume, dry
    runs end), put back actions a dead worker left sending, and run queued actions."""
    from models import AdLink
    from sync.ads.decide import enqueue_evaluation, enqueue_execution

    session = db.session
    stale = utcnow() - SENDING_TIMEOUT
    session.execute(
        update(AdAction)
        .where(AdAction.state == AdAction.SENDING, AdAction.executed_at < stale)
        .values(state=AdAction.QUEUED)
    )
    session.commit()
    pools = session.scalars(select(AdLink.pool_id).distinct()).all()
    accounts = session.scalars(
        select(AdAction.account_id)
        .join(AdAccount, AdAccount.id == AdAction.account_id)
        .where(AdAction.state == AdAction.QUEUED, AdAccount.status == AdAccount.ACTIVE)
        .group_by(AdAction.account_id)
        .having(func.count() > 0)
    ).all()
    for pool_id in pools:
        enqueue_evaluation(pool_id)
    for account_id in accounts:
        enqueue_execution(account_id)
    return {"pools": len(pools), "accounts": len(accounts)}
