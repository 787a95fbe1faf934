"""What the dashboard shows: the player card, the habits with today's state, their recent
days and the freezes held, the running session. Reads only: the live store for what is
current, PostgreSQL for the habits."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import cast

from accounts.models import User
from gameplay import keys, live, rules
from habits.models import Habit
from habits.services import HabitState, habits_read


def player_card_context(*, player: User, now: datetime) -> dict:
    """Points, level and the way to the next, weekly points, both ranks, every badge."""
    snapshot = live.player_snapshot(player_id=player.pk, now=now)
    level_floor = rules.level_threshold(snapshot.level)
    level_span = snapshot.next_level_at - level_floor
    into_level = max(0, snapshot.points - level_floor)
    earned = dict(snapshot.badges)
    return {
        "points": snapshot.points,
        "level": snapshot.level,
        "next_level_at": snapshot.next_level_at,
        "level_points": into_level,
        "level_span": level_span,
        "level_percent": min(100, into_level * 100 // level_span),
        "points_to_next": snapshot.next_level_at - snapshot.points,
        "weekly_points": snapshot.weekly_points,
        "rank_all": snapshot.rank_all,
        "rank_week": snapshot.rank_week,
        "hidden": snapshot.hidden,
        "badges": [
            {
                "code": rule.code,
                "title": rule.title,
                "description": rule.description,
                "earned": rule.code in earned,
                "awarded_at": earned.get(rule.code),
            }
            for rule in rules.BADGE_RULES
        ],
    }


# ISO weekday (Monday = 1) to the short name the habits card shows.
WEEKDAYS = ((1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"))
HISTORY_DAYS = 14  # the days each habit's strip shows, today last
NEW_HABIT = {"name": "", "kind": rules.DAILY, "rest_days": (), "target": 3}

# What a day of a habit's strip says (after its date) and the glyph it shows, by mark.
DAY_MARKS = {
    "done": ("checked in", "✓"),
    "frozen": ("missed, and a freeze kept the streak", "❄"),
    "rest": ("rest day", ""),
    "vacation": ("on vacation", ""),
    "open": ("today, not checked in yet", ""),
    "unchecked": ("no check-in", ""),
    "missed": ("missed", ""),
}


def schedule_label(schedule: rules.Schedule) -> str:
    """The schedule as the habits card says it: "Daily · rests Sat, Sun", "3× a week"."""
    if schedule.weekly:
        return f"{schedule.target}× a week"
    rests = [name for number, name in WEEKDAYS if number in schedule.rest_days]
    return f"Daily · rests {', '.join(rests)}" if rests else "Daily"


def habits_context(
    *,
    player: User,
    now: datetime,
    errors: dict | None = None,
    message: str = "",
    new: dict | None = None,
) -> dict:
    """The player's habits with today's state and recent days, and their freezes.

    `errors` maps a habit id, "new" (the new habit's name) or "schedule" (its schedule) to
    a message shown beside that form; `message` is announced in the card's status line;
    `new` is what the new-habit form shows (what was sent, after a refusal).
    """
    errors = errors or {}
    actor = player.actor
    today = actor.day(now)
    habits = list(Habit.objects.active().filter(player=player))
    read = habits_read(player=player, habits=habits, now=now)
    rows = []
    for habit in habits:
        state = read.states[habit.pk]
        rows.append(
            {
                "habit": habit,
                "state": state,
                "weekly": habit.schedule.weekly,
                "schedule": schedule_label(habit.schedule),
                "yesterday_checked": today - timedelta(days=1) in state.checked_days,
                "days": habit_days(
                    habit,
                    state,
                    today=today,
                    since=_since(habit, state, actor=actor),
                    vacations=read.vacations,
                ),
                "error": errors.get(habit.pk, ""),
            }
        )
    return {
        "habit_rows": rows,
        "habit_new": new or NEW_HABIT,
        "habit_new_error": errors.get("new", ""),
        "habit_schedule_error": errors.get("schedule", ""),
        "habit_message": message,
        "freezes": {"held": read.freezes, "max": rules.FREEZES_MAX},
        "freeze_every": rules.FREEZE_EVERY,
        "weekdays": WEEKDAYS,
        "rest_days_max": rules.REST_DAYS_MAX,
        "weekly_targets": range(rules.WEEKLY_TARGET_MIN, rules.WEEKLY_TARGET_MAX + 1),
    }


def _since(habit: Habit, state: HabitState, *, actor: live.Actor) -> date:
    """The habit's first day: the day it was created, or its first check-in when that is
    earlier (imported history counts for its streaks, so its days are the habit's too)."""
    created = actor.day(habit.created_at)
    return min(created, min(state.checked_days, default=created))


def habit_days(
    habit: Habit,
    state: HabitState,
    *,
    today: date,
    since: date,
    vacations: Iterable[tuple[date, date]],
) -> list[dict]:
    """The habit's last HISTORY_DAYS days, oldest first: {date, mark, label, glyph}, the
    mark one of DAY_MARKS, or "before" (a day before `since`, the habit's first day: there
    is nothing to say of it).

    A checked day is done whatever else it is; a daily habit's unchecked past day is a
    freeze, a rest day, a vacation day or missed, as its streak saw it; a weekly habit's
    unchecked day is only unchecked, since no single day of a week is expected.
    """
    schedule = habit.schedule
    on_vacation = rules.skip_days(vacations=vacations)
    days = []
    for offset in range(HISTORY_DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        if day in state.checked_days:
            mark = "done"
        elif day in state.frozen_days:
            mark = "frozen"
        elif day < since:
            mark = "before"
        elif schedule.is_rest_day(day):
            mark = "rest"
        elif on_vacation(day):
            mark = "vacation"
        elif day == today:
            mark = "open"
        else:
            mark = "unchecked" if schedule.weekly else "missed"
        label, glyph = DAY_MARKS.get(mark, ("", ""))
        days.append({"date": day, "mark": mark, "label": label, "glyph": glyph})
    return days


def running_session(*, player_id: int, now: datetime) -> dict | None:
    """The player's running session as the live store recorded it, or None.

    The page adopts it when the browser has no timer of its own for it (another device,
    cleared storage); the timer then counts from the server's start, with no pauses.
    `elapsed_seconds` lets it do so without trusting the browser's clock to match ours.
    """
    data = cast(live.Fields, live.client().hgetall(keys.running_session(player_id)))
    if not data or b"sid" not in data:
        return None
    started_at = live.from_micros(data[b"started"].decode())
    if rules.session_expired(started_at=started_at, now=now):
        return None
    return {
        "id": data[b"sid"].decode(),
        "started_at": started_at.isoformat(),
        "elapsed_seconds": (now - started_at).total_seconds(),
        "planned_minutes": int(data[b"planned"]),
    }
