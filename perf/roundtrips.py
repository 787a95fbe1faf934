"""Redis round trips of one check-in, by schedule: a weekly habit's check-in must cost the
live store what a daily one does (its week is counted inside the same script).

A round trip is one write of a packed command (or a pipeline's batch) to a Redis socket,
counted on redis-py's connections for the duration of one call of the check-in service;
the script is loaded before counting, so EVALSHA never falls back to EVAL.
"""

import contextlib
import functools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from redis.connection import AbstractConnection

from common import clock

SCHEDULES = ("daily", "weekly")


@contextlib.contextmanager
def counted() -> Iterator[list[int]]:
    """Counts the writes to every Redis socket while the block runs: `[n]`."""
    count = [0]
    original = AbstractConnection.send_packed_command

    def send(self, command, check_health=True):
        count[0] += 1
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
    try:
        yield count
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


def _round_trips(action: Callable[[], object]) -> int:
    with counted() as count:
        action()
    return count[0]


def check_in_round_trips(*, now: datetime | None = None) -> dict[str, int]:
    """Round trips of a player's second check-in (yesterday's was the first: it loaded
    the script and made the habit's state), for a daily and a weekly habit."""
    from accounts.models import User
    from gameplay import rules
    from habits.services import habit_check_in, habit_create

    now = now or clock.now()
    player = User.objects.create_user(username=f"roundtrips{now.timestamp():.0f}")
    schedules = {
        "daily": rules.Schedule(),
        "weekly": rules.Schedule(kind=rules.WEEKLY, target=3),
    }
    found = {}
    for name in SCHEDULES:
        habit = habit_create(player=player, name=name, schedule=schedules[name], now=now)
        yesterday = player.actor.day(now) - timedelta(days=1)
        habit_check_in(player=player, habit=habit, day=yesterday, now=now)
        found[name] = _round_trips(
            functools.partial(habit_check_in, player=player, habit=habit, day=None, now=now)
        )
    return found
