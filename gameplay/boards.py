"""The global boards (`{lb}`): fed from the shard streams, guarded by score versions.

An award's script moves its shard's exact boards and appends its event, which carries the
player's new scores and their version (gameplay.events.BoardRecord). The feeder reads those
events through its own consumer group on every shard's stream (`keys.FEED_GROUP`) and
applies a batch to `{lb}` in one script that sets a score only from a newer version, so a
replay (a reclaimed batch, two feeders) or a reordering never regresses a score. The elected
websocket pusher feeds every time it wakes (news of an award, or every 0.2 s); each flush
feeds the shards it flushes first, so the boards catch up within a flush interval even with
no websocket process, and the stream can be trimmed (`stream_trim.lua`: past what both
groups finished).
"""

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from redis.exceptions import OutOfMemoryError, ResponseError

from gameplay import keys, live, rules, scripts, store

FEED_BATCH = 1000
# A feeder that died holding entries: another takes them over after this long.
FEED_RECLAIM_IDLE_MS = 5000
# Passes of one feed call at most (each takes FEED_BATCH entries a shard).
FEED_ROUNDS = 20
GROUPS = (keys.FLUSH_GROUP, keys.FEED_GROUP)


@dataclass(frozen=True)
class BoardUpdate:
    """A player's scores on the global boards as of `version`; False: off that board."""

    player_id: int
    version: int
    week: str
    all: int | Literal[False]
    weekly: int | Literal[False]


def board_updates_apply(updates: list[BoardUpdate]) -> int:
    """Apply score updates to the global boards in one script, each only if newer than
    what the boards hold (board_feed.lua); returns how many moved a score."""
    if not updates:
        return 0
    weeks = sorted({update.week for update in updates})
    index = {week: number for number, week in enumerate(weeks, start=1)}
    rows = [[u.player_id, u.version, index[u.week], u.all, u.weekly] for u in updates]
    done = scripts.run(
        live.client(),
        "board_feed",
        {
            "board_all": keys.BOARD_ALL,
            "versions": keys.VERSIONS,
            "changes": keys.BOARD_CHANGES,
            "deleted": keys.DELETED,
        },
        {"updates": json.dumps(rows), "period_ttl": live.PERIOD_TTL_SECONDS},
        extra_keys=[keys.board_week(week) for week in weeks],
    )
    return int(done["moved"])


def update_of(event: dict) -> BoardUpdate | None:
    """The global boards' update an award event carries; None for an event that awards
    nothing (a start, an abandonment)."""
    board = event.get("board")
    if not isinstance(board, dict):
        return None
    listed = bool(board["listed"])
    return BoardUpdate(
        player_id=int(event["player"]),
        version=int(board["version"]),
        week=event["week"],
        all=int(board["total"]) if listed else False,
        weekly=int(board["weekly"]) if listed else False,
    )


def player_visibility_set(*, player_id: int, hidden: bool, now: datetime) -> None:
    """The player's shard first (their boards, hidden set and score version), then the
    global boards from the version it answers: two calls, on a path that is not the hot
    one, and an award fed in between is older and so cannot undo the change."""
    week = rules.week_id(now)
    shard = keys.shard_of(player_id)
    done = scripts.run(
        live.client(),
        "visibility",
        {
            "player": keys.player(player_id),
            "board_all": keys.shard_board_all(shard),
            "board_week": keys.shard_board_week(shard, week),
            "hidden": keys.hidden(shard),
        },
        {
            "player_id": player_id,
            "week": week,
            "hidden": "1" if hidden else "0",
            "period_ttl": live.PERIOD_TTL_SECONDS,
        },
    )
    board_updates_apply(
        [BoardUpdate(player_id, int(done["version"]), week, done["all"], done["weekly"])]
    )


# --- The shard streams ------------------------------------------------------------------------


def consumer_name() -> str:
    """The same name for every read of one process, in both groups."""
    return f"{socket.gethostname()}-{os.getpid()}"


def shards_with_entries(shards: Iterable[int] | None = None) -> list[int]:
    """The shards whose stream holds entries, in one pipelined round trip."""
    return list(stream_lengths(shards))


def stream_lengths(shards: Iterable[int] | None = None) -> dict[int, int]:
    """The entries each shard's stream holds (XLEN: those read but not yet trimmed count
    too), for the shards that hold any, in one pipelined round trip."""
    targets = list(keys.shards() if shards is None else shards)
    pipe = live.client().pipeline(transaction=False)
    for shard in targets:
        pipe.xlen(keys.stream(shard))
    lengths = zip(targets, pipe.execute(), strict=True)
    return {shard: length for shard, length in lengths if length}


def ensure_groups(shards: Iterable[int]) -> None:
    """Both consumer groups on each shard's stream, from its start (pipelined)."""
    pipe = live.client().pipeline(transaction=False)
    for shard in shards:
        for group in GROUPS:
            pipe.xgroup_create(keys.stream(shard), group, id="0", mkstream=True)
    for reply in pipe.execute(raise_on_error=False):
        # A full Redis refuses XGROUP CREATE even when the group exists; trimming is what
        # frees memory, so go on (a missing group then fails its reads: NOGROUP).
        if isinstance(reply, OutOfMemoryError):
            continue
        if isinstance(reply, ResponseError) and "BUSYGROUP" in str(reply):
            continue
        if isinstance(reply, Exception):
            raise reply


def trim(pipe, shard: int) -> None:
    """Queue the trim of the shard's stream past what both groups finished."""
    scripts.queue(pipe, "stream_trim", {"stream": keys.stream(shard)}, {}, extra_args=GROUPS)


