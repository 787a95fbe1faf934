"""Operator work: demo players with a history (`manage.py seed_demo`).

Every action goes through the services players go through (registration, habit creation,
check-ins, focus sessions), with `now=` set to a past moment: the rules and the live-store
scripts see that moment as the present, so a check-in three days back is the check-in of
that day, made on that day, not a backfill the rules would refuse. Each chunk of players is
then flushed, so PostgreSQL holds the history and the stream holds one chunk at most.

A player's history comes from a random generator seeded with the run's seed and the
player's number alone: the same seed gives the same history, whichever players existed.
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError

from accounts.models import User
from accounts.services import player_register
from common import clock
from habits.models import Habit
from habits.services import habit_check_in, habit_create
from pipeline import flush
from sessions_app.services import focus_session_complete, focus_session_start

USERS_MAX = 100_000
DAYS_MAX = 365
DEFAULT_DAYS = 14
DEFAULT_SEED = 20261123
USERNAME_PREFIX = "demo"
# Flushed after this many new players: the stream holds one chunk's events at most.
FLUSH_EVERY = 100

TIMEZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
# Most people's day ends at midnight; some night owls count until 04:00.
DAY_START_HOURS = (0, 0, 0, 4)
FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas",
    "Kavya", "Leo", "Mina", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara",
)  # fmt: skip
HABIT_NAMES = (
    "Read 20 pages", "Stretch", "Drink water", "Walk 30 minutes", "Journal", "Meditate",
    "Practice guitar", "Learn Spanish", "No phone after 22:00", "Cook at home",
)  # fmt: skip
PLANNED_MINUTES = (25, 25, 25, 50)
SESSIONS_PER_DAY = (1, 4)
# Local wall-clock hours: habits are made and sessions start in the morning, check-ins come
# in the evening; four 50-minute sessions with their breaks end well before that.
HABITS_AT = time(7, 0)
FOCUS_FROM = time(8, 0)
CHECK_IN_FROM = time(20, 0)


@dataclass
class SeedReport:
    created: int = 0
    existed: int = 0
    habits: int = 0
    sessions: int = 0
    check_ins: int = 0
    events: int = 0


@dataclass(frozen=True)
class PlayerPlan:
    """Who one demo player is and how diligent: drawn before anything is written."""

    username: str
    display_name: str
    timezone: str
    day_start_hour: int
    habits: list[tuple[str, float]] = field(default_factory=list)  # (name, check-in odds)
    focus_odds: float = 0.5


def username_for(number: int) -> str:
    return f"{USERNAME_PREFIX}{number:04d}"


def player_plan(rng: random.Random, number: int) -> PlayerPlan:
    habits = [
        (name, rng.uniform(0.45, 0.95)) for name in rng.sample(HABIT_NAMES, rng.randint(1, 3))
    ]
    return PlayerPlan(
        username=username_for(number),
        display_name=f"{rng.choice(FIRST_NAMES)} {chr(ord('A') + rng.randrange(26))}.",
        timezone=rng.choice(TIMEZONES),
        day_start_hour=rng.choice(DAY_START_HOURS),
        habits=habits,
        focus_odds=rng.uniform(0.3, 0.85),
    )


def _at(day: date, wall: time, zone: ZoneInfo, minutes: int = 0) -> datetime:
    """The UTC moment of a local wall-clock time, `minutes` later: from there on moments
    move by elapsed time. (The hours chosen here never meet a DST gap or fold.)"""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC) + timedelta(minutes=minutes)


def _focus_day(rng: random.Random, player: User, habits: list[Habit], day: date) -> int:
    """A few completed sessions one after the other, each focused within the rules: at
    most its plan, and at most the time since its start. Returns how many."""
    moment = _at(day, FOCUS_FROM, ZoneInfo(player.timezone), rng.randint(0, 120))
    count = rng.randint(*SESSIONS_PER_DAY)
    for _ in range(count):
        planned = rng.choice(PLANNED_MINUTES)
        # Three sessions in four run their full length; the rest stop early, but past the
        # short-session limit, so each counts as a completed session.
        full = rng.random() < 0.75
        focused = planned * 60 if full else rng.randint(600, planned * 60 - 60)
        habit = rng.choice(habits) if rng.random() < 0.5 else None
        started = focus_session_start(
            player=player,
            planned_minutes=planned,
            habit_id=habit.pk if habit else None,
            now=moment,
        )
        moment += timedelta(seconds=focused + rng.randint(0, 90))
        focus_session_complete(
            player=player, session_id=started.id, focused_seconds=focused, now=moment
        )
        moment += timedelta(minutes=rng.randint(5, 45))
    return count


def _check_in_day(
    rng: random.Random, player: User, habits: list[tuple[Habit, float]], day: date
) -> int:
    """Each habit checked in that evening with its own odds, on that day (day=None: the
    rules take the day `now` falls in). Returns how many were recorded."""
    moment = _at(day, CHECK_IN_FROM, ZoneInfo(player.timezone), rng.randint(0, 120))
    recorded = 0
    for habit, odds in habits:
        if rng.random() < odds:
            recorded += habit_check_in(player=player, habit=habit, day=None, now=moment).created
            moment += timedelta(minutes=rng.randint(1, 20))
    return recorded


def player_history(
    rng: random.Random, plan: PlayerPlan, player: User, *, days: int, now: datetime
) -> tuple[int, int, int]:
    """The player's past `days` local days, oldest first, so every action's `now` is later
    than the one before it (weekly points and streaks move forward as they would live).
    Returns (habits, sessions, check-ins)."""
    today = player.actor.day(now)
    first = today - timedelta(days=days)
    zone = ZoneInfo(player.timezone)
    habits = [
        (habit_create(player=player, name=name, now=_at(first, HABITS_AT, zone, index)), odds)
        for index, (name, odds) in enumerate(plan.habits)
    ]
    sessions = check_ins = 0
    for offset in range(days):
        day = first + timedelta(days=offset)
        if rng.random() < plan.focus_odds:
            sessions += _focus_day(rng, player, [habit for habit, _ in habits], day)
        check_ins += _check_in_day(rng, player, habits, day)
    return len(habits), sessions, check_ins


def _register(plan: PlayerPlan, password_hash: str | None) -> User | None:
    """The player, or None when the name was taken meanwhile (another seeder, a sign-up)."""
    try:
        # No password here: hashing one per player would cost more than the whole history.
        player, _token = player_register(
            username=plan.username,
            password=None,
            display_name=plan.display_name,
            timezone=plan.timezone,
            day_start_hour=plan.day_start_hour,
        )
    except IntegrityError:
        return None
    if password_hash:
        # The one demo password, hashed once for every seeded player.
        User.objects.filter(pk=player.pk).update(password=password_hash)
    return player


def _seed_player(
    number: int, report: SeedReport, *, days: int, seed: int, now: datetime, pw: str | None
) -> int:
    """Registers demo player `number` and makes their history; 0 when the name exists."""
    rng = random.Random(f"{seed}:{number}")
    plan = player_plan(rng, number)
    taken = User.objects.filter(username=plan.username).exists()
    player = None if taken else _register(plan, pw)
    if player is None:
        report.existed += 1
        return 0
    report.created += 1
    habits, sessions, check_ins = player_history(rng, plan, player, days=days, now=now)
    report.habits += habits
    report.sessions += sessions
    report.check_ins += check_ins
    return 1


def validate(*, users: int, days: int) -> None:
    if not 1 <= users <= USERS_MAX:
        raise ValueError(f"--users must be 1..{USERS_MAX:,}, got {users}.")
    if not 1 <= days <= DAYS_MAX:
        raise ValueError(f"--days must be 1..{DAYS_MAX}, got {days}.")


def demo_seed(
    *,
    users: int,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    password: str | None = None,
    now: datetime | None = None,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> SeedReport:
    """Players demo0001..demoN (those that exist are left alone) with `days` days of
    history before today, flushed to PostgreSQL. `progress` wraps the players' numbers.
    Raises ValueError, before writing anything, for counts out of range."""
    validate(users=users, days=days)
    now = now or clock.now()
    password_hash = make_password(password) if password else None
    report = SeedReport()
    unflushed = 0
    for number in progress(range(1, users + 1)):
        unflushed += _seed_player(number, report, days=days, seed=seed, now=now, pw=password_hash)
        if unflushed == FLUSH_EVERY:
            report.events += _flush()
            unflushed = 0
    report.events += _flush()
    return report


def _flush() -> int:
    return flush.flush_pending(max_seconds=3600).events
