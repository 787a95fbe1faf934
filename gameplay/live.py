"""The live store: every gamified action is ONE atomic Redis script call.

A script de-duplicates the action by its own key, moves the live state (totals, weekly
points, boards, streaks, badges, community counters) and appends one event to the stream
that the flush later writes to PostgreSQL. Nothing here writes PostgreSQL, except
`WRITE_MODE=direct`, the naive baseline kept for benchmarks, which applies each event in
the request with the flush's own code (settings.LIVE_DIRECT_WRITER).
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache

import redis
from django.conf import settings
from django.utils.module_loading import import_string
from redis.typing import EncodableT

from gameplay import eventids, events, keys, rules, scripts, store

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Long enough for a week's board and a day's counters to be read after they close.
PERIOD_TTL_SECONDS = 15 * 24 * 3600
# A finished session's result answers repeated requests from Redis for two days; after
# that the flushed row answers them.
RESULT_TTL_SECONDS = 2 * 24 * 3600
BADGE_RULES_JSON = json.dumps([[r.code, r.measure, r.threshold] for r in rules.BADGE_RULES])
CHECKIN_POINTS_JSON = json.dumps(rules.checkin_points_table())
HABIT_RULES_JSON = json.dumps(
    {
        "freezes_max": rules.FREEZES_MAX,
        "freeze_every": rules.FREEZE_EVERY,
        "week_bonus_base": rules.WEEK_BONUS_BASE,
        "week_bonus_cap": rules.WEEK_BONUS_CAP,
        "base_points": rules.CHECKIN_BASE_POINTS,
    }
)


def client() -> redis.Redis:
    """The one Redis client of the code: one server's pool, or a cluster (gameplay.store)."""
    return store.client()


# What the store's replies are, for the readers to say so (typing.cast). redis-py types a
# reply for every client setting (text or bytes, RESP2 lists or RESP3 maps); the live
# clients keep its defaults, RESP2 without decoding, so names and values come back as bytes.
Fields = dict[bytes, bytes]
StreamEntry = tuple[bytes, Fields]
# A pending entry deleted from the stream comes back from XREADGROUP with no fields.
PendingEntry = tuple[bytes, Fields | None]
# XREADGROUP: for each stream read, its name and its entries.
StreamRead = list[tuple[bytes, list[PendingEntry]]]


def _run(name: str, keys_: Mapping[str, str], args: Mapping[str, EncodableT]) -> dict:
    # On a cluster all of a call's keys share one slot (one hash tag): the first names it.
    call = scripts.prepare(name, keys_, args)
    return json.loads(store.run_acknowledged(call, call.keys[0]))


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int | str | bytes) -> datetime:
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


def _base(actor: Actor, now: datetime, *, day: date | None = None) -> events.EventBase:
    """The half of an event Python writes (gameplay.events); the script adds the rest."""
    return events.EventBase(
        # Time-ordered, from the same moment as `ts`: the ledger's index and partitions.
        id=str(eventids.time_ordered_uuid(micros(now))),
        player=actor.player_id,
        ts=str(micros(now)),
        day=(day or actor.day(now)).isoformat(),
        cday=rules.community_day(now).isoformat(),
        week=rules.week_id(now),
    )


def _event_base(actor: Actor, now: datetime, *, day: date | None = None) -> str:
    return json.dumps(_base(actor, now, day=day))


def _award_keys(player_id: int, now: datetime) -> dict[str, str]:
    """The prelude's keys: all of the player's shard, so one slot."""
    cday = rules.community_day(now).isoformat()
    shard = keys.shard_of(player_id)
    return {
        "player": keys.player(player_id),
        "badges": keys.badges(player_id),
        "board_all": keys.shard_board_all(shard),
        "board_week": keys.shard_board_week(shard, rules.week_id(now)),
        "hidden": keys.hidden(shard),
        "community": keys.community(shard, cday),
        "community_active": keys.community_active(shard, cday),
        "stream": keys.stream(shard),
        "changes": keys.changes(shard),
    }


def _award_args(actor: Actor, now: datetime, base: str) -> dict[str, EncodableT]:
    return {
        "event_base": base,
        "player_id": actor.player_id,
        "week": rules.week_id(now),
        "now": micros(now),
        "badge_rules": BADGE_RULES_JSON,
        "period_ttl": PERIOD_TTL_SECONDS,
        "news_channel": keys.news_channel(keys.shard_of(actor.player_id), settings.LIVE_REDIS_DB),
    }


def _record(
    name: str,
    actor: Actor,
    now: datetime,
    base: str,
    extra_keys: Mapping[str, str],
    extra_args: Mapping[str, EncodableT],
) -> dict:
    outcome = _run(
        name,
        {**_award_keys(actor.player_id, now), **extra_keys},
        {**_award_args(actor, now, base), **extra_args},
    )
    if settings.WRITE_MODE == "direct":
        # The action's own event, and those it brought (freezes), in the stream's order.
        written = _list(outcome.get("extra_events"))
        if outcome.get("stream_id"):
            written.append([outcome["stream_id"], outcome["event"]])
        for stream_id, event_json in sorted(written, key=lambda item: _stream_order(item[0])):
            _direct_writer(settings.LIVE_DIRECT_WRITER)(
                stream=keys.stream(keys.shard_of(actor.player_id)),
                stream_id=stream_id,
                event_json=event_json,
            )
    return outcome


