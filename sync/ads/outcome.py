"""What an ad action did: the object's hold, its status and budget, the spend avoided, and the
merchant's activity log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from connectors.base import ACTIVE, PAUSED
from extensions import db
from models import AdAccount, AdAction, AdObject, Installation, record_activity


def gone(obj: AdObject, action: AdAction, at: dt.datetime) -> None:
    obj.gone, obj.seen_at = True, at
    obj.paused_by_us, obj.paused_at = False, None
    clear_budget_hold(obj)
    action.state, action.note = AdAction.FAILED, "deleted on the platform: link it again or unlink"


def clear_budget_hold(obj: AdObject) -> None:
    obj.budget_lowered_from = obj.budget_lowered_to = obj.budget_lowered_at = None


def record(account, action, obj, result, at, amount: int | None = None) -> None:
    if action.state != AdAction.SENDING:
        return
    if result is None or not result.ok:
        if result is not None and result.gone:
            gone(obj, action, at)
        else:
            action.state = AdAction.FAILED
            action.note = (result.error if result else None) or "the platform did not confirm it"
        return
    if amount is not None:
        apply_budget(action, obj, at, amount)
    else:
        apply_done(action, obj, at, ACTIVE if action.kind == AdAction.RESUME else PAUSED)
    tell(account, action, obj)


def apply_done(action: AdAction, obj: AdObject, at: dt.datetime, status: str) -> None:
    action.state, action.status_after, action.executed_at = AdAction.DONE, status, at
    obj.status = status
    if action.kind == AdAction.PAUSE:
        obj.paused_by_us, obj.paused_at = True, at
    else:
        action.spend_avoided = avoided(obj, obj.paused_at, at, daily_budget(obj))
        obj.paused_by_us, obj.paused_at = False, None


def apply_budget(action: AdAction, obj: AdObject, at: dt.datetime, amount: int) -> None:
    action.state, action.executed_at = AdAction.DONE, at
    action.budget_after = amount
    if action.kind == AdAction.LOWER_BUDGET:
        obj.budget_lowered_from, obj.budget_lowered_to = obj.daily_budget, amount
        obj.budget_lowered_at = at
    else:
        cut = (obj.budget_lowered_from or 0) - (obj.budget_lowered_to or 0)
        action.spend_avoided = avoided(obj, obj.budget_lowered_at, at, cut)
        clear_budget_hold(obj)
    obj.daily_budget = amount


def daily_budget(obj: AdObject) -> int | None:
    """The object's own daily budget, else the one it spends from (its ad set or campaign)."""
    seen, current = set(), obj
    while current is not None and current.id not in seen:
        if current.daily_budget is not None:
            return current.daily_budget
        seen.add(current.id)
        if not current.parent_ref:
            return None
        current = db.session.scalar(
            select(AdObject).where(
                AdObject.account_id == obj.account_id, AdObject.ref == current.parent_ref
            )
        )
    return None


def avoided(obj, since: dt.datetime | None, until: dt.datetime, per_day: int | None):
    if since is None or per_day is None:
        return None
    return round(per_day * max(0.0, (until - since).total_seconds()) / 86400)


def tell(account: AdAccount, action: AdAction, obj: AdObject) -> None:
    installation = db.session.get(Installation, account.installation_id) if account else None
    verb = {
        AdAction.PAUSE: "paused",
        AdAction.RESUME: "resumed",
        AdAction.LOWER_BUDGET: "lowered the budget of",
        AdAction.RESTORE_BUDGET: "gave back the budget of",
    }[action.kind]
    record_activity(
        db.session,
        installation,
        f"ads_{action.kind}",
        f"StockGuard {verb} {obj.level.replace('_', ' ')} “{obj.name}” on {account.platform}: "
        f"{action.reason}",
        action_id=action.id,
    )
