"""The ad policy's decisions on known stock figures: hysteresis, the minimum pause, several SKUs,
the earlier budget step, and the validation of what the merchant types."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.ads import policy as rules

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
FREE = rules.Hold(paused=False, paused_at=None, lowered=False)


def stock(available, cover=None, sku="TEE"):
    return rules.SkuStock(1, sku, available, cover)


def kinds(actions):
    return [kind for kind, _ in actions]


def decide(stocks, policy=rules.DEFAULTS, hold=FREE, running=True, has_budget=True, now=NOW):
    return kinds(
        rules.decide(stocks, policy, hold, running=running, has_budget=has_budget, now=now)
    )


def test_pause_at_the_critical_level_and_not_above():
    assert decide([stock(2)]) == ["pause"]
    assert decide([stock(0)]) == ["pause"]
    assert decide([stock(3)]) == []


def test_an_object_someone_else_paused_is_not_paused_again():
    assert decide([stock(0)], running=False) == []


def test_resume_only_at_the_resume_level_hysteresis():
    paused = rules.Hold(True, NOW - dt.timedelta(hours=2), False)
    assert decide([stock(3)], hold=paused) == []  # above pause_at, below resume_at: stays
    assert decide([stock(4)], hold=paused) == []
    assert decide([stock(5)], hold=paused) == ["resume"]


def test_no_resume_before_the_minimum_pause():
    just = rules.Hold(True, NOW - dt.timedelta(minutes=59), False)
    assert decide([stock(50)], hold=just) == []
    held = rules.Hold(True, NOW - dt.timedelta(minutes=60), False)
    assert decide([stock(50)], hold=held) == ["resume"]


def test_days_of_cover_pauses_before_units_do():
    policy = rules.effective({"ads": {"cover_days": 3}}, None)
    assert decide([stock(20, cover=2.5)], policy) == ["pause"]
    assert decide([stock(20, cover=3.0)], policy) == []
    assert decide([stock(20, cover=None)], policy) == []  # no sales: no cover to speak of
    paused = rules.Hold(True, NOW - dt.timedelta(hours=2), False)
    assert decide([stock(20, cover=2.9)], policy, hold=paused) == []
    assert decide([stock(20, cover=4)], policy, hold=paused) == ["resume"]


def test_several_skus_all_or_any():
    both = [stock(1, sku="A"), stock(9, sku="B")]
    assert decide(both) == []  # default "all": B still sells
    anyone = rules.effective({"ads": {"combine": "any"}}, None)
    assert decide(both, anyone) == ["pause"]
    paused = rules.Hold(True, NOW - dt.timedelta(hours=2), False)
    # Under "all" one SKU back is enough to resume; under "any" every SKU must be back.
    assert decide([stock(1, sku="A"), stock(5, sku="B")], hold=paused) == ["resume"]
    assert decide([stock(1, sku="A"), stock(5, sku="B")], anyone, hold=paused) == []
    assert decide([stock(6, sku="A"), stock(5, sku="B")], anyone, hold=paused) == ["resume"]


def test_budget_step_before_the_pause_and_given_back_on_restock():
    policy = rules.effective({"ads": {"low_at": 10, "low_budget_pct": 40}}, None)
    assert decide([stock(8)], policy) == ["lower_budget"]
    assert decide([stock(8)], policy, has_budget=False) == []
    lowered = rules.Hold(False, None, True)
    assert decide([stock(8)], policy, hold=lowered) == []
    assert decide([stock(1)], policy, hold=lowered) == ["pause"]
    # Given back at low_at + (resume_at − pause_at) = 13: the same hysteresis as the pause.
    assert decide([stock(12)], policy, hold=lowered) == []
    assert decide([stock(13)], policy, hold=lowered) == ["restore_budget"]
    paused_and_lowered = rules.Hold(True, NOW - dt.timedelta(hours=2), True)
    assert decide([stock(6)], policy, hold=paused_and_lowered) == ["resume"]
    assert decide([stock(13)], policy, hold=paused_and_lowered) == ["resume", "restore_budget"]


def test_a_day_of_stock_oscillating_around_the_threshold_flaps_at_most_once_an_hour():
    hold, at, actions = FREE, NOW, []
    for minute in range(0, 24 * 60, 5):  # 1, 3, 5, 7, 1, 3, ... every five minutes
        at = NOW + dt.timedelta(minutes=minute)
        level = [1, 3, 5, 7][(minute // 5) % 4]
        for kind in decide([stock(level)], hold=hold, running=not hold.paused, now=at):
            actions.append((kind, at))
            hold = rules.Hold(kind == "pause", at if kind == "pause" else None, False)
    pauses = [t for k, t in actions if k == "pause"]
    assert len(pauses) >= 12  # it does act on a real shortage
    for first, second in zip(pauses, pauses[1:], strict=False):
        assert second - first >= dt.timedelta(hours=1)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"pause_at": -1}, "pause_at"),
        ({"pause_at": "two"}, "pause_at"),
        ({"pause_at": True}, "pause_at"),
        ({"pause_at": 5, "resume_at": 5}, "resume_at"),
        ({"low_at": 10}, "low_at"),
        ({"low_at": 1, "low_budget_pct": 20}, "low_at"),
        ({"low_at": 10, "low_budget_pct": 95}, "low_budget_pct"),
        ({"combine": "most"}, "combine"),
        ({"cover_days": "soon"}, "cover_days"),
        ({"cover_days": 0}, "cover_days"),
        ({"min_pause_minutes": 99999}, "min_pause_minutes"),
        ({"pause_below": 3}, "pause_below"),
        ({"resume_at": None}, "resume_at"),
    ],
)
def test_bad_policy_names_the_field(body, field):
    with pytest.raises(rules.PolicyError) as e:
        rules.validated(body, partial=False)
    assert e.value.field == field


def test_a_good_policy_is_kept_as_typed():
    assert rules.validated(
        {"pause_at": "1", "resume_at": 4, "low_at": 8, "low_budget_pct": 30, "cover_days": "2.5"},
        partial=False,
    ) == {"pause_at": 1, "resume_at": 4, "low_at": 8, "low_budget_pct": 30, "cover_days": 2.5}
