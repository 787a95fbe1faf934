"""Benchmark players and the live-store events they make, fast.

Players are made in bulk with the ORM (the same rows `player_register` writes, minus the
password hashing); events go through the real live-store scripts, as requests make them.
"""

import multiprocessing
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, connections
from rest_framework.authtoken.models import Token

from accounts.models import User
from gameplay import eventids, live
from habits.models import Habit

APPS_WITH_DATA = ("accounts", "authtoken", "habits", "sessions_app", "gameplay", "leaderboard")
SESSION_MINUTES = 25
# A check-in and 4 or 5 full sessions per player in the flush phase's backlog.
EVENTS_PER_PLAYER = 10


@dataclass(frozen=True)
class BenchPlayer:
    actor: live.Actor
    token: str
    habit_id: int


def data_reset() -> None:
    """Empty the app's tables and the Redis database: each phase starts from nothing."""
    tables = [
        model._meta.db_table
        for label in APPS_WITH_DATA
        for model in apps.get_app_config(label).get_models()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    live.client().flushdb()


def players_make(count: int) -> list[BenchPlayer]:
    password = make_password(None)  # unusable: these players only use their tokens
    users = User.objects.bulk_create(
        User(username=f"bench{i}", display_name=f"Bench {i}", password=password)
        for i in range(count)
    )
    tokens = Token.objects.bulk_create(Token(key=Token.generate_key(), user=u) for u in users)
    habits = Habit.objects.bulk_create(Habit(player=u, name="Read") for u in users)
    for user in users:
        live.player_name_set(player_id=user.pk, name=user.public_name)
    return [
        BenchPlayer(
            actor=live.Actor(
                player_id=user.pk, timezone=user.timezone, day_start_hour=user.day_start_hour
            ),
            token=token.key,
            habit_id=habit.pk,
        )
        for user, token, habit in zip(users, tokens, habits, strict=True)
    ]


def backlog_plan(
    players: list[BenchPlayer], *, events: int, start: datetime
) -> list[tuple[str, int, datetime]]:
    """Exactly `events` events as a launch spike leaves them pending: on one day, every
    player checks in once (1 event), then completes full focus sessions back to back
    (2 events each). Steps are (action, player index, moment)."""
    checkins = min(len(players), events)
    if (events - checkins) % 2:
        checkins -= 1  # a session is two events
    plan = [("check_in", index, start) for index in range(checkins)]
    for k in range((events - checkins) // 2):
        slot = timedelta(minutes=SESSION_MINUTES) * (k // len(players))
        plan.append(("session", k % len(players), start + timedelta(hours=1) + slot))
    return plan


def _play(players: list[BenchPlayer], steps: list[tuple[str, int, datetime]]) -> None:
    for action, index, moment in steps:
        player = players[index]
        if action == "check_in":
            today = player.actor.day(moment)
            live.check_in(
                actor=player.actor, habit_id=player.habit_id, day=today, today=today, now=moment
            )
            continue
        session_id = eventids.session_id(live.micros(moment))
        live.session_start(
            actor=player.actor,
            session_id=session_id,
            planned_minutes=SESSION_MINUTES,
            habit_id=None,
            now=moment,
        )
        live.session_finish(
            actor=player.actor,
            session_id=session_id,
            action="complete",
            focused_seconds=SESSION_MINUTES * 60,
            now=moment + timedelta(minutes=SESSION_MINUTES),
        )


def pending_events_make(
    players: list[BenchPlayer], *, events: int, start: datetime, processes: int
) -> datetime:
    """Make the backlog_plan's events through the live-store scripts, the players shared
    out among `processes` forked processes (each plays its players' steps in order).
    Returns the moment of the last action."""
    plan = backlog_plan(players, events=events, start=start)
    shards = [[step for step in plan if step[1] % processes == n] for n in range(processes)]
    # The children must not share this process's PostgreSQL connection (they use none).
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.starmap(_play, [(players, shard) for shard in shards if shard])
    return max(moment for _, _, moment in plan) + timedelta(minutes=SESSION_MINUTES)
