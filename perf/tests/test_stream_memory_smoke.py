"""The backlog-memory benchmark runs at a tiny size and its figures add up."""

import json

import pytest

from gameplay import live
from perf.tests.runner import run_bench

pytestmark = pytest.mark.live

PLAYERS = 50
EVENTS = 1_000
HOUR = 3600


def test_every_action_is_one_pending_event_and_the_bytes_per_event_are_sane():
    completed = run_bench(
        "perf.stream_memory", "--json", "--players", str(PLAYERS), "--events", str(EVENTS)
    )
    report = json.loads(completed.stdout)

    # One event per action, every one still in the stream (no flush ran), every one read.
    assert report["players"] == PLAYERS
    assert report["events"] == sum(report["kinds"].values()) == EVENTS
    assert report["xlen"] == report["events_read"] == EVENTS
    assert set(report["kinds"]) == {
        "check_in",
        "session_started",
        "session_completed",
        "session_abandoned",
    }
    # A session ends only after it started.
    finished = report["kinds"]["session_completed"] + report["kinds"]["session_abandoned"]
    assert 0 <= report["kinds"]["session_started"] - finished <= PLAYERS
    # Each finished session keeps its answer for repeats: one result key each.
    assert report["session_results"] == finished

    stream = report["stream_bytes_per_event"]
    assert 100 <= stream <= 2000
    assert stream == report["stream_memory_usage"] / EVENTS
    # The stream holds each event's JSON and its own bookkeeping; the whole Redis grew by
    # the stream and the live state the same actions wrote.
    assert 100 <= report["json_bytes_mean"] < stream
    growth = report["used_memory_after"] - report["used_memory_before"]
    assert report["redis_bytes_per_event"] == growth / EVENTS
    assert stream <= report["redis_bytes_per_event"] <= 4 * stream
    assert 0 < report["session_results_bytes"] < growth - report["stream_memory_usage"]
    per_hour = report["actions_per_second"] * HOUR
    assert report["stream_bytes_per_hour"] == pytest.approx(stream * per_hour)
    assert report["redis_bytes_per_hour"] == pytest.approx(growth / EVENTS * per_hour)

    # It used a Redis of its own: the tests' database is untouched.
    assert live.client().dbsize() == 0
