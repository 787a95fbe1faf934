"""Masters of the live store's cluster fail while players act, through the real HTTP API
(gunicorn), on the session's 3+3 cluster (testkit/cluster.py):

- a master SIGKILLed under load, players acting on every master and a Celery worker with
  beat flushing all along: its shards answer 503 with Retry-After until its replica is
  promoted, the others 200 throughout;
- a replica SIGSTOPped, then its master SIGKILLed: while the replica is stalled its
  master's actions answer 503 (WAIT 1 finds no replica), retries included, so nothing is
  answered that the promoted replica could lack.

Players act with habit check-ins (yesterday, then today: 10 + 12 points a habit) and
focus sessions (started, then completed with 5 focused seconds: a short session, 0
points). A client retries every 503 with the same request, which the API makes safe: a
repeated check-in answers 200 and awards nothing, a repeated start answers 409 with the
running session, a repeated completion answers the first answer. Whatever the fault,
every action answered is then in PostgreSQL once, with the rules' points, and
check_consistency passes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import redis

from accounts.models import User
from devstack.cluster import ClusterNode, LocalCluster, parse_cluster_nodes
from devstack.resp import call
from gameplay import keys, live, store
from gameplay.models import LedgerEntry
from gameplay.tests.servers import celery_worker, gunicorn, manage
from habits.models import CheckIn, Habit
from pipeline import flush
from sessions_app.models import FocusSession
from testkit.cluster import empty_masters, master_of_player
from testkit.personas import make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

HABITS = 3
POINTS_PER_HABIT = 10 + 12  # yesterday (a streak of 1), then today (a streak of 2)
THINK_SECONDS = 0.02  # between a player's actions: load, not a CPU-bound loop
RETRY_PAUSE = 0.05  # the test's clients retry at once; the pages honour Retry-After
# Once every node agrees on the promotion, each gunicorn worker learns it at its next
# topology refresh (at most every 0.5 s): its 503s end within this.
SETTLE_SECONDS = 2.0
OK = (200, 201)


@dataclass
class Answer:
    what: str
    sent: float  # time.monotonic()
    received: float
    status: int
    retry_after: str | None


class Player:
    """One player's API client; every request and its answer recorded."""

    def __init__(self, url: str, player: User, master: ClusterNode) -> None:
        self.player = player
        self.master = master  # the master of the player's shard when the test began
        self.answers: list[Answer] = []
        self.http = httpx.Client(
            base_url=url, timeout=30, headers={"Authorization": f"Token {player.auth_token.key}"}
        )
        today = player.actor.day(datetime.now(UTC))
        self.today, self.yesterday = today.isoformat(), (today - timedelta(days=1)).isoformat()
        self.habits = list(
            Habit.objects.filter(player=player).order_by("pk").values_list("pk", flat=True)
        )

    def send(self, what: str, path: str, body: dict) -> httpx.Response:
        sent = time.monotonic()
        response = self.http.post(path, json=body)
        self.answers.append(
            Answer(
                what,
                sent,
                time.monotonic(),
                response.status_code,
                response.headers.get("Retry-After"),
            )
        )
        return response

    def post(self, what: str, path: str, body: dict) -> httpx.Response:
        """The request until it is not answered 503: the same request each time."""
        while (response := self.send(what, path, body)).status_code == 503:
            time.sleep(RETRY_PAUSE)
        return response

    def answered(self, *, after: float = -1e9) -> list[Answer]:
        return [a for a in self.answers if a.status in OK and a.sent > after]


