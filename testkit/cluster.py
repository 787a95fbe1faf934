"""The live store on a real 3+3 Valkey cluster, for the tests that need one (a pytest
plugin the root conftest.py loads; the cluster starts only when a test asks for it).

`live_cluster` is one cluster for the whole session (forming one takes seconds), under the
session's tmp directory: a test that faults it (SIGSTOP, SIGKILL) leaves it whole again, 3
masters with a linked replica each, though not always on the same ports. `cluster_store`
points the app's live store at it (LIVE_REDIS_CLUSTER, LIVE_REDIS_URL) for one test.

`live_store` runs a test on both stores: once on the single server, once on the cluster
(marked `live`, so `make test-fast` keeps to the single server). A module opts in with
`pytestmark = pytest.mark.usefixtures("live_store")`; the same exact numbers must hold on
both.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import redis
from redis.crc import key_slot

from devstack.cluster import ClusterNode, LocalCluster, local_cluster
from gameplay import keys, store


@pytest.fixture(scope="session")
def live_cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    with local_cluster(tmp_path_factory.mktemp("live-cluster")) as cluster:
        yield cluster


@pytest.fixture
def cluster_store(live_cluster: LocalCluster, settings) -> Iterator[LocalCluster]:
    """The live store is `live_cluster` for this test; the single server again after."""
    restore_whole(live_cluster)
    settings.LIVE_REDIS_CLUSTER = True
    settings.LIVE_REDIS_URL = live_cluster.seed_urls  # all six: any may be down
    settings.LIVE_REDIS_DB = 0  # a cluster has database 0 only (the news channels' names)
    store.reset()
    try:
        yield live_cluster
    finally:
        store.reset()  # before the settings go back: the next test builds its own client
        restore_whole(live_cluster)


@pytest.fixture(params=["single", pytest.param("cluster", marks=pytest.mark.live)])
def live_store(request) -> Iterator[str]:
    """The test's live store: "single" (the shared server, emptied by `clean_redis`) or
    "cluster" (`live_cluster`, every master emptied first)."""
    if request.param == "cluster":
        request.getfixturevalue("cluster_store")
        empty_masters()
    yield request.param


def empty_masters() -> None:
    """FLUSHDB on every master of the session's own cluster (nobody else uses it); the
    replicas follow. Cluster mode has database 0 only."""
    cluster = store.cluster_client()
    cluster.flushdb(target_nodes=redis.RedisCluster.PRIMARIES)


def restore_whole(cluster: LocalCluster) -> None:
    """Every node running and answering again, each master with its replica linked."""
    for node in cluster.nodes:
        cluster.cont(node)
    for node in cluster.nodes:
        if not node.alive():
            cluster.restart(node)
    cluster.wait_ready()


def key_on(master: ClusterNode, prefix: str = "t") -> str:
    """A key (tagged, so a script can name several in its slot) that `master` serves."""
    for n in itertools.count():
        tag = f"{prefix}:{n}"
        if any(low <= key_slot(tag.encode()) <= high for low, high in master.slots):
            return f"{{{tag}}}:k"
    raise AssertionError("unreachable")


def master_of_player(cluster: LocalCluster, player_id: int) -> ClusterNode:
    """The master that serves the player's shard (every key of the shard shares its slot),
    as `cluster` last saw the roles."""
    return cluster.master_of(key_slot(keys.stream(keys.shard_of(player_id)).encode()))


def replica_client(node: ClusterNode) -> redis.Redis:
    """One connection to a replica in READONLY mode: it answers reads of its master's
    slots itself instead of redirecting them."""
    client = redis.Redis(port=node.port, socket_timeout=1, single_connection_client=True)
    client.execute_command("READONLY")
    return client
