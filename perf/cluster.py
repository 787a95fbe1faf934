"""The live store on one server against a 3+3 cluster, and what the cluster's other parts
cost, in one run on this machine.

    python -m perf.cluster                  the documented run (a few minutes)
    python -m perf.cluster --short          a tiny one (the smoke test's, < 1 min)

What it starts: a local Valkey cluster of 3 masters with a replica each
(`devstack.cluster.local_cluster`: AOF everysec, an action acknowledged once a replica has
it, `WAIT 1`), and one valkey-server of the same binary and durability on its own TCP port
(the single server). PostgreSQL and the plain Redis (REDIS_URL: the channel layer, the
pusher's lock) are DATABASE_URL/REDIS_URL, or the embedded servers of `python -m devstack
services`; the run migrates a fresh database beside DATABASE_URL's and drops it at the end,
and EMPTIES REDIS_URL's database. The players are made in PostgreSQL (a user, a habit and a
token each) so that their events flush and their sockets authenticate.

1. Actions: `--clients` processes (`perf.cluster_work actions`), each playing its own
   slice of the players (every shard has some) through `gameplay.live` for `--seconds`:
   check-ins, session starts and completions, each call timed. Once on the single server,
   once on the cluster; calls per second, p50/p99, the servers' CPU (/proc) per call, and
   the cluster/single ratios.
2. Flush: in each round the cluster is emptied, `--flush-events` events are recorded,
   then the flushers (`perf.cluster_work flush`, each the Celery task's `flush_pending` in
   a loop, claiming shards through the advisory locks) start together and write
   everything. Events per second, and the CPU (/proc) of the flushers' PostgreSQL
   backends per event: so PostgreSQL must run on this machine. `--baseline-rounds` rounds
   with 1 flusher (three; one at `--short`), each followed by a round of the baseline they
   are read against: `perf.ledger`'s two sides, the flush as it was before issue #10 and
   as it is, `--flush-events` events each on one server, their order alternating from
   round to round. Then one round with 2 flushers and one with 4.
3. Push and board lag (`perf.cluster_push`): one websocket server and the board feeder
   (the Procfile's `ws` and `feeder`) on the cluster, `--sockets` authenticated sockets,
   awards at `--push-rate` a second once every socket has its connect-time frames; the
   CPU of the server and of the feeder over the awards.
"""

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from devstack.cluster import local_cluster
from devstack.processes import free_port
from devstack.servers import maxmemory, redis_start
from perf import stack as stacks
from perf.databases import analyze, database_beside, database_drop
from perf.observe import TICKS, cpu_ticks
from perf.report import machine, machine_lines, percentiles

SIZES = {
    "full": {
        "players": 4000,
        "clients": 4,
        "seconds": 20.0,
        "flush_events": 30_000,
        "sockets": 1000,
        "push_seconds": 40.0,
        "push_rate": 20.0,
        "baseline_rounds": 3,
    },
    "short": {
        "players": 120,
        "clients": 2,
        "seconds": 2.0,
        "flush_events": 1_000,
        "sockets": 40,
        "push_seconds": 3.0,
        "push_rate": 10.0,
        "baseline_rounds": 1,
    },
}
FLUSHERS = (1, 2, 4)
BASELINE_BATCH = 10_000  # the flush's batch (settings.FLUSH_BATCH_SIZE)
RECORDERS = 2
START_DELAY = 3.0  # seconds for the workers' interpreters to set Django up
# The phases' clocks (days past perf.cluster_work.CLOCK_START): later phases play later.
# The flush rounds take a day each from "flush" on, and the push the day after them.
PHASE_DAYS = {"single": 0, "cluster": 1, "flush": 2}