class PlayerLoad(Player):
    """A player acting in a thread until `stop` is set and each habit is checked in,
    yesterday then today, between focus sessions; every 503 retried."""

    def __init__(self, url: str, player: User, master: ClusterNode, stop: threading.Event):
        super().__init__(url, player, master)
        self.stop = stop
        self.todo = [(habit, day) for habit in self.habits for day in (self.yesterday, None)]
        self.sessions: list[str] = []  # completions answered, by id
        self.check_ins: list[tuple[int, str | None]] = []
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set() or self.todo:
                self.session()
                if self.todo:
                    self.check_in(*self.todo[0])
                    self.check_ins.append(self.todo.pop(0))
                time.sleep(THINK_SECONDS)
        except Exception as exc:  # the test reads it; a thread's exception is lost
            self.errors.append(repr(exc))
        finally:
            self.http.close()

    def session(self) -> None:
        started = self.post("start", "/api/sessions", {"planned_minutes": 5})
        # 409: a start answered 503 had run after all; its session is the one to complete.
        if started.status_code == 409:
            session_id = started.json()["running_session_id"]
        else:
            assert started.status_code == 201, started.text
            session_id = started.json()["id"]
        done = self.post("complete", f"/api/sessions/{session_id}/complete", {"focused_seconds": 5})
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["points_awarded"]) == ("completed", 0)
        self.sessions.append(session_id)

    def check_in(self, habit_id: int, day: str | None) -> None:
        body = {"date": day} if day else {}
        checked = self.post("check-in", f"/api/habits/{habit_id}/check-ins", body)
        # 200 (0 points): a check-in answered 503 had run after all, and this repeats it.
        assert checked.status_code in OK, checked.text
        if checked.status_code == 201:
            assert checked.json()["points_awarded"] == (10 if day else 12)
        else:
            assert checked.json()["points_awarded"] == 0


def players_on_every_master(cluster: LocalCluster, per_master: int) -> list[User]:
    """Players (each with HABITS habits) until every master serves `per_master` of them,
    in a day that starts 12 hours from now: no day boundary falls inside the test."""
    day_start_hour = (datetime.now(UTC).hour + 12) % 24
    chosen: dict[int, list[User]] = {node.port: [] for node in cluster.masters}
    n = 0
    while any(len(group) < per_master for group in chosen.values()):
        player = make_player(f"player{n}", day_start_hour=day_start_hour)
        n += 1
        group = chosen[master_of_player(cluster, player.pk).port]
        if len(group) < per_master:
            group.append(player)
            for index in range(HABITS):
                Habit.objects.create(player=player, name=f"Habit {index}")
    return [player for group in chosen.values() for player in group]


def start_loads(url: str, cluster: LocalCluster, players: list[User], stop: threading.Event):
    loads = [PlayerLoad(url, p, master_of_player(cluster, p.pk), stop) for p in players]
    threads = [threading.Thread(target=load.run, daemon=True) for load in loads]
    for thread in threads:
        thread.start()
    return loads, threads


def until(check, seconds: float, poll: float = 0.02) -> float:
    """Poll `check` until it holds (an error counts as not yet); the moment it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return time.monotonic()
        except (redis.RedisError, OSError):
            pass
        time.sleep(poll)
    raise AssertionError(f"not within {seconds} s")


def is_master(node: ClusterNode) -> bool:
    """What the node itself says (ROLE), on a connection of its own."""
    client = redis.Redis(port=node.port, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return client.execute_command("ROLE")[0] == b"master"
    finally:
        client.close()


def wait_for_the_flush(expected_events: int, seconds: float = 40.0) -> None:
    """Until the Celery beat's flush wrote every event and nothing is pending."""
    store.refresh_topology(force=True)  # this process's client, after the failover
    seen: list = []

    def flushed() -> bool:
        seen[:] = [LedgerEntry.objects.count(), flush.backlog()]
        return seen[0] == expected_events and seen[1]["pending"] == 0

    try:
        until(flushed, seconds, poll=0.25)
    except AssertionError:
        raise AssertionError(
            f"{expected_events} events expected; ledger, backlog: {seen}"
        ) from None