def _stream_order(stream_id: str) -> tuple[int, int]:
    millis, _, sequence = stream_id.partition("-")
    return int(millis), int(sequence or 0)


@cache
def _direct_writer(path: str) -> Callable[..., None]:
    """WRITE_MODE=direct's writer, named by a setting: the flush's code lives above this
    app, which imports no other."""
    return import_string(path)


class Status(StrEnum):
    """What an action script answers (its JSON's `status`)."""

    OK = "ok"
    REPEAT = "repeat"  # the same action again: the first answer, nothing awarded twice
    CONFLICT = "conflict"  # a session already runs
    NOT_RUNNING = "not_running"  # no such running session in the live store
    EXPIRED = "expired"  # started more than 24 hours ago
    TOO_LONG = "too_long"  # more focus than the session's plan allows
    TOO_FAST = "too_fast"  # more focus than the wall clock allows


@dataclass(frozen=True)
class Outcome:
    """What a recorded action answered: `status` is ok, repeat or the script's refusal."""

    status: "Status"
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
        {"running": keys.running_session(actor.player_id)},
        {
            "session_id": session_id,
            "planned_minutes": planned_minutes,
            "habit_id": "" if habit_id is None else habit_id,
            "result_prefix": keys.session_result(actor.player_id, ""),
            "window": window,
            "closing_base": closing_base,
            "result_ttl": RESULT_TTL_SECONDS,
        },
    )
    return Outcome(Status(outcome["status"]), outcome)


def session_finish(
    *, actor: Actor, session_id: str, action: str, focused_seconds: int, now: datetime
) -> Outcome:
    outcome = _record(
        "session_finish",
        actor,
        now,
        _event_base(actor, now),
        {
            "running": keys.running_session(actor.player_id),
            "result": keys.session_result(actor.player_id, session_id),
        },
        {
            "session_id": session_id,
            "action": action,
            "focused_seconds": focused_seconds,
            "grace": rules.COMPLETION_GRACE_SECONDS * 1_000_000,
            "window": rules.SESSION_WINDOW // timedelta(microseconds=1),
            "full_session_bonus": rules.FULL_SESSION_BONUS,
            "result_ttl": RESULT_TTL_SECONDS,
            "short_session_seconds": rules.SHORT_SESSION_SECONDS,
        },
    )
    return Outcome(Status(outcome["status"]), outcome)


def _habits_keys(player_id: int) -> dict[str, str]:
    return {
        "roster": keys.roster(player_id),
        "frozen": keys.frozen(player_id),
        "vacations": keys.vacations(player_id),
    }


def _habits_args(today: date) -> dict[str, EncodableT]:
    return {"today": today.toordinal(), "habit_rules": HABIT_RULES_JSON}


def schedule_arg(schedule: rules.Schedule) -> str:
    """A schedule as the scripts read it."""
    if schedule.weekly:
        return json.dumps({"kind": schedule.kind, "target": schedule.target})
    return json.dumps({"kind": schedule.kind, "rest": sorted(schedule.rest_days)})


def check_in(
    *,
    actor: Actor,
    habit_id: int,
    day: date,
    today: date,
    now: datetime,
    schedule: rules.Schedule | None = None,
) -> Outcome:
    outcome = _record(
        "checkin",
        actor,
        now,
        _event_base(actor, now, day=day),
        {
            **_habits_keys(actor.player_id),
            "habit_days": keys.habit_days(actor.player_id, habit_id),
            "habit": keys.habit(actor.player_id, habit_id),
        },
        {
            **_habits_args(today),
            "day": day.toordinal(),
            "points_table": CHECKIN_POINTS_JSON,
            "habit_id": habit_id,
            "schedule": schedule_arg(schedule or rules.Schedule()),
            "day_iso": day.isoformat(),
        },
    )
    return Outcome(Status(outcome["status"]), outcome)


def habit_forget(*, player_id: int, habit_id: int) -> None:
    """A deleted habit leaves the roster that missed days are settled over."""
    client().hdel(keys.roster(player_id), str(habit_id))


@dataclass(frozen=True)
class Settled:
    """The player's freezes once every day that ended is settled, and what their streaks'
    skip days are read with: the frozen days by habit, the vacations' spans."""

    freezes: int
    frozen: dict[int, set[date]]
    vacations: dict[str, tuple[date, date]]


