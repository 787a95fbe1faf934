"""The load generator itself, on a tiny profile against the real stack (web, ws, worker,
beat under honcho from the Procfile), on the test servers: every figure of the report is
there and the run's accepted actions are in PostgreSQL exactly once."""

from dataclasses import replace

import pytest

from focusquest.env import database_from_url
from perf import databases
from perf import report as reports
from perf import stack as stacks
from perf.metrics import ACTIONS
from perf.profiles import profile_named
from perf.spike import DRAIN_TIMEOUT, connection_bound, run_mode

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]

ENDPOINTS = set(reports.ENDPOINT_ORDER)
GROUPS = {
    "web (gunicorn)",
    "ws (uvicorn)",
    "worker (celery)",
    "beat (celery)",
    "postgres",
    "redis",
    "load generator",
}


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One buffered spike of the smoke profile (about 40 s with the stack's start)."""
    from django.conf import settings

    services = stacks.Services(
        database_url=_database_url(), redis_url=settings.REDIS_URL, embedded=False
    )
    template = stacks.database_template(services, lambda message: None)
    profile = replace(profile_named("smoke"), hold_seconds=5)
    out = tmp_path_factory.mktemp("smoke")
    result = run_mode(
        services,
        mode="buffered",
        profile=profile,
        template=template,
        out_dir=out,
        tuning={},
        log=lambda message: None,
        settle=1.5,
    )
    yield profile, result
    # The run's databases sit beside the test database: leave none behind.
    base = services.database_url
    run = f"{database_from_url(base)['NAME']}{stacks.DATABASE_SUFFIX}_buffered"
    for name in (template, run):
        databases.database_drop(databases.database_url_named(base, name))


def _database_url() -> str:
    from django.conf import settings

    return settings.DATABASE_URL


def test_every_endpoint_has_its_latency_percentiles_and_no_errors(smoke_run):
    _profile, result = smoke_run
    assert set(result["endpoints"]) == ENDPOINTS
    for name, row in result["endpoints"].items():
        assert row["requests"] > 0, name
        assert 0 < row["p50"] <= row["p95"] <= row["p99"], name
    assert result["errors"] == 0, result["error_detail"]
    assert result["error_rate"] == 0.0
    assert result["requests_per_second"] > result["actions_per_second"] > 0
    # The smoke profile's sessions last seconds: every completion is a short session.
    assert set(result["actions_by_kind"]) == {
        "session_started",
        "session_short",
        "session_abandoned",
        "check_in",
    }
    assert sum(result["actions_by_kind"].values()) == result["actions"]


def test_postgres_redis_and_flush_figures_are_measured(smoke_run):
    profile, result = smoke_run
    pg = result["postgres"]
    assert pg["transactions"] > 0 and pg["transactions_per_action"] > 0
    assert pg["wal_bytes"] > 0 and pg["wal_bytes_per_action"] > 0
    if pg["statements_available"]:
        assert pg["statements"] > 0 and pg["statements_per_action"] > 0
        assert pg["top_statements"]
    else:  # a server without pg_stat_statements: said so, not guessed
        assert pg["statements"] is None and pg["statements_per_action"] is None
    # Waiting on locks is part of an action's time: never more than the whole load per action.
    assert 0 <= pg["lock_wait_ms_per_action"] <= profile.load_seconds * 1000
    # The steady part (everyone signed up) is measured apart, up to the end of the load.
    assert pg["hold"]["to_second"] == profile.load_seconds
    assert 0 < pg["hold"]["actions"] <= result["actions"]
    assert 1 <= pg["peak_connections"] <= pg["connection_bound"]
    assert pg["connection_bound"] == connection_bound(profile.web_concurrency)
    assert result["redis"]["commands_per_second_under_load"] > 0
    # Beat flushes every 5 s, so some event waited in the stream; all were flushed after.
    assert result["flush_lag"]["max_seconds"] > 0
    # Drained after the load ended, within the run's wait for the drain (which starts once
    # the load generator has stopped: a few seconds of slack).
    drained = result["flush_lag"]["drained_after_load_seconds"]
    assert drained is not None and 0 <= drained <= DRAIN_TIMEOUT + 10


def test_every_socket_opened_and_push_latencies_were_measured(smoke_run):
    profile, result = smoke_run
    push = result["push"]
    assert push["sockets_peak"] == profile.sockets
    assert push["socket_errors"] == {}
    for kind in ("board", "me"):
        assert push[kind]["samples"] > 0, kind
        assert 0 <= push[kind]["p50_s"] <= push[kind]["p95_s"] < 5, kind


def test_cpu_is_split_by_process_group(smoke_run):
    _profile, result = smoke_run
    assert set(result["cpu_seconds"]) == GROUPS
    assert result["cpu_seconds"]["web (gunicorn)"] > 0
    assert result["cpu_seconds"]["load generator"] > 0


def test_every_accepted_action_is_in_postgres_exactly_once(smoke_run):
    _profile, result = smoke_run
    consistency = result["consistency"]
    assert consistency["check_consistency"], consistency["check_consistency_output"]
    assert consistency["players_mismatched"] == 0, consistency["mismatch_examples"]
    assert consistency["players_compared"] == result["players_signed_up"]
    assert consistency["accepted_actions_compared"] == result["actions"]
    assert consistency["exactly_once"]


def test_the_timeline_covers_the_run_and_the_report_renders(smoke_run):
    profile, result = smoke_run
    timeline = result["timeline"]
    assert len(timeline) >= int(profile.load_seconds)
    assert sum(row["actions"] for row in timeline) == sum(
        len(v) for k, v in _latencies(result).items() if k in ACTIONS
    )
    assert any("flush_lag_s" in row for row in timeline)
    assert any("cpu" in row for row in timeline)
    table = reports.table({"buffered": result})
    for name in ENDPOINTS:
        assert f"`{name}`" in table
    assert "PG statements per action" in table


def _latencies(result: dict) -> dict[str, list]:
    return {name: [None] * row["requests"] for name, row in result["endpoints"].items()}
