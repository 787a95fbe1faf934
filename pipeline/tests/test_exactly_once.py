"""Nothing earned is lost or counted twice: flushers killed at every step, two flushers
at once, a real Celery worker and beat, and Redis killed and restarted from its AOF.

These tests start real processes (manage.py, celery) on the test databases, so their
data must be committed: they use `transactional_db`.
"""

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from gameplay import keys, live
from gameplay.models import LedgerEntry
from gameplay.tests.servers import ROOT, celery_worker, manage, project_env, redis_server
from habits.models import Habit
from pipeline import flush
from pipeline.consistency import consistency_drift
from testkit.actions import burst, focus_session, freeze_story
from testkit.personas import client_for, make_player

# On one server and on the suite's 3+3 cluster: a flusher killed mid-batch loses and doubles
# nothing on either store.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.live,
    pytest.mark.usefixtures("live_store"),
]


@pytest.fixture
def world(transactional_db):
    """Twenty players with a habit each and 400 pending events; five of them also earn,
    spend and get back a streak freeze on a second habit (55 events more)."""
    players = [make_player(f"player{i}") for i in range(20)]
    habits = {p.pk: Habit.objects.create(player=p, name="Stretch") for p in players}
    made = burst(players, habits, start=datetime.now(UTC) - timedelta(days=40), events=400)
    for player in players[:5]:
        walk = Habit.objects.create(player=player, name="Walk")
        made += freeze_story(player, walk, start=datetime.now(UTC) - timedelta(days=15))
    expected = {p.pk: live.player_snapshot(player_id=p.pk).points for p in players}
    return players, made, expected


def assert_exactly_once(players, made, expected):
    assert LedgerEntry.objects.count() == made
    for player in players:
        player.refresh_from_db()
        assert player.points == expected[player.pk]
    assert flush.backlog()["pending"] == 0
    check = manage("check_consistency")
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("step", ["before_transaction", "inside_transaction", "after_commit"])
def test_a_flusher_killed_at_any_step_loses_and_doubles_nothing(world, step):
    players, made, expected = world
    # A batch spans the shards the flusher claimed; killed after its first COMMIT, that
    # first batch (150 of the 400 events) is all that was written.
    first_batch = 150

    killed = manage("flush_counters", "--batch-size", "150", env=project_env(FLUSH_FAILPOINT=step))

    assert killed.returncode == -9
    written = LedgerEntry.objects.count()
    assert written == (first_batch if step == "after_commit" else 0)
    # The players the second flush moves: those with an event not written yet.
    written_ids = {str(i) for i in LedgerEntry.objects.values_list("event_id", flat=True)}
    waiting = {
        event["player"]
        for shard in {keys.shard_of(p.pk) for p in players}
        for _, fields in live.client().xrange(keys.stream(shard))
        for event in [json.loads(fields[b"e"])]
        if event["id"] not in written_ids
    }
    again = manage("flush_counters")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"Flushed {made - written} events for {len(waiting)} players."
    if step != "after_commit":
        assert len(waiting) == 20
    assert_exactly_once(players, made, expected)


def test_two_flushers_at_once_write_every_event_once(world):
    players, made, expected = world
    env = project_env(FLUSH_BATCH_SIZE="25")
    runners = [
        subprocess.Popen(
            [sys.executable, "manage.py", "flush_counters"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=120) for runner in runners]

    assert [runner.returncode for runner in runners] == [0, 0], outputs
    flushed = sum(int(out.split()[1]) for out, _ in outputs)
    assert flushed == made
    assert_exactly_once(players, made, expected)


def test_every_repeated_request_is_counted_once(transactional_db, alice):
    client = client_for(alice)
    habit_id = client.post("/api/habits", {"name": "Read"}, format="json").json()["id"]
    session = client.post("/api/sessions", {"planned_minutes": 5}, format="json").json()
    for _ in range(3):
        assert (
            client.post("/api/sessions", {"planned_minutes": 5}, format="json").status_code == 409
        )
    live.client().hset(
        keys.running_session(alice.pk),
        "started",
        live.micros(datetime.now(UTC) - timedelta(minutes=5)),
    )
    answers = [
        client.post(f"/api/sessions/{session['id']}/complete", {"focused_seconds": 300}).json()
        for _ in range(3)
    ]
    checks = [client.post(f"/api/habits/{habit_id}/check-ins").status_code for _ in range(3)]

    assert [a["points_awarded"] for a in answers] == [15, 15, 15]
    assert checks == [201, 200, 200]
    assert manage("flush_counters").returncode == 0
    alice.refresh_from_db()
    assert alice.points == 15 + 10
    assert LedgerEntry.objects.count() == 3  # start, completion, check-in
    # Repeats after the flush answer the first answer from the flushed row, byte for byte.
    live.client().delete(keys.session_result(alice.pk, session["id"]))
    late = client.post(f"/api/sessions/{session['id']}/complete", {"focused_seconds": 300}).json()
    assert late == answers[0]
    assert late["totals"]["points"] == 15 and late["new_badges"] == ["first_focus"]
    assert manage("check_consistency").returncode == 0


def test_a_real_celery_worker_and_beat_flush_within_the_interval(world, tmp_path):
    players, made, expected = world

    with celery_worker(beat_schedule=tmp_path / "beat-schedule", FLUSH_INTERVAL_SECONDS="1"):
        deadline = time.monotonic() + 60
        while LedgerEntry.objects.count() < made and time.monotonic() < deadline:
            time.sleep(0.25)

    assert_exactly_once(players, made, expected)


def test_a_flush_that_cannot_reach_postgres_leaves_everything_pending(world):
    players, made, expected = world
    env = project_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere?connect_timeout=2")

    failed = manage("flush_counters", env=env)

    assert failed.returncode != 0
    assert flush.backlog()["pending"] == made
    assert manage("flush_counters").returncode == 0
    assert_exactly_once(players, made, expected)


def test_redis_killed_after_the_fsync_restarts_from_its_aof_with_totals_intact(
    alice, bob, tmp_path
):
    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        now = datetime.now(UTC)
        focus_session(alice, start=now - timedelta(minutes=30))
        focus_session(bob, start=now - timedelta(minutes=30), planned=50, focused=1800)
        before = {p.pk: live.player_snapshot(player_id=p.pk) for p in (alice, bob)}
        pending = flush.backlog()["pending"]
        time.sleep(1.5)  # appendfsync everysec: the last write is on disk after a second

        server.kill()
        server.start()

        after = {p.pk: live.player_snapshot(player_id=p.pk) for p in (alice, bob)}
        assert after == before
        assert (before[alice.pk].points, before[bob.pk].points) == (35, 30)
        assert flush.backlog()["pending"] == pending == 4
        assert flush.flush_pending().events == 4
        assert consistency_drift() == []
