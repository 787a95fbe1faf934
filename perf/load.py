"""Simulated players: HTTP through aiohttp, the live leaderboard through `websockets`.

aiohttp, not httpx: measured on the 2-core machine, httpx's client spent more CPU per
request than the server did, and its pool slowed to a crawl with hundreds of waiting
requests, so the generator measured itself.

Each player signs up on arrival, defines its habits, opens a personal socket (a share of
them do), then loops: think, pick a step from the mix, do it, until the run ends. Each
keeps a tally of what the server accepted, so that after the run every accepted action
can be looked up in PostgreSQL (exactly once).

Push latency is measured two ways, from the moment the award's HTTP answer arrived:
- board: the first top-10 snapshot on a socket in which the player's new total appears,
  on every open socket (the shared fan-out that the launch-day crowd watches);
- me: the first personal `me` message on the acting player's own socket whose points
  include the award.
"""

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import websockets

from gameplay.rules import is_short_session
from perf.metrics import Recorder
from perf.profiles import Profile

TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
PLANNED_MINUTES = 5
LOOP_LAG_INTERVAL = 0.25


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Tally:
    """What the server accepted for one player, as its answers said."""

    username: str
    user_id: int | None = None
    events: Counter = field(default_factory=Counter)
    points: int = 0
    # Gamified requests whose outcome the player never saw (timeout, dropped connection):
    # the server may or may not have recorded them.
    unknown: int = 0


