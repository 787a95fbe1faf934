"""An import's rows, in the import's one transaction: the habits it makes (or finds again by
their import key), their check-ins (unique per habit and day: a day held already is not
added twice), the vacations and frozen days that are their skip days, and the habits'
flushed counters. Check-in rows of an import award nothing (`points_awarded` 0), and
`check_in_count` grows by the rows inserted, so rows, counters and the live set agree."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from accountdata.models import ImportedHabit
from accountdata.plan import ImportPlan, ImportRefused, PlannedHabit
from accountdata.streaks import day_streaks
from accounts.models import User
from gameplay import rules
from gameplay.history import HabitHistory
from habits.models import CheckIn, FrozenDay, Habit
from vacations.models import Vacation


@dataclass
class Written:
    """What the transaction wrote, and what the live store is to be given after COMMIT."""

    habits_created: list[Habit] = field(default_factory=list)
    check_ins: int = 0
    live_habits: list[HabitHistory] = field(default_factory=list)
    vacations: dict[str, tuple[date, date]] = field(default_factory=dict)
    frozen: list[tuple[int, date]] = field(default_factory=list)


def local_start(player: User, day: date) -> datetime:
    """When the player's local `day` begins (their time zone and day start)."""
    return datetime.combine(day, time(player.day_start_hour), tzinfo=ZoneInfo(player.timezone))


def _match(player: User, plan: ImportPlan) -> list[tuple[PlannedHabit, Habit | None]]:
    """Each planned habit and the player's habit it already is: the one an earlier import
    made from the same key, or, a FocusQuest export of this very player, the habit of the
    export's id with the same name and schedule. None: a habit to make."""
    by_key = {
        imported.key: imported.habit
        for imported in ImportedHabit.objects.filter(
            player=player, key__in=[h.key for h in plan.habits]
        ).select_related("habit")
    }
    own: dict[int, Habit] = {}
    if plan.origin_player == player.pk:
        ids = [h.source_id for h in plan.habits if h.source_id is not None]
        own = {habit.pk: habit for habit in Habit.objects.filter(player=player, pk__in=ids)}
    matched = []
    for planned in plan.habits:
        habit = by_key.get(planned.key)
        mine = own.get(planned.source_id) if planned.source_id is not None else None
        same = mine is not None and (mine.name, mine.schedule) == (planned.name, planned.schedule)
        if habit is None and same:
            habit = mine
        matched.append((planned, habit))
    return matched


def _create(player: User, planned: list[PlannedHabit], now: datetime, today: date) -> list[Habit]:
    """The habits to make, dated before today: an import brings history, and takes none of
    the day's creations (their limit counts the habits created today). A habit of a
    FocusQuest export keeps its creation moment; one of Loop's (which writes none) is dated
    the last second before today, so the file's habits keep its order."""
    eve = local_start(player, today) - timedelta(seconds=1)
    habits = []
    for habit in planned:
        created = min(habit.created_at or eve, eve)
        habits.append(
            Habit(
                player=player,
                name=habit.name,
                kind=habit.schedule.kind,
                rest_days=sorted(habit.schedule.rest_days),
                weekly_target=habit.schedule.target,
                created_at=created,
                deleted_at=now if habit.deleted else None,
            )
        )
    made = Habit.objects.bulk_create(habits)
    ImportedHabit.objects.bulk_create(
        ImportedHabit(habit=habit, player=player, key=planned_habit.key, imported_at=now)
        for habit, planned_habit in zip(made, planned, strict=True)
    )
    return made


def _check_limit(player: User, matched: list[tuple[PlannedHabit, Habit | None]]) -> None:
    new = sum(1 for planned, habit in matched if habit is None and not planned.deleted)
    held = Habit.objects.active().filter(player=player).count()
    if held + new > rules.HABITS_MAX_HELD:
        raise ImportRefused(
            f"The file holds {new} new habits and you hold {held}: a player holds at most "
            f"{rules.HABITS_MAX_HELD}. Delete some first; nothing was imported."
        )


def _vacations(player: User, plan: ImportPlan, now: datetime, today: date, w: Written):
    """The file's vacations before today, each added unless it overlaps one held (the
    same one, imported before, included); returns every vacation span held after."""
    held = list(Vacation.objects.filter(player=player).values_list("start", "end"))
    rows = []
    for start, end in plan.vacations:
        end = min(end, today - timedelta(days=1))
        if start > end:
            continue  # not begun by today: a plan for the future, not history
        if (start, end) in held:
            w.vacations.setdefault(str(_held_id(player, start, end)), (start, end))
            continue
        if any(start <= b and a <= end for a, b in held):
            continue
        row = Vacation(id=uuid.uuid4(), player=player, start=start, end=end, created_at=now)
        rows.append(row)
        held.append((start, end))
        w.vacations[str(row.id)] = (start, end)
    Vacation.objects.bulk_create(rows)
    return held


