"""The live store's side of an import (accountdata): imported check-ins, vacations and frozen
days into the player's live keys, after the import's rows are committed, so that streaks
count them from the next check-in on and a rebuild from those rows gives the same keys.

One script call (gameplay/lua/history_import.lua) per batch of habits, each batch at most
`DAYS_PER_CALL` checked days, since Redis serves nothing else while a script runs. Each
call settles the days that ended first, as every script that decides streaks does, and
awards nothing: the only events are the settling's freezes, spent on days that ended
before the import (never on imported ones). Every write is idempotent (sets, hashes, the
larger longest streak), so repeating an import's calls changes nothing.
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings

from gameplay import keys, live, rules, scripts, store
from gameplay.live import Actor

DAYS_PER_CALL = 20_000


@dataclass(frozen=True)
class HabitHistory:
    """What an import gives one habit: the checked days it holds (days before today), its
    schedule, its longest streak over them, and whether it is active (a deleted habit has
    no roster entry: no freeze is ever spent on it)."""

    habit_id: int
    days: frozenset[date]
    schedule: rules.Schedule
    longest: int
    active: bool = True


def _batches(habits: Sequence[HabitHistory]) -> Iterator[list[HabitHistory]]:
    batch: list[HabitHistory] = []
    size = 0
    for habit in habits:
        if batch and size + len(habit.days) > DAYS_PER_CALL:
            yield batch
            batch, size = [], 0
        batch.append(habit)
        size += len(habit.days)
    yield batch  # the first call carries the skip days even with no habit


def _call(
    actor: Actor,
    now: datetime,
    habits: list[HabitHistory],
    vacations: Mapping[str, tuple[date, date]],
    frozen: Iterable[tuple[int, date]],
) -> dict:
    base = live._event_base(actor, now)
    call = scripts.prepare(
        "history_import",
        {
            **live._award_keys(actor.player_id, now),
            "roster": keys.roster(actor.player_id),
            "frozen": keys.frozen(actor.player_id),
            "vacations": keys.vacations(actor.player_id),
        },
        {
            **live._award_args(actor, now, base),
            "today": actor.day(now).toordinal(),
            "habit_rules": live.HABIT_RULES_JSON,
            "habits": json.dumps(
                [
                    {
                        "id": habit.habit_id,
                        "days": sorted(d.toordinal() for d in habit.days),
                        "schedule": json.loads(live.schedule_arg(habit.schedule)),
                        "longest": habit.longest,
                        "active": habit.active,
                    }
                    for habit in habits
                ]
            ),
            "vacations": json.dumps(
                {vid: f"{a.toordinal()}:{b.toordinal()}" for vid, (a, b) in vacations.items()}
            ),
            "frozen": json.dumps(sorted(f"{h}:{d.toordinal()}" for h, d in frozen)),
        },
        extra_keys=[
            key
            for habit in habits
            for key in (
                keys.habit_days(actor.player_id, habit.habit_id),
                keys.habit(actor.player_id, habit.habit_id),
            )
        ],
    )
    outcome = json.loads(store.run_acknowledged(call, call.keys[0]))
    if settings.WRITE_MODE == "direct":
        for stream_id, event_json in live._list(outcome.get("extra_events")):
            live._direct_writer(settings.LIVE_DIRECT_WRITER)(
                stream=keys.stream(keys.shard_of(actor.player_id)),
                stream_id=stream_id,
                event_json=event_json,
            )
    return outcome


def history_import(
    *,
    actor: Actor,
    habits: Sequence[HabitHistory],
    vacations: Mapping[str, tuple[date, date]],
    frozen: Iterable[tuple[int, date]],
    now: datetime,
) -> int:
    """Write the imported history into the live store; returns the freezes the player holds
    after (settling may spend some on days that ended before, by the usual rule)."""
    frozen = list(frozen)
    held = 0
    for index, batch in enumerate(_batches([h for h in habits if h.days])):
        first = index == 0
        outcome = _call(actor, now, batch, vacations if first else {}, frozen if first else ())
        held = int(outcome.get("freezes", 0))
    return held