def forget_idle_consumers(*, shard: int, idle_seconds: float) -> int:
    """Remove the shard's consumers (of both groups) that hold nothing pending and were
    idle this long (processes that exited); returns how many. A consumer with pending
    events stays: its events are reclaimed from it by name."""
    r = live.client()
    removed = 0
    for group in GROUPS:
        for consumer in r.xinfo_consumers(keys.stream(shard), group):
            if consumer["pending"] == 0 and consumer["idle"] >= idle_seconds * 1000:
                r.xgroup_delconsumer(keys.stream(shard), group, consumer["name"])
                removed += 1
    return removed


def _read(
    shards: list[int], consumer: str, count: int, reclaim_idle_ms: int
) -> dict[int, list[live.PendingEntry]]:
    """What a dead feeder left pending, then new entries, of every shard: one round trip."""
    pipe = live.client().pipeline(transaction=False)
    for shard in shards:
        stream = keys.stream(shard)
        pipe.xautoclaim(stream, keys.FEED_GROUP, consumer, reclaim_idle_ms, count=count)
        pipe.xreadgroup(keys.FEED_GROUP, consumer, {stream: ">"}, count=count)
    replies = pipe.execute(raise_on_error=False)
    read: dict[int, list[live.PendingEntry]] = {}
    missing = []
    for shard, claimed, new in zip(shards, replies[0::2], replies[1::2], strict=True):
        if isinstance(claimed, ResponseError) and "NOGROUP" in str(claimed):
            missing.append(shard)
            continue
        for reply in (claimed, new):
            if isinstance(reply, Exception):
                raise reply
        entries = list(cast(list, claimed[1]))
        for _name, fresh in cast(live.StreamRead, new or []):
            entries += fresh
        if entries:
            read[shard] = entries
    if missing:
        # A stream no flush has visited yet: its groups, from its start, and read again.
        ensure_groups(missing)
        read.update(_read(missing, consumer, count, reclaim_idle_ms))
    return read


def _feed_round(shards: list[int], consumer: str, count: int, reclaim_idle_ms: int) -> tuple:
    read = _read(shards, consumer, count, reclaim_idle_ms)
    updates = []
    for entries in read.values():
        for _id, fields in entries:
            update = update_of(json.loads(fields[b"e"])) if fields else None
            if update is not None:
                updates.append(update)
    moved = board_updates_apply(updates)
    pipes = store.NodePipelines()
    for shard, entries in read.items():
        pipe = pipes.on(keys.stream(shard))
        pipe.xack(keys.stream(shard), keys.FEED_GROUP, *[entry_id for entry_id, _ in entries])
        trim(pipe, shard)
    pipes.execute()
    full = [shard for shard, entries in read.items() if len(entries) >= count]
    return moved, full


def feed(
    *,
    shards: Iterable[int] | None = None,
    consumer: str | None = None,
    count: int = FEED_BATCH,
    reclaim_idle_ms: int = FEED_RECLAIM_IDLE_MS,
) -> int:
    """Apply the award events waiting on the shards' streams (every shard with entries,
    unless told which) to the global boards; returns how many moved a score. Entries are
    acknowledged after the boards moved: a feeder dying in between leaves them pending,
    and their replay is stopped by the versions."""
    targets = shards_with_entries(shards)
    consumer = consumer or consumer_name()
    moved = 0
    for _round in range(FEED_ROUNDS):
        if not targets:
            break
        round_moved, targets = _feed_round(targets, consumer, count, reclaim_idle_ms)
        moved += round_moved
    return moved


def ranks_many(players: list[tuple[int, int, int, str]]) -> list[dict]:
    """Competition ranks on the global boards of several visible players, each for their
    exact live (player_id, points, weekly, week): one pipelined round trip, in order."""
    pipes = store.NodePipelines()  # all on {lb}: one node, one round trip on a cluster too
    for player_id, points, weekly, week in players:
        scripts.queue(
            pipes.on(keys.BOARD_ALL),
            "ranks",
            {"board_all": keys.BOARD_ALL, "board_week": keys.board_week(week)},
            {"player_id": player_id, "points": points, "weekly": weekly},
        )
    return [json.loads(reply) for reply in pipes.execute()] if players else []


def global_boards_rebuild(*, now: datetime) -> int:
    """The global boards (and their versions) made again from the shard boards alone, which
    are exact: after a rebuild of the shards, or should `{lb}` be lost. Returns the number
    of players on the all-time board."""
    r = live.client()
    week = rules.week_id(now)
    pipe = r.pipeline(transaction=False)
    for shard in keys.shards():
        pipe.zrange(keys.shard_board_all(shard), 0, -1, withscores=True)
        pipe.zrange(keys.shard_board_week(shard, week), 0, -1, withscores=True)
    replies = pipe.execute()
    on_all = {int(p): int(s) for board in replies[0::2] for p, s in board}
    on_week = {int(p): int(s) for board in replies[1::2] for p, s in board}
    players = sorted(on_all.keys() | on_week.keys())
    pipe = r.pipeline(transaction=False)
    for player_id in players:
        pipe.hget(keys.player(player_id), "v")
    versions = [int(v or 0) for v in pipe.execute()]
    r.delete(keys.BOARD_ALL, keys.board_week(week), keys.VERSIONS)
    updates = [
        BoardUpdate(
            player_id, version, week, on_all.get(player_id, False), on_week.get(player_id, False)
        )
        for player_id, version in zip(players, versions, strict=True)
    ]
    for start in range(0, len(updates), FEED_BATCH):
        board_updates_apply(updates[start : start + FEED_BATCH])
    return len(on_all)