def _held_id(player: User, start: date, end: date) -> uuid.UUID:
    return Vacation.objects.filter(player=player, start=start, end=end).values_list(
        "id", flat=True
    )[0]


def _held_days(model, habit_ids: list[int]) -> dict[int, set[date]]:
    days: dict[int, set[date]] = defaultdict(set)
    for habit_id, day in model.objects.filter(habit_id__in=habit_ids).values_list(
        "habit_id", "day"
    ):
        days[habit_id].add(day)
    return days


INSERT_CHECK_INS = """
    INSERT INTO habits_checkin
        (habit_id, player_id, day, points_awarded, streak, checked_at, event_id)
    SELECT t.habit_id, %s, t.day, 0, t.streak, %s, gen_random_uuid()
    FROM unnest(%s::bigint[], %s::date[], %s::integer[]) AS t(habit_id, day, streak)
    ON CONFLICT (habit_id, day) DO NOTHING
    RETURNING habit_id"""

COUNTERS = """
    UPDATE habits_habit h
    SET check_in_count = h.check_in_count + t.added,
        longest_streak = GREATEST(h.longest_streak, t.longest)
    FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) AS t(habit_id, added, longest)
    WHERE h.id = t.habit_id"""


def _insert_check_ins(player: User, rows: list[tuple[int, date, int]], now: datetime):
    """The rows (habit, day, streak), once each: returns the rows inserted by habit."""
    added: dict[int, int] = defaultdict(int)
    if not rows:
        return added
    ids, days, streaks = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(INSERT_CHECK_INS, [player.pk, now, ids, days, streaks])
        for (habit_id,) in cursor.fetchall():
            added[habit_id] += 1
    return added


@dataclass
class _Days:
    """What the habits the import touches hold already, and the skip days around them."""

    checked: dict[int, set[date]]
    frozen: dict[int, set[date]]
    spans: list[tuple[date, date]]


def _habit(planned: PlannedHabit, habit: Habit, held: _Days, today: date, w: Written):
    """One habit's new check-in rows (habit, day, streak) and new frozen days, its longest
    streak over all its days; what the live store is to be given is added to `w`."""
    union = held.checked[habit.pk] | planned.days
    # A frozen day of yesterday is left out: backfilling it would give its freeze back.
    eve = today - timedelta(days=1)
    frozen = {d for d in planned.frozen if d < eve and d not in union}
    w.frozen += [(habit.pk, d) for d in sorted(frozen)]
    streaks = day_streaks(
        union, habit.schedule, vacations=held.spans, frozen=frozen | held.frozen[habit.pk]
    )
    longest = max(streaks.values(), default=0)
    if planned.days:
        w.live_habits.append(
            HabitHistory(
                habit.pk,
                frozenset(planned.days),
                habit.schedule,
                longest,
                active=habit.deleted_at is None,
            )
        )
    rows = [(habit.pk, d, streaks[d]) for d in sorted(planned.days - held.checked[habit.pk])]
    return rows, frozen - held.frozen[habit.pk], longest


def write_import(player: User, plan: ImportPlan, now: datetime) -> Written:
    """Every row of the import (the caller holds the transaction and the player's lock)."""
    today = player.actor.day(now)
    written = Written()
    matched = _match(player, plan)
    _check_limit(player, matched)
    made = iter(_create(player, [p for p, habit in matched if habit is None], now, today))
    pairs = [(planned, habit or next(made)) for planned, habit in matched]
    written.habits_created = [
        habit for (_, was), (_, habit) in zip(matched, pairs, strict=True) if was is None
    ]
    spans = _vacations(player, plan, now, today, written)
    ids = [habit.pk for _, habit in pairs]
    held = _Days(_held_days(CheckIn, ids), _held_days(FrozenDay, ids), spans)
    rows: list[tuple[int, date, int]] = []
    frozen_rows: list[FrozenDay] = []
    longest: dict[int, int] = {}
    for planned, habit in pairs:
        new_rows, new_frozen, longest[habit.pk] = _habit(planned, habit, held, today, written)
        rows += new_rows
        frozen_rows += [
            FrozenDay(habit=habit, player=player, day=day, event_id=uuid.uuid4())
            for day in sorted(new_frozen)
        ]
    FrozenDay.objects.bulk_create(frozen_rows, ignore_conflicts=True)
    added = _insert_check_ins(player, rows, now)
    written.check_ins = sum(added.values())
    with connection.cursor() as cursor:
        cursor.execute(COUNTERS, [ids, [added[i] for i in ids], [longest[i] for i in ids]])
    return written