def settle(*, actor: Actor, now: datetime) -> Settled:
    """Spends the freezes the days that ended since the player last acted call for (one
    script: the same rule as a check-in applies first), for a read that must see them."""
    outcome = _record(
        "settle",
        actor,
        now,
        _event_base(actor, now),
        _habits_keys(actor.player_id),
        _habits_args(actor.day(now)),
    )
    frozen: dict[int, set[date]] = {}
    pairs = _list(outcome.get("frozen"))
    for field_ in pairs[::2]:
        habit_id, ordinal = field_.split(":")
        frozen.setdefault(int(habit_id), set()).add(date.fromordinal(int(ordinal)))
    vacations = {}
    spans = _list(outcome.get("vacations"))
    for vacation_id, span in zip(spans[::2], spans[1::2], strict=True):
        first, last = span.split(":")
        vacations[vacation_id] = (date.fromordinal(int(first)), date.fromordinal(int(last)))
    return Settled(int(outcome.get("freezes", 0)), frozen, vacations)


def adjust(*, actor: Actor, points: int, moderator_id: int, reason: str, now: datetime) -> Outcome:
    base = events.AdjustmentBase(**_base(actor, now), moderator=moderator_id, reason=reason)
    outcome = _record("adjust", actor, now, json.dumps(base), {}, {"points": points})
    return Outcome(Status(outcome["status"]), outcome)


# --- Names (the global boards show them) -----------------------------------------------------


def player_name_set(*, player_id: int, name: str) -> None:
    client().hset(keys.NAMES, str(player_id), name)


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
    """The player's exact live values from their shard, and their ranks on the global
    boards for those values (which lag other players' awards by the feeder's delay)."""
    now = now or datetime.now(UTC)
    week = rules.week_id(now)
    data = _run(
        "snapshot",
        {
            "player": keys.player(player_id),
            "badges": keys.badges(player_id),
            "hidden": keys.hidden(keys.shard_of(player_id)),
        },
        {"player_id": player_id, "week": week},
    )
    ranks = {"rank_all": None, "rank_week": None}
    if not data["hidden"]:
        ranks = player_ranks(
            player_id=player_id, points=int(data["points"]), weekly=int(data["weekly"]), week=week
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
        rank_all=ranks["rank_all"],
        rank_week=ranks["rank_week"],
        badges=badges,
    )


def player_ranks(*, player_id: int, points: int, weekly: int, week: str) -> dict:
    """A visible player's competition ranks on the global boards for these live points:
    {"rank_all": n, "rank_week": n}."""
    return _run(
        "ranks",
        {"board_all": keys.BOARD_ALL, "board_week": keys.board_week(week)},
        {"player_id": player_id, "points": points, "weekly": weekly},
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
    """The top of a global board, and the asker's place: their exact live points, ranked
    among the global board's (one round trip for the top and the asker's shard, one more
    for a visible asker's rank)."""
    now = now or datetime.now(UTC)
    week = rules.week_id(now)
    # Two slots ({lb} and the asker's shard): one pipeline per node on a cluster.
    pipes = store.NodePipelines()
    board_key = keys.board(board, week)
    scripts.queue(
        pipes.on(board_key), "board", {"board": board_key, "names": keys.NAMES}, {"limit": limit}
    )
    if me_id:
        pipe = pipes.on(keys.player(me_id))
        pipe.hmget(keys.player(me_id), "points", "wk", "wkpts")
        pipe.sismember(keys.hidden(keys.shard_of(me_id)), str(me_id))
    replies = pipes.execute()
    entries: list[BoardEntry] = []
    for position, (user_id, points, name) in enumerate(
        _list(json.loads(replies[0])["entries"]), start=1
    ):
        points = int(points)
        # Competition ranking down the top of the board: a tie keeps the rank above it.
        tied = entries and entries[-1].points == points
        rank = entries[-1].rank if tied else position
        entries.append(BoardEntry(rank, int(user_id), name, points))
    me = None
    if me_id and not replies[2]:
        total, wk, wkpts = replies[1]
        weekly = int(wkpts or 0) if (wk or b"").decode() == week else 0
        points = int(total or 0) if board == "all" else weekly
        ranks = player_ranks(player_id=me_id, points=int(total or 0), weekly=weekly, week=week)
        me = {"rank": ranks["rank_all" if board == "all" else "rank_week"], "points": points}
    return entries, me


@dataclass(frozen=True)
class CommunityToday:
    day: date
    focus_minutes: int
    sessions: int
    active_players: int


def community_today(*, now: datetime | None = None) -> CommunityToday:
    """Today's community counters: the sum of every shard's (a player is active in one
    shard only, so the sum is exact), pipelined, one round trip."""
    now = now or datetime.now(UTC)
    day = rules.community_day(now).isoformat()
    pipe = client().pipeline(transaction=False)
    for shard in keys.shards():
        pipe.hmget(keys.community(shard, day), "focus_minutes", "sessions")
        pipe.scard(keys.community_active(shard, day))
    replies = pipe.execute()
    focus_minutes = sessions = active = 0
    for (minutes, count), players in zip(replies[0::2], replies[1::2], strict=True):
        focus_minutes += int(minutes or 0)
        sessions += int(count or 0)
        active += int(players)
    return CommunityToday(rules.community_day(now), focus_minutes, sessions, active)
