"""The live store on a 3+3 cluster (testkit/cluster.py): its client, the server's refusal
of a script that crosses slots, WAIT 1 after each action, and a failover's 503s."""

import time
import uuid
from datetime import UTC, datetime

import pytest
import redis
from redis.commands.core import Script
from redis.crc import key_slot

from devstack.processes import free_port
from focusquest.api import exception_handler
from focusquest.unavailable import unavailable_dependency
from gameplay import live, store
from testkit.cluster import key_on, master_of_player, replica_client
from testkit.personas import make_player

pytestmark = pytest.mark.live

# The retries a test allows itself while the client learns a new topology.
SETTLE_SECONDS = 5.0

SET_AND_READ = Script(
    None,  # type: ignore[arg-type]
    b"#!lua\nredis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('GET', KEYS[1])",
)
READ_ONLY = Script(None, b"#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])")  # type: ignore[arg-type]


def set_call(key: str, value: str) -> store.ScriptCall:
    return store.ScriptCall(SET_AND_READ, (key,), (value,))


def test_the_cluster_client_runs_a_single_slot_script(cluster_store):
    client = store.client()
    assert isinstance(client, redis.RedisCluster)

    reply = client.eval(
        "#!lua\nredis.call('SET', KEYS[1], 'a')\nredis.call('SET', KEYS[2], 'b')\n"
        "return redis.call('MGET', KEYS[1], KEYS[2])",
        2,
        "{one}:a",
        "{one}:b",
    )

    assert reply == [b"a", b"b"]


def test_the_server_refuses_a_script_that_crosses_slots(cluster_store):
    # redis-py refuses cross-slot keys before sending; the node's own client does not, so
    # this is the server's refusal (on for every `#!lua` script in cluster mode).
    first, second = "{x}:a", "{y}:b"
    assert key_slot(b"x") != key_slot(b"y")
    cluster = store.cluster_client()
    node = store.cluster_client().get_redis_connection(cluster.get_node_from_key(first))
    script = "#!lua\nredis.call('SET', KEYS[1], 1)\nreturn redis.call('SET', KEYS[2], 1)"

    with pytest.raises(redis.exceptions.ClusterCrossSlotError):
        node.eval(script, 2, first, second)
    assert store.client().exists(first) == 0  # refused before it ran
    # A key the script did not declare, of another slot, is refused as it is touched.
    undeclared = "#!lua\nreturn redis.call('SET', '{y}:b', 1)"
    with pytest.raises(redis.ResponseError, match="slot"):
        node.eval(undeclared, 1, first)
    assert store.client().exists(second) == 0


def test_an_action_returns_once_its_replica_has_it(cluster_store):
    master = cluster_store.masters[0]
    key = key_on(master, "ack")
    assert store.replicas_expected() and store.replicas_expected(f"127.0.0.1:{master.port}")

    assert store.run_acknowledged(set_call(key, "1"), key) == b"1"

    (replica,) = cluster_store.replicas_of(master)
    assert replica_client(replica).get(key) == b"1"  # WAIT 1 returned: the replica has it


def test_a_stalled_replica_makes_the_action_unacknowledged_then_503(cluster_store, settings):
    settings.LIVE_WAIT_TIMEOUT_MS = 100
    master = cluster_store.masters[1]
    key = key_on(master, "stall")
    store.run_acknowledged(set_call(key, "0"), key)  # the script is loaded, the map read
    (replica,) = cluster_store.replicas_of(master)
    cluster_store.stop(replica)
    try:
        started = time.monotonic()
        with pytest.raises(store.ReplicaNotAcknowledged) as caught:
            store.run_acknowledged(set_call(key, "1"), key)
        assert time.monotonic() - started < 1.0  # the WAIT's timeout, not a socket's

        # A script that writes nothing has nothing to acknowledge.
        assert store.run_acknowledged(store.ScriptCall(READ_ONLY, (key,), ()), key) == b"1"
        # Other masters' replicas answer: their actions are acknowledged as ever.
        other = key_on(cluster_store.masters[2], "stall")
        assert store.run_acknowledged(set_call(other, "1"), other) == b"1"
    finally:
        cluster_store.cont(replica)

    assert unavailable_dependency(caught.value) == "redis"
    response = exception_handler(caught.value, {"view": None})
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "5"
    cluster_store.wait_ready()
    assert store.run_acknowledged(set_call(key, "2"), key) == b"2"


