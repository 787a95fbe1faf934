"""One spike against one write mode: start the stack, play the load, measure, verify.

The measured window runs from the first player's arrival until the last event the load
made is in PostgreSQL (the buffered mode's final flush is part of what its actions cost),
plus a settle time so that every backend's statistics have reached pg_stat_database.
"""

import asyncio
import resource
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import redis

from perf import stack as stacks
from perf.databases import database_beside
from perf.load import LoadOutcome, Tally, run_load, warm_up
from perf.metrics import Recorder
from perf.observe import (
    FAST,
    STATS_SETTLE_SECONDS,
    Observer,
    has_statements,
    pg_connect,
    pg_counters,
    pg_work,
    stream_keys,
)
from perf.profiles import Profile
from perf.report import percentile, percentiles

DRAIN_TIMEOUT = 300
HOLD_SETTLE_SECONDS = 15
# The Procfile's `celery worker --concurrency 2`; the websocket process runs its database
# calls in one thread (asgiref's thread-sensitive executor).
WORKER_CONCURRENCY = 2
SOCKETS_PER_FILE_LIMIT = 4


def raise_open_files(sockets: int) -> int:
    """Each socket is a file descriptor here and in the websocket server (which inherits
    our limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(soft, min(hard, 4096 + SOCKETS_PER_FILE_LIMIT * sockets))
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def hold_window(profile: Profile) -> tuple[float, float]:
    """The steady part of the hold: every player signed up (late sign-ups given 15 s)."""
    start = profile.quiet_seconds + profile.ramp_seconds + HOLD_SETTLE_SECONDS
    return min(start, profile.load_seconds - 1), profile.load_seconds


def connection_bound(web_concurrency: int, ws_concurrency: int = 1) -> int:
    """PostgreSQL connections the configuration allows: one per gunicorn worker, per Celery
    worker process and per websocket process (its one database thread); none depends on
    the number of players."""
    return web_concurrency + WORKER_CONCURRENCY + ws_concurrency


@dataclass
class Window:
    """What the measured window of one spike produced."""

    load: LoadOutcome
    recorder: Recorder
    observer: Observer
    work: dict
    hold_work: dict | None
    drained_at: float | None
    statements: bool
    ledger: dict[int, dict]


def run_mode(
    services: stacks.Services,
    *,
    mode: str,
    profile: Profile,
    template: str,
    out_dir: Path,
    tuning: dict[str, str],
    log,
    settle: float = STATS_SETTLE_SECONDS,
) -> dict:
    database_url = database_beside(
        services.database_url, f"{stacks.DATABASE_SUFFIX}_{mode}", template=template
    )
    r = redis.Redis.from_url(services.redis_url)
    r.flushdb()  # this run's own database (see stack.REDIS_DB)
    env = stacks.app_env(
        database_url=database_url,
        redis_url=services.redis_url,
        WRITE_MODE=mode,
        WEB_CONCURRENCY=str(profile.web_concurrency),
        **tuning,
    )
    raise_open_files(profile.sockets)
    log(f"{mode}: starting web, ws, worker and beat")
    with stacks.app_stack(env, log_path=out_dir / f"{mode}-stack.log") as app:
        tag = f"{mode[0]}{int(time.time()) % 100000}"
        asyncio.run(warm_up(http_url=app.http_url, ws_url=app.ws_url, tag=tag))
        time.sleep(settle)  # the warm-up's statistics land before the window
        window = _measure(
            app,
            r,
            services,
            database_url=database_url,
            profile=profile,
            tag=tag,
            settle=settle,
            log=lambda message: log(f"{mode}: {message}"),
        )
        log(f"{mode}: checking consistency")
        consistency = _consistency(env, window.load.tallies, window.ledger)
    r.close()
    if window.observer.failure is not None:
        raise RuntimeError(f"the observer failed: {window.observer.failure!r}")
    return _result(
        mode=mode,
        profile=profile,
        window=window,
        consistency=consistency,
        settle=settle,
        ws_concurrency=int(env.get("WS_CONCURRENCY", "1")),
    )


class _Urls(TypedDict):
    """Where run_load finds the app stack."""

    http_url: str
    ws_url: str


def _measure(
    app: stacks.RunningStack,
    r: redis.Redis,
    services: stacks.Services,
    *,
    database_url: str,
    profile: Profile,
    tag: str,
    settle: float,
    log,
) -> Window:
    """The load, from the first player's arrival until the flush has caught up and the
    statistics have settled, the observer sampling throughout."""
    with pg_connect(database_url) as pg:
        statements = has_statements(pg)
        origin = time.monotonic()

        def clock() -> float:
            return time.monotonic() - origin

        hold = hold_window(profile)
        observer = Observer(
            database_url=database_url,
            redis_url=services.redis_url,
            groups=app.groups,
            clock=clock,
            statements=statements,
            marks={"hold_start": hold[0], "hold_end": hold[1]},
            sample_url=services.database_url,
        )
        before = pg_counters(pg, statements=statements)
        observer.start()
        recorder = Recorder()
        log(profile.describe())
        urls: _Urls = {"http_url": app.http_url, "ws_url": app.ws_url}
        load = asyncio.run(run_load(profile, **urls, recorder=recorder, tag=tag, origin=origin))
        log(f"load done at {clock():.0f} s; waiting for the flush to catch up")
        drained_at = _drain(r, clock)
        time.sleep(settle)
        observer.stop()
        observer.close()
        after = pg_counters(pg, statements=statements)
        marked = observer.marked
        hold_work = (
            pg_work(pg, marked["hold_start"], marked["hold_end"])
            if {"hold_start", "hold_end"} <= marked.keys()
            else None
        )
        return Window(
            load=load,
            recorder=recorder,
            observer=observer,
            work=pg_work(pg, before, after),
            hold_work=hold_work,
            drained_at=drained_at,
            statements=statements,
            ledger=_ledger(pg),
        )


def _drain(r: redis.Redis, clock) -> float | None:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        if sum(r.xlen(stream) for stream in stream_keys()) == 0:
            return clock()
        time.sleep(0.5)
    return None


def _ledger(pg) -> dict[int, dict]:
    found: dict[int, dict] = defaultdict(lambda: {"events": Counter(), "points": 0, "total": 0})
    for player, kind, count, points in pg.execute(
        "SELECT player_id, kind, count(*), sum(points) FROM gameplay_ledgerentry GROUP BY 1, 2"
    ):
        found[player]["events"][kind] = count
        found[player]["points"] += int(points)
    for player, total in pg.execute("SELECT id, points FROM accounts_user"):
        found[player]["total"] = total
    return found


def _consistency(env: dict[str, str], tallies: list[Tally], ledger: dict[int, dict]) -> dict:
    """`check_consistency`, then every accepted action looked up in the ledger."""
    try:
        done = stacks.manage(env, "check_consistency")
        passed, output = done.returncode == 0, (done.stdout + done.stderr).strip()
    except subprocess.TimeoutExpired:
        passed, output = False, "check_consistency timed out"
    compared = mismatched = uncertain = accepted = 0
    examples: list[dict] = []
    for tally in tallies:
        if tally.user_id is None:
            continue
        if tally.unknown:
            uncertain += 1  # a request without an answer may or may not have been recorded
            continue
        compared += 1
        accepted += sum(tally.events.values())
        row = ledger.get(tally.user_id, {"events": Counter(), "points": 0, "total": 0})
        events = Counter({k: v for k, v in row["events"].items() if v})
        wanted = Counter({k: v for k, v in tally.events.items() if v})
        if events != wanted or row["points"] != tally.points or row["total"] != tally.points:
            mismatched += 1
            if len(examples) < 5:
                examples.append(
                    {
                        "player": tally.user_id,
                        "accepted": dict(wanted),
                        "ledger": dict(events),
                        "points": tally.points,
                        "ledger_points": row["points"],
                        "flushed_total": row["total"],
                    }
                )
    return {
        "check_consistency": passed,
        "check_consistency_output": output[-2000:],
        "players_compared": compared,
        "players_uncertain": uncertain,
        "accepted_actions_compared": accepted,
        "players_mismatched": mismatched,
        "mismatch_examples": examples,
        "exactly_once": mismatched == 0 and compared > 0,
    }


def _result(
    *,
    mode: str,
    profile: Profile,
    window: Window,
    consistency: dict,
    settle: float,
    ws_concurrency: int,
) -> dict:
    load, recorder, observer = window.load, window.recorder, window.observer
    seconds = load.seconds
    requests = sum(t["requests"] for t in recorder.endpoint_table(seconds).values())
    errors = sum(sum(c.values()) for c in recorder.errors.values())
    actions = sum(sum(t.events.values()) for t in load.tallies)
    cpu_total = observer.cpu.totals if observer.cpu else {}
    measured = (window.drained_at or seconds) + settle
    lags = [age for t, age, _ in observer.samples.flush_lag if t <= seconds]
    lag = [lag for _, lag in recorder.loop_lag]
    return {
        "mode": mode,
        "profile": profile.name,
        "players": profile.players,
        "players_signed_up": sum(1 for t in load.tallies if t.user_id is not None),
        "load_seconds": seconds,
        "window_seconds": measured,
        "requests": requests,
        "requests_per_second": requests / seconds,
        "actions": actions,
        "actions_per_second": actions / seconds,
        "actions_by_kind": dict(sum((t.events for t in load.tallies), Counter())),
        "repeated_check_ins": recorder.repeats,
        "errors": errors,
        "error_rate": errors / requests if requests else None,
        "error_detail": recorder.error_detail(),
        "endpoints": recorder.endpoint_table(seconds),
        "postgres": _postgres(window, profile, actions, ws_concurrency),
        "redis": _redis(observer.samples.redis_commands, seconds),
        "flush_lag": {
            "max_seconds": max(lags, default=0.0),
            "p95_seconds": percentiles(lags)["p95"] if lags else 0.0,
            "drained_after_load_seconds": None
            if window.drained_at is None
            else window.drained_at - seconds,
        },
        "push": _push(recorder, profile),
        "cpu_seconds": dict(cpu_total),
        "cpu_share": {g: s / measured for g, s in cpu_total.items()},
        "generator": {
            "loop_lag_p95_ms": (percentiles(lag)["p95"] or 0) * 1000,
            "loop_lag_max_ms": max(lag, default=0) * 1000,
        },
        "consistency": consistency,
        "timeline": _timeline(recorder, observer, int(measured)),
    }


def _postgres(window: Window, profile: Profile, actions: int, ws_concurrency: int) -> dict:
    work, samples = window.work, window.observer.samples
    lock_wait_seconds = sum(n for _, n in samples.lock_waiters) * FAST

    def per_action(value):
        return None if value is None or not actions else value / actions

    return {
        **{k: v for k, v in work.items() if k != "top_statements"},
        "statements_available": window.statements,
        "statements_per_action": per_action(work["statements"]),
        "statements_per_action_without_sign_ups": per_action(
            None if work["statements"] is None else work["statements"] - work["sign_up_statements"]
        ),
        "transactions_per_action": per_action(work["transactions"]),
        "wal_bytes_per_action": per_action(work["wal_bytes"]),
        "lock_wait_seconds": lock_wait_seconds,
        "lock_wait_ms_per_action": per_action(lock_wait_seconds * 1000),
        "peak_lock_waiters": max((n for _, n in samples.lock_waiters), default=0),
        "peak_connections": max((n for _, n in samples.connections), default=0),
        "connection_bound": connection_bound(profile.web_concurrency, ws_concurrency),
        "top_statements": work["top_statements"],
        "hold": _hold(window, profile),
    }


def _hold(window: Window, profile: Profile) -> dict:
    """PostgreSQL's work per action while everyone is signed up (no sign-ups in it)."""
    hold = hold_window(profile)
    actions = sum(1 for t in window.recorder.event_times if hold[0] <= t < hold[1])

    def per_action(key):
        work = window.hold_work
        if work is None or work[key] is None or not actions:
            return None
        return work[key] / actions

    return {
        "from_second": hold[0],
        "to_second": hold[1],
        "actions": actions,
        "actions_per_second": actions / max(hold[1] - hold[0], 1e-9),
        "statements_per_action": per_action("statements"),
        "transactions_per_action": per_action("transactions"),
        "wal_bytes_per_action": per_action("wal_bytes"),
        "top_statements": (window.hold_work or {}).get("top_statements", []),
    }