class Awards:
    """Award moments, matched against what the sockets receive."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.board: dict[tuple[int, int], float] = {}
        self.me_pending: dict[int, list[tuple[int, float]]] = {}
        self.me_seen: dict[int, int] = {}
        self.personal: set[int] = set()
        # The server sends each snapshot as the same text to every socket: when each one
        # first arrived, to time the fan-out apart from the wait for the snapshot.
        self.first_seen: dict[int, float] = {}

    def awarded(self, user_id: int, total: int, at: float) -> None:
        self.board.setdefault((user_id, total), at)
        if user_id not in self.personal:
            return
        if self.me_seen.get(user_id, -1) >= total:
            self.recorder.me_push.append((at, 0.0))  # the push beat the HTTP answer
        else:
            self.me_pending.setdefault(user_id, []).append((total, at))

    def me_received(self, user_id: int, points: int, at: float) -> None:
        self.me_seen[user_id] = max(points, self.me_seen.get(user_id, -1))
        waiting = self.me_pending.get(user_id)
        if not waiting:
            return
        still = []
        for total, awarded_at in waiting:
            if total <= points:
                self.recorder.me_push.append((awarded_at, max(0.0, at - awarded_at)))
            else:
                still.append((total, awarded_at))
        self.me_pending[user_id] = still

    def snapshot_arrived(self, raw: str, at: float) -> None:
        first = self.first_seen.setdefault(hash(raw), at)
        self.recorder.board_spread.append((first, at - first))

    def board_received(self, before: set, now: set, at: float) -> None:
        # Points only grow during a run, so a (player, total) pair that was not on this
        # socket's previous board can only be there because of that award.
        for key in now - before:
            awarded_at = self.board.get(key)
            if awarded_at is not None:
                self.recorder.board_push.append((awarded_at, max(0.0, at - awarded_at)))


@dataclass
class Context:
    profile: Profile
    client: aiohttp.ClientSession
    ws_url: str
    recorder: Recorder
    awards: Awards
    clock: Callable[[], float]
    deadline: float
    stop: asyncio.Event
    sockets: list[asyncio.Task] = field(default_factory=list)


class Player:
    def __init__(
        self, ctx: Context, index: int, tag: str, arrival: float, seed: int, *, socket: bool
    ) -> None:
        self.ctx = ctx
        self.socket = socket
        self.rng = random.Random(seed)
        self.arrival = arrival
        self.tally = Tally(username=f"{tag}p{index}")
        self.timezone = self.rng.choice(TIMEZONES)
        self.headers: dict[str, str] = {}
        self.habits: list[int] = []
        self.unchecked: list[tuple[int, int]] = []  # (habit id, days ago)
        self.session: tuple[str, float, float] | None = None  # id, started, due

    async def call(
        self, name: str, method: str, path: str, *, expect=(200,), body=None, auth=True
    ) -> "Answer | None":
        """One request; None (and an error recorded) unless its status is expected."""
        ctx = self.ctx
        started = ctx.clock()
        try:
            async with (
                asyncio.timeout(ctx.profile.request_timeout),
                ctx.client.request(
                    method, path, json=body, headers=self.headers if auth else None
                ) as response,
            ):
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            ctx.recorder.request(name, started, ctx.clock() - started, error=type(exc).__name__)
            return None
        latency = ctx.clock() - started
        if response.status not in expect:
            ctx.recorder.request(name, started, latency, error=f"HTTP {response.status}")
            return None
        ctx.recorder.request(name, started, latency, error=None)
        return Answer(response.status, raw)

    async def live(self) -> None:
        ctx = self.ctx
        await asyncio.sleep(max(0.0, self.arrival - ctx.clock()))
        if not await self.sign_up():
            return
        user_id = self.tally.user_id
        assert user_id is not None  # a sign-up that succeeded set it
        if self.socket:
            ctx.awards.personal.add(user_id)
            ctx.sockets.append(asyncio.create_task(watch(ctx, self.headers, user_id)))
        weights = ctx.profile.mix
        steps, cumulative = list(weights), list(weights.values())
        while True:
            pause = self.rng.expovariate(1.0 / ctx.profile.think_seconds)
            # Never sleep past the end: the load ends on time, not a long pause later.
            await asyncio.sleep(min(pause, max(0.0, ctx.deadline - ctx.clock())))
            if ctx.clock() >= ctx.deadline:
                return
            step = self.rng.choices(steps, weights=cumulative)[0]
            await getattr(self, f"step_{step}")()

    async def sign_up(self) -> bool:
        body = {
            "username": self.tally.username,
            "password": f"spike-{self.rng.getrandbits(64):x}",
            "display_name": self.tally.username.title(),
            "timezone": self.timezone,
        }
        answer = await self.call(
            "POST /api/auth/register", "POST", "/api/auth/register", body=body, expect=(201,)
        )
        if answer is None:
            return False
        data = answer.json()
        self.tally.user_id = data["id"]
        self.headers = {"Authorization": f"Token {data['token']}"}
        for n in range(self.ctx.profile.habits_per_player):
            answer = await self.call(
                "POST /api/habits",
                "POST",
                "/api/habits",
                body={"name": f"Habit {n}"},
                expect=(201,),
            )
            if answer is not None:
                habit = answer.json()["id"]
                self.habits.append(habit)
                self.unchecked += [(habit, 1), (habit, 0)]
        return True

    # --- steps

    async def step_session(self) -> None:
        if self.session is None:
            answer = await self.call(
                "POST /api/sessions",
                "POST",
                "/api/sessions",
                body={"planned_minutes": PLANNED_MINUTES},
                expect=(201, 409),
            )
            if answer is None:
                self.tally.unknown += 1
                return
            now = self.ctx.clock()
            if answer.status_code == 409:
                # A start whose answer was lost (a timeout) did start: resume that session,
                # as the app's timer page does. Its start was already counted as unknown.
                session_id = answer.json()["running_session_id"]
                self.session = (session_id, now, now + self.rng.uniform(*self.session_span))
                return
            self.accepted("session_started")
            self.session = (answer.json()["id"], now, now + self.rng.uniform(*self.session_span))
            return
        session_id, started, due = self.session
        if self.ctx.clock() < due:
            await self.step_me()  # a glance at the dashboard while the timer runs
            return
        self.session = None
        if self.rng.random() < self.ctx.profile.abandon_share:
            name, path = "POST /api/sessions/{id}/abandon", f"/api/sessions/{session_id}/abandon"
            answer = await self.call(name, "POST", path)
            if answer is None:
                self.tally.unknown += 1
                return
            self.accepted("session_abandoned")
            return
        focused = min(int(self.ctx.clock() - started), PLANNED_MINUTES * 60)
        name, path = "POST /api/sessions/{id}/complete", f"/api/sessions/{session_id}/complete"
        answer = await self.call(name, "POST", path, body={"focused_seconds": focused})
        if answer is None:
            self.tally.unknown += 1
            return
        data = answer.json()
        # The rules' kind of completion: under 300 focused seconds it is a short session.
        self.accepted("session_short" if is_short_session(focused) else "session_completed")
        self.award(data["points_awarded"])

    @property
    def session_span(self) -> tuple[float, float]:
        return self.ctx.profile.session_seconds

    async def step_check_in(self) -> None:
        if not self.habits:
            return
        if self.unchecked:
            habit, days_ago = self.unchecked.pop(self.rng.randrange(len(self.unchecked)))
        else:  # everything is checked: a double tap, answered 200 with nothing awarded
            habit, days_ago = self.rng.choice(self.habits), 0
        body = {}
        if days_ago:
            today = datetime.now(ZoneInfo(self.timezone)).date()
            body["date"] = (today - timedelta(days=days_ago)).isoformat()
        answer = await self.call(
            "POST /api/habits/{id}/check-ins",
            "POST",
            f"/api/habits/{habit}/check-ins",
            body=body,
            expect=(200, 201),
        )
        if answer is None:
            self.tally.unknown += 1
            return
        if answer.status_code == 201:
            self.accepted("check_in")
            self.award(answer.json()["points_awarded"])
        else:
            self.ctx.recorder.repeats += 1

    async def step_me(self) -> None:
        await self.call("GET /api/me", "GET", "/api/me")

    async def step_leaderboard(self) -> None:
        board = self.rng.choice(("all", "week"))
        await self.call("GET /api/leaderboard", "GET", f"/api/leaderboard?board={board}")

    async def step_community(self) -> None:
        await self.call("GET /api/community", "GET", "/api/community")

    def accepted(self, kind: str) -> None:
        self.tally.events[kind] += 1
        self.ctx.recorder.event_times.append(self.ctx.clock())

    def award(self, points: int) -> None:
        self.tally.points += points
        user_id = self.tally.user_id
        assert user_id is not None  # awards come only after the sign-up
        self.ctx.awards.awarded(user_id, self.tally.points, self.ctx.clock())


async def watch(ctx: Context, headers: dict[str, str] | None, user_id: int | None) -> None:
    """One open /ws/leaderboard/ socket until the run stops."""
    recorder = ctx.recorder
    try:
        async with websockets.connect(
            ctx.ws_url,
            additional_headers=headers,
            compression=None,
            open_timeout=ctx.profile.request_timeout,
            ping_interval=None,
            max_queue=None,
        ) as socket:
            recorder.socket_opened()
            try:
                reader = asyncio.ensure_future(_read(socket, ctx, user_id))
                stopper = asyncio.ensure_future(ctx.stop.wait())
                done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
                for task in (reader, stopper):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                if reader in done and not ctx.stop.is_set():
                    recorder.socket_errors["closed by the server"] += 1
            finally:
                recorder.socket_closed()
    except (OSError, TimeoutError, websockets.WebSocketException) as exc:
        recorder.socket_errors[type(exc).__name__] += 1


async def _read(socket, ctx: Context, user_id: int | None) -> None:
    awards = ctx.awards
    board: set | None = None
    async for raw in socket:
        at = ctx.clock()
        ctx.recorder.socket_messages += 1
        # Only the "all" board and personal news are measured: skip parsing the rest
        # (the server writes "type" first), the generator's CPU is the server's too.
        if not raw.startswith(('{"type": "leaderboard", "board": "all"', '{"type": "me"')):
            continue
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "leaderboard":
            now = {(e["user_id"], e["points"]) for e in message["entries"]}
            if board is not None:  # the snapshot on connect is only the baseline
                awards.board_received(board, now, at)
                if now != board:  # points only grow: a changed board is sent once
                    awards.snapshot_arrived(raw, at)
            board = now
        elif kind == "me" and user_id is not None:
            awards.me_received(user_id, int(message["points"]), at)


async def _loop_lag(ctx: Context) -> None:
    """How late the generator's own event loop wakes up: a saturated generator shows here."""
    while not ctx.stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(LOOP_LAG_INTERVAL)
        ctx.recorder.loop_lag.append((ctx.clock(), time.monotonic() - before - LOOP_LAG_INTERVAL))


