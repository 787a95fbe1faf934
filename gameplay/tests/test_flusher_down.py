"""The flusher gone while players act: /healthz turns 503 once the oldest unflushed event
is older than HEALTH_MAX_BACKLOG_AGE_SECONDS, and back to 200 when a flusher drains the
backlog; the flush's consumers stay bounded."""

import time

import httpx
import pytest

from gameplay import keys, live
from gameplay.tests.servers import celery_worker, gunicorn
from pipeline import flush
from testkit.personas import make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

THRESHOLD_SECONDS = 3


def test_healthz_turns_503_while_the_flusher_is_down_and_200_once_it_drained(tmp_path):
    alice = make_player("alice", display_name="Alice")
    headers = {"Authorization": f"Token {alice.auth_token.key}"}
    with (
        gunicorn(workers=1, HEALTH_MAX_BACKLOG_AGE_SECONDS=str(THRESHOLD_SECONDS)) as url,
        httpx.Client(base_url=url, headers=headers, timeout=10) as http,
    ):
        habit = http.post("/api/habits", json={"name": "Stretch"}).json()
        started = time.monotonic()
        while time.monotonic() - started < THRESHOLD_SECONDS + 1.5:
            http.post(f"/api/habits/{habit['id']}/check-ins", json={})
            session = http.post("/api/sessions", json={"planned_minutes": 5}).json()
            http.post(f"/api/sessions/{session['id']}/abandon", json={})
            time.sleep(0.1)
        behind = http.get("/healthz")
        pending = flush.backlog()["pending"]

        assert behind.status_code == 503
        assert behind.json()["backlog"]["oldest_age_seconds"] > THRESHOLD_SECONDS
        assert "is the flush running?" in behind.json()["problems"][0]

        for _ in range(2):  # a worker that exits, then another: the consumers stay bounded
            with celery_worker(beat_schedule=tmp_path / "beat", FLUSH_INTERVAL_SECONDS="1"):
                deadline = time.monotonic() + 30
                while flush.backlog()["pending"] and time.monotonic() < deadline:
                    time.sleep(0.2)
                for _ in range(3):
                    http.post("/api/sessions", json={"planned_minutes": 5})
                    time.sleep(1.2)
        healthy = http.get("/healthz")

    assert pending > 2 * THRESHOLD_SECONDS
    assert healthy.status_code == 200, healthy.json()
    consumers = live.client().xinfo_consumers(
        keys.stream(keys.shard_of(alice.pk)), keys.FLUSH_GROUP
    )
    assert len(consumers) <= 2
