"""A FocusQuest export imported into a new account: the habits (names, schedules), their
check-ins, frozen days and vacations, and so their streaks, are the original's; the new
account holds no points, badges or freezes; PostgreSQL and the live store agree, a rebuild
gives the same live keys, and importing the file again adds nothing.

alice's month before T0 (Monday 2026-11-23 in Berlin), oldest first, through the services:
a daily habit with weekends off, a weekly one (twice a week), a daily one that runs seven
days (a freeze earned and then spent on the day missed after), a vacation inside the runs,
a habit deleted with its history, and focus sessions that earn badges. The first test
takes the whole way a player leaving and coming back takes: export, `DELETE /api/me`, a new
account under the same (freed) username imports the file."""

import json
from datetime import date, timedelta
from typing import cast

import pytest

from accountdata.models import ImportedHabit
from gameplay import keys, live, rules
from gameplay.models import Badge, LedgerEntry
from habits.models import CheckIn, FrozenDay, Habit
from habits.services import habit_check_in, habit_create, habit_delete
from pipeline import flush
from pipeline.consistency import consistency_drift
from pipeline.rebuild import live_state_rebuild
from testkit.actions import complete_session
from testkit.archives import export_members, post_import, zip_of
from testkit.livestate import player_keys
from testkit.personas import PASSWORD, T0, client_for, make_player
from vacations.models import Vacation
from vacations.services import vacation_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

TODAY = date(2026, 11, 23)
VACATION = range(16, 20)  # days back: Wednesday 4 to Saturday 7 November


def back(n: int):
    """The moment n days before T0 (10:00 in Berlin)."""
    return T0 - timedelta(days=n)


def alices_month(alice) -> None:
    created = back(40)
    stretch = habit_create(
        player=alice, name="Stretch", now=created,
        schedule=rules.Schedule(rest_days=frozenset({6, 7})),
    )  # fmt: skip
    swim = habit_create(
        player=alice, name="Swim", now=created, schedule=rules.Schedule(kind=rules.WEEKLY, target=2)
    )
    read = habit_create(player=alice, name="Read", now=created)
    old = habit_create(player=alice, name="Old", now=created)
    for n in range(40, 0, -1):
        day = TODAY - timedelta(days=n)
        if n == 20:
            vacation_add(
                player=alice, start=TODAY - timedelta(days=19), end=TODAY - timedelta(days=16),
                now=back(n),
            )  # fmt: skip
        if n == 32:
            habit_delete(habit=old, now=back(n))
        checks = []
        if 33 <= n <= 35:
            checks.append(old)
        if n <= 30 and n != 23 and n not in VACATION:  # the 23rd missed: its freeze spent
            checks.append(read)
        if n <= 30 and day.isoweekday() <= 5 and n != 10 and n not in VACATION:
            checks.append(stretch)
        if n in (27, 25, 20, 18, 13, 11, 6, 4):  # Tuesdays and Thursdays
            checks.append(swim)
        for habit in checks:
            habit_check_in(player=alice, habit=habit, day=None, now=back(n))
        if n in (5, 3):
            complete_session(alice, minutes=25 if n == 5 else 95, now=back(n))


def habits_seen(client) -> list[tuple]:
    return [
        (h["name"], h["schedule"], h["streak_unit"], h["current_streak"], h["longest_streak"])
        for h in client.get("/api/habits").json()
    ]


def days_seen(client) -> list[list[tuple[str, bool]]]:
    return [
        [(d["date"], d["frozen"]) for d in client.get(f"/api/habits/{h['id']}/check-ins").json()]
        for h in client.get("/api/habits").json()
    ]


def history_of(player) -> list[tuple]:
    """Every habit of the player, deleted ones too, with its days and frozen days."""
    return [
        (
            h.name,
            h.kind,
            tuple(h.rest_days),
            h.weekly_target,
            h.deleted_at is not None,
            tuple(CheckIn.objects.filter(habit=h).values_list("day", flat=True)),
            tuple(FrozenDay.objects.filter(habit=h).values_list("day", flat=True)),
            h.check_in_count,
            h.longest_streak,
        )
        for h in Habit.objects.filter(player=player).order_by("created_at", "id")
    ]


def live_history(player) -> dict:
    """The live keys of the player's habits as settling and the streaks read them."""
    r = live.client()
    state: dict = {
        "frozen": sorted(cast(list[bytes], r.hkeys(keys.frozen(player.pk)))),
        "vacations": sorted(cast(list[bytes], r.hvals(keys.vacations(player.pk)))),
    }
    for habit in Habit.objects.filter(player=player):
        roster = r.hget(keys.roster(player.pk), str(habit.pk))
        entry = json.loads(roster) if roster else None
        state[habit.name] = (
            sorted(
                int(d) for d in cast(set[bytes], r.smembers(keys.habit_days(player.pk, habit.pk)))
            ),
            r.hgetall(keys.habit(player.pk, habit.pk)),
            entry
            and (
                entry["kind"],
                entry.get("rest") or [],
                entry.get("target") or 0,
                entry["last"],
                entry["streak"],
            ),
        )
    return state


@pytest.fixture
def exported(alice, as_alice, clock) -> bytes:
    alices_month(alice)
    members = export_members(as_alice.get("/api/me/export"))
    return zip_of(members)


