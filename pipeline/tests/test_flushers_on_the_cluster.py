"""Flushers on the session's 3+3 cluster (testkit/cluster.py): one SIGKILLed in the middle
of a batch while two others flush the other shards, then a fresh flusher; every event
reaches PostgreSQL once.

Each flusher is a process of its own running the beat task's flush (the Celery worker's
code, with its reclaim delay: a dead flusher's batch stays with it until then), held at a
gate until all three are ready, so that they start together. The doomed one has a
failpoint (FLUSH_FAILPOINT) that SIGKILLs it at a step of its first batch. The fresh
flusher is `flush_counters`, which reclaims at once what a dead flusher left.
"""

import socket
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from gameplay import keys, live
from gameplay.models import LedgerEntry
from gameplay.tests.servers import ROOT, manage, project_env
from habits.models import Habit
from pipeline import flush
from testkit.actions import burst
from testkit.cluster import empty_masters, master_of_player
from testkit.personas import make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PER_MASTER = 4
BATCH = 10
# The beat task's flush, once the test opens the gate.
GATED_FLUSH = (
    "import sys; from pipeline.tasks import flush_events; print('ready', flush=True); "
    "sys.stdin.readline(); print(flush_events(), flush=True)"
)


def gated_flushers(*envs: dict[str, str]) -> list[subprocess.Popen]:
    """One flusher per environment, started together, each ready at the gate."""
    flushers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", GATED_FLUSH],
            cwd=ROOT,
            env=project_env(FLUSH_BATCH_SIZE=str(BATCH), **env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    for flusher in flushers:
        assert flusher.stdout is not None
        assert flusher.stdout.readline().strip() == "ready", flusher.communicate()[1]
    return flushers


def open_gate(flushers: list[subprocess.Popen]) -> None:
    for flusher in flushers:
        assert flusher.stdin is not None
        flusher.stdin.write("go\n")
        flusher.stdin.flush()


def pending_of(consumer: str, shards: set[int]) -> dict[int, int]:
    """The flush group's entries each shard holds for `consumer`, by shard."""
    held = {}
    for shard in shards:
        summary = live.client().xpending(keys.stream(shard), keys.FLUSH_GROUP)
        for entry in summary["consumers"]:
            if entry["name"].decode() == consumer:
                held[shard] = int(entry["pending"])
    return held


@pytest.mark.parametrize("step", ["inside_transaction", "after_commit"])
def test_a_flusher_killed_mid_batch_while_others_flush_loses_and_doubles_nothing(
    cluster_store, step
):
    empty_masters()
    players = []
    on: Counter = Counter()
    while len(on) < 3 or min(on.values()) < PER_MASTER:
        player = make_player(f"player{len(players)}")
        players.append(player)
        on[master_of_player(cluster_store, player.pk).port] += 1
    habits = {p.pk: Habit.objects.create(player=p, name="Stretch") for p in players}
    made = burst(
        players, habits, start=datetime.now(UTC) - timedelta(days=90), events=30 * len(players)
    )
    expected = {p.pk: live.player_snapshot(player_id=p.pk).points for p in players}
    shards = {keys.shard_of(p.pk) for p in players}

    doomed, *others = gated_flushers({"FLUSH_FAILPOINT": step}, {}, {})
    open_gate([doomed, *others])
    assert doomed.wait(60) == -9  # killed at its failpoint, in its first batch
    running = [flusher.poll() is None for flusher in others]
    outputs = [flusher.communicate(timeout=120) for flusher in others]

    # The others were flushing when it died, and went on.
    assert running == [True, True]
    assert [flusher.returncode for flusher in others] == [0, 0], outputs
    flushed = sum(int(out.strip().splitlines()[-1]) for out, _ in outputs)
    # Its batch, one shard's (every shard's 30 events leave multiples of 10), waits in its
    # name in the flush group: the others do not reclaim it before the reclaim delay.
    held = pending_of(f"{socket.gethostname()}-{doomed.pid}", shards)
    assert list(held.values()) == [BATCH], held
    committed = BATCH if step == "after_commit" else 0
    written = LedgerEntry.objects.count()
    # What the others wrote, each event once: nearly all the rest (a shard a flusher found
    # held by another is left for its next run).
    assert flushed + committed == written
    assert 0 < flushed <= made - BATCH

    fresh = manage("flush_counters")

    assert fresh.returncode == 0, fresh.stderr
    # What was not written yet is new; the dead flusher's committed batch replays as nothing.
    assert fresh.stdout.startswith(f"Flushed {made - written} events for ")
    assert LedgerEntry.objects.count() == made
    for player in players:
        player.refresh_from_db()
        assert player.points == expected[player.pk]
    assert flush.backlog()["pending"] == 0
    check = manage("check_consistency")
    assert check.returncode == 0, check.stdout + check.stderr
