"""The cost of one pushed frame: a websocket server with many sockets, boards that move.

    python -m perf.fanout                         uvicorn against daphne, 1,050 sockets
    python -m perf.fanout --sockets 500 --seconds 10 --servers uvicorn

Each server runs `focusquest.asgi` alone, with its pusher (uvicorn with the Procfile's
command line). This process opens anonymous sockets to it (the launch-day spectators),
then moves the all-time board at a steady rate for a while, writing the board keys and bumping the
change counter as an award's script does (no HTTP, no PostgreSQL: only the push path is
measured). Reported per server: the frames it sent, its CPU (user + system, from /proc)
per 1,000 frames, the wait from a board move to the first snapshot holding it on each
socket, and how long after the first socket each socket got the same snapshot.

Servers: Redis from REDIS_URL (its database is EMPTIED) or the embedded one of
`python -m devstack services`; DATABASE_URL likewise (anonymous sockets never query it).
"""

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

import redis
import websockets

from devstack import procfile
from devstack.processes import free_port, port_open, process
from devstack.proctree import process_tree
from gameplay import keys
from perf import stack as stacks
from perf.observe import TICKS, cpu_ticks
from perf.report import percentile

BIN = Path(sys.executable).parent
SERVERS = {
    # The Procfile's websocket process; daphne, the baseline, is in no Procfile.
    "uvicorn": lambda port: [
        *procfile.command("ws", HOST="127.0.0.1", PORT=port, WS_PORT=port),
        *("--log-level", "warning"),
    ],
    "daphne": lambda port: [
        str(BIN / "daphne"),
        *("-p", str(port)),
        *("--verbosity", "0"),
        "focusquest.asgi:application",
    ],
}
BOARD_PREFIX = '{"type": "leaderboard", "board": "all"'


def _seed(r: redis.Redis) -> None:
    r.flushdb()
    for player in range(1, 11):
        r.zadd(keys.BOARD_ALL, {str(player): player})
        r.hset(keys.NAMES, str(player), f"Player {player}")


async def _move_boards(r: redis.Redis, options, moved: dict[tuple[int, int], float]) -> None:
    """New players onto the all-time board at `options.rate` a second (Poisson), as an
    award's script does it; `moved` gets when each (player, points) entered."""
    started = time.monotonic()
    player, points = 100, 1000
    rng = random.Random(1)
    while time.monotonic() - started < options.seconds:
        player, points = player + 1, points + 1
        pipe = r.pipeline(transaction=True)
        pipe.hset(keys.NAMES, str(player), f"Player {player}")
        pipe.zadd(keys.BOARD_ALL, {str(player): points})
        pipe.hincrby(keys.BOARD_CHANGES, "boards", 1)
        pipe.execute()
        moved[(player, points)] = time.monotonic()
        await asyncio.sleep(rng.expovariate(options.rate))


async def _measure(ws_url: str, r: redis.Redis, options, server_pids) -> dict:
    moved: dict[tuple[int, int], float] = {}
    waits: list[float] = []
    spreads: list[float] = []
    first_seen: dict[int, float] = {}
    frames = 0
    stop = asyncio.Event()

    async def watch(index: int) -> None:
        nonlocal frames
        await asyncio.sleep(index * options.open_pace)
        async with websockets.connect(
            ws_url, compression=None, ping_interval=None, max_queue=None, open_timeout=60
        ) as socket:
            board = None
            async for raw in socket:
                frames += 1
                assert isinstance(raw, str)  # the server sends text frames only
                if not raw.startswith(BOARD_PREFIX):
                    continue
                at = time.monotonic()
                now = {(e["user_id"], e["points"]) for e in json.loads(raw)["entries"]}
                if board is not None and now != board:
                    for pair in now - board:
                        if pair in moved:
                            waits.append(at - moved[pair])
                    first = first_seen.setdefault(hash(raw), at)
                    spreads.append(at - first)
                board = now
                if stop.is_set():
                    return

    sockets = [asyncio.create_task(watch(i)) for i in range(options.sockets)]
    await asyncio.sleep(options.sockets * options.open_pace + 3)
    opened = sum(1 for task in sockets if not task.done())
    frames_before, ticks_before = frames, sum(cpu_ticks(pid) for pid in server_pids())
    started = time.monotonic()
    await _move_boards(r, options, moved)
    await asyncio.sleep(2)  # the last snapshot reaches every socket
    window = time.monotonic() - started
    cpu = (sum(cpu_ticks(pid) for pid in server_pids()) - ticks_before) / TICKS
    sent = frames - frames_before
    stop.set()
    for task in sockets:
        task.cancel()
    await asyncio.gather(*sockets, return_exceptions=True)

    return {
        "sockets": opened,
        "frames": sent,
        "cpu_cores": cpu / window,
        "cpu_ms_per_1000_frames": cpu * 1e6 / max(sent, 1),
        "wait_p50_s": percentile(waits, 50),
        "wait_p95_s": percentile(waits, 95),
        "spread_p50_s": percentile(spreads, 50),
        "spread_p95_s": percentile(spreads, 95),
    }


def run(name: str, services, redis_url: str, options) -> dict:
    port = free_port()
    env = stacks.app_env(database_url=services.database_url, redis_url=redis_url)
    r = redis.Redis.from_url(redis_url)
    _seed(r)
    log = Path(options.out) / f"fanout-{name}.log"
    with process(SERVERS[name](port), env=env, ready=lambda: port_open(port), log=log) as proc:
        result = asyncio.run(
            _measure(
                f"ws://127.0.0.1:{port}/ws/leaderboard/", r, options, lambda: process_tree(proc.pid)
            )
        )
    r.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.fanout", description=__doc__)
    parser.add_argument("--servers", default="daphne,uvicorn", help="the first is the baseline")
    parser.add_argument("--sockets", type=int, default=1050)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the boards move")
    parser.add_argument("--rate", type=float, default=20.0, help="board moves per second")
    parser.add_argument("--open-pace", type=float, default=0.003, help="seconds between opens")
    parser.add_argument("--out", default=str(stacks.RESULTS), help="server logs go here")
    options = parser.parse_args(argv)
    Path(options.out).mkdir(parents=True, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * options.sockets)), hard))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", stacks.LOAD_SETTINGS)

    def say(message: str) -> None:
        print(f"fanout: {message}", file=sys.stderr, flush=True)

    names = options.servers.split(",")
    results = {}
    with stacks.services(say, redis_db=stacks.REDIS_DB["fanout"]) as services:
        redis_url = services.redis_url
        for name in names:
            say(f"{name}: {options.sockets} sockets, boards moving {options.rate:g}/s")
            results[name] = run(name, services, redis_url, options)

    base = results[names[0]]["cpu_ms_per_1000_frames"]
    print(
        "| server | sockets | frames | CPU cores | CPU ms per 1,000 frames | vs "
        f"{names[0]} | move → snapshot p50 / p95 s | fan-out p50 / p95 s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['sockets']:,} | {r['frames']:,} | {r['cpu_cores']:.2f} | "
            f"{r['cpu_ms_per_1000_frames']:.1f} | {r['cpu_ms_per_1000_frames'] / base:.2f}x | "
            f"{r['wait_p50_s']:.2f} / {r['wait_p95_s']:.2f} | "
            f"{r['spread_p50_s']:.3f} / {r['spread_p95_s']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