def arrivals(profile: Profile, rng: random.Random) -> list[float]:
    """Arrival time of each player: the quiet few, then an even ramp."""
    quiet = sorted(rng.uniform(0, profile.quiet_seconds) for _ in range(profile.quiet_players))
    rest = profile.players - profile.quiet_players
    step = profile.ramp_seconds / max(rest, 1)
    return quiet + [profile.quiet_seconds + i * step for i in range(rest)]


@dataclass
class LoadOutcome:
    tallies: list[Tally]
    seconds: float
    arrivals: list[float]


async def run_load(
    profile: Profile,
    *,
    http_url: str,
    ws_url: str,
    recorder: Recorder,
    tag: str,
    origin: float,
    seed: int = 1,
) -> LoadOutcome:
    """Plays the profile; `origin` (time.monotonic()) is the run's second zero."""
    rng = random.Random(seed)

    def clock() -> float:
        return time.monotonic() - origin

    connector = aiohttp.TCPConnector(limit=profile.http_connections)
    async with aiohttp.ClientSession(base_url=http_url, connector=connector) as client:
        ctx = Context(
            profile=profile,
            client=client,
            ws_url=ws_url,
            recorder=recorder,
            awards=Awards(recorder),
            clock=clock,
            deadline=profile.load_seconds,
            stop=asyncio.Event(),
        )
        lag = asyncio.create_task(_loop_lag(ctx))
        pace = profile.quiet_seconds / max(profile.spectators, 1)
        for i in range(profile.spectators):
            ctx.sockets.append(asyncio.create_task(_spectate(ctx, i * pace)))
        times = arrivals(profile, rng)
        watching = set(rng.sample(range(len(times)), round(len(times) * profile.socket_share)))
        players = [
            Player(ctx, i, tag, at, rng.getrandbits(32), socket=i in watching)
            for i, at in enumerate(times)
        ]
        tasks = [asyncio.create_task(p.live()) for p in players]
        await asyncio.wait(tasks, timeout=profile.load_seconds + profile.request_timeout + 10)
        seconds = clock()
        ctx.stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, *ctx.sockets, lag, return_exceptions=True)
    for second, players_on in enumerate(_players_on(times, int(seconds) + 1)):
        recorder.seconds[second].players = players_on
    return LoadOutcome([p.tally for p in players], min(seconds, profile.load_seconds), times)


async def _spectate(ctx: Context, at: float) -> None:
    await asyncio.sleep(at)
    await watch(ctx, None, None)


def _players_on(times: list[float], seconds: int) -> list[int]:
    counts = [0] * seconds
    for at in times:
        if int(at) < seconds:
            counts[int(at)] += 1
    total = 0
    for i, n in enumerate(counts):
        total += n
        counts[i] = total
    return counts


async def warm_up(*, http_url: str, ws_url: str, tag: str, players: int = 8) -> None:
    """A few players through every endpoint before the measured window: gunicorn workers
    finish booting, connections open and Redis caches its scripts, so the spike's first
    second does not measure a cold start."""
    profile = Profile(
        name="warm-up",
        players=players,
        quiet_seconds=0,
        quiet_players=0,
        ramp_seconds=0.5,
        hold_seconds=3,
        think_seconds=0.05,
        socket_share=1.0,
        spectators=1,
        session_seconds=(0.2, 0.5),
        abandon_share=0.3,
        habits_per_player=1,
    )
    await run_load(
        profile,
        http_url=http_url,
        ws_url=ws_url,
        recorder=Recorder(),
        tag=f"{tag}w",
        origin=time.monotonic(),
    )
