"""The live store: every gamified action is ONE atomic Redis script call.

A script de-duplicates the action by its own key, moves the live state (totals, weekly
points, boards, streaks, badges, community counters) and appends one event to the stream
that the flush later writes to PostgreSQL. Nothing here writes PostgreSQL, except
`WRITE_MODE=direct`, the naive baseline kept for benchmarks, which applies each event in
the request with the flush's own code (settings.LIVE_DIRECT_WRITER).
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import redis
from django.conf import settings
from django.utils.module_loading import import_string
from django_redis import get_redis_connection
from redis.commands.core import Script

from gameplay import keys, rules

LUA_DIR = Path(__file__).resolve().parent / "lua"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Long enough for a week's board and a day's counters to be read after they close.
PERIOD_TTL_SECONDS = 15 * 24 * 3600
# A finished session's result answers repeated requests from Redis for two days; after
# that the flushed row answers them.
RESULT_TTL_SECONDS = 2 * 24 * 3600
BADGE_RULES_JSON = json.dumps([[r.code, r.measure, r.threshold] for r in rules.BADGE_RULES])
CHECKIN_POINTS_JSON = json.dumps(rules.checkin_points_table())


def client() -> redis.Redis:
    """The one Redis client of the code (django-redis's connection pool)."""
    return get_redis_connection("live")


# --- The store's own safety ------------------------------------------------------------------


def store_safety_problem() -> str | None:
    """Why the live store's Redis could lose answered actions, or None when it cannot.

    Live values, the event stream and the de-duplication state exist only here until the
    flush: without AOF a restart loses them, and under any eviction policy Redis may
    drop a player's de-duplication key (a repeat is then awarded again) or a running
    session. Read from INFO, which managed Redis services allow where CONFIG is not.
    """
    if settings.LIVE_STORE_ALLOW_UNSAFE:
        return None
    persistence = client().info("persistence")
    memory = client().info("memory")
    if int(persistence.get("aof_enabled", 0)) != 1:
        return (
            "The live store's Redis runs without AOF (appendonly no): set appendonly yes "
            "and appendfsync everysec, or it loses answered actions on a restart."
        )
    policy = memory.get("maxmemory_policy", "noeviction")
    if policy != "noeviction":
        return (
            f"The live store's Redis evicts keys (maxmemory-policy {policy}): set "
            "maxmemory-policy noeviction, or it may drop points and running sessions."
        )
    return None


def memory_share() -> float | None:
    """used_memory / maxmemory of the live store's Redis; None without a maxmemory."""
    memory = client().info("memory")
    limit = int(memory.get("maxmemory", 0))
    return int(memory["used_memory"]) / limit if limit else None


def require_safe_store() -> None:
    """At the start of every serving process: refuse to run on a Redis that could lose
    players' points. A Redis not reachable yet is no reason to refuse (requests answer
    503 until it is); /healthz reports the same check later."""
    try:
        problem = store_safety_problem()
    except redis.RedisError:
        return
    if problem:
        # One line on stderr and a non-zero exit, whichever server imported us.
        raise SystemExit(f"FocusQuest refuses to start: {problem}")


@cache
def _script(name: str, *, prelude: bool) -> Script:
    source = (LUA_DIR / f"{name}.lua").read_text()
    if prelude:
        source = (LUA_DIR / "prelude.lua").read_text() + "\n" + source
    # Bound to no connection: every call names the client, so a test that points the app
    # at another Redis gets the same script objects.
    return Script(None, source.encode())


def _run(name: str, keys_: list[str], args: list, *, prelude: bool = True) -> dict:
    raw = _script(name, prelude=prelude)(keys=keys_, args=args, client=client())
    return json.loads(raw)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int | str) -> datetime:
    return EPOCH + timedelta(microseconds=int(value))


def _list(value) -> list:
    # Redis's cjson encodes an empty Lua table as {}.
    return list(value) if isinstance(value, list) else []


# --- Recording actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts and what the rules need to know about them: their local day."""

    player_id: int
    timezone: str
    day_start_hour: int

    def day(self, now: datetime) -> date:
        return rules.player_day(now, timezone=self.timezone, day_start_hour=self.day_start_hour)


