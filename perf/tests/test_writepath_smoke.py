"""The write-path benchmark runs end to end at a tiny size and reports every figure."""

import json
import shutil

import pytest

from perf.tests.runner import run_bench
from perf.writepath_targets import TARGETS

pytestmark = pytest.mark.live

MODES = ("buffered", "direct")
FLUSH_EVENTS = 1_000
ROUNDS = 2
CONNECTIONS = 4


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: `apt-get install -y wrk` (docs/benchmarks.md).")
    output = tmp_path_factory.mktemp("bench") / "writepath.json"
    # The benchmark works in a database of its own beside DATABASE_URL's and empties
    # REDIS_URL's database, as the tests do.
    completed = run_bench("perf.writepath", "--quick", "--output", str(output), timeout=280)
    assert "Targets" in completed.stdout
    return json.loads(output.read_text())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("endpoint", ["noop", "action"])
def test_each_load_reports_its_rate_and_latency_without_errors(report, mode, endpoint):
    load = report["modes"][mode][endpoint]["load"]

    assert load["requests"] >= 20
    assert load["errors"] == 0
    assert load["connections"] == CONNECTIONS
    assert load["requests_per_second"] == pytest.approx(load["requests"] / load["seconds"])
    assert 0 < load["p50_ms"] <= load["p90_ms"] <= load["p99_ms"] <= load["max_ms"]
    assert load["generator_cpu_seconds"] > 0


@pytest.mark.parametrize("mode", MODES)
def test_every_action_wrote_exactly_one_event_and_nothing_is_left_pending(report, mode):
    action = report["modes"][mode]["action"]

    # wrk stops counting at each round's deadline: up to one request per connection
    # still in flight then was served, and wrote its event, without being counted.
    assert action["load"]["requests"] <= action["events_written"]
    assert action["events_written"] <= action["load"]["requests"] + ROUNDS * CONNECTIONS
    assert action["pending_after"] == 0


def test_the_buffered_server_was_flushed_once_a_round(report):
    flush = report["modes"]["buffered"]["action"]["flush"]
    action = report["modes"]["buffered"]["action"]

    assert action["load"]["rounds"] == ROUNDS
    # One batch a round, however many live-store shards its events came from: the flusher
    # claims them all and a batch spans them (one transaction).
    assert flush["batches"] == ROUNDS <= flush["shards"]
    assert flush["events"] == action["events_written"]


def test_buffered_actions_cost_postgresql_a_fraction_of_direct_ones(report):
    buffered = report["modes"]["buffered"]["action"]["per_action_beyond_noop"]
    direct = report["modes"]["direct"]["action"]["per_action_beyond_noop"]
    buffered_events = report["modes"]["buffered"]["action"]["events_written"]

    # Both write every event (ledger, history rows); direct mode updates counters per
    # event on top.
    assert 1 <= buffered["rows_written"] < direct["rows_written"]
    for mode in MODES:
        assert report["modes"][mode]["action"]["per_action"]["wal_bytes"] > 0
    if report["postgres"]["statements_source"] == "pg_stat_statements":
        # Direct mode commits one transaction per action, buffered mode one per flush.
        assert direct["commits"] == 1
        assert buffered["commits"] == pytest.approx(ROUNDS / buffered_events)
        # A batch now sends about 14 statements (freezes, vacations, the dropped players'
        # anti-join) for the quick run's few dozen events a round.
        assert buffered["statements"] < 0.35
        assert direct["statements"] > 5
    else:
        # All transactions, reads included: direct mode's commit and the connection check
        # before it; a few more come from the servers reconnecting after each reading.
        assert direct["transactions"] > 0.9
        assert buffered["transactions"] < 0.1
        assert buffered["statements"] is None
        assert direct["statements"] is None


def test_the_flush_phase_flushes_every_event_it_made_consistently(report):
    flush = report["flush"]

    assert flush["pending"] == FLUSH_EVENTS
    assert flush["events"] == FLUSH_EVENTS
    assert flush["batches"] == 1 <= flush["shards"]  # one batch across the shards
    assert flush["events_per_second"] == pytest.approx(FLUSH_EVENTS / flush["seconds"])
    assert flush["drift"] == 0


def test_every_target_is_judged(report):
    names = [check["name"] for check in report["targets"]]

    assert names[-6:] == [
        "buffered: action/no-op latency p50",
        "buffered: action/no-op latency p99",
        "direct: action/no-op latency p50",
        "direct: action/no-op latency p99",
        "flush throughput, events/s",
        "Redis round trips: a weekly check-in / a daily one",
    ]
    assert "buffered/direct transactions per action" in names
    assert "buffered/direct WAL bytes per action" in names
    # Each verdict is the measurement held against its bound (the flush's ratio is to its
    # floor, the others to their ceilings), not a flag that could say anything.
    for check in report["targets"]:
        if check["name"].startswith("flush"):
            assert check["met"] is (check["ratio"] >= 1)
        elif check["name"].startswith("Redis round trips"):
            trips = report["check_in_round_trips"]
            assert check["met"] is (trips["weekly"] == trips["daily"] == 1)
        elif "latency" in check["name"]:
            assert check["met"] is (check["ratio"] <= TARGETS["latency_ratio_max"])
        else:
            assert check["met"] is (check["ratio"] <= TARGETS["work_ratio_max"])
