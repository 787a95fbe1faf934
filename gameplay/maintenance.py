"""Operator work on the live store: rebuild it from PostgreSQL, and compare the two.

Both read PostgreSQL with a few aggregate queries and talk to Redis in pipelined chunks,
so they run in seconds for tens of thousands of players.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum

from accounts.models import User
from gameplay import keys, live, rules
from gameplay.models import Badge, DiscardedEvent, LedgerEntry
from habits.models import CheckIn, Habit
from leaderboard.models import CommunityActivity, CommunityDay
from pipeline import flush
from sessions_app.models import FocusSession

CHUNK = 1000
AWARD_KINDS = (
    LedgerEntry.Kind.SESSION_COMPLETED,
    LedgerEntry.Kind.SESSION_SHORT,
    LedgerEntry.Kind.CHECK_IN,
    LedgerEntry.Kind.ADJUSTMENT,
)
COMMUNITY_DAYS_KEPT = 15


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class PlayerFacts:
    """What PostgreSQL says a player's live values are."""

    points: int = 0
    ledger_points: int = 0
    sessions: int = 0
    ledger_sessions: int = 0
    weekly: int = 0
    hidden: bool = False
    name: str = ""
    badges: dict[str, datetime] = field(default_factory=dict)


def player_facts(now: datetime) -> dict[int, PlayerFacts]:
    facts: dict[int, PlayerFacts] = {}
    for pk, points, sessions, hidden, display_name, username in User.objects.values_list(
        "pk", "points", "completed_sessions", "hidden_from_leaderboards", "display_name", "username"
    ):
        facts[pk] = PlayerFacts(
            points=points, sessions=sessions, hidden=hidden, name=display_name or username
        )
    week_start = rules.week_start(now)
    ledger = LedgerEntry.objects.values("player_id").annotate(
        total=Sum("points"),
        sessions=Count("id", filter=Q(kind=LedgerEntry.Kind.SESSION_COMPLETED)),
        weekly=Sum("points", filter=Q(occurred_at__gte=week_start)),
    )
    for row in ledger:
        player = facts[row["player_id"]]
        player.ledger_points = row["total"] or 0
        player.ledger_sessions = row["sessions"]
        player.weekly = row["weekly"] or 0
    for player_id, code, awarded_at in Badge.objects.values_list("player_id", "code", "awarded_at"):
        facts[player_id].badges[code] = awarded_at
    return facts


def habit_days() -> dict[tuple[int, int], list[date]]:
    days: dict[tuple[int, int], list[date]] = defaultdict(list)
    for player_id, habit_id, day in CheckIn.objects.values_list("player_id", "habit_id", "day"):
        days[(player_id, habit_id)].append(day)
    return days


# --- Rebuild --------------------------------------------------------------------------------


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


def live_state_rebuild(
    *, now: datetime | None = None, progress: Callable[[Iterable], Iterable] = lambda it: it
) -> RebuildReport:
    """Restore every live value from PostgreSQL (after Redis lost its data).

    Pending events are flushed first, so that what PostgreSQL holds is everything.
    """
    now = now or datetime.now(UTC)
    flush.flush_pending(reclaim_idle_seconds=0, max_seconds=3600)
    facts = player_facts(now)
    days = habit_days()
    longest = dict(Habit.objects.values_list("pk", "longest_streak"))
    week = rules.week_id(now)
    # The live store puts a player on a board with their first award (and on a week's
    # board with their first award that week).
    awards = LedgerEntry.objects.filter(kind__in=AWARD_KINDS)
    on_board = set(awards.values_list("player_id", flat=True).distinct())
    on_week_board = set(
        awards.filter(occurred_at__gte=rules.week_start(now))
        .values_list("player_id", flat=True)
        .distinct()
    )
    _delete_live_keys()
    r = live.client()
    report = RebuildReport()

    for chunk in progress(list(_chunks(list(facts.items())))):
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
        report.players += len(chunk)
    r.expire(keys.board_week(week), live.PERIOD_TTL_SECONDS)

    for chunk in _chunks(list(days.items())):
        pipe = r.pipeline(transaction=False)
        for (player_id, habit_id), checked in chunk:
            pipe.sadd(keys.habit_days(player_id, habit_id), *[d.toordinal() for d in checked])
            pipe.hset(
                keys.habit(player_id, habit_id),
                "longest",
                max(longest.get(habit_id, 0), rules.longest_streak(checked)),
            )
        pipe.execute()
        report.habits += len(chunk)

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
        day = row.day.isoformat()
        pipe.hset(
            keys.community(day),
            mapping={"focus_minutes": row.focus_minutes, "sessions": row.sessions},
        )
        pipe.expire(keys.community(day), live.PERIOD_TTL_SECONDS)
        if active[row.day]:
            pipe.sadd(keys.community_active(day), *active[row.day])
            pipe.expire(keys.community_active(day), live.PERIOD_TTL_SECONDS)
        restored += 1
    pipe.execute()
    return restored


