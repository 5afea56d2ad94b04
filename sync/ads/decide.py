"""Evaluating a pool's linked ad objects against their stock: which pauses, resumes and budget
changes are due, recorded as ``AdAction`` rows in the account's mode.

- dry run: the action is recorded as *planned* and the dry run's imagined hold moves (nothing is
  sent; the merchant sees what would have happened);
- approve: *awaiting approval* until the merchant confirms (then queued) or rejects it;
- automatic: *queued*, and the account's executor runs at once.

An open action whose reason went away before it was carried out (stock back before the pause was
approved) is *superseded*, never sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import func, select

from connectors.base import ACTIVE
from extensions import db
from models import (
    AdAccount,
    AdAction,
    AdLink,
    AdObject,
    Forecast,
    Movement,
    Sku,
    StockPool,
    utcnow,
)
from sync import ledger
from sync.ads import policy as rules
from sync.alerts import crisis
from sync.queue import jobs
from sync.worker import job

log = logging.getLogger(__name__)

# A SKU's forecast (sync/forecast) gives the velocity behind days of cover while it is this
# fresh; without one (or with an older one) the sales over VELOCITY_DAYS do.
FORECAST_FRESH = dt.timedelta(hours=48)
VELOCITY_DAYS = 14
FAILED_BACKOFF = dt.timedelta(minutes=15)


def parse_now(now: str | None) -> dt.datetime:
    """Jobs carry time as ISO text (the flapping test and the simulator pass their own clock)."""
    return dt.datetime.fromisoformat(now) if now else utcnow()


# --------------------------------------------------------------------------- triggers


def request_evaluation(session, sku_ids) -> None:
    """After this transaction commits, evaluate the ads of every pool whose linked SKUs moved
    (callers pass the SKUs whose available may have changed, bundles included)."""
    ids = list(sku_ids)
    if not ids:
        return
    pools = session.scalars(select(AdLink.pool_id).where(AdLink.sku_id.in_(ids)).distinct()).all()
    for pool_id in pools:
        db.after_commit(lambda p=pool_id: enqueue_evaluation(p))


def enqueue_evaluation(pool_id: int) -> None:
    jobs.enqueue(evaluate_pool, pool_id, job_id=f"ads-eval-{pool_id}")


def enqueue_execution(account_id: int, now: str | None = None) -> None:
    from sync.ads.execute import execute_account

    if now is None:
        jobs.enqueue(execute_account, account_id, job_id=f"ads-exec-{account_id}")
    else:  # a simulated clock (the simulator, the flapping test) travels with the job
        jobs.enqueue(execute_account, account_id, now, job_id=f"ads-exec-{account_id}")


# --------------------------------------------------------------------------- stock figures


def stock_figures(session, sku_ids, now: dt.datetime) -> dict[int, rules.SkuStock]:
    """Available units and days of cover per SKU: the forecast's velocity when it is fresh,
    else the ledger's sales over the last VELOCITY_DAYS."""
    skus = session.scalars(select(Sku).where(Sku.id.in_(list(sku_ids)))).all()
    # Cover is today's available over the forecast's velocity (the Forecast row's own
    # days_of_cover is that at the time of the run; stock may have moved since).
    forecast = dict(
        session.execute(
            select(Forecast.sku_id, Forecast.velocity).where(
                Forecast.sku_id.in_([s.id for s in skus]),
                Forecast.computed_at >= now - FORECAST_FRESH,
            )
        ).all()
    )
    since = now - dt.timedelta(days=VELOCITY_DAYS)
    stale = [s.id for s in skus if s.id not in forecast]
    sold = dict(
        session.execute(
            select(Movement.sku_id, -func.sum(Movement.on_hand_delta))
            .where(
                Movement.sku_id.in_(stale),
                Movement.kind.in_([Movement.SALE, Movement.RESTOCK, Movement.BUNDLE]),
                Movement.created_at >= since,
                Movement.created_at <= now,
            )
            .group_by(Movement.sku_id)
        ).all()
    ) if stale else {}  # fmt: skip
    out = {}
    for sku in skus:
        available = ledger.available(session, sku)
        if sku.id in forecast:
            per_day = forecast[sku.id] or 0.0
        else:
            per_day = (sold.get(sku.id) or 0) / VELOCITY_DAYS
        cover = round(available / per_day, 1) if per_day > 0 else None
        out[sku.id] = rules.SkuStock(sku.id, sku.sku or sku.key, available, cover)
    return out


# --------------------------------------------------------------------------- evaluation


