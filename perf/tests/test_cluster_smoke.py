"""The cluster benchmark runs end to end at its short size and measures every figure:
actions on both stores, the flush with 1, 2 and 4 flushers and its baseline, the board lag
and the push."""

import json

import pytest

from perf.tests.runner import run_bench

pytestmark = pytest.mark.live


def test_every_phase_runs_and_reports_sane_figures(tmp_path):
    # It empties REDIS_URL's database and starts its own cluster and single server.
    out = tmp_path / "cluster.json"
    completed = run_bench("perf.cluster", "--short", "--json", str(out), "--out", str(tmp_path))
    found = json.loads(out.read_text())

    for store in ("single", "cluster"):
        actions = found["actions"][store]
        assert actions["calls"] > 0 and set(actions["statuses"]) == {"ok"}
        assert 0 < actions["latency_ms"]["p50"] <= actions["latency_ms"]["p99"] < 1000
    assert [r["flushers"] for r in found["flush"]] == [1, 2, 4]
    for flush in found["flush"]:
        assert flush["events"] == flush["recorded"] > 0  # every recorded event written once
        assert len(flush["per_flusher_events"]) == flush["flushers"]
        assert flush["events_per_second"] > 0 and 0 < flush["pg_cpu_ms_per_event"] < 10
    for side in ("before", "after"):  # the baseline: both sides wrote every event, once
        assert len(found["baseline"][side]) == 1
        for baseline in found["baseline"][side]:
            assert baseline["written"] == baseline["events"] > 0
            assert 0 < baseline["pg_cpu_ms_per_event"] < 10
    push = found["push"]
    assert push["sockets"] == 40 and push["awards"] > 0
    assert push["board_unseen"] == 0 and push["push_unseen"] == 0
    for figure in ("board_lag_s", "push_s"):
        assert 0 < push[figure]["p50"] <= push[figure]["p95"] < 2.0
    assert set(push["cpu_cores"]) == {"websocket server", "board feeder"} and push["feeder"]
    assert "cluster/single: calls/s" in completed.stdout
    assert completed.stdout.count("| yes |") + completed.stdout.count("| **no** |") == 5
