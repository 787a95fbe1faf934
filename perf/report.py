"""The spike's results as a Markdown table (both modes side by side) and the targets."""

import os
import platform
import subprocess
from pathlib import Path

ENDPOINT_ORDER = (
    "POST /api/auth/register",
    "POST /api/habits",
    "POST /api/sessions",
    "POST /api/sessions/{id}/complete",
    "POST /api/sessions/{id}/abandon",
    "POST /api/habits/{id}/check-ins",
    "GET /api/me",
    "GET /api/leaderboard",
    "GET /api/community",
)


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_before": os.getloadavg(),
        "other_processes": busy_processes(),
    }


def busy_processes() -> list[str]:
    """Other test or benchmark runs on the machine (their CPU is not ours to measure)."""
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,args"], capture_output=True, text=True).stdout
    except OSError:
        return []
    me = str(os.getpid())
    found = []
    for line in out.splitlines()[1:]:
        pid, _, rest = line.strip().partition(" ")
        busy = any(w in rest for w in ("pytest", "bench", "perf", "locust"))
        if pid != me and busy and "-m perf" not in rest and "make bench" not in rest:
            found.append(line.strip()[:160])
    return found


def _n(value, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and digits == 0:
        return f"{value:,.0f}{unit}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value:,}{unit}"


def _ratio(a, b) -> str:
    if a is None or b is None or not b:
        return "n/a"
    return f"1/{b / a:,.0f}" if a and a < b else f"{a / b:,.2f}x"


def table(results: dict[str, dict]) -> str:
    modes = [m for m in ("buffered", "direct") if m in results]
    head = "| | " + " | ".join(modes) + (" | buffered / direct |" if len(modes) == 2 else " |")
    rule = "|---" * (len(modes) + 1 + (len(modes) == 2)) + "|"
    rows: list[tuple[str, list, bool]] = []

    def add(label, getter, fmt, ratio=False):
        values = [getter(results[m]) for m in modes]
        rows.append((label, [fmt(v) for v in values], ratio and values))

    add("players signed up", lambda r: r["players_signed_up"], _n)
    add("load seconds", lambda r: r["load_seconds"], _n)
    add("requests/s", lambda r: r["requests_per_second"], _n, True)
    add("actions/s (accepted, recorded an event)", lambda r: r["actions_per_second"], _n, True)
    add("errors", lambda r: r["errors"], _n)
    add("error rate", lambda r: r["error_rate"], lambda v: "n/a" if v is None else f"{v:.3%}")
    for name in ENDPOINT_ORDER:
        if all(name in results[m]["endpoints"] for m in modes):
            add(
                f"`{name}` p50 / p95 / p99 ms",
                lambda r, n=name: r["endpoints"][n],
                lambda e: f"{_n(e['p50'], 1)} / {_n(e['p95'], 1)} / {_n(e['p99'], 1)}",
            )
    pg = lambda key: lambda r: r["postgres"][key]  # noqa: E731
    add("PG statements per action", pg("statements_per_action"), lambda v: _n(v, 3), True)
    add(
        "PG statements per action, sign-ups apart",
        pg("statements_per_action_without_sign_ups"),
        lambda v: _n(v, 3),
        True,
    )
    add("PG transactions per action", pg("transactions_per_action"), lambda v: _n(v, 3), True)
    add("PG WAL bytes per action", pg("wal_bytes_per_action"), lambda v: _n(v, 1), True)
    hold = lambda key: lambda r: r["postgres"]["hold"][key]  # noqa: E731
    add("hold (all signed up): actions/s", hold("actions_per_second"), _n, True)
    add("hold: PG statements per action", hold("statements_per_action"), lambda v: _n(v, 3), True)
    add(
        "hold: PG transactions per action",
        hold("transactions_per_action"),
        lambda v: _n(v, 3),
        True,
    )
    add("hold: PG WAL bytes per action", hold("wal_bytes_per_action"), lambda v: _n(v, 1), True)
    add("PG lock-wait ms per action", pg("lock_wait_ms_per_action"), lambda v: _n(v, 3), True)
    add("PG peak lock waiters", pg("peak_lock_waiters"), _n)
    add(
        "PG peak connections (configured bound)",
        lambda r: (r["postgres"]["peak_connections"], r["postgres"]["connection_bound"]),
        lambda v: f"{v[0]} ({v[1]})",
    )
    add(
        "Redis commands/s under load",
        lambda r: r["redis"]["commands_per_second_under_load"],
        _n,
        True,
    )
    add(
        "flush lag max s (oldest unflushed event)",
        lambda r: r["flush_lag"]["max_seconds"],
        lambda v: _n(v, 1),
    )
    add("flush lag p95 s", lambda r: r["flush_lag"]["p95_seconds"], lambda v: _n(v, 1))
    add("websockets open (peak)", lambda r: r["push"]["sockets_peak"], _n)
    add(
        "push board p50 / p95 s (all sockets)",
        lambda r: r["push"]["board"],
        lambda p: f"{_n(p['p50_s'], 2)} / {_n(p['p95_s'], 2)} ({p['samples']:,} samples)",
    )
    add(
        "board snapshot fan-out p50 / p95 s (after the first socket)",
        lambda r: r["push"].get("board_spread"),
        lambda p: f"{_n(p['p50_s'], 2)} / {_n(p['p95_s'], 2)}" if p else "",
    )
    add(
        "push me p50 / p95 s (own socket)",
        lambda r: r["push"]["me"],
        lambda p: f"{_n(p['p50_s'], 2)} / {_n(p['p95_s'], 2)} ({p['samples']:,} samples)",
    )
    groups = sorted({g for m in modes for g in results[m]["cpu_share"]})
    for group in groups:
        add(
            f"CPU {group} (cores)",
            lambda r, g=group: r["cpu_share"].get(g),
            lambda v: _n(v, 2),
        )
    add(
        "generator loop lag p95 ms", lambda r: r["generator"]["loop_lag_p95_ms"], lambda v: _n(v, 1)
    )
    add(
        "check_consistency / exactly once",
        lambda r: r["consistency"],
        lambda c: (
            f"{'pass' if c['check_consistency'] else 'FAIL'} / "
            f"{'pass' if c['exactly_once'] else 'FAIL'} "
            f"({c['accepted_actions_compared']:,} actions of {c['players_compared']:,} players)"
        ),
    )
    lines = [head, rule]
    for label, cells, raw in rows:
        line = f"| {label} | " + " | ".join(cells)
        if len(modes) == 2:
            line += " | " + (_ratio(raw[0], raw[1]) if raw else "") + " |"
        else:
            line += " |"
        lines.append(line)
    return "\n".join(lines)


def targets(results: dict[str, dict], ceiling: dict | None) -> list[tuple[str, bool | None, str]]:
    """The issue's targets: (target, met?, the measurement)."""
    found = []
    b, d = results.get("buffered"), results.get("direct")
    if b:
        found.append(
            ("buffered: 0 errors through the spike", b["errors"] == 0, f"{b['errors']} errors")
        )
    if b and d:
        for key, label in (
            ("statements_per_action", "statements (whole spike, sign-ups included)"),
            ("hold.statements_per_action", "statements (hold: everyone signed up)"),
            ("wal_bytes_per_action", "WAL bytes (whole spike)"),
            ("hold.wal_bytes_per_action", "WAL bytes (hold)"),
        ):
            bv, dv = _pg(b, key), _pg(d, key)
            met = None if bv is None or dv is None else bv * 50 <= dv
            found.append(
                (
                    f"PostgreSQL {label} per action ≤ 1/50 of direct",
                    met,
                    f"{_n(bv, 3)} vs {_n(dv, 3)} ({_ratio(bv, dv)})",
                )
            )
    if b:
        pg = b["postgres"]
        found.append(
            (
                "buffered: peak PostgreSQL connections bounded by configuration",
                pg["peak_connections"] <= pg["connection_bound"],
                f"{pg['peak_connections']} ≤ {pg['connection_bound']} with {b['players']} players",
            )
        )
        push = b["push"]
        enough = push["sockets_peak"] >= 1000
        me, board = push["me"]["p95_s"], push["board"]["p95_s"]
        spread = (push.get("board_spread") or {}).get("p95_s")
        found.append(
            (
                "push latency p95 ≤ 1 s with ≥ 1,000 sockets open: the award's own news (`me`)",
                None if me is None else me <= 1.0 and enough,
                f"p95 {_n(me, 2)} s with {push['sockets_peak']:,} sockets",
            )
        )
        found.append(
            (
                "push latency p95 ≤ 1 s with ≥ 1,000 sockets open: board snapshots on every "
                "socket (coalesced: about one a second per board)",
                None if board is None else board <= 1.0 and enough,
                f"p95 {_n(board, 2)} s: the wait for the next snapshot (up to one interval, "
                f"0.9 s) plus the fan-out to every socket (p95 {_n(spread, 2)} s)",
            )
        )
    for mode, r in results.items():
        c = r["consistency"]
        found.append(
            (
                f"{mode}: check_consistency passes, every accepted action in PostgreSQL once",
                c["check_consistency"] and c["exactly_once"],
                f"{c['accepted_actions_compared']:,} actions, {c['players_mismatched']} players "
                f"differ, {c['players_uncertain']} players with unanswered requests",
            )
        )
    if ceiling and ceiling.get("ratio") is not None:
        found.append(
            (
                "PostgreSQL ceiling: buffered ≥ 50x direct",
                ceiling["ratio"] >= 50,
                f"{_n(ceiling['buffered']['ceiling'])} vs {_n(ceiling['direct']['ceiling'])} "
                f"actions/s ({ceiling['ratio']:,.0f}x)",
            )
        )
    return found


def _pg(result: dict, key: str):
    value = result["postgres"]
    for part in key.split("."):
        value = value[part]
    return value


def targets_table(found: list[tuple[str, bool | None, str]]) -> str:
    lines = ["| target | met | measured |", "|---|---|---|"]
    for label, met, measured in found:
        mark = "n/a" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {label} | {mark} | {measured} |")
    return "\n".join(lines)
