"""The ledger benchmark runs at a tiny size, both sides write every event, and the lean
row is smaller than the old one."""

import json

import pytest

from perf.tests.runner import run_bench

pytestmark = pytest.mark.live

EVENTS = 2_000


def test_both_sides_flush_every_event_and_the_lean_row_is_smaller(tmp_path):
    out = tmp_path / "ledger.json"
    completed = run_bench(
        "perf.ledger", "--events", str(EVENTS), "--players", "100", "--rounds", "1",
        "--json", str(out),
    )  # fmt: skip
    rounds = {r["side"]: r for r in json.loads(out.read_text())}

    assert set(rounds) == {"before", "after"}
    assert all(r["written"] == r["events"] == EVENTS for r in rounds.values())
    assert rounds["after"]["ledger_bytes_per_event"] < rounds["before"]["ledger_bytes_per_event"]
    assert "median pg_cpu_ms_per_event" in completed.stdout