def assert_every_answer_once(loads: list[PlayerLoad]) -> None:
    """In PostgreSQL, each player's answered actions, once each, and the rules' points;
    the live totals the same; check_consistency passes."""
    for load in loads:
        player = load.player
        player.refresh_from_db()
        kinds = Counter(
            LedgerEntry.objects.filter(player_id=player.pk).values_list("kind", flat=True)
        )
        sessions = len(load.sessions)
        assert kinds == {
            "check_in": 2 * HABITS,
            "session_started": sessions,
            "session_short": sessions,
        }
        assert player.points == HABITS * POINTS_PER_HABIT
        assert live.player_snapshot(player_id=player.pk).points == HABITS * POINTS_PER_HABIT
        rows = FocusSession.objects.filter(player=player)
        assert sorted(str(pk) for pk in rows.values_list("pk", flat=True)) == sorted(load.sessions)
        assert set(rows.values_list("status", flat=True)) == {FocusSession.Status.COMPLETED}
        days = CheckIn.objects.filter(habit__player=player).values_list("habit_id", "day")
        assert sorted((h, d.isoformat()) for h, d in days) == sorted(
            (h, d or load.today) for h, d in load.check_ins
        )
    check = manage("check_consistency")
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_master_killed_under_load_fails_only_its_shards_until_its_replica_takes_over(
    cluster_store, tmp_path
):
    empty_masters()
    cluster = cluster_store
    players = players_on_every_master(cluster, per_master=3)
    victim = cluster.masters[0]
    (heir,) = cluster.replicas_of(victim)
    stop = threading.Event()
    with (
        gunicorn(workers=3, log=tmp_path / "web.log") as url,
        celery_worker(
            beat_schedule=tmp_path / "beat", log=tmp_path / "worker.log", FLUSH_INTERVAL_SECONDS="1"
        ),
    ):
        loads, threads = start_loads(url, cluster, players, stop)
        # The players are acting and the flush is writing when the master dies.
        until(lambda: all(len(load.answered()) >= 4 for load in loads), 30)
        until(lambda: LedgerEntry.objects.exists(), 30, poll=0.1)

        killed_at = time.monotonic()
        cluster.kill(victim)
        promoted_at = until(lambda: is_master(heir), 20)
        cluster.wait_for_failover(victim, timeout=20)
        agreed_at = time.monotonic()
        # Every player acts on a while after: the victim's shards answer again.
        until(lambda: all(load.answered(after=agreed_at + SETTLE_SECONDS) for load in loads), 20)
        stop.set()
        for thread in threads:
            thread.join(30)
        wait_for_the_flush(sum(2 * HABITS + 2 * len(load.sessions) for load in loads))

    assert [load.errors for load in loads] == [[] for _ in loads]
    hit = [load for load in loads if load.master.port == victim.port]
    spared = [load for load in loads if load.master.port != victim.port]
    assert (len(hit), len(spared)) == (3, 6)
    # The other masters' shards answered throughout, and they were acting meanwhile.
    for load in spared:
        assert {a.status for a in load.answers} <= set(OK), Counter(a.status for a in load.answers)
        assert [a for a in load.answered() if killed_at < a.sent and a.received < promoted_at]
    # The victim's shards: 503 with Retry-After from the kill until the clients learnt the
    # promotion, and nothing answered that was not on the promoted replica.
    refused = [a for load in hit for a in load.answers if a.status == 503]
    assert refused, "no request met the dead master"
    assert {a.retry_after for a in refused} == {"5"}
    assert all(killed_at < a.received < agreed_at + SETTLE_SECONDS for a in refused)
    for load in hit:
        assert all(a.received > promoted_at for a in load.answered(after=killed_at))
        assert load.answered(after=agreed_at + SETTLE_SECONDS)
        assert {a.status for a in load.answers} <= {*OK, 409, 503}
    assert_every_answer_once(loads)


def checked_on(c: Player, habit_id: int, day: str) -> bool:
    ordinal = date.fromisoformat(day).toordinal()
    return bool(live.client().sismember(keys.habit_days(c.player.pk, habit_id), str(ordinal)))


def failed_in_every_view(cluster: LocalCluster, node: ClusterNode) -> bool:
    """Every other reachable node flags `node` as failed (its node timeout passed)."""
    for other in cluster.nodes:
        if other is node or not other.reachable():
            continue
        view = parse_cluster_nodes(str(call(other.port, "CLUSTER", "NODES")))[node.node_id]
        if "fail" not in view.flags:
            return False
    return True


