"""Every benchmark's report: the machine it ran on, percentiles, numbers, the targets as
one table; and the spike's Markdown report (both modes side by side, the ceiling)."""

import os
import platform
import subprocess
from pathlib import Path

import numpy as np

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
        "platform": platform.platform(),
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


def machine_lines(found: dict) -> list[str]:
    """The machine and what else ran on it, as the report's first lines."""
    load = ", ".join(f"{x:.2f}" for x in found["load_average_before"])
    lines = [
        f"Machine: {found['cpu']}, {found['cores']} cores, {found['memory']}; "
        f"load average before the run {load}."
    ]
    if found["other_processes"]:
        lines.append("Other test or benchmark processes running at the start:")
        lines += [f"    {p}" for p in found["other_processes"]]
    else:
        lines.append("No other test or benchmark process was running at the start.")
    return lines


# --------------------------------------------------------------------------- numbers


def percentiles(values, points=(50, 95, 99)) -> dict[str, float | None]:
    """{"p50": ..., ...}: numpy's (linear interpolation); None for each when empty."""
    if len(values) == 0:
        return {f"p{p}": None for p in points}
    found = np.percentile(np.asarray(values, dtype=float), points)
    return {f"p{p}": float(v) for p, v in zip(points, found, strict=True)}


def percentile(values, point: float) -> float | None:
    return percentiles(values, (point,))[f"p{point}"]


def number(value, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value:,}{unit}"


def ratio_text(a, b) -> str:
    if a is None or b is None or not b:
        return "n/a"
    return f"1/{b / a:,.0f}" if a and a < b else f"{a / b:,.2f}x"


# --------------------------------------------------------------------------- targets


def check(name: str, met: bool | None, value: str, target: str = "", **extra) -> dict:
    """One target: what it is (`target`: the bound, when `name` does not say it), whether
    it was met (None: not measurable in this run) and the measurement."""
    return {"name": name, "target": target, "value": value, "met": met, **extra}


