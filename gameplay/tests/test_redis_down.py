"""When Redis cannot take a write, the request answers 503 with Retry-After and nothing is
half-written anywhere."""

import pytest
from django.test import override_settings

from gameplay import live
from gameplay.models import LedgerEntry
from gameplay.tests.servers import redis_server
from pipeline import flush
from testkit.personas import client_for

pytestmark = pytest.mark.django_db


def test_a_gamified_action_answers_503_while_redis_is_down_and_records_nothing(alice, tmp_path):
    habit_id = client_for(alice).post("/api/habits", {"name": "Tea"}, format="json").json()["id"]
    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        server.kill()
        client = client_for(alice)
        started = client.post("/api/sessions", {"planned_minutes": 25}, format="json")
        checked = client.post(f"/api/habits/{habit_id}/check-ins")

        assert (started.status_code, checked.status_code) == (503, 503)
        assert started["Retry-After"] == "5"
        assert "nothing was recorded" in started.json()["detail"]

        server.start()
        assert flush.backlog()["pending"] == 0
        assert live.player_snapshot(player_id=alice.pk).points == 0
        assert client.post(f"/api/habits/{habit_id}/check-ins").status_code == 201
    assert LedgerEntry.objects.count() == 0
