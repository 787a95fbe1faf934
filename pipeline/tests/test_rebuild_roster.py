"""rebuild_redis restores each habit's roster entry as the check-in script wrote it: the
streak at its last checked day walks over every skip day, the player's vacations too."""

import json
from datetime import datetime, timedelta

import pytest

from gameplay import keys, live, vacations
from habits.services import habit_create
from pipeline.rebuild import live_state_rebuild
from testkit.personas import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]


def at(day_offset: int) -> datetime:
    return T0 + timedelta(days=day_offset)


def entry(player, habit) -> dict:
    """The roster entry as settling reads it (the script leaves out empty rest days)."""
    raw = live.client().hget(keys.roster(player.pk), str(habit.pk))
    assert raw is not None
    value = json.loads(raw)
    return {name: value.get(name) or [] if name == "rest" else value.get(name)
            for name in ("kind", "rest", "last", "streak")}  # fmt: skip


def check_in(player, habit, now: datetime) -> None:
    today = player.actor.day(now)
    live.check_in(
        actor=player.actor, habit_id=habit.pk, day=today, today=today, now=now,
        schedule=habit.schedule,
    )  # fmt: skip


def test_a_vacation_inside_the_run_stays_in_the_rebuilt_roster_streak(alice, clock):
    habit = habit_create(player=alice, name="Read", now=at(-10))
    check_in(alice, habit, at(-4))  # Thursday
    added = vacations.vacation_add(
        actor=alice.actor, start=alice.actor.day(at(-3)), end=alice.actor.day(at(-2)), now=at(-4)
    )
    assert added.vacation is not None
    check_in(alice, habit, at(-1))  # Sunday: Friday and Saturday were the vacation
    written = entry(alice, habit)
    assert written["streak"] == 2

    live_state_rebuild(now=T0)

    assert entry(alice, habit) == written
