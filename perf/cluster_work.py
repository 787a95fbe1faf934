"""The cluster benchmark's worker processes (`perf.cluster` starts them; each is configured
by its environment, one live store and one database, as an app process is).

    python -m perf.cluster_work actions --players FILE --start-at T --seconds S --phase N
    python -m perf.cluster_work flush --start-at T

`actions`: one client of the live store, playing the players of FILE (JSON: [[player id,
habit id], ...]) round robin through `gameplay.live`, the calls the API makes: per turn a
session started and completed (25 minutes, the clock of each player moved on 30 minutes),
and a check-in on the first turn of each of the player's days. Each call is timed. It
stops after S seconds, or after `--actions` calls. Every process of a phase starts at the
wall-clock time T, so that they run side by side.

`flush`: one flusher, as the Celery task runs it (`pipeline.flush.flush_pending`: claims
shards through their advisory locks, batch by batch), again and again until no shard
holds entries. It reports the events it wrote and the CPU time (utime + stime, /proc) of
its PostgreSQL backend.

Each prints one line of JSON: its figures.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

# The synthetic clock of every phase: far enough in the past that no time is in the future,
# one day apart per phase, so that a player's turns in a later phase come after the earlier.
CLOCK_START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
TURN = timedelta(minutes=30)
FLUSH_DEADLINE = 300.0


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perf.settings")
    import django

    django.setup()


def _wait_until(start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))


class Player:
    def __init__(self, player_id: int, habit_id: int, clock: datetime) -> None:
        from gameplay import live

        self.actor = live.Actor(player_id=player_id, timezone="UTC", day_start_hour=0)
        self.habit_id = habit_id
        self.clock = clock
        self.checked: object = None


def turn(player: Player, timed) -> int:
    """One turn of a player: a check-in on a new day, then a full session. Calls made."""
    from gameplay import eventids, live

    now = player.clock
    player.clock += TURN
    made = 0
    day = player.actor.day(now)
    if player.checked != day:
        player.checked = day
        actor, habit = player.actor, player.habit_id
        timed(
            "checkin",
            lambda: live.check_in(actor=actor, habit_id=habit, day=day, today=day, now=now),
        )
        made += 1
    sid = eventids.session_id(live.micros(now))
    actor = player.actor
    timed(
        "start",
        lambda: live.session_start(
            actor=actor, session_id=sid, planned_minutes=25, habit_id=None, now=now
        ),
    )
    end = now + timedelta(minutes=25)
    timed(
        "complete",
        lambda: live.session_finish(
            actor=actor, session_id=sid, action="complete", focused_seconds=1500, now=end
        ),
    )
    return made + 2


def actions(options) -> dict:
    """Play the players until the time or the call budget is spent; every call timed."""
    _setup()
    from gameplay import live

    with open(options.players) as source:
        cast = json.load(source)
    clock = CLOCK_START + timedelta(days=options.phase)
    players = [Player(pid, habit, clock) for pid, habit in cast]
    latencies: dict[str, list[float]] = {"checkin": [], "start": [], "complete": []}
    statuses: dict[str, int] = {}

    def timed(kind: str, call) -> None:
        began = time.perf_counter()
        outcome = call()
        latencies[kind].append(time.perf_counter() - began)
        status = str(outcome.status)
        statuses[status] = statuses.get(status, 0) + 1

    live.client().ping()  # connected (and, on a cluster, the slot map read) before the clock
    _wait_until(options.start_at)
    began = time.perf_counter()
    made, index = 0, 0
    budget = options.actions or sys.maxsize
    while made < budget and time.perf_counter() - began < options.seconds:
        made += turn(players[index % len(players)], timed)
        index += 1
    return {
        "calls": made,
        "seconds": time.perf_counter() - began,
        "latencies": latencies,
        "statuses": statuses,
    }


def flush(options) -> dict:
    """Flush as the task does until no shard holds entries; PostgreSQL CPU of this backend."""
    _setup()
    from gameplay import boards
    from perf.observe import TICKS, backend_cpu, cpu_ticks
    from pipeline import flush as pipeline_flush

    pid, ticks = backend_cpu()
    boards.shards_with_entries()  # connected before the clock
    _wait_until(options.start_at)
    began = time.perf_counter()
    events = batches = runs = 0
    while time.perf_counter() - began < FLUSH_DEADLINE:
        report = pipeline_flush.flush_pending()
        runs += 1
        events += report.events
        batches += report.batches
        if not report.batches:
            if not boards.shards_with_entries():
                break
            time.sleep(0.02)  # what is left is another flusher's, or being trimmed
    wall = time.perf_counter() - began
    return {
        "events": events,
        "batches": batches,
        "runs": runs,
        "seconds": wall,
        "pg_cpu_seconds": (cpu_ticks(pid, reaped=False) - ticks) / TICKS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.cluster_work")
    parser.add_argument("role", choices=("actions", "flush"))
    parser.add_argument("--start-at", type=float, default=0.0, help="epoch seconds")
    parser.add_argument("--players", help="actions: JSON [[player, habit], ...]")
    parser.add_argument("--seconds", type=float, default=1e9)
    parser.add_argument("--actions", type=int, default=0, help="a call budget instead")
    parser.add_argument("--phase", type=int, default=0, help="days past the clock's start")
    options = parser.parse_args(argv)
    result = actions(options) if options.role == "actions" else flush(options)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