def test_a_new_account_imports_the_export_with_the_same_habits_days_and_streaks(
    alice, as_alice, exported, clock, django_capture_on_commit_callbacks
):
    newcomer = make_player("alice-again", timezone="Europe/Berlin")
    as_newcomer = client_for(newcomer)

    response = post_import(as_newcomer, exported, commit=django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "habits": 4,
        "check_ins": CheckIn.objects.filter(player=alice).count(),
    }
    original = habits_seen(as_alice)
    assert [name for name, *_ in original] == ["Stretch", "Swim", "Read"]
    assert habits_seen(as_newcomer) == original
    assert days_seen(as_newcomer) == days_seen(as_alice)
    assert history_of(newcomer) == history_of(alice)
    assert FrozenDay.objects.filter(player=newcomer).exists()
    vacations = [(v["start"], v["end"]) for v in as_newcomer.get("/api/vacations").json()]
    assert vacations == [(v["start"], v["end"]) for v in as_alice.get("/api/vacations").json()]
    assert vacations == [("2026-11-04", "2026-11-07")]
    # The history came along; the game's credit did not.
    alices = as_alice.get("/api/me").json()
    assert alices["points"] > 0 and alices["badges"] and alices["freezes"]["held"] > 0
    me = as_newcomer.get("/api/me").json()
    assert (me["points"], me["badges"], me["freezes"]) == (0, [], {"held": 0, "max": 2})
    assert as_newcomer.get("/api/sessions").json()["results"] == []
    flush.flush_pending()
    assert not LedgerEntry.objects.filter(player=newcomer).exists()
    assert not Badge.objects.filter(player=newcomer).exists()
    newcomer.refresh_from_db()
    assert (newcomer.points, newcomer.freezes) == (0, 0)
    assert consistency_drift() == []


def test_an_account_deleted_after_its_export_comes_back_whole_from_the_file(
    alice, as_alice, exported, clock, django_capture_on_commit_callbacks
):
    original = habits_seen(as_alice), days_seen(as_alice), history_of(alice)
    vacations = [(v["start"], v["end"]) for v in as_alice.get("/api/vacations").json()]

    with django_capture_on_commit_callbacks(execute=True):
        gone = as_alice.delete("/api/me", {"password": PASSWORD}, format="json")
    assert gone.status_code == 204
    flush.flush_pending()  # her pending events are dropped, the flush succeeds
    assert not Habit.objects.filter(player_id=alice.pk).exists()

    back = make_player("alice", timezone="Europe/Berlin")  # the username is free again
    as_back = client_for(back)
    response = post_import(as_back, exported, commit=django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.json()
    assert response.json()["habits"] == 4
    assert (habits_seen(as_back), days_seen(as_back), history_of(back)) == original
    assert [(v["start"], v["end"]) for v in as_back.get("/api/vacations").json()] == vacations
    me = as_back.get("/api/me").json()
    assert (me["points"], me["badges"], me["freezes"]["held"]) == (0, [], 0)
    flush.flush_pending()
    assert consistency_drift() == []


def test_the_imported_live_keys_are_what_a_rebuild_restores(
    exported, clock, django_capture_on_commit_callbacks
):
    newcomer = make_player("alice-again", timezone="Europe/Berlin")
    post_import(client_for(newcomer), exported, commit=django_capture_on_commit_callbacks)
    imported = live_history(newcomer)
    assert imported["Read"][2] is not None  # an active habit's roster entry

    live_state_rebuild(now=T0)

    assert live_history(newcomer) == imported


def test_importing_the_same_file_again_adds_nothing(
    exported, clock, django_capture_on_commit_callbacks
):
    newcomer = make_player("alice-again", timezone="Europe/Berlin")
    as_newcomer = client_for(newcomer)
    post_import(as_newcomer, exported, commit=django_capture_on_commit_callbacks)
    rows = history_of(newcomer), list(Vacation.objects.filter(player=newcomer).values_list())
    keys_before = player_keys(newcomer.pk)

    again = post_import(as_newcomer, exported, commit=django_capture_on_commit_callbacks)

    assert again.json() == {"habits": 0, "check_ins": 0}
    assert (
        history_of(newcomer),
        list(Vacation.objects.filter(player=newcomer).values_list()),
    ) == rows
    assert ImportedHabit.objects.filter(player=newcomer).count() == 4
    assert player_keys(newcomer.pk) == keys_before


def test_a_player_importing_their_own_export_adds_nothing(
    alice, as_alice, exported, clock, django_capture_on_commit_callbacks
):
    before = history_of(alice), habits_seen(as_alice)

    response = post_import(as_alice, exported, commit=django_capture_on_commit_callbacks)

    assert response.json() == {"habits": 0, "check_ins": 0}
    assert (history_of(alice), habits_seen(as_alice)) == before


def test_the_days_from_today_on_stay_behind(
    alice, as_alice, clock, django_capture_on_commit_callbacks
):
    habit = habit_create(player=alice, name="Read", now=back(3))
    for n in (2, 1, 0):
        habit_check_in(player=alice, habit=habit, day=None, now=back(n))
    content = zip_of(export_members(as_alice.get("/api/me/export")))
    newcomer = make_player("alice-again", timezone="Europe/Berlin")

    response = post_import(client_for(newcomer), content, commit=django_capture_on_commit_callbacks)

    assert response.json() == {"habits": 1, "check_ins": 2}  # today's is the player's to make
    days = CheckIn.objects.filter(player=newcomer).values_list("day", flat=True)
    assert sorted(days) == [TODAY - timedelta(days=2), TODAY - timedelta(days=1)]
