"""The pusher under faults, on real servers: gunicorn for the actions, uvicorn processes
(each runs a pusher; the one holding the leader lock pushes for all), the live store on
the session's 3+3 cluster (testkit/cluster.py). A player's socket hears their news within
the product's push targets through the faults: the pusher's process killed (another takes
over within 5 s and sends what the dead one never did), a master down (the other masters'
shards' news goes on; its own shards' news resumes after its replica's promotion)."""

import os
import signal
import time

import httpx
import pytest
import redis
from django_redis import get_redis_connection
from redis.crc import key_slot
from websockets.sync.client import connect

from accounts.models import User
from gameplay import keys
from gameplay.tests.servers import gunicorn, websocket_server
from habits.models import Habit
from testkit.cluster import empty_masters, master_of_player
from testkit.personas import make_player
from testkit.sockets import receive_until

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PUSH_SECONDS = 2.0  # the product: a push within 2 s of the action
TAKEOVER_SECONDS = 5.0
# Seconds of a master down with no replica to take over: past the few seconds the pusher's
# client tries to reconnect before it gives the connection up.
OUTAGE = 8
# After a failover, the first award on the promoted master's shards reaches the socket
# once the pusher has subscribed there (it re-reads the slot map every 2 s).
RESUME_SECONDS = 5.0


def until(check, seconds: float, poll: float = 0.05) -> float:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(poll)
    raise AssertionError(f"not within {seconds} s")


def me_with(points: int):
    return lambda message: message["type"] == "me" and message["points"] == points


def board_with(player: User, points: int):
    def wanted(message: dict) -> bool:
        entries = {e["user_id"]: e["points"] for e in message.get("entries", [])}
        return message["type"] == "leaderboard" and entries.get(player.pk) == points

    return wanted


class Actions:
    """The player's check-ins through the API, one habit after another (10 points each:
    every habit's first day)."""

    def __init__(self, url: str, player: User, habits: int) -> None:
        self.http = httpx.Client(
            base_url=url, timeout=30, headers={"Authorization": f"Token {player.auth_token.key}"}
        )
        self.habits = [Habit.objects.create(player=player, name=f"h{i}").pk for i in range(habits)]
        self.points = 0

    def check_in(self) -> int:
        """The next habit's check-in, retried through 503s; the player's new total."""
        habit = self.habits.pop(0)
        while (
            answer := self.http.post(f"/api/habits/{habit}/check-ins", json={})
        ).status_code == 503:
            time.sleep(0.1)
        assert (answer.status_code, answer.json()["points_awarded"]) == (201, 10), answer.text
        self.points += 10
        return self.points


def socket_of(player: User, url: str):
    return connect(
        f"{url}/ws/leaderboard/",
        additional_headers={"Authorization": f"Token {player.auth_token.key}"},
    )


def test_the_pushers_process_killed_another_takes_over_within_5_s(cluster_store, tmp_path):
    empty_masters()
    player = make_player("ada")
    locks = get_redis_connection("default")  # REDIS_URL, where the leader lock lives
    with gunicorn(workers=1) as url:
        actions = Actions(url, player, habits=3)
        with websocket_server(log=tmp_path / "ws-1.log") as first:
            # Alone, the first process's pusher takes the lock; the second cannot.
            until(lambda: locks.get(keys.PUSH_LEADER) is not None, 10)
            leader = locks.get(keys.PUSH_LEADER)
            with (
                websocket_server(log=tmp_path / "ws-2.log") as second,
                socket_of(player, second.url) as socket,
            ):
                receive_until(socket, me_with(0), PUSH_SECONDS)  # on connect
                # The leader's news reaches a socket of the other process.
                actions.check_in()
                receive_until(socket, me_with(10), PUSH_SECONDS)
                assert locks.get(keys.PUSH_LEADER) == leader

                os.killpg(first.process.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                # At once, while the dead pusher's lock still stands.
                actions.check_in()
                receive_until(socket, me_with(20), TAKEOVER_SECONDS)
                me_at = time.monotonic()
                receive_until(socket, board_with(player, 20), TAKEOVER_SECONDS)
                board_at = time.monotonic()
                # The survivor leads, and the next award's news comes at once.
                assert locks.get(keys.PUSH_LEADER) not in (None, leader)
                actions.check_in()
                receive_until(socket, me_with(30), PUSH_SECONDS)

    assert me_at - killed_at < TAKEOVER_SECONDS
    assert board_at - killed_at < TAKEOVER_SECONDS


def test_news_goes_on_while_a_master_is_down_and_resumes_on_its_shards_after_failover(
    cluster_store, tmp_path
):
    empty_masters()
    # Not the master of the global boards: while that one is down no `me` can carry ranks,
    # so everyone's news waits for its failover (it is kept, not lost).
    boards_master = cluster_store.master_of(key_slot(keys.BOARD_ALL.encode()))
    victim = next(node for node in cluster_store.masters if node is not boards_master)
    (heir,) = cluster_store.replicas_of(victim)
    players: dict[bool, User] = {}
    n = 0
    while len(players) < 2:  # one player on the victim, one on another master
        player = make_player(f"player{n}")
        n += 1
        players.setdefault(master_of_player(cluster_store, player.pk) is victim, player)
    hit, spared = players[True], players[False]
    with (
        gunicorn(workers=1) as url,
        websocket_server(log=tmp_path / "ws.log") as ws,
        socket_of(hit, ws.url) as hit_socket,
        socket_of(spared, ws.url) as spared_socket,
    ):
        hit_actions, spared_actions = Actions(url, hit, 3), Actions(url, spared, OUTAGE + 1)
        receive_until(hit_socket, me_with(0), PUSH_SECONDS)
        receive_until(spared_socket, me_with(0), PUSH_SECONDS)
        receive_until(hit_socket, me_with(hit_actions.check_in()), PUSH_SECONDS)

        # The master dies and, its replica held back from taking over, nothing replaces it
        # for a while: the pusher gives up its connection to it and hears the others.
        held_back = redis.Redis(port=heir.port, socket_timeout=2)
        held_back.config_set("cluster-replica-no-failover", "yes")
        try:
            cluster_store.kill(victim)
            for _ in range(OUTAGE):
                # Every other shard's news on time, before and after that.
                started = time.monotonic()
                receive_until(spared_socket, me_with(spared_actions.check_in()), PUSH_SECONDS)
                time.sleep(max(0.0, started + 1 - time.monotonic()))
        finally:
            held_back.config_set("cluster-replica-no-failover", "no")
            held_back.close()
        assert cluster_store.wait_for_failover(victim, timeout=30) is heir

        # The victim's shards: an award (retried through 503s until the web process
        # learns the promotion) is on its socket soon after, and the next on time.
        receive_until(hit_socket, me_with(hit_actions.check_in()), RESUME_SECONDS)
        receive_until(hit_socket, me_with(hit_actions.check_in()), PUSH_SECONDS)
        receive_until(spared_socket, me_with(spared_actions.check_in()), PUSH_SECONDS)
