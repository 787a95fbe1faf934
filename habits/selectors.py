"""Reads of habits for the check-in path, which must not read PostgreSQL every time.

A check-in is a gamified action: it writes only Redis. Its one PostgreSQL read was the
ownership check of the habit; the habit is kept in the cache (Redis) for
`HABIT_CACHE_SECONDS`, dropped on every save or delete of it (`habits.signals`), as a
JSON record of the fields the check-in reads (the cache holds no pickles).
"""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import Http404

from accounts.models import User
from common.cached import cache_write_best_effort, instance_from_fields
from habits.models import Habit


def habit_cache_key(habit_id: int) -> str:
    return f"habit:v2:{habit_id}"  # v2: the record carries the schedule


def habit_cache_remember(habit: Habit) -> None:
    """Best effort: the cache only saves reads, so a Redis that refuses the write (full,
    down) must not turn a committed creation into an error."""
    deleted_at = habit.deleted_at.isoformat() if habit.deleted_at else None
    record = {
        "id": habit.pk,
        "player_id": habit.player_id,
        "name": habit.name,
        "kind": habit.kind,
        "rest_days": list(habit.rest_days),
        "weekly_target": habit.weekly_target,
        "created_at": habit.created_at.isoformat(),
    }
    with cache_write_best_effort():
        cache.set(
            habit_cache_key(habit.pk),
            {**record, "deleted_at": deleted_at},
            settings.HABIT_CACHE_SECONDS,
        )


def _from_record(record: dict) -> Habit:
    deleted_at = record["deleted_at"]
    record = {
        **record,
        "deleted_at": datetime.fromisoformat(deleted_at) if deleted_at else None,
        "created_at": datetime.fromisoformat(record["created_at"]),
    }
    return instance_from_fields(Habit, record)


def habit_owned_active(*, player: User, habit_id: int) -> Habit:
    """The player's own, not deleted habit; 404 for anyone else's or a missing one."""
    record = cache.get(habit_cache_key(habit_id))
    habit: Habit | None
    if record is not None:
        habit = _from_record(record)
    else:
        habit = Habit.objects.active().filter(pk=habit_id).first()
        if habit is None:
            raise Http404("No such habit.")
        habit_cache_remember(habit)
    # Checked on every read, cached or not: another player's habit is a 404, as before.
    if habit.player_id != player.pk or habit.deleted_at is not None:
        raise Http404("No such habit.")
    return habit