def _redis(commands: list[tuple[float, int]], seconds: float) -> dict:
    total = commands[-1][1] - commands[0][1] if len(commands) > 1 else 0
    span = commands[-1][0] - commands[0][0] if len(commands) > 1 else 1
    in_load = [(t, n) for t, n in commands if t <= seconds]
    under_load = (
        (in_load[-1][1] - in_load[0][1]) / (in_load[-1][0] - in_load[0][0])
        if len(in_load) > 1
        else None
    )
    return {
        "commands": total,
        "commands_per_second": total / span,
        "commands_per_second_under_load": under_load,
    }


def _push(recorder: Recorder, profile: Profile) -> dict:
    board = [lat for _, lat in recorder.board_push]
    me = [lat for _, lat in recorder.me_push]
    spread = [lag for _, lag in recorder.board_spread]
    return {
        "sockets_planned": profile.sockets,
        "sockets_peak": recorder.sockets_peak,
        "socket_errors": dict(recorder.socket_errors),
        "messages": recorder.socket_messages,
        "board": {"samples": len(board), **_seconds(percentiles(board))},
        "me": {"samples": len(me), **_seconds(percentiles(me))},
        "board_spread": {"samples": len(spread), **_seconds(percentiles(spread))},
    }


def _seconds(values: dict) -> dict:
    return {f"{k}_s": v for k, v in values.items()}


