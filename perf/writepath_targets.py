"""What a write-path run is judged by (its targets and how each is measured) and the
pieces of a run both the command (perf/writepath.py) and its phases (perf/phases.py) use.
A module of its own so that the phases need not import the command that runs them."""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from perf import loadgen, report

MODES = ("buffered", "direct")
TARGETS = {
    "work_ratio_max": 1 / 50,  # buffered PostgreSQL work per action / direct's
    "latency_ratio_max": 1.25,  # action p50 and p99 / no-op's, per mode
    "flush_events_per_second_min": 200_000,
}


def machine() -> dict:
    return {**report.machine(), "generator": loadgen.wrk_version()}


def one_in(value: float) -> str:
    if not value:
        return "0"
    return f"1/{1 / value:,.0f}" if value < 0.1 else f"1/{1 / value:.2f}"


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def targets(found: dict) -> list[dict]:
    """Each target of the issue, with its measured value (the work ratios use the
    action's own work: the token lookup every authenticated request makes is not it)."""
    buffered = found["modes"]["buffered"]["action"]["per_action_beyond_noop"]
    direct = found["modes"]["direct"]["action"]["per_action_beyond_noop"]
    # Transactions that wrote (COMMIT) where pg_stat_statements counts them, else all.
    transactions = "commits" if buffered["commits"] is not None else "transactions"
    checks = []
    for measure, label in (
        ("statements", "statements"),
        (transactions, "transactions"),
        ("wal_bytes", "WAL bytes"),
    ):
        value = ratio(buffered[measure], direct[measure])
        if value is None:
            continue
        checks.append(
            report.check(
                f"buffered/direct {label} per action",
                value <= TARGETS["work_ratio_max"],
                one_in(value),
                "≤ 1/50",
                ratio=value,
            )
        )
    for mode in MODES:
        for percentile in ("p50_ms", "p99_ms"):
            value = ratio(
                found["modes"][mode]["action"]["load"][percentile],
                found["modes"][mode]["noop"]["load"][percentile],
            )
            checks.append(
                report.check(
                    f"{mode}: action/no-op latency {percentile[:3]}",
                    value <= TARGETS["latency_ratio_max"],
                    f"{value:.2f}x",
                    "≤ 1.25x",
                    ratio=value,
                )
            )
    rate = found["flush"]["events_per_second"]
    checks.append(
        report.check(
            "flush throughput, events/s",
            rate >= TARGETS["flush_events_per_second_min"],
            f"{rate:,.0f}",
            "≥ 200,000",
            ratio=rate / TARGETS["flush_events_per_second_min"],
        )
    )
    checks.append(_round_trips_check(found["check_in_round_trips"]))
    return checks


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def flush_start() -> datetime:
    """The day of the flush phase's backlog: yesterday, so none of it is in the future."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=1)


def load_dict(load: loadgen.LoadResult) -> dict:
    return asdict(load)


def _round_trips_check(trips: dict[str, int]) -> dict:
    return report.check(
        "Redis round trips: a weekly check-in / a daily one",
        trips["weekly"] == trips["daily"] == 1,
        f"{trips['weekly']}/{trips['daily']}",
        "1/1",
        ratio=trips["weekly"] / trips["daily"],
    )
