"""The whole app on a live store that is a 3+3 cluster, as `make run-cluster` runs it: the
Procfile's web (gunicorn), ws (uvicorn, whose pusher subscribes per master) and worker
with beat (the flush), on the session's cluster (testkit/cluster.py), with REDIS_URL a
plain Redis. A player signs up and plays over HTTP and hears their news on the socket;
the flush writes it to PostgreSQL once."""

import time

import httpx
import pytest
from websockets.sync.client import connect

from gameplay.models import LedgerEntry
from gameplay.tests.servers import celery_worker, gunicorn, manage, websocket_server
from sessions_app.models import FocusSession
from testkit.cluster import empty_masters
from testkit.personas import PASSWORD
from testkit.sockets import receive_until

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def until(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def news_points(socket, points: int) -> dict:
    """The first `me` message on the socket that carries `points` (5 s at most)."""
    return receive_until(socket, lambda m: m["type"] == "me" and m["points"] == points, 5)


def test_a_player_plays_on_the_cluster_stack_and_the_flush_writes_it_once(cluster_store, tmp_path):
    empty_masters()  # the session's cluster: earlier tests' players are not this one's
    with (
        gunicorn(workers=1) as url,
        websocket_server() as ws,
        celery_worker(beat_schedule=tmp_path / "beat", FLUSH_INTERVAL_SECONDS="1"),
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        signup = http.post("/api/auth/register", json={"username": "ada", "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        player_id, token = signup.json()["id"], signup.json()["token"]
        http.headers["Authorization"] = f"Token {token}"
        with connect(
            f"{ws.url}/ws/leaderboard/",
            additional_headers={"Authorization": f"Token {token}"},
        ) as socket:
            habit = http.post("/api/habits", json={"name": "Stretch"}).json()
            checked = http.post(f"/api/habits/{habit['id']}/check-ins", json={})
            # The check-in's news, published in its shard's slot, reaches the socket.
            assert news_points(socket, 10)["rank"] == {"all": 1, "week": 1}
        session = http.post("/api/sessions", json={"planned_minutes": 5}).json()
        done = http.post(f"/api/sessions/{session['id']}/complete", json={"focused_seconds": 2})

        # Flushed (beat every second), then left to run twice more: still one row each.
        until(
            lambda: FocusSession.objects.filter(
                pk=session["id"], status=FocusSession.Status.COMPLETED
            ).exists()
        )
        time.sleep(2.5)
        ledger = sorted(
            LedgerEntry.objects.filter(player_id=player_id).values_list("kind", "points")
        )
        health = http.get("/healthz")
        board = http.get("/api/leaderboard").json()

    assert checked.status_code == 201, checked.text
    assert done.status_code == 200, done.text
    assert done.json()["points_awarded"] == 0  # 2 s focused: no whole minute
    # One row per event, each once: the check-in, the start, the short completion.
    assert ledger == [("check_in", 10), ("session_short", 0), ("session_started", 0)]
    assert FocusSession.objects.get(pk=session["id"]).status == FocusSession.Status.COMPLETED
    assert health.status_code == 200, health.json()["problems"]
    assert len(health.json()["live_store"]) == 6
    assert [(e["user_id"], e["points"]) for e in board["entries"]] == [(player_id, 10)]
    assert board["me"] == {"rank": 1, "points": 10}
    check = manage("check_consistency")
    assert check.returncode == 0, check.stdout + check.stderr
