"""The players' actions without the HTTP layer (tested elsewhere): quickly, through the
same live-store calls the endpoints make (`focus_session`, `check_in`, `burst`), or
through the services with their PostgreSQL rows (`complete_session`, `seed_history`); and
the waits and nudges the browser tests need around them."""

import time
from datetime import datetime, timedelta
from typing import cast

from accounts.models import User
from gameplay import eventids, keys, live
from habits.models import Habit
from habits.services import habit_check_in, habit_create
from pipeline.flush import backlog
from sessions_app.services import focus_session_complete, focus_session_start


def focus_session(player: User, *, start: datetime, planned: int = 25, focused: int | None = None):
    actor = player.actor
    session_id = eventids.session_id(live.micros(start))
    live.session_start(
        actor=actor, session_id=session_id, planned_minutes=planned, habit_id=None, now=start
    )
    return live.session_finish(
        actor=actor,
        session_id=session_id,
        action="complete",
        focused_seconds=planned * 60 if focused is None else focused,
        now=start + timedelta(minutes=planned),
    )


def check_in(player: User, habit: Habit, *, now: datetime):
    actor = player.actor
    today = actor.day(now)
    return live.check_in(actor=actor, habit_id=habit.pk, day=today, today=today, now=now)


def freeze_story(player: User, habit: Habit, *, start: datetime) -> int:
    """Seven days running from `start` (10+12+...+20 = 110 points, a freeze earned), the
    eighth missed (the freeze spent when the ninth day's read settles it), then that day
    backfilled (the freeze refunded; 20 points): 11 events."""
    for n in range(7):
        check_in(player, habit, now=start + timedelta(days=n))
    ninth = start + timedelta(days=8)
    live.settle(actor=player.actor, now=ninth)
    actor = player.actor
    live.check_in(
        actor=actor,
        habit_id=habit.pk,
        day=actor.day(ninth) - timedelta(days=1),
        today=actor.day(ninth),
        now=ninth,
    )
    return 11


def burst(players: list[User], habits: dict[int, Habit], *, start: datetime, events: int) -> int:
    """About `events` stream events: sessions (2 events each) and check-ins, round robin."""
    made = 0
    round_ = 0
    while made < events:
        for player in players:
            if made >= events:
                break
            moment = start + timedelta(hours=round_)
            if round_ % 2 == 0:
                focus_session(player, start=moment, planned=5)
                made += 2
            else:
                check_in(player, habits[player.pk], now=start + timedelta(days=round_))
                made += 1
        round_ += 1
    return made


def backdate_running_session(player: User, *, minutes: int) -> None:
    """Moves the running session's start back by `minutes`.

    `started` (epoch microseconds) in the running-session hash is the start that the
    service layer recorded and that a completion is checked against; moving it back
    stands for having waited that long.
    """
    client = live.client()
    key = keys.running_session(player.pk)
    started = client.hget(key, "started")
    assert started is not None, "no running session to back-date"
    client.hset(key, "started", int(started) - minutes * 60 * 1_000_000)


def wait_for_flush(timeout: float = 15) -> None:
    """Until the Celery beat's flush has written every pending event to PostgreSQL."""
    deadline = time.monotonic() + timeout
    while backlog()["pending"]:
        assert time.monotonic() < deadline, f"events still pending: {backlog()}"
        time.sleep(0.2)


def seed_history(player: User, *, days: int, now: datetime, habits: tuple[str, ...]) -> None:
    """`days` of varied history ending yesterday, through the services, oldest first."""
    created = [habit_create(player=player, name=name) for name in habits]
    for back in range(days, 0, -1):
        moment = now - timedelta(days=back)
        minutes = (25, 50, 0, 25, 90, 50, 25)[back % 7]
        if minutes:
            started = focus_session_start(
                player=player, planned_minutes=minutes, habit_id=None, now=moment
            )
            focus_session_complete(
                player=player,
                session_id=started.id,
                focused_seconds=minutes * 60,
                now=moment + timedelta(minutes=minutes),
            )
        for index, habit in enumerate(created):
            if (back + index) % 5 != 3:  # a missed day now and then
                later = moment + timedelta(hours=2)
                habit_check_in(player=player, habit=habit, day=None, now=later)


def complete_session(player: User, *, minutes: int, now: datetime) -> None:
    """A whole focus session of `minutes`, ending at `now`, through the services."""
    started = focus_session_start(
        player=player, planned_minutes=minutes, habit_id=None, now=now - timedelta(minutes=minutes)
    )
    focus_session_complete(
        player=player, session_id=started.id, focused_seconds=minutes * 60, now=now
    )


def pending_events() -> list[bytes]:
    """Every shard stream's events, oldest first within a shard, as the flush reads them."""
    events = []
    for shard in keys.shards():
        entries = cast(list[live.StreamEntry], live.client().xrange(keys.stream(shard)))
        events += [fields[b"e"] for _, fields in entries]
    return events
