"""/healthz on a live store that is a 3+3 cluster (testkit/cluster.py): every node, its
role and its replica link; a stalled replica is a problem."""

import pytest

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
