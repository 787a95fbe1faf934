"""A Redis that is down or full answers 503 with Retry-After, pages included, and a
write PostgreSQL committed is never reported as a failure."""

import pytest
from django.test import Client, override_settings

from conftest import client_for
from gameplay import keys, live
from gameplay.tests.servers import redis_server
from habits.models import Habit

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
        assert redis.xlen(keys.STREAM) == 0
        # PostgreSQL committed the habit; the cache write after it is skipped, not an error.
        assert created.status_code == 201
        assert list(Habit.objects.values_list("name", flat=True).order_by("pk")) == ["Tea", "Walk"]

        redis.config_set("maxmemory", 0)  # memory freed: the app recovers by itself
        again = client.post(f"/api/habits/{habit_id}/check-ins", {}, format="json")
        assert again.status_code == 201
        assert again.json()["points_awarded"] == 10