def _event_base(actor: Actor, now: datetime, *, day: date | None = None, **extra) -> str:
    base = {
        "id": str(uuid.uuid4()),
        "player": actor.player_id,
        "ts": str(micros(now)),
        "day": (day or actor.day(now)).isoformat(),
        "cday": rules.community_day(now).isoformat(),
        "week": rules.week_id(now),
        **extra,
    }
    return json.dumps(base)


def _award_keys(player_id: int, now: datetime) -> list[str]:
    cday = rules.community_day(now).isoformat()
    return [
        keys.player(player_id),
        keys.badges(player_id),
        keys.BOARD_ALL,
        keys.board_week(rules.week_id(now)),
        keys.HIDDEN,
        keys.community(cday),
        keys.community_active(cday),
        keys.STREAM,
        keys.CHANGES,
    ]


def _award_args(actor: Actor, now: datetime, base: str) -> list:
    return [
        base,
        actor.player_id,
        rules.week_id(now),
        micros(now),
        BADGE_RULES_JSON,
        PERIOD_TTL_SECONDS,
        keys.news_channel(settings.LIVE_REDIS_DB),
    ]


def _record(name: str, actor: Actor, now: datetime, base: str, extra_keys, extra_args) -> dict:
    outcome = _run(
        name,
        _award_keys(actor.player_id, now) + list(extra_keys),
        _award_args(actor, now, base) + list(extra_args),
    )
    if outcome.get("stream_id") and settings.WRITE_MODE == "direct":
        _direct_writer(settings.LIVE_DIRECT_WRITER)(
            stream_id=outcome["stream_id"], event_json=outcome["event"]
        )
    return outcome


@cache
def _direct_writer(path: str) -> Callable[..., None]:
    """WRITE_MODE=direct's writer, named by a setting: the flush's code lives above this
    app, which imports no other."""
    return import_string(path)


@dataclass(frozen=True)
class Outcome:
    """What a recorded action answered: `status` is "ok", "repeat" or a refusal."""

    status: str
    data: dict = field(default_factory=dict)

    @property
    def totals(self) -> dict:
        return {
            "points": int(self.data.get("points", 0)),
            "weekly": int(self.data.get("weekly", 0)),
        }

    @property
    def new_badges(self) -> list[str]:
        return _list(self.data.get("new_badges"))


def session_start(
    *, actor: Actor, session_id: str, planned_minutes: int, habit_id: int | None, now: datetime
) -> Outcome:
    window = rules.SESSION_WINDOW // timedelta(microseconds=1)
    closing_base = _event_base(actor, now)
    outcome = _record(
        "session_start",
        actor,
        now,
        _event_base(actor, now),
        [keys.running_session(actor.player_id)],
        [
            session_id,
            planned_minutes,
            "" if habit_id is None else habit_id,
            keys.session_result(actor.player_id, ""),
            window,
            closing_base,
            RESULT_TTL_SECONDS,
        ],
    )
    return Outcome(outcome["status"], outcome)


def session_finish(
    *, actor: Actor, session_id: str, action: str, focused_seconds: int, now: datetime
) -> Outcome:
    outcome = _record(
        "session_finish",
        actor,
        now,
        _event_base(actor, now),
        [keys.running_session(actor.player_id), keys.session_result(actor.player_id, session_id)],
        [
            session_id,
            action,
            focused_seconds,
            rules.COMPLETION_GRACE_SECONDS * 1_000_000,
            rules.SESSION_WINDOW // timedelta(microseconds=1),
            rules.FULL_SESSION_BONUS,
            RESULT_TTL_SECONDS,
            rules.SHORT_SESSION_SECONDS,
        ],
    )
    return Outcome(outcome["status"], outcome)


def check_in(*, actor: Actor, habit_id: int, day: date, today: date, now: datetime) -> Outcome:
    outcome = _record(
        "checkin",
        actor,
        now,
        _event_base(actor, now, day=day),
        [keys.habit_days(actor.player_id, habit_id), keys.habit(actor.player_id, habit_id)],
        [day.toordinal(), today.toordinal(), CHECKIN_POINTS_JSON, habit_id, day.isoformat()],
    )
    return Outcome(outcome["status"], outcome)


