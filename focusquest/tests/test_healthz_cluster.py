"""/healthz on a live store that is a 3+3 cluster (testkit/cluster.py): every node, its
role and its replica link; a stalled replica is a problem."""

import pytest
import redis

pytestmark = pytest.mark.django_db


@pytest.mark.live
def test_healthz_lists_every_node_of_the_cluster_with_roles_and_links(anon, cluster_store):
    response = anon.get("/healthz")

    assert response.status_code == 200, response.json()["problems"]
    nodes = response.json()["live_store"]
    expected = {f"127.0.0.1:{node.port}": node for node in cluster_store.nodes}
    assert sorted(node["address"] for node in nodes) == sorted(expected)
    masters = [node for node in nodes if node["role"] == "master"]
    replicas = [node for node in nodes if node["role"] == "replica"]
    assert len(masters) == len(replicas) == 3
    assert sum(node["slots"] for node in masters) == 16384
    for node in replicas:
        assert node["master_link_status"] == "up"
        assert node["master"] == f"127.0.0.1:{expected[node['address']].master_port}"
    assert all(node["reachable"] for node in nodes)


@pytest.mark.live
def test_healthz_names_a_stalled_replica_and_its_master(anon, cluster_store):
    master = cluster_store.masters[0]
    (replica,) = cluster_store.replicas_of(master)
    cluster_store.stop(replica)
    try:
        response = anon.get("/healthz")
    finally:
        cluster_store.cont(replica)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    problems = response.json()["problems"]
    assert f"live-store node 127.0.0.1:{replica.port} is unreachable" in problems
    assert (
        f"live-store master 127.0.0.1:{master.port} has no connected replica: actions in "
        "its slots answer 503 until its replica is back"
    ) in problems
    stalled = next(
        node
        for node in response.json()["live_store"]
        if node["address"] == f"127.0.0.1:{replica.port}"
    )
    assert (stalled["role"], stalled["reachable"]) == ("replica", False)


def test_healthz_on_a_single_server_lists_it_alone(anon):
    response = anon.get("/healthz")

    (node,) = response.json()["live_store"]
    assert (node["role"], node["reachable"], node["master"]) == ("master", True, None)


@pytest.mark.live
def test_every_master_must_keep_everything_and_the_fullest_sets_the_memory_share(
    anon, cluster_store, settings
):
    settings.LIVE_STORE_ALLOW_UNSAFE = False
    settings.HEALTH_MAX_MEMORY_SHARE = 0.8
    assert anon.get("/healthz").status_code == 200  # AOF and noeviction on all three
    last = cluster_store.masters[-1]
    node = redis.Redis(port=last.port, socket_timeout=2)
    used = int(node.info("memory")["used_memory"])
    limit = node.config_get("maxmemory")["maxmemory"]
    try:
        node.config_set("appendonly", "no")
        node.config_set("maxmemory", int(used * 1.1))

        response = anon.get("/healthz")
    finally:
        node.config_set("appendonly", "yes")
        node.config_set("maxmemory", limit)
        node.close()

    assert response.status_code == 503
    assert anon.get("/healthz").status_code == 200  # that master whole again
    problems = response.json()["problems"]
    assert len(problems) == 2
    assert "of its maxmemory (more than 80%)" in problems[0]
    assert problems[1].startswith(
        f"The live store's Redis 127.0.0.1:{last.port} runs without AOF (appendonly no)"
    )
