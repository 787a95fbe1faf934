"""The live store's connection: one server (django-redis's "live" pool) or a Redis Cluster.

`client()` is the connection every reader and writer of the live store uses. With
`LIVE_REDIS_CLUSTER` it is one `redis.RedisCluster` per process, started from the seed nodes
`LIVE_REDIS_URL` names (`cluster_seeds`); it routes each single-slot command to the master
of its slot.

`run_acknowledged(call, key)` runs one action script. In a cluster whose masters have
replicas an answered action must be on two nodes, or a failover could lose it: the script
and `WAIT 1 <LIVE_WAIT_TIMEOUT_MS>` go to the slot's master as one pipeline on one
connection (WAIT counts the replicas that have the writes of *its own* connection), one
round trip. No replica within the timeout raises `ReplicaNotAcknowledged`; a master that
is down or no longer owns the slot (a failover, a slot moving) raises `SlotUnavailable`
after refreshing the topology. Both are `LiveStoreUnavailable`, which the API and the
pages answer with 503 and Retry-After (focusquest/unavailable.py). The script has then
run or not, and the client's retry is de-duplicated by the script's own key, so the 503
is always safe.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django_redis import get_redis_connection
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode
from redis.commands.core import Script
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    NoScriptError,
    RedisClusterException,
    TryAgainError,
)
from redis.retry import Retry
from redis.typing import EncodableT

# A node the health probe cannot reach within this is reported unreachable.
PROBE_TIMEOUT_SECONDS = 0.5
# A failover answers every request to the dead master's slots with an error: refresh the
# slot map at most this often per process, not once per request.
REFRESH_INTERVAL_SECONDS = 0.5
# Replicas attach and are removed without any slot moving (nothing a client would notice):
# the replica map is re-read at least this often.
REPLICA_MAP_MAX_AGE_SECONDS = 10.0


class LiveStoreUnavailable(redis.RedisError):
    """The live store cannot take this action now; answered with 503 and Retry-After."""


class ReplicaNotAcknowledged(LiveStoreUnavailable):
    """The script ran on the master, but no replica confirmed it within the timeout: not
    acknowledged, since a failover now could lose it (the retry is de-duplicated)."""


class SlotUnavailable(LiveStoreUnavailable):
    """The slot's master is unreachable or no longer serves the slot (a failover or a
    slot move under way); the topology has been refreshed for the next request."""


class PlayerDeleted(redis.ResponseError):
    """The action's player has been deleted: their hash is a tombstone, and the script
    refused before its first write (a request that was in flight; answered 401)."""


def _refined(error: Exception) -> Exception:
    """A script's refusal for a deleted player (its reply starts `DELETED`) as its class."""
    if isinstance(error, redis.ResponseError) and str(error).startswith("DELETED "):
        return PlayerDeleted(str(error))
    return error


# What a failover looks like from a connection to the old master.
TOPOLOGY_ERRORS = (
    redis.ConnectionError,
    redis.TimeoutError,
    MovedError,
    AskError,
    TryAgainError,
    ClusterDownError,
    RedisClusterException,
)


@dataclass(frozen=True)
class ScriptCall:
    """One script with its KEYS and ARGV in Redis's order (gameplay.scripts.prepare)."""

    script: Script
    keys: tuple[str, ...]
    args: tuple[EncodableT, ...]

    @property
    def writes(self) -> bool:
        """False for a script declared `#!lua flags=no-writes`: nothing to acknowledge."""
        source = self.script.script
        text = source if isinstance(source, bytes) else str(source).encode()
        first_line = text.split(b"\n", 1)[0]
        return not (first_line.startswith(b"#!") and b"no-writes" in first_line)


