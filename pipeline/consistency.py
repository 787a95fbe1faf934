"""Operator work: compare PostgreSQL with the live store (`manage.py check_consistency`).

PostgreSQL is read with a few aggregate queries and Redis in pipelined chunks, so the
comparison runs in seconds for tens of thousands of players. The facts it reads are the
ones a rebuild restores (pipeline/rebuild.py).
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from accounts.models import User
from gameplay import keys, live, rules
from gameplay.models import Badge, LedgerEntry
from habits.models import CheckIn, FrozenDay, Habit
from leaderboard.models import CommunityActivity, CommunityDay
from pipeline.vacations import vacation_drift

CHUNK = 1000


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
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
        sessions=Count("pk", filter=Q(kind=LedgerEntry.Kind.SESSION_COMPLETED)),
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


def _player_drift(r, facts: dict, week: str) -> list[str]:
    drift: list[str] = []
    for chunk in chunks(list(facts.items())):
        pipe = r.pipeline(transaction=False)
        for player_id, _player in chunk:
            pipe.hmget(keys.player(player_id), "points", "sessions", "wk", "wkpts")
            pipe.hkeys(keys.badges(player_id))
            pipe.zscore(keys.shard_board_all(keys.shard_of(player_id)), player_id)
            pipe.sismember(keys.hidden(keys.shard_of(player_id)), player_id)
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
                checks.append(
                    ("board score (redis hash, shard board)", (live_points, int(on_board)))
                )
            if player.hidden and on_board is not None:
                drift.append(f"player {player_id}: hidden but on the board")
            for label, values in checks:
                if any(value != values[0] for value in values):
                    drift.append(f"player {player_id}: {label} = {values}")
    return drift


def _habit_drift(r) -> list[str]:
    drift: list[str] = []
    days = habit_days()
    habits = list(Habit.objects.values_list("pk", "player_id", "check_in_count", "longest_streak"))
    kinds = dict(Habit.objects.values_list("pk", "kind"))
    for chunk in chunks(habits):
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
            # Skip days make a run longer than its consecutive days, never shorter; a weekly
            # habit counts weeks.
            plain = rules.longest_streak(checked)
            if longest != live_longest or (kinds[habit_id] == rules.DAILY and plain > longest):
                drift.append(
                    f"habit {habit_id}: longest streak (postgres, rows' consecutive days, "
                    f"redis) = {(longest, plain, live_longest)}"
                )
    return drift


def _freeze_drift(r) -> list[str]:
    """Each player's freezes held (postgres, the ledger's deltas, redis) and frozen days
    (postgres rows, the live hash)."""
    drift: list[str] = []
    deltas = dict(
        LedgerEntry.objects.filter(kind__startswith="freeze_")
        .values("player_id")
        .annotate(n=Sum(Cast(KeyTextTransform("delta", "payload__freeze"), IntegerField())))
        .values_list("player_id", "n")
    )
    frozen: dict[int, set[str]] = defaultdict(set)
    for player_id, habit_id, day in FrozenDay.objects.values_list("player_id", "habit_id", "day"):
        frozen[player_id].add(f"{habit_id}:{day.toordinal()}")
    players = list(User.objects.values_list("pk", "freezes"))
    for chunk in chunks(players):
        pipe = r.pipeline(transaction=False)
        for player_id, _held in chunk:
            pipe.hget(keys.player(player_id), "freezes")
            pipe.hkeys(keys.frozen(player_id))
        replies = pipe.execute()
        for index, (player_id, held) in enumerate(chunk):
            live_held = int(replies[2 * index] or 0)
            live_frozen = {field.decode() for field in replies[2 * index + 1]}
            if not held == (deltas.get(player_id) or 0) == live_held:
                drift.append(
                    f"player {player_id}: freezes held (postgres, ledger, redis) = "
                    f"{(held, deltas.get(player_id) or 0, live_held)}"
                )
            if frozen[player_id] != live_frozen:
                drift.append(
                    f"player {player_id}: frozen days (postgres, redis) = "
                    f"{(sorted(frozen[player_id]), sorted(live_frozen))}"
                )
    return drift


def _community_drift(r, now: datetime) -> list[str]:
    """Each shard's counters of yesterday and today against its (day, shard) row and the
    activity rows of its players. A deleted player's id left the live set and their
    activity rows, while the row's count keeps them among its `departed`."""
    drift: list[str] = []
    today = rules.community_day(now)
    days = (today - timedelta(days=1), today)
    rows = {
        (row.day, row.shard): (row.focus_minutes, row.sessions, row.active_players - row.departed)
        for row in CommunityDay.objects.filter(day__in=days)
    }
    active_rows: dict[tuple[date, int], int] = defaultdict(int)
    for day, player_id in CommunityActivity.objects.filter(day__in=days).values_list(
        "day", "player_id"
    ):
        active_rows[(day, keys.shard_of(player_id))] += 1
    pipe = r.pipeline(transaction=False)
    wanted = [(day, shard) for day in days for shard in keys.shards()]
    for day, shard in wanted:
        pipe.hmget(keys.community(shard, day.isoformat()), "focus_minutes", "sessions")
        pipe.scard(keys.community_active(shard, day.isoformat()))
    replies = pipe.execute()
    for index, (day, shard) in enumerate(wanted):
        (minutes, sessions), active = replies[2 * index], replies[2 * index + 1]
        stored = rows.get((day, shard), (0, 0, 0))
        live_values = (int(minutes or 0), int(sessions or 0), int(active))
        if stored != live_values or stored[2] != active_rows[(day, shard)]:
            drift.append(
                f"community {day} shard {shard}: postgres {stored} "
                f"(activity rows {active_rows[(day, shard)]}), redis {live_values}"
            )
    return drift


def _global_board_drift(r, week: str) -> list[str]:
    """The global boards against the union of the shard boards (exact), score by score."""
    pipe = r.pipeline(transaction=False)
    for shard in keys.shards():
        pipe.zrange(keys.shard_board_all(shard), 0, -1, withscores=True)
        pipe.zrange(keys.shard_board_week(shard, week), 0, -1, withscores=True)
    pipe.zrange(keys.BOARD_ALL, 0, -1, withscores=True)
    pipe.zrange(keys.board_week(week), 0, -1, withscores=True)
    *shard_boards, global_all, global_week = pipe.execute()
    drift = []
    for name, shards_part, global_board in (
        ("all", shard_boards[0::2], global_all),
        (f"week {week}", shard_boards[1::2], global_week),
    ):
        exact = {int(p): int(s) for board in shards_part for p, s in board}
        fed = {int(p): int(s) for p, s in global_board}
        for player_id in sorted(exact.keys() | fed.keys()):
            if exact.get(player_id) != fed.get(player_id):
                drift.append(
                    f"board {name}, player {player_id}: (shard board, global board) = "
                    f"{(exact.get(player_id), fed.get(player_id))}"
                )
    return drift


def consistency_drift(*, now: datetime | None = None) -> list[str]:
    """Every difference between PostgreSQL totals, ledger sums and Redis live values.

    Meaningful when nothing is pending (run a flush first): then the list must be empty.
    """
    now = now or datetime.now(UTC)
    r = live.client()
    return [
        *_player_drift(r, player_facts(now), rules.week_id(now)),
        *_habit_drift(r),
        *_freeze_drift(r),
        *vacation_drift(r),
        *_community_drift(r, now),
        *_global_board_drift(r, rules.week_id(now)),
    ]
