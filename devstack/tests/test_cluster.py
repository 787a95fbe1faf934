"""The local cluster the live store's cluster tests and `make run-cluster` stand on: real
valkey-server processes, formed, faulted and stopped by devstack/cluster.py."""

import itertools
import socket
import threading
import time

import pytest
import redis
from redis.crc import key_slot

from devstack.cluster import SLOTS, local_cluster
from devstack.resp import call

pytestmark = pytest.mark.live

FAILOVER_DEADLINE = 10.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with local_cluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


def node_client(node, **options) -> redis.Redis:
    return redis.Redis(port=node.port, decode_responses=True, socket_timeout=1, **options)


def key_on(node, prefix: str = "k", *, avoid_slot: int | None = None) -> str:
    """A key whose slot `node` serves (and that is not in `avoid_slot`)."""
    for n in range(100_000):
        key = f"{{{prefix}{n}}}x"
        slot = key_slot(key.encode())
        if slot != avoid_slot and any(low <= slot <= high for low, high in node.slots):
            return key
    raise AssertionError(f"no key found for {node}")


def test_three_masters_and_three_replicas_cover_every_slot_with_the_live_stores_settings(
    cluster,
):
    assert len(cluster.masters) == 3
    assert len(cluster.replicas) == 3
    assert sorted(len(cluster.replicas_of(master)) for master in cluster.masters) == [1, 1, 1]
    served = sorted(slot_range for master in cluster.masters for slot_range in master.slots)
    assert served[0][0] == 0 and served[-1][1] == SLOTS - 1
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(served))
    for node in cluster.nodes:
        client = node_client(node)
        assert client.cluster("INFO")["cluster_state"] == "ok"
        settings = {
            name: client.config_get(name)[name]
            for name in (
                "cluster-enabled",
                "appendonly",
                "appendfsync",
                "cluster-require-full-coverage",
                "cluster-node-timeout",
                "maxmemory-policy",
            )
        }
        assert settings == {
            "cluster-enabled": "yes",
            "appendonly": "yes",
            "appendfsync": "everysec",
            "cluster-require-full-coverage": "no",
            "cluster-node-timeout": "3000",
            "maxmemory-policy": "noeviction",
        }
        if node.role == "replica":
            assert client.info("replication")["master_link_status"] == "up"
    with redis.RedisCluster.from_url(cluster.seed_url, decode_responses=True) as client:
        keys = {f"{{s{n}}}probe" for n in range(64)}  # spread over all three masters
        for key in keys:
            client.set(key, key)
        assert all(client.get(key) == key for key in keys)


def test_a_sharded_publish_reaches_the_subscriber_on_the_channels_shard(cluster):
    channel = "{s7}news"
    owner = cluster.master_of(key_slot(channel.encode()))
    subscriber = node_client(owner).pubsub()
    subscriber.ssubscribe(channel)
    assert subscriber.get_sharded_message(timeout=2)["type"] == "ssubscribe"
    with redis.RedisCluster.from_url(cluster.seed_url, decode_responses=True) as client:
        assert client.spublish(channel, "hello") == 1
    message = subscriber.get_sharded_message(timeout=2)
    assert (message["type"], message["channel"], message["data"]) == ("smessage", channel, "hello")
    subscriber.close()
    other = next(node for node in cluster.masters if node is not owner)
    with pytest.raises(redis.exceptions.MovedError):
        node_client(other).spublish(channel, "not here")


def test_a_shebang_script_is_refused_a_key_outside_its_declared_keys_slot(cluster):
    """The refusal the live store's scripts rely on. Both keys on one master, so the only
    thing that can refuse is the script check, not a redirection."""
    master = cluster.masters[0]
    client = node_client(master)
    declared = key_on(master, "a")
    undeclared = key_on(master, "b", avoid_slot=key_slot(declared.encode()))
    touch = "return redis.call('GET', ARGV[1])"
    with pytest.raises(redis.ResponseError, match="do not hash to the same slot"):
        client.eval(f"#!lua\n{touch}", 1, declared, undeclared)
    # The flag, and only the flag, lifts it; so do old-style scripts (no shebang).
    assert (
        client.eval(f"#!lua flags=allow-cross-slot-keys\n{touch}", 1, declared, undeclared) is None
    )
    assert client.eval(touch, 1, declared, undeclared) is None
    # The check is by slot, not by name: an undeclared key of the declared key's slot passes.
    same_slot = declared.replace("}x", "}y")
    assert client.eval(f"#!lua\n{touch}", 1, declared, same_slot) is None
    assert client.eval("#!lua\nreturn 1", 0) == 1


def test_a_stopped_node_answers_nothing_until_it_is_continued(cluster):
    replica = cluster.replicas[0]
    cluster.stop(replica)
    try:
        # devstack's client: one try, no retries, well inside the 3 s node timeout (longer,
        # and the others would mark the replica failed).
        with pytest.raises(socket.timeout):
            call(replica.port, "PING", timeout=0.5)
    finally:
        cluster.cont(replica)
    assert call(replica.port, "PING") == "PONG"
    cluster.wait_ready(timeout=5)


class Writers:
    """Writes to one key per master in a thread, every 20 ms, and counts the answers."""

    def __init__(self, masters) -> None:
        self.targets = [(node, node_client(node), key_on(node)) for node in masters]
        self.ok = {node.port: 0 for node in masters}
        self.errors: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            for node, client, key in self.targets:
                try:
                    client.incr(key)
                    self.ok[node.port] += 1
                except redis.RedisError as exc:
                    self.errors.append(f"{node}: {exc!r}")
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join(5)


def test_a_killed_master_is_replaced_by_its_replica_while_the_others_answer(tmp_path):
    with local_cluster(tmp_path) as cluster:
        victim, *others = cluster.masters
        (replica,) = cluster.replicas_of(victim)
        victim_key = key_on(victim)
        node_client(victim).set(victim_key, "before")
        node_client(victim).wait(1, 1000)  # on the replica before the kill
        with Writers(others) as writers:
            time.sleep(0.3)
            started = time.monotonic()
            cluster.kill(victim)
            promoted = cluster.wait_for_failover(victim, timeout=FAILOVER_DEADLINE)
            took = time.monotonic() - started
            time.sleep(0.3)

        assert promoted is replica
        assert took < FAILOVER_DEADLINE
        assert writers.errors == []
        assert all(count > took / 0.05 for count in writers.ok.values()), writers.ok
        assert promoted.role == "master" and promoted.slots == [(0, SLOTS // 3 - 1)]
        assert not victim.slots
        with redis.RedisCluster.from_url(cluster.seed_url, decode_responses=True) as client:
            assert client.get(victim_key) == "before"
            client.set(victim_key, "after")
            assert client.get(victim_key) == "after"

        # Back from its AOF, the old master follows the one that replaced it.
        cluster.restart(victim)
        assert (victim.role, victim.master_port, victim.slots) == ("replica", promoted.port, [])