def eventually_runs(key: str, value: str, within: float = SETTLE_SECONDS) -> bytes:
    """run_acknowledged until it answers: each 503 refreshes the client's topology."""
    deadline = time.monotonic() + within
    while True:
        try:
            return store.run_acknowledged(set_call(key, value), key)
        except store.LiveStoreUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_dead_master_fails_its_slots_only_until_its_replica_takes_over(cluster_store):
    victim, *others = cluster_store.masters
    keys = {node.port: key_on(node, "fail") for node in cluster_store.masters}
    for key in keys.values():
        assert store.run_acknowledged(set_call(key, "before"), key) == b"before"

    cluster_store.kill(victim)
    dead_key = keys[victim.port]
    # Until the cluster notices (3 s) and promotes the replica, every action of its slots
    # answers 503, however many times it is tried, while the other masters keep serving.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        with pytest.raises(store.SlotUnavailable) as caught:
            store.run_acknowledged(set_call(dead_key, "during"), dead_key)
        assert unavailable_dependency(caught.value) == "redis"
        for node in others:
            key = keys[node.port]
            assert store.run_acknowledged(set_call(key, "during"), key) == b"during"
        time.sleep(0.2)

    promoted = cluster_store.wait_for_failover(victim)

    assert eventually_runs(dead_key, "after") == b"after"
    assert store.client().get(dead_key) == b"after"
    # The new master has no replica (its old master is dead): it answers without WAIT.
    assert not store.replicas_expected(f"127.0.0.1:{promoted.port}")
    for node in others:
        assert store.run_acknowledged(set_call(keys[node.port], "x"), keys[node.port]) == b"x"


def test_a_process_finds_the_cluster_from_any_seed_while_the_first_is_down(cluster_store, settings):
    # A process that starts during a failover of its one seed node could never reach the
    # cluster: LIVE_REDIS_URL names several seeds, and the client starts from one that
    # answers.
    down = f"redis://127.0.0.1:{free_port()}/0"
    settings.LIVE_REDIS_URL = f"{down}, {cluster_store.seed_urls}"
    assert store.cluster_seeds(settings.LIVE_REDIS_URL) == (
        down,
        [("127.0.0.1", node.port) for node in cluster_store.nodes],
    )
    store.reset()

    key = key_on(cluster_store.masters[2], "seed")
    assert store.run_acknowledged(set_call(key, "1"), key) == b"1"
    settings.LIVE_REDIS_URL = down
    store.reset()
    with pytest.raises(redis.RedisClusterException, match="cannot be connected"):
        store.cluster_client()


@pytest.mark.django_db
def test_a_repeat_is_answered_only_once_the_action_it_repeats_is_on_a_replica(cluster_store):
    # A repeat writes nothing, so WAIT on a connection that did not run the original waited
    # for nothing: the retry of an action answered 503 (its replica stalled) was answered
    # "already done" while the action lived on the master alone, which a failover then loses.
    player = make_player("ada")
    actor = player.actor
    master = master_of_player(cluster_store, player.pk)
    (replica,) = cluster_store.replicas_of(master)
    now = datetime.now(UTC)
    today = actor.day(now)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())

    def start(session_id: str) -> live.Outcome:
        return live.session_start(
            actor=actor, session_id=session_id, planned_minutes=5, habit_id=None, now=now
        )

    def complete() -> live.Outcome:
        return live.session_finish(
            actor=actor, session_id=first, action="complete", focused_seconds=0, now=now
        )

    def check_in() -> live.Outcome:
        return live.check_in(actor=actor, habit_id=1, day=today, today=today, now=now)

    # An action and its retry, on another connection (as from another process): the
    # second start meets the first, which is on the master only, so no 409 naming it yet.
    tries = [
        ("start", lambda: start(first), lambda: start(second)),
        ("completion", complete, complete),
        ("check-in", check_in, check_in),
    ]
    cluster_store.stop(replica)
    try:
        for name, act, retry in tries:
            with pytest.raises(store.ReplicaNotAcknowledged):
                act()
            store.reset()
            with pytest.raises(store.ReplicaNotAcknowledged):
                print(f"the {name}'s retry was answered:", retry())
    finally:
        cluster_store.cont(replica)
    cluster_store.wait_ready()

    # With the replica back, the retries are answered from what the master had run.
    assert complete().status == check_in().status == live.Status.REPEAT
