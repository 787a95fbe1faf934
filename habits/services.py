"""Habits: defining one writes PostgreSQL directly (it is not a gamified action); a
check-in is one live-store call and writes nothing to PostgreSQL."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction

from accounts.models import User
from common import clock
from common.refusals import Invalid
from gameplay import keys, live, rules
from habits.models import Habit
from habits.selectors import habit_cache_remember


class CheckInRefused(Invalid):
    """A day the rules do not let the player check in (the future, too far back)."""

    default_field = "date"


class HabitLimitReached(Invalid):
    """The player holds the most habits allowed, or created the most in one day."""


@transaction.atomic
def habit_create(
    *,
    player: User,
    name: str,
    schedule: rules.Schedule | None = None,
    now: datetime | None = None,
) -> Habit:
    now = now or clock.now()
    # One creation of a player at a time, so two at once cannot both pass the limits.
    User.objects.select_for_update().filter(pk=player.pk).values_list("pk").first()
    actor = player.actor
    today = actor.day(now)
    held = Habit.objects.active().filter(player=player).count()
    # A local day is at most 25 hours long: every habit created today is in the last 26.
    recent = Habit.objects.filter(player=player, created_at__gt=now - timedelta(hours=26))
    created_today = sum(
        1
        for created_at in recent.values_list("created_at", flat=True)
        if actor.day(created_at) == today
    )
    refusal = rules.habit_creation_refusal(held=held, created_today=created_today)
    if refusal:
        raise HabitLimitReached(refusal)
    schedule = schedule or rules.Schedule()
    habit = Habit.objects.create(
        player=player,
        name=name,
        created_at=now,
        kind=schedule.kind,
        rest_days=sorted(schedule.rest_days),
        weekly_target=schedule.target,
    )
    # Its first check-in then reads nothing from PostgreSQL (after COMMIT: see selectors).
    transaction.on_commit(lambda: habit_cache_remember(habit))
    return habit


def habit_rename(*, habit: Habit, name: str) -> Habit:
    habit.name = name
    habit.save(update_fields=["name"])
    return habit


@transaction.atomic
def habit_delete(*, habit: Habit, now: datetime) -> None:
    """Marks the habit deleted; its check-ins, and the points they earned, stay. It leaves
    the live roster first (inside the transaction: a live store that refuses rolls the
    deletion back), so no freeze is ever spent on a deleted habit."""
    habit.deleted_at = now
    habit.save(update_fields=["deleted_at"])
    live.habit_forget(player_id=habit.player_id, habit_id=habit.pk)


@dataclass(frozen=True)
class CheckInResult:
    created: bool
    day: date
    points_awarded: int
    current_streak: int
    longest_streak: int
    totals: dict = field(default_factory=dict)
    new_badges: list[str] = field(default_factory=list)


def habit_check_in(*, player: User, habit: Habit, day: date | None, now: datetime) -> CheckInResult:
    actor = player.actor
    today = actor.day(now)
    day = day or today
    refusal = rules.checkin_day_refusal(day, today=today)
    if refusal:
        raise CheckInRefused(refusal)
    outcome = live.check_in(
        actor=actor, habit_id=habit.pk, day=day, today=today, now=now, schedule=habit.schedule
    )
    created = outcome.status == live.Status.OK
    return CheckInResult(
        created=created,
        day=day,
        points_awarded=int(outcome.data["points_awarded"]) if created else 0,
        current_streak=int(outcome.data["current"]),
        longest_streak=int(outcome.data["longest"]),
        totals=outcome.totals,
        new_badges=outcome.new_badges,
    )


@dataclass(frozen=True)
class HabitState:
    current_streak: int
    longest_streak: int
    checked_today: bool
    streak_unit: str  # "days" or "weeks"
    this_week: dict | None = None  # a weekly habit's {done, target}
    frozen_days: frozenset[date] = frozenset()
    checked_days: frozenset[date] = frozenset()  # every checked day, as the live store holds


@dataclass(frozen=True)
class HabitsRead:
    """The player's habits as one read sees them: each habit's state, and the freezes held
    and vacations (first and last day) that settling left."""

    states: dict[int, HabitState]
    freezes: int
    vacations: tuple[tuple[date, date], ...]


def habit_states(
    *, player: User, habits: list[Habit], now: datetime, settle: bool = True
) -> dict[int, HabitState]:
    """Live streaks of several habits: the days that ended are settled first (freezes),
    then every habit's days are read in one more round trip. A habit just created has no
    days for settling to change (`settle=False`)."""
    if not habits:
        return {}
    return habits_read(player=player, habits=habits, now=now, settle=settle).states


def habits_read(
    *, player: User, habits: list[Habit], now: datetime, settle: bool = True
) -> HabitsRead:
    """`habit_states` with what the settling answered besides: a page that shows the
    freezes held needs no round trip of its own for them (without `settle`, none are
    read: 0). With no habits, only the settling is a round trip."""
    actor = player.actor
    today = actor.day(now)
    settled = live.settle(actor=actor, now=now) if settle else live.Settled(0, {}, {})
    pipe = live.client().pipeline(transaction=False)
    for habit in habits:
        pipe.smembers(keys.habit_days(player.pk, habit.pk))
        pipe.hget(keys.habit(player.pk, habit.pk), "longest")
    replies = pipe.execute() if habits else []
    spans = tuple(settled.vacations.values())
    states = {
        habit.pk: _state(
            habit,
            {date.fromordinal(int(d)) for d in replies[2 * index]},
            int(replies[2 * index + 1] or 0),
            today=today,
            spans=list(spans),
            frozen=settled.frozen.get(habit.pk, set()),
        )
        for index, habit in enumerate(habits)
    }
    return HabitsRead(states=states, freezes=settled.freezes, vacations=spans)


def _state(
    habit: Habit, days: set[date], longest: int, *, today: date, spans: list, frozen: set[date]
) -> HabitState:
    schedule = habit.schedule
    if schedule.weekly:
        on_vacation = rules.skip_days(vacations=spans)
        done = sum(1 for d in days if rules.week_of(d) == rules.week_of(today) and d <= today)
        return HabitState(
            current_streak=rules.weekly_current_streak(
                days, today=today, target=schedule.target, on_vacation=on_vacation
            ),
            longest_streak=longest,
            checked_today=today in days,
            streak_unit="weeks",
            this_week={"done": done, "target": schedule.target},
            checked_days=frozenset(days),
        )
    skip = rules.skip_days(schedule=schedule, vacations=spans, frozen=frozen)
    return HabitState(
        current_streak=rules.current_streak(days, today=today, skip=skip),
        longest_streak=longest,
        checked_today=today in days,
        streak_unit="days",
        frozen_days=frozenset(frozen),
        checked_days=frozenset(days),
    )