def test_a_stalled_replica_then_its_master_killed_loses_nothing_that_was_answered(
    cluster_store, tmp_path
):
    empty_masters()
    cluster = cluster_store
    players = players_on_every_master(cluster, per_master=2)
    victim = cluster.masters[1]
    (stalled,) = cluster.replicas_of(victim)
    with gunicorn(workers=3, log=tmp_path / "web.log") as url:
        clients = [Player(url, p, master_of_player(cluster, p.pk)) for p in players]
        hit = [c for c in clients if c.master.port == victim.port]
        spared = [c for c in clients if c.master.port != victim.port]
        # Acknowledged (on the master and its replica): yesterday's check-in and a start.
        sessions = {}
        for c in clients:
            first_habit, _ = c.habits[:2]
            checked = c.send(
                "check-in", f"/api/habits/{first_habit}/check-ins", {"date": c.yesterday}
            )
            assert (checked.status_code, checked.json()["points_awarded"]) == (201, 10)
            started = c.send("start", "/api/sessions", {"planned_minutes": 5})
            assert started.status_code == 201, started.text
            sessions[c.player.pk] = started.json()["id"]

        def later_actions(c: Player) -> list[tuple[str, str, dict]]:
            first_habit, second_habit = c.habits[:2]
            session_id = sessions[c.player.pk]
            return [
                ("check-in", f"/api/habits/{first_habit}/check-ins", {}),
                ("complete", f"/api/sessions/{session_id}/complete", {"focused_seconds": 5}),
                ("check-in", f"/api/habits/{second_habit}/check-ins", {"date": c.yesterday}),
            ]

        cluster.stop(stalled)
        try:
            # The stalled replica's master runs each action, but no replica confirms it
            # within LIVE_WAIT_TIMEOUT_MS: 503, so nothing is answered on one node alone;
            # and each retry (on any worker's connection) is 503 again.
            refused = []
            for c in hit:
                for action in later_actions(c):
                    refused += [c.send(*action), c.send(*action), c.send(*action)]
            # The other masters' shards go on answering.
            for c in spared:
                answers = [c.post(*action) for action in later_actions(c)]
                assert [a.status_code for a in answers] == [201, 200, 201]
            # Still so once the cluster has marked the replica failed.
            until(lambda: failed_in_every_view(cluster, stalled), 15, poll=0.1)
            for c in hit:
                refused += [c.send(*action) for action in later_actions(c)]
            # What the master holds and its replica does not: the unacknowledged actions.
            on_master_alone = [
                int(redis.Redis(port=victim.port).hget(keys.player(c.player.pk), "points"))
                for c in hit
            ]
            cluster.kill(victim)
        finally:
            cluster.cont(stalled)
        promoted = cluster.wait_for_failover(victim, timeout=30)

        assert [r.status_code for r in refused] == [503] * 2 * 12
        assert {r.headers["Retry-After"] for r in refused} == {"5"}
        assert on_master_alone == [10 + 12 + 0 + 10] * 2
        assert promoted is stalled
        # Every answered action is on the promoted replica. A refused one may be there too:
        # the master had sent it, and the stalled replica's socket kept it until it woke.
        store.refresh_topology(force=True)
        for c in hit:
            first_habit, second_habit = c.habits[:2]
            has = [
                checked_on(c, first_habit, c.yesterday),  # answered 201
                checked_on(c, first_habit, c.today),
                checked_on(c, second_habit, c.yesterday),
            ]
            session_id = sessions[c.player.pk]  # answered 201: running, or completed since
            completed = live.client().exists(keys.session_result(c.player.pk, session_id))
            running = live.client().hget(keys.running_session(c.player.pk), "sid")
            assert has[0] and (running == session_id.encode()) != bool(completed)
            points = live.player_snapshot(player_id=c.player.pk).points
            assert points == 10 + 12 * has[1] + 10 * has[2]
            # Each retry runs it once: as a first attempt, or as a repeat of the refused one.
            answers = [c.post(*action) for action in later_actions(c)]
            assert [(a.status_code, a.json()["points_awarded"]) for a in answers] == [
                (200, 0) if has[1] else (201, 12),
                (200, 0),  # a short session's completion: first or repeated, the same
                (200, 0) if has[2] else (201, 10),
            ]
        # Nothing else failed: only the victim's players met a 503.
        assert {a.status for c in spared for a in c.answers} == {200, 201}
        for c in clients:
            c.http.close()

    flushed = manage("flush_counters")
    assert flushed.returncode == 0, flushed.stderr
    assert (
        flushed.stdout.strip() == f"Flushed {5 * len(clients)} events for {len(clients)} players."
    )
    for c in clients:
        kinds = Counter(
            LedgerEntry.objects.filter(player_id=c.player.pk).values_list("kind", "points")
        )
        assert kinds == {
            ("check_in", 10): 2,
            ("check_in", 12): 1,
            ("session_started", 0): 1,
            ("session_short", 0): 1,
        }
        c.player.refresh_from_db()
        assert c.player.points == 32
    check = manage("check_consistency")
    assert check.returncode == 0, check.stdout + check.stderr