@job
def evaluate_pool(pool_id: int, now: str | None = None) -> dict:
    """Record the actions due for the pool's linked ad objects; start the executors."""
    session = db.session
    at = parse_now(now)
    # One evaluation per pool at a time (two workers would each queue the same pause).
    pool = session.scalar(
        select(StockPool)
        .where(StockPool.id == pool_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if pool is None:
        return {}
    links = session.execute(
        select(AdLink.ad_object_id, AdLink.sku_id).where(AdLink.pool_id == pool_id)
    ).all()
    by_object: dict[int, list[int]] = defaultdict(list)
    for object_id, sku_id in links:
        by_object[object_id].append(sku_id)
    if not by_object:
        session.commit()
        return {}
    objects = session.scalars(
        select(AdObject).where(AdObject.id.in_(list(by_object)), AdObject.gone.is_(False))
    ).all()
    accounts = {
        a.id: a
        for a in session.scalars(
            select(AdAccount).where(AdAccount.id.in_({o.account_id for o in objects}))
        )
    }
    stocks = stock_figures(session, {s for ids in by_object.values() for s in ids}, at)
    open_actions: dict[int, list[AdAction]] = defaultdict(list)
    for action in session.scalars(
        select(AdAction).where(
            AdAction.ad_object_id.in_([o.id for o in objects]), AdAction.state.in_(AdAction.OPEN)
        )
    ):
        open_actions[action.ad_object_id].append(action)

    # An action that failed on the platform (not a gone object: that one is no longer
    # evaluated) is tried again after a pause, not at every stock move or sweep.
    failed_lately = set(
        session.scalars(
            select(AdAction.ad_object_id).where(
                AdAction.ad_object_id.in_([o.id for o in objects]),
                AdAction.state == AdAction.FAILED,
                AdAction.executed_at > at - FAILED_BACKOFF,
            )
        )
    )
    counts: dict[str, int] = defaultdict(int)
    to_execute: set[int] = set()
    for obj in objects:
        account = accounts[obj.account_id]
        if obj.id in failed_lately and account.effective_mode(at) != AdAccount.DRY_RUN:
            continue
        try:
            policy = rules.effective(pool.settings, obj.policy)
        except rules.PolicyError as e:  # a stored override no longer valid with new defaults
            log.warning("ad object %s: policy not usable (%s); skipped", obj.id, e.message)
            continue
        figures = [stocks[s] for s in by_object[obj.id] if s in stocks]
        mode = account.effective_mode(at)
        for kind, reason in _due(obj, figures, policy, mode, open_actions[obj.id], at):
            state = {
                AdAccount.DRY_RUN: AdAction.PLANNED,
                AdAccount.APPROVE: AdAction.AWAITING,
            }.get(mode, AdAction.QUEUED)
            session.add(
                AdAction(
                    pool_id=pool_id,
                    account_id=account.id,
                    ad_object_id=obj.id,
                    kind=kind,
                    state=state,
                    mode=mode,
                    reason=reason,
                    stock=[_figure(f, policy) for f in figures],
                    status_before=obj.status,
                    budget_before=obj.daily_budget,
                    created_at=at,
                )
            )
            counts[state] += 1
            if mode == AdAccount.DRY_RUN:
                _imagine(obj, kind, at)
            elif state == AdAction.QUEUED:
                to_execute.add(account.id)
    for account_id in to_execute:
        db.after_commit(lambda a=account_id: enqueue_execution(a, now))
    session.commit()
    return dict(counts)


def _due(obj, figures, policy, mode, open_actions, at) -> list[tuple[str, str]]:
    if mode == AdAccount.DRY_RUN:
        hold = rules.Hold(obj.dry_paused, obj.dry_paused_at, obj.dry_lowered)
    else:
        hold = rules.Hold(obj.paused_by_us, obj.paused_at, obj.budget_lowered_from is not None)
    due = rules.decide(
        figures,
        policy,
        hold,
        running=obj.status == ACTIVE,
        has_budget=obj.daily_budget is not None,
        now=at,
    )
    # Alert mode (a crisis) pauses everything linked, and gives back only what it paused.
    dry_run = mode == AdAccount.DRY_RUN
    due = crisis.adjust(
        obj, figures, policy, hold, due, running=obj.status == ACTIVE, dry_run=dry_run
    )
    if mode == AdAccount.DRY_RUN:
        return due
    if any(a.state == AdAction.SENDING for a in open_actions):
        return []  # its outcome decides what comes next
    kinds = {kind for kind, _ in due}
    for action in open_actions:
        if action.kind not in kinds:
            action.state = AdAction.SUPERSEDED
            action.note = "stock moved back before it was carried out"
            action.executed_at = at
    waiting = {a.kind for a in open_actions if a.state in AdAction.OPEN}
    return [(kind, reason) for kind, reason in due if kind not in waiting]


def _imagine(obj: AdObject, kind: str, at: dt.datetime) -> None:
    """Move the dry run's hold as if the action had been carried out."""
    if kind == AdAction.PAUSE:
        obj.dry_paused, obj.dry_paused_at = True, at
    elif kind == AdAction.RESUME:
        obj.dry_paused, obj.dry_paused_at = False, None
    elif kind == AdAction.LOWER_BUDGET:
        obj.dry_lowered = True
    elif kind == AdAction.RESTORE_BUDGET:
        obj.dry_lowered = False


def _figure(stock: rules.SkuStock, policy: rules.AdPolicy) -> dict:
    return {
        "sku": stock.sku,
        "available": stock.available,
        "days_of_cover": stock.days_of_cover,
        "pause_at": policy.pause_at,
        "resume_at": policy.resume_at,
    }
