"""A Redis that is down or full answers 503 with Retry-After, pages included, and a
write PostgreSQL committed is never reported as a failure."""

import subprocess
import sys

import pytest
import redis
from django.test import Client, override_settings

from gameplay import boards, keys, live, safety
from gameplay.tests.servers import ROOT, project_env, redis_server
from habits.models import Habit
from pipeline import flush
from pipeline.consistency import consistency_drift
from testkit.personas import client_for

pytestmark = pytest.mark.django_db


def test_the_dashboard_answers_503_with_retry_after_while_redis_is_down(alice, tmp_path):
    browser = Client()
    browser.force_login(alice)
    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        assert browser.get("/dashboard/").status_code == 200
        server.kill()

        page = browser.get("/dashboard/")

    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert "Back in a moment" in page.content.decode()


def test_a_full_redis_refuses_actions_with_503_and_creates_each_habit_once(alice, tmp_path):
    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        client = client_for(alice)
        habit_id = client.post("/api/habits", {"name": "Tea"}, format="json").json()["id"]
        redis = live.client()
        redis.config_set("maxmemory-policy", "noeviction")
        redis.config_set("maxmemory", 1)  # every write that needs memory is refused (OOM)

        checked = client.post(f"/api/habits/{habit_id}/check-ins", {}, format="json")
        started = client.post("/api/sessions", {"planned_minutes": 25}, format="json")
        created = client.post("/api/habits", {"name": "Walk"}, format="json")

        assert (checked.status_code, started.status_code) == (503, 503)
        assert checked["Retry-After"] == started["Retry-After"] == "5"
        assert "nothing was recorded" in checked.json()["detail"]
        assert sum(redis.xlen(keys.stream(n)) for n in keys.shards()) == 0
        # PostgreSQL committed the habit; the cache write after it is skipped, not an error.
        assert created.status_code == 201
        assert list(Habit.objects.values_list("name", flat=True).order_by("pk")) == ["Tea", "Walk"]

        redis.config_set("maxmemory", 0)  # memory freed: the app recovers by itself
        again = client.post(f"/api/habits/{habit_id}/check-ins", {}, format="json")
        assert again.status_code == 201
        assert again.json()["points_awarded"] == 10
        flush.flush_pending(reclaim_idle_seconds=0)
        assert consistency_drift() == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "value", "line"),
    [
        (
            "appendonly",
            "no",
            "FocusQuest refuses to start: The live store's Redis runs without AOF "
            "(appendonly no): set appendonly yes and appendfsync everysec, or it loses "
            "answered actions on a restart.",
        ),
        (
            "maxmemory-policy",
            "allkeys-lru",
            "FocusQuest refuses to start: The live store's Redis evicts keys "
            "(maxmemory-policy allkeys-lru): set maxmemory-policy noeviction, or it may "
            "drop points and running sessions.",
        ),
    ],
)
def test_the_servers_refuse_a_live_store_that_can_lose_points(tmp_path, setting, value, line):
    with redis_server(tmp_path / "redis") as server:
        redis.Redis(unix_socket_path=str(server.socket_path)).config_set(setting, value)
        env = project_env(REDIS_URL=server.url, LIVE_STORE_ALLOW_UNSAFE="false")
        for module in ("focusquest.wsgi", "focusquest.asgi"):
            started = subprocess.run(
                [sys.executable, "-c", f"import {module}"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )

            assert started.returncode == 1
            assert started.stderr.strip().splitlines()[-1] == line


def test_healthz_names_an_unsafe_live_store(anon, tmp_path, settings):
    settings.LIVE_STORE_ALLOW_UNSAFE = False
    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        assert anon.get("/healthz").status_code == 200
        live.client().config_set("maxmemory-policy", "volatile-lru")

        response = anon.get("/healthz")

    assert response.status_code == 503
    assert "maxmemory-policy volatile-lru" in response.json()["problems"][0]


def test_the_flush_drains_the_stream_of_a_full_redis(alice, tmp_path):
    from gameplay.models import LedgerEntry

    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        client = client_for(alice)
        habit_id = client.post("/api/habits", {"name": "Tea"}, format="json").json()["id"]
        assert (
            client.post(f"/api/habits/{habit_id}/check-ins", {}, format="json").status_code == 201
        )
        boards.ensure_groups([keys.shard_of(alice.pk)])
        redis = live.client()
        redis.config_set("maxmemory-policy", "noeviction")
        redis.config_set("maxmemory", 1)

        report = flush.flush_pending(reclaim_idle_seconds=0)

        assert report.events == 1
        assert sum(redis.xlen(keys.stream(n)) for n in keys.shards()) == 0
        assert LedgerEntry.objects.filter(player=alice).count() == 1


def test_the_cache_may_live_on_an_evicting_redis_beside_a_safe_live_store(alice, tmp_path):
    with (
        redis_server(tmp_path / "live") as live_server,
        redis_server(tmp_path / "cache") as cache_server,
    ):
        cache_redis = redis.Redis(unix_socket_path=str(cache_server.socket_path))
        cache_redis.config_set("maxmemory-policy", "allkeys-lru")
        caches = {"default": cache_server.caches()["default"], "live": live_server.caches()["live"]}
        with override_settings(CACHES=caches, LIVE_STORE_ALLOW_UNSAFE=False):
            assert safety.store_safety_problem() is None  # only the live store must keep all
            client = client_for(alice)
            habit_id = client.post("/api/habits", {"name": "Tea"}, format="json").json()["id"]
            checked = client.post(f"/api/habits/{habit_id}/check-ins", {}, format="json")

            assert checked.status_code == 201
            live_keys = {k.decode() for k in live.client().keys("*")}
            cache_keys = {k.decode() for k in cache_redis.keys("*")}
            assert keys.stream(keys.shard_of(alice.pk)) in live_keys
            assert not any("auth:token:" in k for k in live_keys)
            assert any("auth:token:" in k for k in cache_keys)
            assert keys.stream(keys.shard_of(alice.pk)) not in cache_keys