def say(message: str) -> None:
    print(f"cluster: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def single_server(directory: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """One valkey-server as the cluster's nodes run (AOF, noeviction), on a TCP port as
    theirs are, so that only the cluster differs; yields its URL and process."""
    port = free_port()
    server = redis_start(
        directory / "valkey.sock",
        directory,
        *("--port", str(port), "--bind", "127.0.0.1"),
        *("--maxmemory", maxmemory(), "--maxmemory-policy", "noeviction"),
        timeout=20,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0", server
    finally:
        server.terminate()
        server.wait(20)


def _workers(role: str, env: dict[str, str], count: int, args: list[list[str]]) -> list[dict]:
    """`count` processes of `perf.cluster_work role`, started together; their figures."""
    start_at = time.time() + START_DELAY
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "perf.cluster_work", role, "--start-at", str(start_at), *extra],
            cwd=stacks.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for extra in args[:count]
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"perf.cluster_work {role} failed:\n{err}")
        results.append(json.loads(out.splitlines()[-1]))
    return results


def _slices(cast: list[list[int]], parts: int, directory: Path, name: str) -> list[Path]:
    """The players split into `parts` files, every slice across every shard."""
    paths = []
    for part in range(parts):
        path = directory / f"{name}-{part}.json"
        path.write_text(json.dumps(cast[part::parts]))
        paths.append(path)
    return paths


def actions_phase(
    env: dict[str, str], slices: list[Path], options, phase: int, servers: dict[str, list[int]]
) -> dict:
    """The clients side by side on one store; `servers`: its server processes by role,
    whose CPU time (/proc, user + system) per call is reported too."""
    args = [
        ["--players", str(path), "--seconds", str(options.seconds), "--phase", str(phase)]
        for path in slices
    ]
    ticks = {role: sum(cpu_ticks(pid) for pid in pids) for role, pids in servers.items()}
    found = _workers("actions", env, len(slices), args)
    spent = {
        role: (sum(cpu_ticks(pid) for pid in pids) - ticks[role]) / TICKS
        for role, pids in servers.items()
    }
    latencies = [s for r in found for kind in r["latencies"].values() for s in kind]
    statuses: dict[str, int] = {}
    for r in found:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    calls = sum(r["calls"] for r in found)
    return {
        "clients": len(found),
        "calls": calls,
        "calls_per_second": calls / max(r["seconds"] for r in found),
        "latency_ms": {
            k: None if v is None else v * 1000 for k, v in percentiles(latencies, (50, 99)).items()
        },
        "statuses": statuses,
        "server_cpu_ms_per_call": {role: cpu * 1000 / max(calls, 1) for role, cpu in spent.items()},
    }


def empty_cluster() -> None:
    import redis

    from gameplay import store

    store.cluster_client().flushdb(target_nodes=redis.RedisCluster.PRIMARIES)


def flush_round(
    env: dict[str, str], slices: list[Path], options, flushers: int, phase: int
) -> dict:
    """Empty the cluster, record the events (on the clock's day `phase`), then `flushers`
    flushers write them."""
    empty_cluster()
    per = options.flush_events // len(slices)
    record = [["--players", str(p), "--actions", str(per), "--phase", str(phase)] for p in slices]
    recorded = sum(r["calls"] for r in _workers("actions", env, len(slices), record))
    found = _workers("flush", env, flushers, [[] for _ in range(flushers)])
    events = sum(r["events"] for r in found)
    cpu = sum(r["pg_cpu_seconds"] for r in found)
    return {
        "flushers": flushers,
        "recorded": recorded,
        "events": events,
        "seconds": max(r["seconds"] for r in found),
        "events_per_second": events / max(r["seconds"] for r in found),
        "pg_cpu_ms_per_event": cpu * 1000 / max(events, 1),
        "per_flusher_events": [r["events"] for r in found],
    }


def baseline_round(env: dict[str, str], options, n: int) -> dict[str, dict]:
    """The flush's PostgreSQL CPU per event before issue #10 and now, on one mix
    (`perf.ledger`'s two sides, each on a database of its own beside the run's, the single
    server as the live store): one round of the baseline the cluster's flush is read
    against. The sides' order alternates with `n` (before, now; now, before; ...), so that
    a drift of the machine's speed falls on both alike."""
    from perf import ledger

    found = {}
    for side in ledger.SIDES[:: 1 if n % 2 == 0 else -1]:
        url = database_beside(env["DATABASE_URL"], f"_ledger_{side}")
        try:
            found[side] = ledger.side_process(
                side,
                events=options.flush_events,
                batch=BASELINE_BATCH,
                players=options.players,
                env={**env, "DATABASE_URL": url},
            )
        finally:
            database_drop(url)
    return found


def flush_phase(envs: dict[str, dict[str, str]], slices: list[Path], options) -> dict:
    """`--baseline-rounds` rounds of the flush with 1 flusher on the cluster, each beside a
    round of the baseline (`baseline_round`), then a round with each larger number of
    flushers; each round on a day of the clock of its own. The target is read on the
    medians: on a shared host the same round of the same code moves by a third from one
    minute to the next."""
    from perf import ledger

    found: dict = {"flush": [], "baseline": {side: [] for side in ledger.SIDES}}

    def flush(flushers: int) -> None:
        say(f"flush: {options.flush_events} events, {flushers} flusher(s)")
        day = PHASE_DAYS["flush"] + len(found["flush"])
        found["flush"].append(flush_round(envs["cluster"], slices, options, flushers, day))

    for n in range(options.baseline_rounds):
        flush(1)
        say(f"baseline round {n + 1}: {options.flush_events} events as before #10, and now")
        for side, result in baseline_round(envs["single"], options, n).items():
            found["baseline"][side].append(result)
    for flushers in (n for n in FLUSHERS if n != 1):
        flush(flushers)
    return found


def push_phase(env: dict[str, str], cast: list[list[int]], tokens: dict, options) -> dict:
    """The Procfile's websocket server (its pusher inside) and its board feeder, as `make
    run` starts them, on the cluster; the push and the board lag (perf.cluster_push).
    `--without-feeder`: the websocket server alone, whose pusher then feeds the boards."""
    import asyncio

    import redis

    from devstack import procfile
    from devstack.processes import port_open, process
    from devstack.proctree import process_tree
    from gameplay import keys
    from perf import cluster_push

    port = free_port()
    args = [*procfile.command("ws", HOST="127.0.0.1", PORT=port, WS_PORT=port)]
    args += ["--log-level", "warning"]
    out = Path(options.out)
    locks = redis.Redis.from_url(env["REDIS_URL"])
    fed = lambda: bool(locks.exists(keys.BOARD_FEEDER))  # noqa: E731
    feeder_log = out / "cluster-feeder.log"
    with contextlib.ExitStack() as running:
        processes = {}
        if not options.without_feeder:  # else the pusher feeds, as it does with no feeder
            feeder = running.enter_context(
                process(procfile.command("feeder"), env=env, ready=fed, log=feeder_log)
            )
            processes["board feeder"] = lambda: process_tree(feeder.pid)
        ws_log = out / "cluster-ws.log"
        ws = running.enter_context(
            process(args, env=env, ready=lambda: port_open(port), log=ws_log)
        )
        processes = {"websocket server": lambda: process_tree(ws.pid), **processes}
        url = f"ws://127.0.0.1:{port}/ws/leaderboard/"
        found = asyncio.run(
            cluster_push.measure(url, cast[: options.sockets], tokens, options, processes)
        )
    return {**found, "feeder": not options.without_feeder}


def make_players(count: int) -> tuple[list[list[int]], dict[int, str]]:
    """`count` players in PostgreSQL (a user, a habit, a token each): [[player, habit]]
    and each player's token key. The tables are then analysed, as a database in service
    has its statistics."""
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from habits.models import Habit

    users = User.objects.bulk_create(
        User(username=f"cluster{i}", password="!", timezone="UTC", day_start_hour=0)
        for i in range(count)
    )
    habits = Habit.objects.bulk_create(Habit(player=u, name="h") for u in users)
    tokens = Token.objects.bulk_create(Token(user=u, key=Token.generate_key()) for u in users)
    analyze()
    cast = [[u.pk, h.pk] for u, h in zip(users, habits, strict=True)]
    return cast, {t.user_id: t.key for t in tokens}


def _django(env: dict[str, str]) -> None:
    """This process's Django on the cluster and the run's database; the months of the
    phases' clocks have their ledger partitions."""
    os.environ.update(env)
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from gameplay import partitions
    from perf.cluster_work import CLOCK_START

    for moment in (CLOCK_START, CLOCK_START + timedelta(days=10), datetime.now(UTC)):
        partitions.ensure_ledger_partitions(moment)


def _environments(services, database_url: str, single_url: str, seeds: str) -> dict:
    base = stacks.app_env(database_url=database_url, redis_url=services.redis_url)
    return {
        "single": {**base, "LIVE_REDIS_URL": single_url, "LIVE_REDIS_CLUSTER": "false"},
        "cluster": {**base, "LIVE_REDIS_URL": seeds, "LIVE_REDIS_CLUSTER": "true"},
    }


def run(options) -> dict:
    """Every phase, in one run; the figures."""
    found: dict = {"machine": machine(), "options": vars(options)}
    with (
        stacks.services(say, redis_db=stacks.REDIS_DB["cluster"]) as services,
        tempfile.TemporaryDirectory(prefix="fq-cluster-") as scratch,
        contextlib.ExitStack() as stack,
    ):
        work = Path(scratch)
        database_url = database_beside(services.database_url, "_cluster")
        stack.callback(database_drop, database_url)
        say("starting the 3+3 cluster and the single server")
        cluster = stack.enter_context(local_cluster(work / "cluster"))
        (work / "single").mkdir()
        single_url, single = stack.enter_context(single_server(work / "single"))
        envs = _environments(services, database_url, single_url, cluster.seed_urls)
        done = stacks.manage(envs["cluster"], "migrate", "--noinput")
        if done.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{done.stdout}\n{done.stderr}")
        _django(envs["cluster"])
        import redis

        redis.Redis.from_url(services.redis_url).flushdb()
        cast, tokens = make_players(options.players)
        slices = _slices(cast, options.clients, work, "actions")
        servers = {
            "single": {"server": [single.pid]},
            "cluster": {
                "masters": [n.pid for n in cluster.masters if n.pid],
                "replicas": [n.pid for n in cluster.replicas if n.pid],
            },
        }
        found["actions"] = {}
        for name in ("single", "cluster"):
            say(f"actions on the {name} store: {options.clients} clients, {options.seconds:g} s")
            found["actions"][name] = actions_phase(
                envs[name], slices, options, PHASE_DAYS[name], servers[name]
            )
        recorders = _slices(cast, RECORDERS, work, "record")
        found.update(flush_phase(envs, recorders, options))
        say(f"push: {options.sockets} sockets, awards {options.push_rate:g}/s")
        found["push"] = push_phase(envs["cluster"], cast, tokens, options)
        found["valkey"] = _server_version(single_url)
    return found


def _server_version(url: str) -> str:
    import redis

    from devstack.servers import server_version

    return server_version(redis.Redis.from_url(url).info("server"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf.cluster", description=__doc__)
    parser.add_argument("--short", action="store_true", help="tiny sizes (the smoke test's)")
    for name, value in SIZES["full"].items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=type(value), default=None, help=f"default {value}")
    parser.add_argument(
        "--without-feeder",
        action="store_true",
        help="push phase without the board feeder process: the pusher feeds the boards",
    )
    parser.add_argument("--json", help="where to write the figures as JSON")
    parser.add_argument("--out", default=str(stacks.RESULTS), help="the server's log goes here")
    options = parser.parse_args(argv)
    sizes = SIZES["short" if options.short else "full"]
    for name, value in sizes.items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    options.push_phase = PHASE_DAYS["flush"] + options.baseline_rounds + len(FLUSHERS) - 1
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    Path(options.out).mkdir(parents=True, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * options.sockets)), hard))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", stacks.LOAD_SETTINGS)
    found = run(options)
    from perf.cluster_report import render

    print("\n".join(machine_lines(found["machine"])))
    print(render(found))
    if options.json:
        Path(options.json).write_text(json.dumps(found, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
