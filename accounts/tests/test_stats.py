"""GET /api/stats: the player's history by local day (flushed), here the freezes spent."""

from datetime import timedelta

import pytest

from habits.services import habit_check_in, habit_create
from pipeline import flush
from testkit.personas import T0

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_a_day_a_freeze_kept_counts_until_it_is_backfilled(alice, as_alice, clock):
    read = habit_create(player=alice, name="Read", now=T0)
    for n in range(7):  # Monday to Sunday: a freeze earned
        habit_check_in(player=alice, habit=read, day=None, now=T0 + n * DAY)
    clock.move_to(T0 + 8 * DAY)  # Monday 30 November missed; Tuesday's first read
    assert as_alice.get("/api/me").json()["freezes"]["held"] == 0
    flush.flush_pending()

    kept = as_alice.get("/api/stats?days=3").json()["days"]
    habit_check_in(player=alice, habit=read, day=(T0 + 7 * DAY).date(), now=T0 + 8 * DAY)
    flush.flush_pending()
    backfilled = as_alice.get("/api/stats?days=3").json()["days"]

    assert [(d["date"], d["check_ins"], d["frozen"]) for d in kept] == [
        ("2026-11-29", 1, 0),
        ("2026-11-30", 0, 1),
        ("2026-12-01", 0, 0),
    ]
    assert [(d["date"], d["check_ins"], d["frozen"]) for d in backfilled][1] == (
        "2026-11-30",
        1,
        0,
    )


def test_charlie_sees_no_freeze_of_alices(alice, as_charlie, clock):
    read = habit_create(player=alice, name="Read", now=T0)
    for n in range(7):
        habit_check_in(player=alice, habit=read, day=None, now=T0 + n * DAY)
    clock.move_to(T0 + 8 * DAY)
    habit_check_in(player=alice, habit=read, day=None, now=T0 + 8 * DAY)  # settles the miss
    flush.flush_pending()

    days = as_charlie.get("/api/stats?days=3").json()["days"]

    assert [d["frozen"] for d in days] == [0, 0, 0]