def adjust(*, actor: Actor, points: int, moderator_id: int, reason: str, now: datetime) -> Outcome:
    base = _event_base(actor, now, moderator=moderator_id, reason=reason)
    outcome = _record("adjust", actor, now, base, [], [points])
    return Outcome(outcome["status"], outcome)


# --- Moderation and names -------------------------------------------------------------------


def player_name_set(*, player_id: int, name: str) -> None:
    client().hset(keys.NAMES, str(player_id), name)


def player_visibility_set(*, player_id: int, hidden: bool, now: datetime) -> None:
    week = rules.week_id(now)
    _run(
        "visibility",
        [
            keys.player(player_id),
            keys.BOARD_ALL,
            keys.board_week(week),
            keys.HIDDEN,
            keys.CHANGES,
        ],
        [player_id, week, "1" if hidden else "0", PERIOD_TTL_SECONDS],
        prelude=False,
    )


# --- Reading live values --------------------------------------------------------------------


@dataclass(frozen=True)
class PlayerSnapshot:
    points: int
    weekly_points: int
    completed_sessions: int
    hidden: bool
    rank_all: int | None
    rank_week: int | None
    badges: list[tuple[str, datetime]]

    @property
    def level(self) -> int:
        return rules.level_for(self.points)

    @property
    def next_level_at(self) -> int:
        return rules.next_level_at(self.points)


def player_snapshot(*, player_id: int, now: datetime | None = None) -> PlayerSnapshot:
    now = now or datetime.now(UTC)
    week = rules.week_id(now)
    data = _run(
        "snapshot",
        [
            keys.player(player_id),
            keys.badges(player_id),
            keys.BOARD_ALL,
            keys.board_week(week),
            keys.HIDDEN,
        ],
        [player_id, week],
        prelude=False,
    )
    flat = _list(data["badges"])
    order = {code: i for i, code in enumerate(rules.BADGE_CODES)}
    badges = sorted(
        ((flat[i], from_micros(flat[i + 1])) for i in range(0, len(flat), 2)),
        key=lambda item: (item[1], order.get(item[0], 99)),
    )
    return PlayerSnapshot(
        points=int(data["points"]),
        weekly_points=int(data["weekly"]),
        completed_sessions=int(data["sessions"]),
        hidden=bool(data["hidden"]),
        rank_all=data["rank_all"],
        rank_week=data["rank_week"],
        badges=badges,
    )


@dataclass(frozen=True)
class BoardEntry:
    rank: int
    user_id: int
    display_name: str
    points: int


def leaderboard_top(
    *, board: str, limit: int, me_id: int | None = None, now: datetime | None = None
) -> tuple[list[BoardEntry], dict | None]:
    now = now or datetime.now(UTC)
    week = rules.week_id(now)
    data = _run(
        "board",
        [
            keys.board(board, week),
            keys.NAMES,
            keys.HIDDEN,
            keys.player(me_id) if me_id else keys.player(0),
        ],
        [limit, me_id or "", board, week],
        prelude=False,
    )
    entries: list[BoardEntry] = []
    for position, (user_id, points, name) in enumerate(_list(data["entries"]), start=1):
        points = int(points)
        # Competition ranking down the top of the board: a tie keeps the rank above it.
        tied = entries and entries[-1].points == points
        rank = entries[-1].rank if tied else position
        entries.append(BoardEntry(rank, int(user_id), name, points))
    me = data["me"] if isinstance(data.get("me"), dict) else None
    return entries, me


@dataclass(frozen=True)
class CommunityToday:
    day: date
    focus_minutes: int
    sessions: int
    active_players: int


def community_today(*, now: datetime | None = None) -> CommunityToday:
    now = now or datetime.now(UTC)
    day = rules.community_day(now)
    pipe = client().pipeline(transaction=False)
    pipe.hmget(keys.community(day.isoformat()), "focus_minutes", "sessions")
    pipe.scard(keys.community_active(day.isoformat()))
    (focus_minutes, sessions), active = pipe.execute()
    return CommunityToday(day, int(focus_minutes or 0), int(sessions or 0), int(active))
