"""Benchmark players and the live-store events they make, fast.

Players are made in bulk with the ORM (the same rows `player_register` writes, minus the
password hashing); events go through the real live-store scripts, as requests make them.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection
from rest_framework.authtoken.models import Token

from accounts.models import User
from gameplay import live
from habits.models import Habit

APPS_WITH_DATA = ("accounts", "authtoken", "habits", "sessions_app", "gameplay", "leaderboard")
SESSION_MINUTES = 25


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


def pending_events_make(players: list[BenchPlayer], *, events: int, start: datetime) -> datetime:
    """Exactly `events` pending stream events, through the live-store scripts: each
    player in turn completes a full focus session (2 events) or checks in (1 event), one
    day apart. Returns the moment of the last action."""
    made = 0
    moment = start
    day = 0
    while made < events:
        for player in players:
            if made >= events:
                break
            moment = start + timedelta(days=day)
            # A session is two events: the last single one is a check-in instead.
            if day % 2 == 0 and events - made >= 2:
                session_id = str(uuid.uuid4())
                live.session_start(
                    actor=player.actor,
                    session_id=session_id,
                    planned_minutes=SESSION_MINUTES,
                    habit_id=None,
                    now=moment,
                )
                moment += timedelta(minutes=SESSION_MINUTES)
                live.session_finish(
                    actor=player.actor,
                    session_id=session_id,
                    action="complete",
                    focused_seconds=SESSION_MINUTES * 60,
                    now=moment,
                )
                made += 2
            else:
                today = player.actor.day(moment)
                live.check_in(
                    actor=player.actor, habit_id=player.habit_id, day=today, today=today, now=moment
                )
                made += 1
        day += 1
    return moment