# --- Consistency ----------------------------------------------------------------------------


def consistency_drift(*, now: datetime | None = None) -> list[str]:
    """Every difference between PostgreSQL totals, ledger sums and Redis live values.

    Meaningful when nothing is pending (run a flush first): then the list must be empty.
    """
    now = now or datetime.now(UTC)
    week = rules.week_id(now)
    r = live.client()
    drift: list[str] = []
    facts = player_facts(now)

    for chunk in _chunks(list(facts.items())):
        pipe = r.pipeline(transaction=False)
        for player_id, _player in chunk:
            pipe.hmget(keys.player(player_id), "points", "sessions", "wk", "wkpts")
            pipe.hkeys(keys.badges(player_id))
            pipe.zscore(keys.BOARD_ALL, player_id)
            pipe.sismember(keys.HIDDEN, player_id)
        replies = pipe.execute()
        for index, (player_id, player) in enumerate(chunk):
            (points, sessions, wk, wkpts), badges, on_board, hidden = replies[
                4 * index : 4 * index + 4
            ]
            live_points = int(points or 0)
            live_weekly = int(wkpts or 0) if (wk or b"").decode() == week else 0
            checks = [
                (
                    "points (postgres, ledger, redis)",
                    (player.points, player.ledger_points, live_points),
                ),
                (
                    "completed sessions (postgres, ledger, redis)",
                    (player.sessions, player.ledger_sessions, int(sessions or 0)),
                ),
                ("weekly points (ledger, redis)", (player.weekly, live_weekly)),
                (
                    "badges (postgres, redis)",
                    (sorted(player.badges), sorted(b.decode() for b in badges)),
                ),
                ("hidden (postgres, redis)", (player.hidden, bool(hidden))),
            ]
            if not player.hidden and on_board is not None:
                checks.append(("board score (redis hash, board)", (live_points, int(on_board))))
            if player.hidden and on_board is not None:
                drift.append(f"player {player_id}: hidden but on the board")
            for label, values in checks:
                if any(value != values[0] for value in values):
                    drift.append(f"player {player_id}: {label} = {values}")

    days = habit_days()
    habits = list(Habit.objects.values_list("pk", "player_id", "check_in_count", "longest_streak"))
    for chunk in _chunks(habits):
        pipe = r.pipeline(transaction=False)
        for habit_id, player_id, _count, _longest in chunk:
            pipe.scard(keys.habit_days(player_id, habit_id))
            pipe.hget(keys.habit(player_id, habit_id), "longest")
        replies = pipe.execute()
        for index, (habit_id, player_id, count, longest) in enumerate(chunk):
            checked = days.get((player_id, habit_id), [])
            live_count, live_longest = replies[2 * index], int(replies[2 * index + 1] or 0)
            if not count == len(checked) == live_count:
                drift.append(
                    f"habit {habit_id}: check-ins (postgres, rows, redis) = "
                    f"{(count, len(checked), live_count)}"
                )
            if not longest == rules.longest_streak(checked) == live_longest:
                drift.append(
                    f"habit {habit_id}: longest streak (postgres, rows, redis) = "
                    f"{(longest, rules.longest_streak(checked), live_longest)}"
                )

    today = rules.community_day(now)
    for day in (today - timedelta(days=1), today):
        row = CommunityDay.objects.filter(day=day).first()
        stored = (row.focus_minutes, row.sessions, row.active_players) if row else (0, 0, 0)
        active_rows = CommunityActivity.objects.filter(day=day).count()
        minutes, sessions = r.hmget(keys.community(day.isoformat()), "focus_minutes", "sessions")
        live_values = (
            int(minutes or 0),
            int(sessions or 0),
            r.scard(keys.community_active(day.isoformat())),
        )
        if stored != live_values or stored[2] != active_rows:
            drift.append(
                f"community {day}: postgres {stored} "
                f"(activity rows {active_rows}), redis {live_values}"
            )
    return drift


def dead_letter_retry(*, letters: list[dict]) -> None:
    """Put dead-lettered events back on the stream (each keeps its event id, so one
    already in the ledger is a no-op), removing them from the dead letters in the same
    MULTI."""
    pipe = live.client().pipeline(transaction=True)
    for letter in letters:
        pipe.xadd(keys.STREAM, {"e": letter["event"]})
        pipe.xdel(keys.DEAD_LETTERS, letter["id"])
    pipe.execute()


def dead_letter_discard(*, letters: list[dict], reason: str, by: str, now: datetime) -> None:
    """Drop dead-lettered events for good, each recorded (what, why, who, when) first."""
    with transaction.atomic():
        for letter in letters:
            payload = json.loads(letter["event"])
            DiscardedEvent.objects.create(
                event_id=payload.get("id"),
                payload=payload,
                error=letter["error"],
                reason=reason,
                discarded_by=by,
                discarded_at=now,
            )
    live.client().xdel(keys.DEAD_LETTERS, *[letter["id"] for letter in letters])
