"""Operator work: restore the live store from PostgreSQL (`manage.py rebuild_redis`).

PostgreSQL is read with a few aggregate queries and Redis written in pipelined chunks,
so a rebuild runs in seconds for tens of thousands of players.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Max

from accounts.models import User
from gameplay import boards, keys, live, rules
from gameplay.models import LedgerEntry
from habits.models import FrozenDay, Habit
from leaderboard.models import CommunityActivity, CommunityDay
from pipeline import flush
from pipeline.consistency import CHUNK, chunks, habit_days, player_facts
from pipeline.vacations import vacations_restore
from sessions_app.models import FocusSession
from vacations.models import Vacation

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
    vacations: int = 0


def _delete_live_keys() -> None:
    """Every live value (the streams, their groups and the dead letters stay: they are the
    way to PostgreSQL, not a copy of it; so do the change counters the pusher compares)."""
    r = live.client()
    global_boards = (f"{keys.PREFIX}:{{lb}}:all", f"{keys.PREFIX}:{{lb}}:week:*", keys.VERSIONS)
    for pattern in (*keys.SHARD_VALUE_PATTERNS, *global_boards, keys.NAMES):
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
    """Each player's hash, badges and place on their shard's boards (or in its hidden set)."""
    week = rules.week_id(now)
    on_board, on_week_board = _board_members(now)
    restored = 0
    for chunk in progress(list(chunks(list(player_facts(now).items())))):
        pipe = r.pipeline(transaction=False)
        for player_id, player in chunk:
            shard = keys.shard_of(player_id)
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
                pipe.sadd(keys.hidden(shard), player_id)
                continue
            if player_id in on_board:
                pipe.zadd(keys.shard_board_all(shard), {str(player_id): player.ledger_points})
            if player_id in on_week_board:
                pipe.zadd(keys.shard_board_week(shard, week), {str(player_id): player.weekly})
                pipe.expire(keys.shard_board_week(shard, week), live.PERIOD_TTL_SECONDS)
        pipe.execute()
        restored += len(chunk)
    return restored


def _frozen_days() -> dict[int, dict[int, set[date]]]:
    """Frozen days by player, then habit."""
    frozen: dict[int, dict[int, set[date]]] = defaultdict(lambda: defaultdict(set))
    for player_id, habit_id, day in FrozenDay.objects.values_list("player_id", "habit_id", "day"):
        frozen[player_id][habit_id].add(day)
    return frozen


def _vacation_spans() -> dict[int, list[tuple[date, date]]]:
    """Each player's vacations (first and last day): skip days of every habit of theirs."""
    spans: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for player_id, start, end in Vacation.objects.values_list("player_id", "start", "end"):
        spans[player_id].append((start, end))
    return spans


def _restore_habits(r) -> int:
    """Each habit's days, longest streak and first day, the frozen days, and the roster
    entry settling reads (its last checked day and the streak there, over every skip day
    the check-in script walks: rest days, frozen days and the player's vacations)."""
    habits = {habit.pk: habit for habit in Habit.objects.all()}
    frozen = _frozen_days()
    vacations = _vacation_spans()
    restored = 0
    for chunk in chunks(list(habit_days().items())):
        pipe = r.pipeline(transaction=False)
        for (player_id, habit_id), checked in chunk:
            habit = habits[habit_id]
            skip = rules.skip_days(
                schedule=habit.schedule,
                vacations=vacations.get(player_id, ()),
                frozen=frozen[player_id][habit_id],
            )
            pipe.sadd(keys.habit_days(player_id, habit_id), *[d.toordinal() for d in checked])
            pipe.hset(
                keys.habit(player_id, habit_id),
                mapping={
                    "longest": max(habit.longest_streak, rules.longest_streak(checked)),
                    "first": min(checked).toordinal(),
                },
            )
            if habit.deleted_at is None:
                last = max(checked)
                entry = {**json.loads(live.schedule_arg(habit.schedule)), "last": last.toordinal()}
                entry["streak"] = (
                    0 if habit.schedule.weekly else rules.streak_at(checked, last, skip=skip)
                )
                pipe.hset(keys.roster(player_id), str(habit_id), json.dumps(entry))
        pipe.execute()
        restored += len(chunk)
    pipe = r.pipeline(transaction=False)
    for player_id, by_habit in frozen.items():
        fields = {
            f"{habit_id}:{d.toordinal()}": 1 for habit_id, days in by_habit.items() for d in days
        }
        if fields:
            pipe.hset(keys.frozen(player_id), mapping=fields)
    pipe.execute()
    return restored


def _restore_freezes(r) -> None:
    """The freezes held, and the day settling had reached: the eve of the player's local day
    at their last event (any later settling spent nothing, or it would have left an event),
    so no day is settled twice with a balance it did not have."""
    last_events = LedgerEntry.objects.values("player_id").annotate(at=Max("occurred_at"))
    last_at = {row["player_id"]: row["at"] for row in last_events}
    pipe = r.pipeline(transaction=False)
    for player in User.objects.filter(pk__in=last_at):
        settled = player.actor.day(last_at[player.pk]) - timedelta(days=1)
        pipe.hset(
            keys.player(player.pk),
            mapping={"freezes": player.freezes, "settled": settled.toordinal()},
        )
    pipe.execute()


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
    _restore_freezes(r)
    report.vacations = vacations_restore(r)
    report.running_sessions = _restore_sessions(now)
    report.community_days = _restore_community(now)
    # The global boards from the shard boards alone (and the names from PostgreSQL).
    boards.global_boards_rebuild(now=now)
    r.hincrby(keys.BOARD_CHANGES, "boards", 1)
    r.hincrby(keys.changes(0), "community", 1)
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
    """The shards' counters of the recent days, from their (day, shard) rows; returns the
    number of days."""
    r = live.client()
    since = rules.community_day(now) - timedelta(days=COMMUNITY_DAYS_KEPT)
    active: dict[tuple[date, int], list[int]] = defaultdict(list)
    for day, player_id in CommunityActivity.objects.filter(day__gte=since).values_list(
        "day", "player_id"
    ):
        active[(day, keys.shard_of(player_id))].append(player_id)
    days = set()
    pipe = r.pipeline(transaction=False)
    for row in CommunityDay.objects.filter(day__gte=since):
        iso_day = row.day.isoformat()
        # Rows of a layout with fewer shards (before the split, all of a day is shard 0)
        # land in the shard their number names now: the day's sum is the same.
        shard = row.shard % settings.LIVE_SHARDS
        pipe.hincrby(keys.community(shard, iso_day), "focus_minutes", row.focus_minutes)
        pipe.hincrby(keys.community(shard, iso_day), "sessions", row.sessions)
        pipe.expire(keys.community(shard, iso_day), live.PERIOD_TTL_SECONDS)
        days.add(row.day)
    for (day, shard), players in active.items():
        pipe.sadd(keys.community_active(shard, day.isoformat()), *players)
        pipe.expire(keys.community_active(shard, day.isoformat()), live.PERIOD_TTL_SECONDS)
    pipe.execute()
    return len(days)