def targets_table(checks: list[dict]) -> str:
    lines = ["| target | met | measured |", "|---|---|---|"]
    for found in checks:
        met = found["met"]
        mark = "n/a" if met is None else ("yes" if met else "**no**")
        label = f"{found['name']} {found['target']}".strip()
        lines.append(f"| {label} | {mark} | {found['value']} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the spike


class _Table:
    """Both modes side by side, one row per figure, with buffered / direct where asked."""

    def __init__(self, results: dict[str, dict]) -> None:
        self.results = results
        self.modes = [m for m in ("buffered", "direct") if m in results]
        # (label, its cells, the raw values when the row shows buffered / direct)
        self.rows: list[tuple[str, list[str], list | None]] = []

    def add(self, label, getter, fmt, ratio=False) -> None:
        values = [getter(self.results[m]) for m in self.modes]
        self.rows.append((label, [fmt(v) for v in values], values if ratio else None))

    def render(self) -> str:
        both = len(self.modes) == 2
        head = "| | " + " | ".join(self.modes) + (" | buffered / direct |" if both else " |")
        lines = [head, "|---" * (len(self.modes) + 1 + both) + "|"]
        for label, cells, raw in self.rows:
            line = f"| {label} | " + " | ".join(cells)
            if both:
                line += " | " + (ratio_text(raw[0], raw[1]) if raw else "") + " |"
            else:
                line += " |"
            lines.append(line)
        return "\n".join(lines)


def _fixed(digits: int):
    return lambda value: number(value, digits)


def _spread_and_samples(push: dict) -> str:
    return f"{number(push['p50_s'], 2)} / {number(push['p95_s'], 2)} ({push['samples']:,} samples)"


def table(results: dict[str, dict]) -> str:
    t = _Table(results)
    for rows in (_request_rows, _postgres_rows, _push_rows, _cpu_rows):
        rows(t)
    return t.render()


def _request_rows(t: _Table) -> None:
    t.add("players signed up", lambda r: r["players_signed_up"], number)
    t.add("load seconds", lambda r: r["load_seconds"], number)
    t.add("requests/s", lambda r: r["requests_per_second"], number, True)
    t.add(
        "actions/s (accepted, recorded an event)", lambda r: r["actions_per_second"], number, True
    )
    t.add("errors", lambda r: r["errors"], number)
    t.add("error rate", lambda r: r["error_rate"], lambda v: "n/a" if v is None else f"{v:.3%}")
    for name in ENDPOINT_ORDER:
        if all(name in t.results[m]["endpoints"] for m in t.modes):
            t.add(
                f"`{name}` p50 / p95 / p99 ms",
                lambda r, n=name: r["endpoints"][n],
                lambda e: " / ".join(number(e[p], 1) for p in ("p50", "p95", "p99")),
            )


def _postgres_rows(t: _Table) -> None:
    pg = lambda key: lambda r: r["postgres"][key]  # noqa: E731
    t.add("PG statements per action", pg("statements_per_action"), _fixed(3), True)
    t.add(
        "PG statements per action, sign-ups apart",
        pg("statements_per_action_without_sign_ups"),
        _fixed(3),
        True,
    )
    t.add("PG transactions per action", pg("transactions_per_action"), _fixed(3), True)
    t.add("PG WAL bytes per action", pg("wal_bytes_per_action"), _fixed(1), True)
    hold = lambda key: lambda r: r["postgres"]["hold"][key]  # noqa: E731
    t.add("hold (all signed up): actions/s", hold("actions_per_second"), number, True)
    t.add("hold: PG statements per action", hold("statements_per_action"), _fixed(3), True)
    t.add(
        "hold: PG transactions per action",
        hold("transactions_per_action"),
        _fixed(3),
        True,
    )
    t.add("hold: PG WAL bytes per action", hold("wal_bytes_per_action"), _fixed(1), True)
    t.add("PG lock-wait ms per action", pg("lock_wait_ms_per_action"), _fixed(3), True)
    t.add("PG peak lock waiters", pg("peak_lock_waiters"), number)
    t.add(
        "PG peak connections (configured bound)",
        lambda r: (r["postgres"]["peak_connections"], r["postgres"]["connection_bound"]),
        lambda v: f"{v[0]} ({v[1]})",
    )
    t.add(
        "Redis commands/s under load",
        lambda r: r["redis"]["commands_per_second_under_load"],
        number,
        True,
    )
    t.add(
        "flush lag max s (oldest unflushed event)",
        lambda r: r["flush_lag"]["max_seconds"],
        _fixed(1),
    )
    t.add("flush lag p95 s", lambda r: r["flush_lag"]["p95_seconds"], _fixed(1))


def _push_rows(t: _Table) -> None:
    t.add("websockets open (peak)", lambda r: r["push"]["sockets_peak"], number)
    t.add(
        "push board p50 / p95 s (all sockets)",
        lambda r: r["push"]["board"],
        _spread_and_samples,
    )
    t.add(
        "board snapshot fan-out p50 / p95 s (after the first socket)",
        lambda r: r["push"].get("board_spread"),
        lambda p: f"{number(p['p50_s'], 2)} / {number(p['p95_s'], 2)}" if p else "",
    )
    t.add(
        "push me p50 / p95 s (own socket)",
        lambda r: r["push"]["me"],
        _spread_and_samples,
    )


def _cpu_rows(t: _Table) -> None:
    groups = sorted({g for m in t.modes for g in t.results[m]["cpu_share"]})
    for group in groups:
        t.add(f"CPU {group} (cores)", lambda r, g=group: r["cpu_share"].get(g), _fixed(2))
    t.add("generator loop lag p95 ms", lambda r: r["generator"]["loop_lag_p95_ms"], _fixed(1))
    t.add(
        "check_consistency / exactly once",
        lambda r: r["consistency"],
        lambda c: (
            f"{'pass' if c['check_consistency'] else 'FAIL'} / "
            f"{'pass' if c['exactly_once'] else 'FAIL'} "
            f"({c['accepted_actions_compared']:,} actions of {c['players_compared']:,} players)"
        ),
    )


def targets(results: dict[str, dict], ceiling: dict | None) -> list[dict]:
    """The issue's targets for the spike and the ceiling (`check`s)."""
    found = []
    b, d = results.get("buffered"), results.get("direct")
    if b:
        found.append(
            check("buffered: 0 errors through the spike", b["errors"] == 0, f"{b['errors']} errors")
        )
    if b and d:
        found += _work_targets(b, d)
    if b:
        found += _buffered_targets(b)
    for mode, r in results.items():
        c = r["consistency"]
        found.append(
            check(
                f"{mode}: check_consistency passes, every accepted action in PostgreSQL once",
                c["check_consistency"] and c["exactly_once"],
                f"{c['accepted_actions_compared']:,} actions, {c['players_mismatched']} players "
                f"differ, {c['players_uncertain']} players with unanswered requests",
            )
        )
    if ceiling and ceiling.get("ratio") is not None:
        found.append(
            check(
                "PostgreSQL ceiling: buffered ≥ 50x direct",
                ceiling["ratio"] >= 50,
                f"{number(ceiling['buffered']['ceiling'])} vs "
                f"{number(ceiling['direct']['ceiling'])} actions/s ({ceiling['ratio']:,.0f}x)",
            )
        )
    return found


def _work_targets(b: dict, d: dict) -> list[dict]:
    found = []
    for key, label in (
        ("statements_per_action", "statements (whole spike, sign-ups included)"),
        ("hold.statements_per_action", "statements (hold: everyone signed up)"),
        ("wal_bytes_per_action", "WAL bytes (whole spike)"),
        ("hold.wal_bytes_per_action", "WAL bytes (hold)"),
    ):
        bv, dv = _pg(b, key), _pg(d, key)
        found.append(
            check(
                f"PostgreSQL {label} per action ≤ 1/50 of direct",
                None if bv is None or dv is None else bv * 50 <= dv,
                f"{number(bv, 3)} vs {number(dv, 3)} ({ratio_text(bv, dv)})",
            )
        )
    return found


def _buffered_targets(b: dict) -> list[dict]:
    pg, push = b["postgres"], b["push"]
    enough = push["sockets_peak"] >= 1000
    me, board = push["me"]["p95_s"], push["board"]["p95_s"]
    spread = (push.get("board_spread") or {}).get("p95_s")
    return [
        check(
            "buffered: peak PostgreSQL connections bounded by configuration",
            pg["peak_connections"] <= pg["connection_bound"],
            f"{pg['peak_connections']} ≤ {pg['connection_bound']} with {b['players']} players",
        ),
        check(
            "push latency p95 ≤ 1 s with ≥ 1,000 sockets open: the award's own news (`me`)",
            None if me is None else me <= 1.0 and enough,
            f"p95 {number(me, 2)} s with {push['sockets_peak']:,} sockets",
        ),
        check(
            "push latency p95 ≤ 1 s with ≥ 1,000 sockets open: board snapshots on every "
            "socket (coalesced: about one a second per board)",
            None if board is None else board <= 1.0 and enough,
            f"p95 {number(board, 2)} s: the wait for the next snapshot (up to one interval, "
            f"0.9 s) plus the fan-out to every socket (p95 {number(spread, 2)} s)",
        ),
    ]


def _pg(result: dict, key: str):
    value = result["postgres"]
    for part in key.split("."):
        value = value[part]
    return value


def ceiling_table(ceiling: dict) -> str:
    lines = [
        "| mode | step | actions/s | p50 / p95 ms | avg lock waiters | PG CPU ms per action "
        "| statements / transactions / WAL bytes per action |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in ceiling["direct"]["steps"]:
        lines.append(
            f"| direct | {s['writers']} writers | {s['actions_per_second']:,.0f} | "
            f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} | {s['avg_lock_waiters']:.2f} | "
            f"{s['postgres_cpu_ms_per_action']:.3f} | {_per(s)} |"
        )
    for s in ceiling["buffered"]["steps"]:
        lines.append(
            f"| buffered | batch {s['batch_size']:,} | {s['actions_per_second']:,.0f} | "
            f"{s['p50_batch_ms']:.0f} / {s['p95_batch_ms']:.0f} (per batch) | "
            f"{s['avg_lock_waiters']:.2f} | {s['postgres_cpu_ms_per_action']:.3f} | {_per(s)} |"
        )
    d, b = ceiling["direct"], ceiling["buffered"]
    lines += [
        "",
        f"Ceiling, direct ({d['budget']}): {number(d['ceiling'])} actions/s; buffered "
        f"({b['budget']}): {number(b['ceiling'])} actions/s; ratio "
        + (f"{ceiling['ratio']:,.0f}x." if ceiling.get("ratio") else "n/a."),
    ]
    return "\n".join(lines)


def _per(step: dict) -> str:
    statements = step["statements_per_action"]
    text = "n/a" if statements is None else f"{statements:.3f}"
    return f"{text} / {step['transactions_per_action']:.3f} / {step['wal_bytes_per_action']:,.0f}"


def write(
    out: Path, machine: dict, spike: dict | None, ceiling: dict | None, charts: Path | None, profile
) -> str:
    """report.md of a spike and/or ceiling run (charts beside it, or in `charts`)."""
    from perf import charts as charting  # matplotlib only when a report is written

    lines = [f"# Load test: profile {profile}", "", *machine_lines(machine), ""]
    if spike:
        lines += ["## The spike", "", table(spike["modes"]), ""]
        made = charting.spike_charts(
            spike["modes"], spike["profile"], charts or out, f"spike-{profile}"
        )
        lines += [f"![{p.stem}]({p})" for p in made] + [""]
    if ceiling:
        lines += ["## PostgreSQL's ceiling", "", ceiling_table(ceiling), ""]
        chart = charting.ceiling_chart(ceiling, charts or out, "ceiling.png")
        lines += [f"![ceiling]({chart})", ""]
    found = targets(spike["modes"] if spike else {}, ceiling)
    if found:
        lines += ["## Targets", "", targets_table(found), ""]
    text = "\n".join(lines)
    (out / "report.md").write_text(text)
    return text
