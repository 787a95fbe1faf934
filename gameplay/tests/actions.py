"""Generating real gamified actions quickly, through the same live-store calls the
endpoints make (the HTTP layer is tested elsewhere)."""

import uuid
from datetime import datetime, timedelta

from accounts.models import User
from gameplay import live
from habits.models import Habit


def focus_session(player: User, *, start: datetime, planned: int = 25, focused: int | None = None):
    actor = player.actor
    session_id = str(uuid.uuid4())
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
