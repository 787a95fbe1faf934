"""A deleted player's live state: gone from their shard, then from the global boards.

The shard first, in one script on its slot (`player_purge.lua`): every key of the player
(found by a SCAN of the slot's server, since a finished session's answer is named by its
session id), their places on the shard's boards and in its hidden set, their id in the
community's active sets and their dead letters. Their hash stays as a tombstone holding
only `deleted`, for `TOMBSTONE_SECONDS`: every action script checks it first
(prelude.lua) and refuses, so a request still in flight when they were deleted records
nothing and makes none of their keys again. A second SCAN then finds what such a request
made between the first SCAN and the script, and the script runs again; it finds nothing
more, since the tombstone is there.

Then the global boards (`player_forget.lua`, one script on `{lb}`): off every board, the
names and the versions, and onto `keys.DELETED`, with the last id of their shard's stream
at the purge. No event of the player can follow that id (the tombstone), and the feeder
applies no update of a player listed there (board_feed.lua), so an event of theirs it reads
late puts nobody back. The entry goes once the stream holds nothing up to that id
(`tombstones_sweep`, after every flush): the stream is trimmed only past what both the
flush and the feeder finished, so by then no event of the player is left to feed.

Their events still waiting on the stream are the flush's to drop (pipeline/dropped.py:
their player is gone from PostgreSQL), which takes them off the stream and takes back what
they added to the shard's live community counters (`events_drop`), since PostgreSQL never
counts them. Every step here is safe to run again.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from gameplay import keys, live, scripts, store

# Longer than any request can be in flight (gunicorn's timeout is seconds); the tombstone
# then expires, and nothing of the player is left on their shard.
TOMBSTONE_SECONDS = 3600
# Scans of the slot until one finds nothing of the player's left: the second one normally.
PURGE_ROUNDS = 4


@dataclass
class _SlotKeys:
    """What a SCAN of the shard's slot found that the purge names."""

    player: list[str] = field(default_factory=list)  # the player's keys but their hash
    week_boards: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)  # the community's active sets


def _slot_keys(player_id: int) -> _SlotKeys:
    shard = keys.shard_of(player_id)
    own_prefix = keys.player_keys_prefix(player_id)
    week_prefix = keys.shard_board_week(shard, "")
    active_prefix = keys.community_active(shard, "")
    found = _SlotKeys()
    for raw in store.scan_slot(keys.shard_keys_pattern(shard), keys.player(player_id)):
        key = raw.decode()
        if key.startswith(own_prefix) and key != keys.player(player_id):
            found.player.append(key)
        elif key.startswith(week_prefix):
            found.week_boards.append(key)
        elif key.startswith(active_prefix):
            found.active.append(key)
    return found


def _purge(player_id: int, found: _SlotKeys, now: datetime) -> dict:
    shard = keys.shard_of(player_id)
    call = scripts.prepare(
        "player_purge",
        {
            "player": keys.player(player_id),
            "hidden": keys.hidden(shard),
            "board_all": keys.shard_board_all(shard),
            "stream": keys.stream(shard),
            "dead_letters": keys.dead_letters(shard),
            "changes": keys.changes(shard),
        },
        {
            "player_id": player_id,
            "now": live.micros(now),
            "tombstone_ttl": TOMBSTONE_SECONDS,
            "own_keys": len(found.player),
            "week_boards": len(found.week_boards),
        },
        extra_keys=[*found.player, *found.week_boards, *found.active],
    )
    return json.loads(store.run_acknowledged(call, call.keys[0]))


def shard_purge(*, player_id: int, now: datetime) -> str:
    """Delete the player's live state from their shard (see the module's docstring);
    returns the last entry id of the shard's stream at the purge."""
    stream_id: str | None = None
    for _round in range(PURGE_ROUNDS):
        found = _slot_keys(player_id)
        if stream_id is not None and not found.player:
            return stream_id
        stream_id = str(_purge(player_id, found, now)["stream_id"])
    raise RuntimeError(f"player {player_id}'s keys kept coming back after {PURGE_ROUNDS} purges")


def _forget_call(action: str, player_id: int, stream_id: str, week_boards: list[str]) -> dict:
    call = scripts.prepare(
        "player_forget",
        {
            "board_all": keys.BOARD_ALL,
            "names": keys.NAMES,
            "versions": keys.VERSIONS,
            "deleted": keys.DELETED,
            "changes": keys.BOARD_CHANGES,
        },
        {"action": action, "player_id": player_id, "stream_id": stream_id},
        extra_keys=week_boards,
    )
    return json.loads(store.run_acknowledged(call, keys.BOARD_ALL))


def boards_forget(*, player_id: int, stream_id: str) -> None:
    """The player off every global board, the names and the versions, and tombstoned there
    until no event of theirs is left on their shard's stream (`stream_id`, the purge's)."""
    weeks = [k.decode() for k in store.scan_slot(keys.board_week("*"), keys.BOARD_ALL)]
    _forget_call("forget", player_id, stream_id, weeks)


def _stream_position(stream_id: bytes | str) -> tuple[int, int]:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    millis, _, sequence = text.partition("-")
    return int(millis), int(sequence or 0)


def tombstones_sweep() -> int:
    """Clear the global boards' tombstones whose shard stream holds nothing up to the
    purge's entry any more (every event of theirs flushed or dropped, fed, trimmed);
    returns how many went. One round trip when there are none (nearly always)."""
    held = cast(live.Fields, live.client().hgetall(keys.DELETED))
    if not held:
        return 0
    tombstones = [(int(player), stream_id.decode()) for player, stream_id in held.items()]
    pipes = store.NodePipelines()
    for player_id, _stream_id in tombstones:
        stream = keys.stream(keys.shard_of(player_id))
        pipes.on(stream).xrange(stream, count=1)
    firsts = pipes.execute()
    cleared = 0
    for (player_id, stream_id), first in zip(tombstones, firsts, strict=True):
        if first and _stream_position(first[0][0]) <= _stream_position(stream_id):
            continue  # an entry from before the purge is still there: one of theirs, maybe
        cleared += int(_forget_call("clear", player_id, stream_id, [])["cleared"])
    return cleared


@dataclass(frozen=True)
class DroppedEvent:
    """An event of a deleted player the flush dropped: where it is on its shard's stream,
    and what it added to the live community counters of its UTC day."""

    shard: int
    stream_id: str
    community_day: str
    focus_minutes: int
    sessions: int


def events_drop(events: list[DroppedEvent]) -> int:
    """Take dropped events off their streams (acknowledged and deleted) and what they
    added off the live community counters, once each (events_drop.lua); returns how many
    this call took."""
    by_shard: dict[int, list[DroppedEvent]] = {}
    for event in events:
        by_shard.setdefault(event.shard, []).append(event)
    pipes = store.NodePipelines()
    for shard, dropped in by_shard.items():
        days = sorted({event.community_day for event in dropped})
        index = {day: number for number, day in enumerate(days, start=1)}
        rows = [[e.stream_id, index[e.community_day], e.focus_minutes, e.sessions] for e in dropped]
        scripts.queue(
            pipes.on(keys.stream(shard)),
            "events_drop",
            {"stream": keys.stream(shard), "changes": keys.changes(shard)},
            {"group": keys.FLUSH_GROUP, "entries": json.dumps(rows)},
            extra_keys=[keys.community(shard, day) for day in days],
        )
    return sum(int(json.loads(reply)["dropped"]) for reply in pipes.execute())
