"""Differential tests of the habit rules that fit real lives: the rows of the tables in
test_rules_schedules.py played through the real check-in and settle scripts (real Redis,
the clock passed in). For every row the script's answer, the Python rule's answer and the
table's number must all be equal.

What the scripts decide again: streak_at over skip days (rest days, vacations, frozen
days), current and longest streaks in days and in weeks, the weekly bonus, freezes earned,
spent (settled lazily, before each action and each read) and refunded, and the ISO days
of the freeze events (habits.lua's own date conversion). The player's day and week are
computed in Python and handed to the scripts as day ordinals; the zone stories check that
what the scripts build on those ordinals (weeks, days that ended) is the player's.
"""

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import pytest

from gameplay import keys, live, rules, scripts
from gameplay.live import Actor
from gameplay.tests.test_rules_schedules import (
    REST_DAY_CURRENT,
    REST_DAYS,
    STORIES,
    VACATIONS,
    Answer,
    Played,
    Read,
    Story,
    freeze_days_story,
    held,
    play,
)

pytestmark = pytest.mark.usefixtures("live_store")

PLAYER = 1
HABIT = 5


def add_vacations(vacations) -> None:
    """The player's vacations, written as the live store keeps them."""
    for first, last in vacations:
        live.client().hset(
            keys.vacations(PLAYER), str(uuid.uuid4()), f"{first.toordinal()}:{last.toordinal()}"
        )


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def freeze_events() -> list[dict]:
    """The freeze events in the player's shard stream, in order."""
    entries = cast(list[live.StreamEntry], live.client().xrange(keys.stream(keys.shard_of(PLAYER))))
    events = [json.loads(fields[b"e"]) for _, fields in entries]
    return [event for event in events if event["type"].startswith("freeze_")]


def replay(story: Story) -> Played:
    """The story through the scripts: each check-in one check-in script, each read one
    settle script, at the step's moment; what each answered, the freeze events in the
    stream and the frozen days left."""
    add_vacations(story.vacations)
    actor = Actor(PLAYER, story.zone, story.day_start)
    played = Played()
    for step in story.steps:
        now = step.at or noon(step.on)
        assert actor.day(now) == step.on  # the day the table says is the player's there
        if isinstance(step, Read):
            played.answers.append(held(live.settle(actor=actor, now=now).freezes))
            continue
        outcome = live.check_in(
            actor=actor,
            habit_id=step.habit,
            day=step.day,
            today=actor.day(now),
            now=now,
            schedule=story.habits[step.habit],
        )
        data = outcome.data
        points = data["points_awarded"] if outcome.status == live.Status.OK else 0
        played.answers.append(Answer(points, data["current"], data["longest"], data["freezes"]))
    for event in freeze_events():
        freeze = event["freeze"]
        # The ledger row's day is the freeze's, both as habits.lua writes ISO dates.
        assert event["day"] == freeze["day"] == date.fromisoformat(freeze["day"]).isoformat()
        played.events.append(
            (
                event["type"],
                int(freeze["habit"]),
                date.fromisoformat(freeze["day"]),
                freeze["delta"],
            )
        )
    for field_ in cast(list[bytes], live.client().hkeys(keys.frozen(PLAYER))):
        habit_id, ordinal = field_.decode().split(":")
        played.frozen.add((int(habit_id), date.fromordinal(int(ordinal))))
    return played


# --- Stories: weekly targets, freezes, zones, the freeze events' days --------------------------


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
def test_a_story_through_the_scripts_answers_what_the_rules_say(story: Story) -> None:
    script = replay(story)
    python = play(story)

    assert script.answers == python.answers == story.answers
    assert script.events == python.events == list(story.events)
    assert script.frozen == python.frozen == set(story.frozen)


def test_a_read_answers_the_frozen_days_and_the_vacations() -> None:
    story = freeze_days_story(date(2028, 2, 22), "2028-02-28", "2028-02-29")
    add_vacations([(date(2028, 3, 10), date(2028, 3, 12))])
    replay(story)
    settled = live.settle(actor=Actor(PLAYER, "UTC", 0), now=noon(date(2028, 3, 1)))

    assert settled.freezes == 0
    assert settled.frozen == {1: {date(2028, 2, 29)}}
    assert list(settled.vacations.values()) == [(date(2028, 3, 10), date(2028, 3, 12))]


# --- The scripts' own date conversion (habits.lua's iso) --------------------------------------


