"""Alert mode: one switch for a crisis. On, every shop of the pool shows the merchant's message
on its storefront and every linked ad object is paused; off, the message goes and StockGuard
resumes only what it paused for the crisis, and only where stock no longer needs it paused.

State: ``StockPool.settings["alert_mode"] = {"on", "message", "since", "by"}``. The ads follow
through the usual evaluation (``sync.ads.decide``, which asks ``adjust`` here), so account modes
(dry run, approve) and the executor's checks (never pause what the merchant paused, never resume
what someone re-enabled) hold for the crisis as for stock.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import select

from extensions import db
from models import AdAction, Installation, StockPool, record_activity, utcnow
from sync.ads import policy as rules

REASON = "alert mode"
MAX_MESSAGE = 280  # one line of banner on a phone, two at most


class AlertModeError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def state(pool: StockPool | None) -> dict:
    """The pool's alert mode (off when never switched on)."""
    saved = ((pool.settings if pool is not None else None) or {}).get("alert_mode") or {}
    return {
        "on": bool(saved.get("on")),
        "message": saved.get("message") if saved.get("on") else None,
        "since": saved.get("since") if saved.get("on") else None,
        "by": saved.get("by") if saved.get("on") else None,
    }


def notice(pool: StockPool | None) -> str | None:
    """What the storefront shows while alert mode is on (bounded even if the stored settings
    were written by something other than ``start``)."""
    message = state(pool)["message"]
    return message[:MAX_MESSAGE] if isinstance(message, str) and message else None


def clean_message(message) -> str:
    """The message as shoppers will read it: plain text on one line, 1 to MAX_MESSAGE
    characters (control and format characters dropped, runs of white space made one)."""
    if not isinstance(message, str):
        raise AlertModeError("message", "message must be text")
    kept = "".join(
        " " if ch.isspace() else ch for ch in message if unicodedata.category(ch)[0] != "C"
    )
    text = " ".join(kept.split())
    if not text:
        raise AlertModeError("message", "a message for shoppers is required to turn alert mode on")
    if len(text) > MAX_MESSAGE:
        raise AlertModeError("message", f"the message may be at most {MAX_MESSAGE} characters")
    return text


def _locked(session, pool: StockPool) -> StockPool:
    # Alert mode and the ads evaluation both lock the pool row: a switch and an evaluation never
    # interleave, and two switches never lose one another's write.
    return session.scalar(
        select(StockPool)
        .where(StockPool.id == pool.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def _save(session, pool: StockPool, value: dict) -> None:
    pool.settings = {**(pool.settings or {}), "alert_mode": value}  # a new dict: JSON is saved
    from sync.ads.decide import enqueue_evaluation

    db.after_commit(lambda p=pool.id: enqueue_evaluation(p))


def _tell(session, pool: StockPool, kind: str, message: str) -> None:
    """Every shop of the pool sees it in its activity (they share the storefront message)."""
    for installation in session.scalars(
        select(Installation).where(Installation.pool_id == pool.id).order_by(Installation.id)
    ):
        record_activity(session, installation, kind, message)


def _who(by) -> str:
    return getattr(by, "shop_domain", None) or str(by or "StockGuard")[:255]


def start(session, pool: StockPool, message, by) -> dict:
    """Turn alert mode on (or change its message). Idempotent: the same message again changes
    nothing. The caller commits."""
    text = clean_message(message)
    pool = _locked(session, pool)
    current = state(pool)
    if current["on"] and current["message"] == text:
        return current
    who = _who(by)
    since = current["since"] if current["on"] else utcnow().isoformat()
    _save(session, pool, {"on": True, "message": text, "since": since, "by": who})
    if current["on"]:
        _tell(session, pool, "alert_mode_message", f"Alert mode message changed by {who}: “{text}”")
    else:
        _tell(
            session,
            pool,
            "alert_mode_on",
            f"Alert mode switched on by {who}: the storefront shows “{text}” and every linked "
            "ad is being paused.",
        )
    return state(pool)


def end(session, pool: StockPool, by) -> dict:
    """Turn alert mode off. Idempotent. The caller commits."""
    pool = _locked(session, pool)
    current = state(pool)
    if not current["on"]:
        return current
    who = _who(by)
    _save(
        session,
        pool,
        {"on": False, "ended": utcnow().isoformat(), "was_since": current["since"], "by": who},
    )
    _tell(
        session,
        pool,
        "alert_mode_off",
        f"Alert mode switched off by {who}: the storefront message is gone; ads StockGuard paused "
        "for it are resumed where stock allows.",
    )
    return state(pool)


# --------------------------------------------------------------------------- ads


def _critical(figures: list[rules.SkuStock], policy: rules.AdPolicy) -> bool:
    if not figures:
        return False
    flags = [rules.critical(f, policy) for f in figures]
    return all(flags) if policy.combine == rules.ALL else any(flags)


def _held_for_crisis(session, obj, dry_run: bool) -> bool:
    """StockGuard's pause of ``obj`` (as done, or as the dry run imagined it) was for alert mode."""
    reason = session.scalar(
        select(AdAction.reason)
        .where(
            AdAction.ad_object_id == obj.id,
            AdAction.kind == AdAction.PAUSE,
            AdAction.state == (AdAction.PLANNED if dry_run else AdAction.DONE),
        )
        .order_by(AdAction.id.desc())
        .limit(1)
    )
    return reason == REASON


def adjust(
    obj,
    figures: list[rules.SkuStock],
    policy: rules.AdPolicy,
    hold: rules.Hold,
    due: list[tuple[str, str]],
    *,
    running: bool,
    dry_run: bool,
) -> list[tuple[str, str]]:
    """The actions due for ``obj`` with alert mode taken into account (``due``: what stock
    alone asks). While on: pause whatever runs, and nothing else (no resume, no budget move).
    After: an object paused for the crisis comes back as soon as stock is not critical (the
    minimum pause and the resume threshold are for stock flapping, not for a crisis)."""
    session = db.session
    pool = session.get(StockPool, obj.pool_id)  # locked by the evaluation: no new query
    if state(pool)["on"]:
        return [(AdAction.PAUSE, REASON)] if not hold.paused and running else []
    if not hold.paused or not _held_for_crisis(session, obj, dry_run):
        return due
    if _critical(figures, policy):
        return []  # stock now needs the pause: it stays
    return [(AdAction.RESUME, "alert mode ended")]
