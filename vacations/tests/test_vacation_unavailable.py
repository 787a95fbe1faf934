"""A live store that cannot take a vacation's change answers 503 with Retry-After, and
nothing of the change is written."""

import pytest
from django.test import override_settings

from gameplay import keys, live, store
from gameplay.tests.servers import redis_server
from testkit.personas import client_for

pytestmark = pytest.mark.django_db


def test_a_full_redis_refuses_a_vacation_with_503_and_writes_nothing(alice, clock, tmp_path):
    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        client = client_for(alice)
        held = client.post("/api/vacations", {"start": "2026-12-01", "end": "2026-12-05"})
        r = live.client()
        before = (r.hgetall(keys.vacations(alice.pk)), r.xlen(keys.stream(keys.shard_of(alice.pk))))
        r.config_set("maxmemory-policy", "noeviction")
        r.config_set("maxmemory", 1)  # every script that may write is refused (OOM)

        added = client.post("/api/vacations", {"start": "2026-12-10", "end": "2026-12-12"})
        removed = client.delete(f"/api/vacations/{held.json()['id']}")

        assert (added.status_code, removed.status_code) == (503, 503)
        assert added["Retry-After"] == removed["Retry-After"] == "5"
        r.config_set("maxmemory", 0)
        after = (r.hgetall(keys.vacations(alice.pk)), r.xlen(keys.stream(keys.shard_of(alice.pk))))
        assert after == before


def test_a_vacation_no_replica_acknowledged_answers_503(as_alice, clock, monkeypatch):
    def unacknowledged(call, key):
        raise store.ReplicaNotAcknowledged("no replica within 100 ms")

    monkeypatch.setattr(store, "run_acknowledged", unacknowledged)

    response = as_alice.post("/api/vacations", {"start": "2026-12-10", "end": "2026-12-12"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