def iso_days(first: date, last: date) -> list[str]:
    """habits.lua's own iso(), run in Redis on every day ordinal from first to last: the
    script's half of date.isoformat, without an action around it."""
    source = "\n".join(
        (scripts.LUA_DIR / f"{part}.lua").read_text() for part in ("prelude", "habits")
    )
    probe = source + (
        "\nlocal days = {}"
        "\nfor d = tonumber(ARGV[10]), tonumber(ARGV[11]) do days[#days + 1] = iso(d) end"
        "\nreturn cjson.encode(days)"
    )
    signature, actor, now = scripts.SIGNATURES["settle"], Actor(PLAYER, "UTC", 0), noon(first)
    slots = {**live._award_keys(PLAYER, now), **live._habits_keys(PLAYER)}
    args = {**live._award_args(actor, now, "{}"), **live._habits_args(first)}
    raw = live.client().eval(
        probe,
        len(signature.keys),
        *[slots[name] for name in signature.keys],
        *[args[name] for name in signature.args],
        first.toordinal(),
        last.toordinal(),
    )
    return json.loads(raw)


def test_the_scripts_iso_date_is_the_calendars_on_every_day_of_three_centuries() -> None:
    # 1900 and 2100 are no leap years, 2000 is: every month end and year end in between.
    first, last = date(1900, 1, 1), date(2199, 12, 31)
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]

    assert iso_days(first, last) == [day.isoformat() for day in days]


# --- Rest days and vacations: the streak at a check-in -------------------------------------------


def check_in_days(days, *, schedule: rules.Schedule):
    """Every day checked in on its own day, in order; the outcomes."""
    return [
        live.check_in(
            actor=Actor(PLAYER, "UTC", 0),
            habit_id=HABIT,
            day=day,
            today=day,
            now=noon(day),
            schedule=schedule,
        )
        for day in sorted(days)
    ]


# The script measures a streak by checking its day in, last: only rows asking the streak at
# their last checked day can be asked of it.
REST_DAYS_CHECKED = [row for row in REST_DAYS if row[2] == max(row[1])]
VACATIONS_CHECKED = [row for row in VACATIONS if row[3] == max(row[2])]


def test_most_rest_day_and_vacation_rows_can_be_asked_of_the_script() -> None:
    assert len(REST_DAYS_CHECKED) == 13
    assert len(VACATIONS_CHECKED) == 6


@pytest.mark.parametrize(("rest", "days", "day", "streak", "points"), REST_DAYS_CHECKED)
def test_a_check_in_over_rest_days_is_scored_by_the_rules_streak(
    rest, days, day, streak, points
) -> None:
    schedule = rules.Schedule(rest_days=frozenset(rest))
    last = check_in_days(days, schedule=schedule)[-1]
    event = json.loads(last.data["event"])

    python = rules.streak_at(days, day, skip=rules.skip_days(schedule=schedule))
    assert event["check_in"]["streak"] == last.data["current"] == python == streak
    assert last.data["points_awarded"] == rules.checkin_points(python) == points


@pytest.mark.parametrize(
    ("rest", "vacations", "days", "day", "streak", "points"), VACATIONS_CHECKED
)
def test_a_check_in_over_vacation_days_is_scored_by_the_rules_streak(
    rest, vacations, days, day, streak, points
) -> None:
    schedule = rules.Schedule(rest_days=frozenset(rest))
    add_vacations(vacations)
    last = check_in_days(days, schedule=schedule)[-1]
    event = json.loads(last.data["event"])

    skip = rules.skip_days(schedule=schedule, vacations=vacations)
    python = rules.streak_at(days, day, skip=skip)
    assert event["check_in"]["streak"] == last.data["current"] == python == streak
    assert last.data["points_awarded"] == rules.checkin_points(python) == points


# A repeat of the last check-in answers the current streak on a later today: rows whose
# last checked day is today or yesterday.
REST_DAY_CURRENT_ASKABLE = [
    row for row in REST_DAY_CURRENT if row[2] - max(row[1]) in (timedelta(0), timedelta(days=1))
]


def test_some_current_streak_rows_can_be_asked_of_the_script() -> None:
    assert len(REST_DAY_CURRENT_ASKABLE) == 3


@pytest.mark.parametrize(("rest", "days", "today", "current"), REST_DAY_CURRENT_ASKABLE)
def test_the_current_streak_over_rest_days_is_the_rules(rest, days, today, current) -> None:
    schedule = rules.Schedule(rest_days=frozenset(rest))
    check_in_days(days, schedule=schedule)
    again = live.check_in(
        actor=Actor(PLAYER, "UTC", 0),
        habit_id=HABIT,
        day=max(days),
        today=today,
        now=noon(today),
        schedule=schedule,
    )

    skip = rules.skip_days(schedule=schedule)
    assert again.status == live.Status.REPEAT
    assert again.data["current"] == rules.current_streak(days, today=today, skip=skip) == current
