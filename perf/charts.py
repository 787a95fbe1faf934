"""PNG charts of a spike (both modes over time) and of the PostgreSQL ceiling."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on a server
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

COLORS = {"buffered": "tab:blue", "direct": "tab:red"}


def _series(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for row in rows:
        if row.get(key) is not None:
            xs.append(row["t"])
            ys.append(row[key])
    return xs, ys


def _smooth(ys: list[float], width: int = 3) -> list[float]:
    out = []
    for i in range(len(ys)):
        window = ys[max(0, i - width + 1) : i + 1]
        out.append(sum(window) / len(window))
    return out


def _phases(ax, profile: dict) -> None:
    quiet, ramp = profile["quiet_seconds"], profile["ramp_seconds"]
    end = quiet + ramp + profile["hold_seconds"]
    ax.axvspan(quiet, quiet + ramp, color="0.92", zorder=0)
    ax.axvline(end, color="0.5", linestyle=":", linewidth=1)


def spike_charts(results: dict[str, dict], profile: dict, out: Path, prefix: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    modes: list[str] = [m for m in ("buffered", "direct") if m in results]
    end = profile["quiet_seconds"] + profile["ramp_seconds"] + profile["hold_seconds"]
    return [
        _save(chart(results, modes, profile, end), out / f"{prefix}-{name}.png")
        for name, chart in (
            ("throughput", _throughput),
            ("latency", _latency),
            ("postgres", _postgres),
            ("cpu", _cpu),
        )
    ]


def _throughput(results: dict[str, dict], modes: list[str], profile: dict, end: float):
    """Actions and requests per second, and players arrived, through the spike."""
    fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
    _phases(ax, profile)
    for mode in modes:
        rows = [r for r in results[mode]["timeline"] if r["t"] <= end + 2]
        xs, ys = _series(rows, "actions")
        ax.plot(xs, _smooth(ys), color=COLORS[mode], label=f"{mode}: actions/s")
        xs, ys = _series(rows, "requests")
        ax.plot(
            xs,
            _smooth(ys),
            color=COLORS[mode],
            linestyle="--",
            alpha=0.6,
            label=f"{mode}: requests/s (all)",
        )
    players = results[modes[0]]["timeline"]
    twin = ax.twinx()
    xs, ys = _series([r for r in players if r["t"] <= end + 2], "players")
    twin.plot(xs, ys, color="0.3", linewidth=1, label="players arrived")
    twin.set_ylabel("players arrived")
    ax.set_xlabel("seconds since the spike began (shaded: the ramp)")
    ax.set_ylabel("per second (3 s moving average)")
    ax.set_title("Throughput through the spike")
    lines, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    ax.legend(lines + more, labels + more_labels, loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _latency(results: dict[str, dict], modes: list[str], profile: dict, end: float):
    """Action latency percentiles per second (log scale)."""
    fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
    _phases(ax, profile)
    for mode in modes:
        rows = [r for r in results[mode]["timeline"] if r["t"] <= end + 2]
        for key, style in (("p50_ms", "-"), ("p95_ms", "--"), ("p99_ms", ":")):
            xs, ys = _series(rows, key)
            ax.plot(
                xs,
                ys,
                color=COLORS[mode],
                linestyle=style,
                label=f"{mode}: {key.removesuffix('_ms')}",
            )
    ax.set_yscale("log")
    ax.set_xlabel("seconds since the spike began (shaded: the ramp)")
    ax.set_ylabel("latency of gamified actions, ms (log scale)")
    ax.set_title("Action latency through the spike (per second)")
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    ax.grid(alpha=0.3, which="both")
    return fig


def _postgres(results: dict[str, dict], modes: list[str], profile: dict, end: float):
    """Flush lag, PostgreSQL connections and lock waits over time."""
    fig, axes = plt.subplots(3, 1, figsize=(10, 9), dpi=110, sharex=True)
    for mode in modes:
        rows = results[mode]["timeline"]
        xs, ys = _series(rows, "flush_lag_s")
        axes[0].plot(xs, ys, color=COLORS[mode], label=mode)
        xs, ys = _series(rows, "connections")
        axes[1].plot(xs, ys, color=COLORS[mode], label=mode)
        xs, ys = _series(rows, "lock_wait_s")
        axes[2].plot(xs, _smooth(ys), color=COLORS[mode], label=mode)
    for ax in axes:
        _phases(ax, profile)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
    axes[0].set_ylabel("flush lag, s")
    axes[0].set_title("Oldest unflushed event, PostgreSQL connections and lock waits")
    axes[1].set_ylabel("PG connections")
    axes[1].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[2].set_ylabel("backends waiting\non a lock (avg)")
    axes[2].set_xlabel("seconds since the spike began (after the dotted line: drain)")
    return fig


def _cpu(results: dict[str, dict], modes: list[str], profile: dict, end: float):
    """CPU by process group, one panel per mode."""
    fig, axes = plt.subplots(
        len(modes), 1, figsize=(10, 4 * len(modes)), dpi=110, sharex=True, squeeze=False
    )
    for ax, mode in zip(axes[:, 0], modes, strict=True):
        rows = [r for r in results[mode]["timeline"] if "cpu" in r]
        groups = sorted({g for r in rows for g in r["cpu"]})
        xs = [r["t"] for r in rows]
        stacks = [_smooth([r["cpu"].get(g, 0.0) for r in rows]) for g in groups]
        if xs:
            ax.stackplot(xs, *stacks, labels=groups, alpha=0.85)
        ax.axhline(2.0, color="k", linewidth=0.8, linestyle="--")
        _phases(ax, profile)
        ax.set_ylabel("cores")
        ax.set_title(f"CPU by process group, {mode}")
        ax.legend(loc="upper left", fontsize=7, ncol=4)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("seconds since the spike began")
    return fig


def ceiling_chart(ceiling: dict, out: Path, name: str) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=110)
    direct = ceiling["direct"]["steps"]
    xs = [s["writers"] for s in direct]
    left.plot(
        xs,
        [s["actions_per_second"] for s in direct],
        "o-",
        color=COLORS["direct"],
        label="actions/s",
    )
    left.set_xscale("log", base=2)
    left.set_xlabel("concurrent writers (one transaction per action)")
    left.set_ylabel("actions/s", color=COLORS["direct"])
    twin = left.twinx()
    twin.plot(xs, [s["p95_ms"] for s in direct], "s--", color="0.3", label="p95 ms")
    twin.set_ylabel("p95 latency of one write, ms")
    twin.set_yscale("log")
    left.set_title("direct: the request's own write")
    left.grid(alpha=0.3)
    buffered = ceiling["buffered"]["steps"]
    xs = [s["batch_size"] for s in buffered]
    right.plot(xs, [s["actions_per_second"] for s in buffered], "o-", color=COLORS["buffered"])
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("flush batch size (events per transaction)")
    right.set_ylabel("actions/s absorbed", color=COLORS["buffered"])
    rtwin = right.twinx()
    rtwin.plot(xs, [s["p95_batch_ms"] for s in buffered], "s--", color="0.3")
    rtwin.set_ylabel("p95 time of one batch, ms")
    rtwin.set_yscale("log")
    right.set_title("buffered: the flush")
    right.grid(alpha=0.3, which="both")
    fig.suptitle("PostgreSQL's ceiling per write mode (no HTTP; the community row in play)")
    return _save(fig, out / name)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
