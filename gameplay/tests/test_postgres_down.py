"""PostgreSQL down for twenty seconds while a player acts: every action is still answered from
Redis, reads and pages that need PostgreSQL answer 503 with Retry-After, /healthz says so,
and once it is back the flush drains the backlog with every answered action in PostgreSQL
exactly once.

The app's processes (gunicorn, a Celery worker with beat) reach PostgreSQL through a link
the test cuts: to them the server is gone, connections refused and open ones reset."""

import time

import httpx
import pytest

from gameplay.models import LedgerEntry
from gameplay.tests.servers import celery_worker, gunicorn, manage, postgres_link, project_env
from pipeline import flush
from testkit.personas import make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# Twenty failed flushes at the worker's 1 s interval, each retrying the same batch.
DOWN_SECONDS = 20
ACTIONS_PER_SECOND = 20  # a player's pace, not a load test: the suite shares two cores


def test_actions_keep_being_answered_while_postgres_is_down(tmp_path):
    alice = make_player("alice", display_name="Alice")
    headers = {"Authorization": f"Token {alice.auth_token.key}"}
    with (
        postgres_link() as link,
        gunicorn(workers=2, DATABASE_URL=link.database_url) as url,
        celery_worker(
            beat_schedule=tmp_path / "beat",
            DATABASE_URL=link.database_url,
            FLUSH_INTERVAL_SECONDS="1",
        ),
        httpx.Client(base_url=url, headers=headers, timeout=10) as http,
    ):
        habit = http.post("/api/habits", json={"name": "Stretch"}).json()
        # Both workers have the token and the habit cached after a few requests each.
        for attempt in range(6):
            assert http.get("/api/me").status_code == 200
            # The first check-in of the day answers 201, each repeat 200.
            checked = http.post(f"/api/habits/{habit['id']}/check-ins", json={})
            assert checked.status_code == (201 if attempt == 0 else 200)

        link.down()
        answered, statuses = 0, []
        started = time.monotonic()
        while time.monotonic() - started < DOWN_SECONDS:
            session = http.post("/api/sessions", json={"planned_minutes": 5})
            done = http.post(f"/api/sessions/{session.json()['id']}/abandon", json={})
            statuses += [session.status_code, done.status_code]
            answered += 2
            time.sleep(2 / ACTIONS_PER_SECOND)
        history = http.get("/api/sessions")
        health = http.get("/healthz")
        page = http.get("/dashboard/", headers={"Accept": "text/html"})

        assert set(statuses) == {201, 200}, statuses
        assert (history.status_code, history.headers["Retry-After"]) == (503, "5")
        assert health.status_code == 503 and health.json()["postgres"].startswith("error")
        assert "postgres is unreachable" in health.json()["problems"]
        assert page.status_code == 302  # the login redirect needs no database
        assert flush.backlog()["pending"] >= answered  # waiting, not lost

        link.up()
        back = time.monotonic()
        deadline = back + 30
        while flush.backlog()["pending"] and time.monotonic() < deadline:
            time.sleep(0.25)
        assert flush.backlog()["pending"] == 0
        # The batch that failed is retried at once, not after the 60 s reclaim timeout.
        assert time.monotonic() - back < 15
        assert http.get("/api/sessions").status_code == 200

    # One check-in (the repeats were answered 200 and awarded nothing), and every session
    # started and abandoned while PostgreSQL was down, each exactly once.
    kinds = list(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds.count("check_in") == 1
    assert kinds.count("session_started") == kinds.count("session_abandoned") == answered // 2
    check = manage("check_consistency", env=project_env())
    assert check.returncode == 0, check.stdout + check.stderr