class _Topology:
    """The process's cluster client and what it knows of the replicas."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cluster: redis.RedisCluster | None = None
        self.pid = 0
        self.refreshed_at = 0.0
        # master address -> how many replicas CLUSTER NODES lists for it, failed or not
        self.replicas: dict[str, int] | None = None
        self.replicas_read_at = 0.0
        self.replicas_for: object = None  # the slot map the replica map was read with


_topology = _Topology()


def is_cluster() -> bool:
    return bool(settings.LIVE_REDIS_CLUSTER)


def cluster_seeds(url: str) -> tuple[str, list[tuple[str, int]]]:
    """A cluster's seeds as LIVE_REDIS_URL names them, comma-separated URLs: the first
    (whose URL also gives the options every node shares: credentials, TLS) and the
    address of each other one. A client starts from whichever seed answers, so a process
    that starts while a seed node is down (a dead master, before or after its failover)
    still finds the cluster; with one seed it could not."""
    first, *others = [part.strip() for part in url.split(",") if part.strip()]
    addresses = []
    for other in others:
        parsed = urlsplit(other)
        addresses.append((parsed.hostname or "localhost", parsed.port or 6379))
    return first, addresses


def cluster_client() -> redis.RedisCluster:
    """The process-wide cluster client (a forked child builds its own)."""
    top = _topology
    with top.lock:
        if top.cluster is None or top.pid != os.getpid():
            first, others = cluster_seeds(settings.LIVE_REDIS_URL)
            top.cluster = redis.RedisCluster.from_url(
                first,
                startup_nodes=[ClusterNode(host, port) for host, port in others],
                socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
                # The slots of a dead master fail, the others keep answering (the
                # servers run cluster-require-full-coverage no).
                require_full_coverage=False,
                # A command meeting a failover is retried a little, then answers 503:
                # the request's client retries, de-duplicated.
                retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2),
            )
            top.pid = os.getpid()
            top.replicas = None
        return top.cluster


def client() -> redis.Redis:
    """The live store's one client. A cluster client takes the same single-slot commands
    and pipelines the code sends, so its callers are typed as for one server."""
    if is_cluster():
        return cast(redis.Redis, cluster_client())
    return get_redis_connection("live")


def reset() -> None:
    """Forget the cluster client (tests that point the settings at another store)."""
    top = _topology
    with top.lock:
        if top.cluster is not None:
            top.cluster.close()
        top.cluster = None
        top.replicas = None


def refresh_topology(*, force: bool = False) -> None:
    """Re-read the slot map (at most every REFRESH_INTERVAL_SECONDS) and the replicas."""
    top = _topology
    cluster = cluster_client()
    now = time.monotonic()
    if not force and now - top.refreshed_at < REFRESH_INTERVAL_SECONDS:
        return
    top.refreshed_at = now
    try:
        cluster.nodes_manager.initialize()
    except (redis.RedisError, RedisClusterException):
        return  # no node answers: the next request tries again
    top.replicas = None


def cluster_nodes() -> dict[str, dict[str, Any]]:
    """CLUSTER NODES (redis-py's parse: address -> node_id, flags, master_id, slots, ...)
    from the first node of the slot map that answers."""
    cluster = cluster_client()
    last: Exception | None = None
    for node in cluster.get_nodes():
        try:
            return cast(
                dict[str, dict[str, Any]],
                cluster.get_redis_connection(node).execute_command("CLUSTER NODES"),
            )
        except redis.RedisError as exc:
            last = exc
    raise SlotUnavailable(f"no node of the live store's cluster answers: {last}")


def _replica_map() -> dict[str, int]:
    """master address -> its replicas as CLUSTER NODES lists them, a failed one included:
    a stalled replica must still be waited for, or an answered action could exist on the
    master alone. A master replaced in a failover is listed as a failed master (no
    replica), so its successor answers without waiting until it comes back as a replica."""
    top = _topology
    cluster = cluster_client()
    slot_map = cluster.nodes_manager.slots_cache
    fresh = time.monotonic() - top.replicas_read_at < REPLICA_MAP_MAX_AGE_SECONDS
    if top.replicas is not None and top.replicas_for is slot_map and fresh:
        return top.replicas
    views = cluster_nodes()
    by_id = {view["node_id"]: address for address, view in views.items()}
    counts = {address: 0 for address, view in views.items() if "master" in view["flags"]}
    for view in views.values():
        master = by_id.get(view.get("master_id") or "-")
        if "slave" in view["flags"] and master in counts:
            counts[master] += 1
    top.replicas, top.replicas_for, top.replicas_read_at = counts, slot_map, time.monotonic()
    return counts


def replicas_expected(master: str | None = None) -> bool:
    """Whether the cluster has replicas (or, given a master's `host:port`, that master).
    A single server waits for none."""
    if not is_cluster():
        return False
    counts = _replica_map()
    if master is None:
        return any(counts.values())
    return counts.get(master, 0) > 0


def run_acknowledged(call: ScriptCall, key: str) -> Any:
    """Run `call` (all its keys in `key`'s slot); its raw reply. In a cluster with
    replicas, only once a replica has it too (see the module's docstring)."""
    if not is_cluster():
        try:
            return call.script(keys=list(call.keys), args=list(call.args), client=client())
        except redis.ResponseError as exc:
            refined = _refined(exc)
            if refined is exc:
                raise
            raise refined from exc
    cluster = cluster_client()
    try:
        node = cluster.get_node_from_key(key)
        wait = call.writes and replicas_expected(node.name)
        replies = _pipeline(cluster, node, call, wait)
    except TOPOLOGY_ERRORS as exc:
        refresh_topology()
        raise SlotUnavailable(f"the live store's slot of {key!r} is unavailable: {exc}") from exc
    reply = replies[0]
    if isinstance(reply, TOPOLOGY_ERRORS):
        refresh_topology()
        raise SlotUnavailable(f"the live store's slot of {key!r} is unavailable: {reply}")
    if isinstance(reply, Exception):
        raise _refined(reply)  # the script's own error, as on one server
    if wait and int(replies[1]) < 1:
        raise ReplicaNotAcknowledged(
            f"no replica of {node.name} acknowledged the action within "
            f"{settings.LIVE_WAIT_TIMEOUT_MS} ms"
        )
    return reply


def _pipeline(cluster: redis.RedisCluster, node: ClusterNode, call: ScriptCall, wait: bool):
    """EVALSHA (+ WAIT) on the node's own client, one round trip; once more after loading
    the script on a node that does not have it yet (a new or promoted master)."""
    connection = cluster.get_redis_connection(node)
    replies = _send(connection, call, wait)
    if isinstance(replies[0], NoScriptError):
        connection.script_load(call.script.script)
        replies = _send(connection, call, wait)
    return replies


def _send(connection: redis.Redis, call: ScriptCall, wait: bool) -> list[Any]:
    pipe = connection.pipeline(transaction=False)
    pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
    if wait:
        pipe.execute_command("WAIT", 1, settings.LIVE_WAIT_TIMEOUT_MS)
    return pipe.execute(raise_on_error=False)


class NodePipelines:
    """Commands on keys of many slots, pipelined: on one server ONE pipeline of its client
    (one round trip, as always); on a cluster one pipeline per master, on that master's
    own client, since a RedisCluster pipeline refuses scripts (EVALSHA is "blocked" in
    it) and Redis runs nothing across nodes. A plain pipeline loads a script its node
    lacks (a new or promoted master) before it sends.

    `on(key)` is the pipeline to queue the commands of `key` on, right away; `execute()`
    answers every reply in the order the commands were queued, whichever node ran them.
    """

    def __init__(self) -> None:
        self._single = None if is_cluster() else client().pipeline(transaction=False)
        self._by_node: dict[str, Any] = {}
        # (pipeline, commands it held when `on` handed it out): where each run of
        # commands starts, in the order the caller queued them.
        self._runs: list[tuple[Any, int]] = []

    def on(self, key: str) -> Any:
        if self._single is not None:
            return self._single
        cluster = cluster_client()
        node = cluster.get_node_from_key(key)
        pipe = self._by_node.get(node.name)
        if pipe is None:
            pipe = cluster.get_redis_connection(node).pipeline(transaction=False)
            self._by_node[node.name] = pipe
        self._runs.append((pipe, len(pipe.command_stack)))
        return pipe

    def execute(self, *, raise_on_error: bool = True) -> list[Any]:
        if self._single is not None:
            return self._single.execute(raise_on_error=raise_on_error)
        try:
            replies = {id(p): p.execute(raise_on_error=False) for p in self._by_node.values()}
        except TOPOLOGY_ERRORS as exc:
            refresh_topology()
            raise SlotUnavailable(f"a node of the live store is unavailable: {exc}") from exc
        backwards: list[list[Any]] = []
        ends: dict[int, int] = {}
        for pipe, start in reversed(self._runs):
            own = replies[id(pipe)]
            backwards.append(own[start : ends.get(id(pipe), len(own))])
            ends[id(pipe)] = start
        ordered = [reply for run in reversed(backwards) for reply in run]
        for reply in ordered:
            if isinstance(reply, TOPOLOGY_ERRORS):
                refresh_topology()
                raise SlotUnavailable(f"a slot of the live store moved or is down: {reply}")
            if raise_on_error and isinstance(reply, Exception):
                raise reply
        return ordered


def scan_slot(match: str, key: str) -> list[bytes]:
    """The keys matching `match` (a pattern within `key`'s hash tag) on the server that
    holds `key`'s slot: SCAN, incremental, so Redis keeps serving while it walks the
    server's keys (the whole keyspace on one server; on a cluster, that master's)."""
    if not is_cluster():
        return list(client().scan_iter(match=match, count=1000))
    cluster = cluster_client()
    try:
        node = cluster.get_node_from_key(key)
        return list(cluster.get_redis_connection(node).scan_iter(match=match, count=1000))
    except TOPOLOGY_ERRORS as exc:
        refresh_topology()
        raise SlotUnavailable(f"the live store's slot of {key!r} is unavailable: {exc}") from exc


def masters_info(section: str) -> dict[str, dict[str, Any]]:
    """INFO `section` of each server that holds live data: the one server, or every
    master of the cluster (address -> its fields), each asked on its own client."""
    if not is_cluster():
        return {"": client().info(section)}
    cluster = cluster_client()
    return {
        node.name: cluster.get_redis_connection(node).info(section)
        for node in cluster.get_primaries()
    }


# --- What /healthz reports -------------------------------------------------------------------


def node_states() -> list[dict[str, Any]]:
    """Each live-store node: `address`, `role` (master or replica; None when a single
    server does not answer), `master` (a replica's), `master_link_status` (a replica's,
    as it reports it) and `reachable`. Raises a RedisError when no node answers."""
    if not is_cluster():
        return [_single_server_state()]
    views = cluster_nodes()
    by_id = {view["node_id"]: address for address, view in views.items()}
    states = []
    for address, view in sorted(views.items()):
        replica = "slave" in view["flags"]
        state: dict[str, Any] = {
            "address": address,
            "role": "replica" if replica else "master",
            "master": by_id.get(view["master_id"]) if replica else None,
            "master_link_status": None,
            "reachable": True,
        }
        try:
            info = _probe(address)
        except redis.RedisError:
            state["reachable"] = False
        else:
            if replica:
                state["master_link_status"] = info.get("master_link_status")
        state["slots"] = sum(int(high) - int(low) + 1 for low, high in _ranges(view))
        states.append(state)
    return states


def _ranges(view: dict[str, Any]) -> list[tuple[str, str]]:
    # redis-py gives a range as [low, high] and a single slot as [slot].
    return [(item[0], item[-1]) for item in view.get("slots", [])]


def _probe(address: str) -> dict[str, Any]:
    """INFO replication of one node, on a connection of its own with a short timeout: a
    stalled node must not hold the health check for the store's socket timeout."""
    host, _, port = address.rpartition(":")
    node = redis.Redis(
        host=host,
        port=int(port),
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        return node.info("replication")
    finally:
        node.close()


def _single_server_state() -> dict[str, Any]:
    connection = client()
    kwargs = connection.connection_pool.connection_kwargs
    address = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
    state: dict[str, Any] = {
        "address": str(address),
        "role": None,
        "master": None,
        "master_link_status": None,
        "reachable": False,
        "slots": None,
    }
    try:
        info = connection.info("replication")
    except redis.RedisError:
        return state
    replica = info.get("role") == "slave"
    state.update(role="replica" if replica else "master", reachable=True)
    if replica:
        state["master"] = f"{info.get('master_host')}:{info.get('master_port')}"
        state["master_link_status"] = info.get("master_link_status")
    return state
