"""The cluster benchmark's push phase: board feeder lag and push latency on the cluster.

One websocket server (the Procfile's uvicorn line, its pusher inside it) and the board
feeder (the Procfile's `feeder`) run on the cluster, as `make run` starts them. This
process opens one socket per player, each authenticated with the player's token, then
plays awards at a steady rate (Poisson) for
players holding a socket, in a thread, through `gameplay.live` as the API does. From the
moment an award's answer comes back it times:

- the board lag: until the player's new total is the score on the global all-time board
  (`{lb}`), polled every few milliseconds with one ZMSCORE;
- the push latency: until the player's socket receives a `me` frame holding that total.
"""

import asyncio
import json
import random
import threading
import time
from datetime import timedelta

import websockets

from perf.cluster_work import CLOCK_START, Player, turn
from perf.observe import TICKS, cpu_ticks
from perf.report import percentiles

BOARD_POLL = 0.005


class _Awaited:
    """Awards whose total is not yet seen, by player: [(points, answered at)]. Shared by
    the award thread, the board poller and the sockets' loop."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.on_board: dict[int, list[tuple[int, float]]] = {}
        self.on_socket: dict[int, list[tuple[int, float]]] = {}
        self.board_lags: list[float] = []
        self.push_latencies: list[float] = []
        self.socket_points: dict[int, int] = {}  # the highest total each socket has shown
        self.pushed_first = 0

    def add(self, player: int, points: int, at: float) -> None:
        with self.lock:
            self.on_board.setdefault(player, []).append((points, at))
            if self.socket_points.get(player, -1) >= points:
                # The `me` frame came in before the award thread got to note its answer
                # (the two share this process): pushed within the answer, a latency of 0.
                self.push_latencies.append(0.0)
                self.pushed_first += 1
                return
            self.on_socket.setdefault(player, []).append((points, at))

    def seen(self, where: str, player: int, points: int, now: float) -> None:
        table, found = (
            (self.on_board, self.board_lags)
            if where == "board"
            else (self.on_socket, self.push_latencies)
        )
        with self.lock:
            if where == "socket":
                self.socket_points[player] = max(points, self.socket_points.get(player, -1))
            waiting = table.get(player, [])
            done = [at for wanted, at in waiting if wanted <= points]
            found.extend(now - at for at in done)
            table[player] = [(wanted, at) for wanted, at in waiting if wanted > points]

    def board_players(self) -> list[int]:
        with self.lock:
            return [player for player, waiting in self.on_board.items() if waiting]


def _play(cast: list[list[int]], awaited: _Awaited, options, stop: threading.Event) -> int:
    """Awards at `options.push_rate` a second for random players of `cast`; returns how many."""
    clock = CLOCK_START + timedelta(days=options.push_phase)
    players = {pid: Player(pid, habit, clock) for pid, habit in cast}
    rng = random.Random(2)
    last: dict = {}

    def timed(kind: str, call) -> None:
        last["outcome"] = call()

    made = 0
    began = time.monotonic()
    while time.monotonic() - began < options.push_seconds and not stop.is_set():
        player = players[rng.choice(cast)[0]]
        turn(player, timed)
        awaited.add(player.actor.player_id, last["outcome"].totals["points"], time.monotonic())
        made += 1
        time.sleep(rng.expovariate(options.push_rate))
    return made


def _poll_board(awaited: _Awaited, stop: threading.Event) -> None:
    from gameplay import keys, live

    client = live.client()
    while not stop.is_set():
        players = awaited.board_players()
        if players:
            scores = client.zmscore(keys.BOARD_ALL, [str(p) for p in players])
            now = time.monotonic()
            for player, score in zip(players, scores, strict=True):
                if score is not None:
                    awaited.seen("board", player, int(score), now)
        time.sleep(BOARD_POLL)


async def _socket(url: str, player: int, key: str, awaited: _Awaited, opened: list) -> None:
    """One player's socket; in `opened` once its first `me` frame (the last of the frames
    a socket gets on connecting) is in."""
    async with websockets.connect(
        url,
        additional_headers={"Authorization": f"Token {key}"},
        compression=None,
        ping_interval=None,
        max_queue=None,
        open_timeout=60,
    ) as socket:
        first = True
        async for raw in socket:
            if isinstance(raw, str) and raw.startswith('{"type": "me"'):
                awaited.seen("socket", player, int(json.loads(raw)["points"]), time.monotonic())
                if first:
                    first = False
                    opened.append(player)


def _cpu(processes: dict) -> dict[str, int]:
    return {name: sum(cpu_ticks(pid) for pid in pids()) for name, pids in processes.items()}


async def measure(
    url: str, cast: list[list[int]], tokens: dict[int, str], options, processes: dict
) -> dict:
    """Sockets for every player of `cast`, awards for them once every socket has its first
    frames, the lags; see the module. `processes`: name -> a callable answering its pids
    (the websocket server's, the feeder's), whose CPU over the awards' window is reported
    as cores."""
    awaited = _Awaited()
    opened: list[int] = []
    sockets = []
    for index, (player, _habit) in enumerate(cast):
        sockets.append(asyncio.create_task(_socket(url, player, tokens[player], awaited, opened)))
        if index % 50 == 49:
            await asyncio.sleep(0.1)
    deadline = time.monotonic() + 60
    while len(opened) < len(cast) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # the first frames of every socket are in
    stop = threading.Event()
    poller = threading.Thread(target=_poll_board, args=(awaited, stop), daemon=True)
    poller.start()
    ticks, began = _cpu(processes), time.monotonic()
    awards = await asyncio.to_thread(_play, cast, awaited, options, stop)
    window = time.monotonic() - began
    cores = {name: (n - ticks[name]) / TICKS / window for name, n in _cpu(processes).items()}
    await asyncio.sleep(3)  # the last awards reach their sockets
    stop.set()
    poller.join(5)
    for task in sockets:
        task.cancel()
    await asyncio.gather(*sockets, return_exceptions=True)
    with awaited.lock:
        unseen_board = sum(len(w) for w in awaited.on_board.values())
        unseen_socket = sum(len(w) for w in awaited.on_socket.values())
    return {
        "sockets": len(opened),
        "awards": awards,
        "award_seconds": window,
        "cpu_cores": cores,
        "board_lag_s": percentiles(awaited.board_lags),
        "board_seen": len(awaited.board_lags),
        "board_unseen": unseen_board,
        "push_s": percentiles(awaited.push_latencies),
        "push_seen": len(awaited.push_latencies),
        "push_unseen": unseen_socket,
        "push_before_answer": awaited.pushed_first,
    }
