import time

import pytest
from django.test import override_settings

from gameplay.tests.servers import redis_server

pytestmark = pytest.mark.django_db


def test_healthz_reports_both_dependencies_ok(anon):
    response = anon.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["postgres"], body["redis"]) == ("ok", "ok", "ok")
    assert body["backlog"] == {"pending_events": 0, "oldest_age_seconds": None}


def test_healthz_says_whether_a_board_feeder_keeps_its_heartbeat(anon):
    from django_redis import get_redis_connection

    from gameplay import keys

    locks = get_redis_connection("default")
    locks.delete(keys.BOARD_FEEDER)
    assert anon.get("/healthz").json()["board_feeder"] is False

    locks.set(keys.BOARD_FEEDER, "a feeder", px=3000)
    try:
        response = anon.get("/healthz")
    finally:
        locks.delete(keys.BOARD_FEEDER)

    # Without a feeder the pusher feeds the boards: a fact for the operator, no problem.
    assert response.status_code == 200
    assert response.json()["board_feeder"] is True


def test_healthz_answers_503_when_redis_is_stopped(anon, tmp_path):
    with redis_server(tmp_path) as server, override_settings(CACHES=server.caches()):
        assert anon.get("/healthz").status_code == 200

        server.kill()
        response = anon.get("/healthz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["status"], body["postgres"]) == ("unavailable", "ok")
    assert body["redis"].startswith("error")
    assert body["board_feeder"] is None


def test_healthz_answers_503_when_the_oldest_unflushed_event_is_too_old(anon, settings):
    from gameplay import keys, live

    settings.HEALTH_MAX_BACKLOG_AGE_SECONDS = 50
    assert anon.get("/healthz").status_code == 200
    # An event the stream has held for two minutes: no flush has run since.
    two_minutes_ago = int((time.time() - 120) * 1000)
    live.client().xadd(keys.stream(3), {"e": "{}"}, id=f"{two_minutes_ago}-0")

    response = anon.get("/healthz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["status"], body["postgres"], body["redis"]) == ("unavailable", "ok", "ok")
    assert body["backlog"]["pending_events"] == 1
    assert 120 <= body["backlog"]["oldest_age_seconds"] < 130
    assert body["problems"] == [
        f"the oldest unflushed event is {body['backlog']['oldest_age_seconds']:.0f} s old "
        "(more than 50 s): is the flush running?"
    ]


def test_a_young_backlog_is_healthy(anon, settings):
    from gameplay import keys, live

    settings.HEALTH_MAX_BACKLOG_AGE_SECONDS = 50
    live.client().xadd(keys.stream(3), {"e": "{}"}, id=f"{int((time.time() - 40) * 1000)}-0")

    response = anon.get("/healthz")

    assert response.status_code == 200
    assert response.json()["problems"] == []


def test_healthz_answers_503_above_the_memory_share(anon, tmp_path, settings):
    settings.HEALTH_MAX_MEMORY_SHARE = 0.8
    with redis_server(tmp_path) as server, override_settings(CACHES=server.caches()):
        from gameplay import live

        used = int(live.client().info("memory")["used_memory"])
        live.client().config_set("maxmemory", used * 4)
        assert anon.get("/healthz").status_code == 200
        live.client().config_set("maxmemory", int(used * 1.1))

        response = anon.get("/healthz")

    assert response.status_code == 503
    assert "of its maxmemory (more than 80%)" in response.json()["problems"][0]
