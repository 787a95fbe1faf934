"""The live store's side of an import (gameplay.history): imported days, vacations and frozen
days into the live keys with nothing awarded, settled before they are seen, the same keys
however the calls are batched, and nothing more when repeated. On one server and on the
cluster."""

import json
from datetime import date, timedelta

import pytest

from gameplay import history, keys, live, rules
from gameplay.history import HabitHistory
from testkit.livestate import player_keys
from testkit.personas import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

TODAY = date(2026, 11, 23)  # alice's local day at T0 (Berlin), a Monday
HABIT, WEEKLY = 9001, 9002


def days_back(*offsets: int) -> frozenset[date]:
    return frozenset(TODAY - timedelta(days=n) for n in offsets)


def live_keys(player) -> dict:
    # settling marks in the player hash the day it reached
    return player_keys(player.pk, skip_suffixes=(b":player",))


def imported(alice, *habits: HabitHistory, vacations=None, frozen=()) -> int:
    return history.history_import(
        actor=alice.actor, habits=habits, vacations=vacations or {}, frozen=frozen, now=T0
    )


def roster_entry(player, habit_id: int) -> dict:
    raw = live.client().hget(keys.roster(player.pk), str(habit_id))
    assert raw is not None
    return json.loads(raw)


def test_imported_days_hold_their_streak_and_award_nothing(alice, clock):
    # Friday .. Sunday and the Tuesday before, with the weekend as rest days.
    rest_weekend = rules.Schedule(kind=rules.DAILY, rest_days=frozenset({6, 7}))
    days = days_back(1, 2, 3, 6, 7)  # Sun, Sat, Fri, Tue, Mon
    held = imported(alice, HabitHistory(HABIT, days, rest_weekend, longest=3))

    r = live.client()
    assert held == 0
    assert {int(d) for d in r.smembers(keys.habit_days(alice.pk, HABIT))} == {
        d.toordinal() for d in days
    }
    assert r.hgetall(keys.habit(alice.pk, HABIT)) == {
        b"first": str((TODAY - timedelta(days=7)).toordinal()).encode(),
        b"longest": b"3",
    }
    entry = roster_entry(alice, HABIT)
    assert (entry["kind"], entry["rest"], entry["last"]) == (
        "daily",
        [6, 7],
        (TODAY - timedelta(days=1)).toordinal(),
    )
    # Wednesday and Thursday were missed: the run is Friday, Saturday, Sunday.
    assert entry["streak"] == 3
    snapshot = live.player_snapshot(player_id=alice.pk, now=T0)
    assert (snapshot.points, snapshot.badges) == (0, [])
    assert r.xlen(keys.stream(keys.shard_of(alice.pk))) == 0


def test_imported_vacations_and_frozen_days_are_skip_days_of_the_roster_streak(alice, clock):
    days = days_back(1, 4, 5)  # Sunday, and Wednesday and Thursday
    vacation = {"9a4c1f7e-0000-4000-8000-000000000001": (TODAY - timedelta(days=3),) * 2}
    imported(
        alice,
        HabitHistory(HABIT, days, rules.Schedule(), longest=3),
        vacations=vacation,
        frozen=[(HABIT, TODAY - timedelta(days=2))],  # Saturday
    )

    assert roster_entry(alice, HABIT)["streak"] == 3  # Friday on vacation, Saturday frozen
    r = live.client()
    assert r.hkeys(keys.frozen(alice.pk)) == [
        f"{HABIT}:{(TODAY - timedelta(days=2)).toordinal()}".encode()
    ]
    assert len(r.hgetall(keys.vacations(alice.pk))) == 1


def test_a_weekly_habit_gets_its_days_and_a_roster_entry_settling_passes_over(alice, clock):
    target_two = rules.Schedule(kind=rules.WEEKLY, target=2)
    imported(alice, HabitHistory(WEEKLY, days_back(8, 10), target_two, longest=1))

    entry = roster_entry(alice, WEEKLY)
    assert (entry["kind"], entry["target"], entry["streak"]) == ("weekly", 2, 0)


def test_a_deleted_habit_gets_its_days_and_no_roster_entry(alice, clock):
    imported(alice, HabitHistory(HABIT, days_back(3, 4), rules.Schedule(), 2, active=False))

    r = live.client()
    assert r.scard(keys.habit_days(alice.pk, HABIT)) == 2
    assert not r.hexists(keys.roster(alice.pk), str(HABIT))


def test_the_days_that_ended_are_settled_before_the_imported_ones_are_seen(alice, clock):
    # alice holds a freeze and last settled five days ago; the imported run ended three days
    # ago. Seen by settling, it would have been alive then and cost her the freeze.
    r = live.client()
    r.hset(
        keys.player(alice.pk),
        mapping={"freezes": 1, "settled": (TODAY - timedelta(days=5)).toordinal()},
    )

    held = imported(alice, HabitHistory(HABIT, days_back(3, 4, 5, 6), rules.Schedule(), 4))

    assert held == 1
    assert r.hgetall(keys.frozen(alice.pk)) == {}
    assert r.xlen(keys.stream(keys.shard_of(alice.pk))) == 0


def test_batched_calls_write_the_same_keys_and_a_repeat_writes_nothing_more(
    alice, clock, monkeypatch
):
    habits = [
        HabitHistory(HABIT, days_back(*range(1, 40)), rules.Schedule(), 39),
        HabitHistory(
            WEEKLY, days_back(*range(2, 60, 3)), rules.Schedule(kind=rules.WEEKLY, target=2), 8
        ),
    ]
    imported(alice, *habits, frozen=[(HABIT, TODAY - timedelta(days=70))])
    whole = live_keys(alice)
    live.client().flushdb()

    monkeypatch.setattr(history, "DAYS_PER_CALL", 7)
    imported(alice, *habits, frozen=[(HABIT, TODAY - timedelta(days=70))])
    assert live_keys(alice) == whole

    imported(alice, *habits, frozen=[(HABIT, TODAY - timedelta(days=70))])
    assert live_keys(alice) == whole


def test_an_import_keeps_the_longer_live_streak_and_the_later_last_day(alice, clock):
    habit = HabitHistory(HABIT, days_back(1), rules.Schedule(), longest=1)
    live.check_in(actor=alice.actor, habit_id=HABIT, day=TODAY, today=TODAY, now=T0)
    before = roster_entry(alice, HABIT)

    imported(alice, HabitHistory(HABIT, days_back(10, 11, 12), rules.Schedule(), longest=3))
    imported(alice, habit)

    r = live.client()
    assert int(r.hget(keys.habit(alice.pk, HABIT), "longest")) == 3
    entry = roster_entry(alice, HABIT)
    assert entry["last"] == before["last"] == TODAY.toordinal()
    assert entry["streak"] == 2  # yesterday (imported) and today
