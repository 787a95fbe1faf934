"""What the dashboard shows: the player card, the habits with today's state and the
freezes held, the running session. Reads only: the live store for what is
current, PostgreSQL for the habits."""

from datetime import datetime, timedelta
from typing import cast

from accounts.models import User
from gameplay import keys, live, rules
from habits.models import Habit
from habits.services import habits_read


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
) -> dict:
    """The player's habits with today's state, and their freezes.

    `errors` maps a habit id (or "new") to a message shown beside that habit's form;
    `message` is announced in the card's status line.
    """
    errors = errors or {}
    today = player.actor.day(now)
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
                "error": errors.get(habit.pk, ""),
            }
        )
    return {
        "habit_rows": rows,
        "habit_new_error": errors.get("new", ""),
        "habit_message": message,
        "freezes": {"held": read.freezes, "max": rules.FREEZES_MAX},
        "freeze_every": rules.FREEZE_EVERY,
    }


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
