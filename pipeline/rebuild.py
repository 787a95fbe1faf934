"""Operator work: restore the live store from PostgreSQL (`manage.py rebuild_redis`).

PostgreSQL is read with a few aggregate queries and Redis written in pipelined chunks,
so a rebuild runs in seconds for tens of thousands of players.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from gameplay import keys, live, rules
from gameplay.models import LedgerEntry
from habits.models import Habit
from leaderboard.models import CommunityActivity, CommunityDay
from pipeline import flush
from pipeline.consistency import CHUNK, chunks, habit_days, player_facts
from sessions_app.models import FocusSession

AWARD_KINDS = (
    LedgerEntry.Kind.SESSION_COMPLETED,
    LedgerEntry.Kind.SESSION_SHORT,
    LedgerEntry.Kind.CHECK_IN,
    LedgerEntry.Kind.ADJUSTMENT,
)
COMMUNITY_DAYS_KEPT = 15


@dataclass
class RebuildReport:
    players: int = 0
    habits: int = 0
    running_sessions: int = 0
    community_days: int = 0


def _delete_live_keys() -> None:
    r = live.client()
    for pattern in (f"{keys.PREFIX}:{{p:*", f"{keys.PREFIX}:{{lb}}:*", f"{keys.PREFIX}:{{c}}:*"):
        batch = []
        for key in r.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= CHUNK:
                r.delete(*batch)
                batch = []
        if batch:
            r.delete(*batch)


def _board_members(now: datetime) -> tuple[set[int], set[int]]:
    """Who is on the all-time board and who on this week's: the live store puts a player on
    a board with their first award (and on a week's board with their first award that week)."""
    awards = LedgerEntry.objects.filter(kind__in=AWARD_KINDS)
    on_board = set(awards.values_list("player_id", flat=True).distinct())
    on_week_board = set(
        awards.filter(occurred_at__gte=rules.week_start(now))
        .values_list("player_id", flat=True)
        .distinct()
    )
    return on_board, on_week_board


def _restore_players(r, now: datetime, progress: Callable[[Iterable], Iterable]) -> int:
    week = rules.week_id(now)
    on_board, on_week_board = _board_members(now)
    restored = 0
    for chunk in progress(list(chunks(list(player_facts(now).items())))):
        pipe = r.pipeline(transaction=False)
        for player_id, player in chunk:
            pipe.hset(
                keys.player(player_id),
                mapping={
                    "points": player.ledger_points,
                    "sessions": player.ledger_sessions,
                    "wk": week,
                    "wkpts": player.weekly,
                },
            )
            pipe.hset(keys.NAMES, str(player_id), player.name)
            if player.badges:
                pipe.hset(
                    keys.badges(player_id),
                    mapping={code: live.micros(at) for code, at in player.badges.items()},
                )
            if player.hidden:
                pipe.sadd(keys.HIDDEN, player_id)
                continue
            if player_id in on_board:
                pipe.zadd(keys.BOARD_ALL, {str(player_id): player.ledger_points})
            if player_id in on_week_board:
                pipe.zadd(keys.board_week(week), {str(player_id): player.weekly})
        pipe.execute()
        restored += len(chunk)
    r.expire(keys.board_week(week), live.PERIOD_TTL_SECONDS)
    return restored


def _restore_habits(r) -> int:
    longest = dict(Habit.objects.values_list("pk", "longest_streak"))
    restored = 0
    for chunk in chunks(list(habit_days().items())):
        pipe = r.pipeline(transaction=False)
        for (player_id, habit_id), checked in chunk:
            pipe.sadd(keys.habit_days(player_id, habit_id), *[d.toordinal() for d in checked])
            pipe.hset(
                keys.habit(player_id, habit_id),
                "longest",
                max(longest.get(habit_id, 0), rules.longest_streak(checked)),
            )
        pipe.execute()
        restored += len(chunk)
    return restored


def live_state_rebuild(
    *, now: datetime | None = None, progress: Callable[[Iterable], Iterable] = lambda it: it
) -> RebuildReport:
    """Restore every live value from PostgreSQL (after Redis lost its data).

    Pending events are flushed first, so that what PostgreSQL holds is everything.
    """
    now = now or datetime.now(UTC)
    flush.flush_pending(reclaim_idle_seconds=0, max_seconds=3600)
    _delete_live_keys()
    r = live.client()
    report = RebuildReport()
    report.players = _restore_players(r, now, progress)
    report.habits = _restore_habits(r)
    report.running_sessions = _restore_sessions(now)
    report.community_days = _restore_community(now)
    r.hincrby(keys.CHANGES, "boards", 1)
    r.hincrby(keys.CHANGES, "community", 1)
    return report


def _restore_sessions(now: datetime) -> int:
    r = live.client()
    pipe = r.pipeline(transaction=False)
    running = 0
    for session in FocusSession.objects.filter(status=FocusSession.Status.RUNNING):
        pipe.hset(
            keys.running_session(session.player_id),
            mapping={
                "sid": str(session.pk),
                "started": live.micros(session.started_at),
                "planned": session.planned_minutes,
                "habit": session.habit_id or "",
            },
        )
        running += 1
    recent = FocusSession.objects.exclude(status=FocusSession.Status.RUNNING).filter(
        ended_at__gte=now - timedelta(seconds=live.RESULT_TTL_SECONDS)
    )
    for session in recent:
        pipe.set(
            keys.session_result(session.player_id, str(session.pk)),
            json.dumps(session.first_answer()),
            ex=live.RESULT_TTL_SECONDS,
        )
    pipe.execute()
    return running


def _restore_community(now: datetime) -> int:
    r = live.client()
    since = rules.community_day(now) - timedelta(days=COMMUNITY_DAYS_KEPT)
    active: dict[date, list[int]] = defaultdict(list)
    for day, player_id in CommunityActivity.objects.filter(day__gte=since).values_list(
        "day", "player_id"
    ):
        active[day].append(player_id)
    restored = 0
    pipe = r.pipeline(transaction=False)
    for row in CommunityDay.objects.filter(day__gte=since):
        iso_day = row.day.isoformat()
        pipe.hset(
            keys.community(iso_day),
            mapping={"focus_minutes": row.focus_minutes, "sessions": row.sessions},
        )
        pipe.expire(keys.community(iso_day), live.PERIOD_TTL_SECONDS)
        if active[row.day]:
            pipe.sadd(keys.community_active(iso_day), *active[row.day])
            pipe.expire(keys.community_active(iso_day), live.PERIOD_TTL_SECONDS)
        restored += 1
    pipe.execute()
    return restored