def _timeline(recorder: Recorder, observer: Observer, until: int) -> list[dict]:
    rows = recorder.timeline(until)
    s = observer.samples
    by_second: dict[int, dict] = defaultdict(dict)
    for t, n in s.connections:
        row = by_second[int(t)]
        row["connections"] = max(row.get("connections", 0), n)
    for t, n in s.lock_waiters:
        row = by_second[int(t)]
        row["lock_wait_s"] = row.get("lock_wait_s", 0.0) + n * FAST
    for t, age, length in s.flush_lag:
        by_second[int(t)].update(flush_lag_s=age, backlog=length)
    for (t0, c0), (t1, c1) in zip(s.redis_commands, s.redis_commands[1:], strict=False):
        by_second[int(t1)]["redis_cps"] = (c1 - c0) / max(t1 - t0, 1e-3)
    previous = 0.0
    for t, step in s.cpu:
        span = max(t - previous, 1e-3)
        previous = t
        by_second[int(t)]["cpu"] = {g: v / span for g, v in step.items()}
    board = defaultdict(list)
    for at, latency in recorder.board_push:
        board[int(at)].append(latency)
    for second, values in board.items():
        by_second[second]["push_p95_s"] = percentile(values, 95)
    for row in rows:
        row.update(by_second.get(row["t"], {}))
    return rows
