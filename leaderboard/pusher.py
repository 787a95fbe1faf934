"""Live pushes to the websockets, coalesced, from one process at a time.

Every websocket process runs a `Pusher` task, but only the one holding the Redis leader
lock works; the others wait to take over should it die (within the lock's 3 s expiry and
a second), and the one that takes over sends every socket a fresh `me`, since the news of
the awards made meanwhile went to nobody. The leader:

- feeds the global boards from the shard streams (gameplay/boards.py) every time it wakes
  (when news arrives and every `POLL_SECONDS`), unless a board feeder process runs
  (leaderboard/feeder.py, the Procfile's `feeder`), which feeds them sooner: in this loop
  an award's feed waits behind the snapshots' fan-out to every socket. A flush feeds the
  shards it flushes too, should neither run;
- listens to the shards' news channels (sharded pub/sub) that every award publishes on
  from its script, and forwards each player's news to that player's group only, as soon
  as it arrives, with the player's ranks read from the global boards;
- sends ONE snapshot per board (and per community) to the shared group when it changed,
  at most once per `SNAPSHOT_INTERVAL` however many awards arrived: a change after a
  quiet spell goes out `GATHER_SECONDS` later (so a burst makes few snapshots), a change
  while snapshots are flowing goes out exactly one interval after the previous one.
  Changes come from the change counters: the global boards' (`keys.BOARD_CHANGES`, bumped
  by the feeder) and the shards' community counters, summed (`keys.changes`), read when
  news arrives and every `POLL_SECONDS` (a moderator's hide makes no news);
- after a moderator hid or showed players (`ranks_moved`), coalesced the same way, asks
  every socket to send its player a fresh `me`: a hide moves the rank of everyone below,
  who earned nothing and so got no news. One message to the shared group; each socket
  reads its own player's snapshot.

Each message is encoded to JSON once, here, and goes out as the same text on every
socket. channels_redis drops messages past a channel's capacity, so nothing here sends a
message per award to the shared group.
"""

import asyncio
import contextlib
import json
import logging
import uuid
import weakref
from typing import cast

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff

from accounts.authentication import player_group
from gameplay import boards, keys, live, rules, store
from leaderboard.selectors import board_payload, community_payload, me_message
from leaderboard.subscription import listen, news_channels, sleep_until_woken, wind_down

logger = logging.getLogger(__name__)

BOARDS_GROUP = "leaderboard"
# What awards move (news arriving is a reason to read the counters early), and in all.
AWARD_TOPICS = ("boards", "community")
TOPICS = (*AWARD_TOPICS, "ranks")
# Topics whose counter a new leader adopts without sending: the sockets it serves got their
# `me` when they connected. Unless it takes over from another leader (`_lead`): news that
# leader never sent is lost, so every socket then gets a fresh `me`.
ADOPTED_ON_TAKEOVER = ("ranks",)
# "At most about one per second per board": one every 0.9 s, so an award waits at most one
# interval for its snapshot and the fan-out to a thousand sockets still fits in the second
# (docs/benchmarks.md has the measured delays).
SNAPSHOT_INTERVAL = 0.9
GATHER_SECONDS = 0.2
POLL_SECONDS = 0.2
RENEW_SECONDS = 1.0
LEADER_TTL_MS = 3000
# A follower tries the lock again when it expires, but never sooner than this.
LOCK_POLL_SECONDS = 0.05
BOARD_SIZE = 10


def encode(message: dict) -> str:
    """The text every socket receives (the same as the consumer's own send_json)."""
    return json.dumps(message)


async def board_messages() -> list[dict]:
    messages = []
    for board in ("all", "week"):
        payload = await sync_to_async(board_payload)(board=board, limit=BOARD_SIZE, me_id=None)
        messages.append({"type": "leaderboard", "board": board, "entries": payload["entries"]})
    return messages


async def community_message() -> dict:
    payload = await sync_to_async(community_payload)()
    return {"type": "community", **payload, "date": payload["date"].isoformat()}


def ranks_moved() -> None:
    """Players left or joined the boards without an award (a moderator's hide or show):
    other players' ranks moved, so the pusher refreshes every connected player's `me`."""
    live.client().hincrby(keys.BOARD_CHANGES, "ranks", 1)


def news_messages(news: dict) -> list[dict]:
    """The websocket messages one (merged) piece of news makes for its player."""
    points = int(news["points"])
    messages = [
        me_message(
            points=points,
            weekly_points=int(news["weekly"]),
            rank_all=news.get("rank_all"),
            rank_week=news.get("rank_week"),
        )
    ]
    messages += [{"type": "badge", "code": code} for code in news.get("badges", [])]
    before = rules.level_for(int(news["points_before"]))
    if rules.level_for(points) > before:
        messages.append({"type": "level_up", "level": rules.level_for(points)})
    return messages


def live_client() -> aioredis.Redis | aioredis.RedisCluster:
    """The pusher's own asyncio client of the live store: one server, or the cluster
    (gameplay.store's settings). Timeouts: a command must never wait forever on a Redis
    that stopped answering."""
    timeouts = {"socket_timeout": 5, "socket_connect_timeout": 5}
    if settings.LIVE_REDIS_CLUSTER:
        first, others = store.cluster_seeds(settings.LIVE_REDIS_URL)
        return aioredis.RedisCluster.from_url(
            first,
            startup_nodes=[AsyncClusterNode(host, port) for host, port in others],
            require_full_coverage=False,
            # A command meeting a dead master fails within a second, as the app's own do
            # (gameplay.store): the default backoff (1 s, then 2, 4) held the whole push
            # loop, every shard's news with it, for seconds at a time.
            retry=AsyncRetry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2),
            **timeouts,
        )
    return aioredis.from_url(settings.LIVE_REDIS_URL, **timeouts)


def lock_client() -> aioredis.Redis:
    """The pusher's client of the plain Redis (REDIS_URL), where the leader lock lives:
    beside the channel layer the pushes go through, and not on a live-store master whose
    failover would stop every push (the lock could be neither renewed nor taken)."""
    return aioredis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


class Pusher:
    def __init__(self) -> None:
        self.identity = uuid.uuid4().hex
        self.redis = live_client()
        self.locks = lock_client()
        self.layer = get_channel_layer()
        self.leading = False
        self.followed = False  # another pusher held the lock while this one ran
        self.feeder_runs = False  # a board feeder process's heartbeat stood at the renewal
        self.renew_at = 0.0
        self.polled_at = -1e9
        self.seen: dict[str, int] = {}
        self.last_sent: dict[str, float] = {}
        self.due: dict[str, float] = {}  # topic -> when its next snapshot goes out
        self.pending_news: dict[int, dict] = {}
        self.news_arrived = False
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        # Set once the news subscription is live: news published before it is not heard.
        self.listening = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        listener = asyncio.create_task(self._listen())
        try:
            while not self.stopping.is_set():
                try:
                    if loop.time() >= self.renew_at:
                        self.leading, wait = await self._lead()
                        self.renew_at = loop.time() + wait
                        if self.leading:
                            self.feeder_runs = bool(await self.locks.exists(keys.BOARD_FEEDER))
                    if self.leading:
                        await self._tick(loop.time())
                except Exception:  # keep pushing after a passing Redis or layer fault
                    logger.exception("pusher tick failed")
                    self.renew_at = 0.0
                    await asyncio.sleep(POLL_SECONDS)
                await self._sleep(self._next_wake() - loop.time())
        finally:
            await wind_down(listener, self._resign, [self.redis, self.locks])

    async def _sleep(self, seconds: float) -> None:
        """Until `seconds` pass, news arrives, or the pusher stops."""
        await sleep_until_woken(self.wake, seconds)

    def _next_wake(self) -> float:
        if not self.leading:
            return self.renew_at
        return min(self.renew_at, self.polled_at + POLL_SECONDS, *self.due.values())

    async def _lead(self) -> tuple[bool, float]:
        """Whether this pusher leads, and when to try again: in RENEW_SECONDS, or as soon
        as another's lock expires, so that a dead leader is replaced 3 s after its last
        renewal rather than up to a second later."""
        # Take the lock if free, or extend it if ours; a dead leader's lock expires.
        held = await self.locks.set(keys.PUSH_LEADER, self.identity, nx=True, px=LEADER_TTL_MS)
        if held:
            self.seen.clear()  # a new leader sends fresh snapshots at once
            self.due.clear()
            self.polled_at = -1e9
            if self.followed:
                # A takeover: the news that came while the dead leader's lock stood went
                # to nobody (this pusher only keeps news it leads for). Every socket gets
                # its player's `me` again, read fresh, as after a moderator's hide.
                self.due["ranks"] = asyncio.get_running_loop().time() + GATHER_SECONDS
            return True, RENEW_SECONDS
        pipe = self.locks.pipeline(transaction=False)
        pipe.get(keys.PUSH_LEADER)
        pipe.pttl(keys.PUSH_LEADER)
        owner, expires_ms = await pipe.execute()
        if owner == self.identity.encode():
            await self.locks.pexpire(keys.PUSH_LEADER, LEADER_TTL_MS)
            return True, RENEW_SECONDS
        self.followed = self.followed or owner is not None
        self.pending_news.clear()
        # PTTL: milliseconds left, or negative (no key, or no expiry).
        return False, min(RENEW_SECONDS, max(LOCK_POLL_SECONDS, expires_ms / 1000))

    async def _resign(self) -> None:
        with contextlib.suppress(Exception):
            if await self.locks.get(keys.PUSH_LEADER) == self.identity.encode():
                await self.locks.delete(keys.PUSH_LEADER)

    async def _tick(self, now: float) -> None:
        # Feed first (when no feeder process does): the news' ranks and the snapshots then
        # include what just arrived. A failed feed is retried on the next tick (its entries
        # stay pending); news goes on.
        if not self.feeder_runs:
            try:
                await sync_to_async(boards.feed)()
            except aioredis.RedisError:
                logger.warning("board feed failed; retrying on the next tick", exc_info=True)
        await self._send_news()
        unscheduled = any(topic not in self.due for topic in AWARD_TOPICS)
        if (self.news_arrived and unscheduled) or now >= self.polled_at + POLL_SECONDS:
            self.news_arrived = False
            self.polled_at = now
            self._schedule(await self._counters(), now)
        ready = [topic for topic, at in self.due.items() if at <= now]
        if ready:
            await self._send_snapshots(ready, now)

    async def _counters(self) -> dict[str, int]:
        # One round trip: the global boards' counters and every shard's community counter.
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.BOARD_CHANGES)
        for shard in keys.shards():
            pipe.hget(keys.changes(shard), "community")
        board_changes, *community = await pipe.execute()
        counters = {k.decode(): int(v) for k, v in cast(live.Fields, board_changes).items()}
        counters["community"] = sum(int(n or 0) for n in community)
        return counters

    def _schedule(self, counters: dict[str, int], now: float) -> None:
        for topic in ADOPTED_ON_TAKEOVER:
            self.seen.setdefault(topic, counters.get(topic, 0))
        for topic in TOPICS:
            if topic in self.due or self.seen.get(topic) == counters.get(topic, 0):
                continue
            earliest = self.last_sent.get(topic, -1e9) + SNAPSHOT_INTERVAL
            self.due[topic] = max(now + GATHER_SECONDS, earliest)

    async def _send_snapshots(self, topics: list[str], now: float) -> None:
        # The counters are read before the data, so a snapshot holds at least what they
        # count; a change that lands in between only makes one more snapshot later.
        counters = await self._counters()
        for topic in topics:
            del self.due[topic]
            self.seen[topic] = counters.get(topic, 0)
            self.last_sent[topic] = now
            if topic == "ranks":
                await self.layer.group_send(BOARDS_GROUP, {"type": "me.refresh"})
                continue
            messages = await board_messages() if topic == "boards" else [await community_message()]
            for message in messages:
                await self.layer.group_send(BOARDS_GROUP, {"type": "push", "text": encode(message)})

    async def _send_news(self) -> None:
        news, self.pending_news = self.pending_news, {}
        listed = [(p, item) for p, item in news.items() if item.get("listed")]
        try:
            ranks = await sync_to_async(boards.ranks_many)(
                [(p, int(item["points"]), int(item["weekly"]), item["week"]) for p, item in listed]
            )
        except aioredis.RedisError:
            # The global boards' master is failing over: the news waits for the next tick
            # (merged with what arrives meanwhile) rather than being lost.
            for item in news.values():
                self._keep(item, older=True)
            raise
        for (_player_id, item), rank in zip(listed, ranks, strict=True):
            item.update(rank)
        for player_id, item in news.items():
            texts = [encode(message) for message in news_messages(item)]
            await self.layer.group_send(
                player_group(player_id), {"type": "push.many", "texts": texts}
            )

    async def _listen(self) -> None:
        await listen(
            self.redis,
            news_channels(),
            self._merge,
            stopping=self.stopping,
            listening=self.listening,
            on_again=self._missed_news,
        )

    def _missed_news(self) -> None:
        """Subscribed again after a loss: news published in between (a master failing
        over, a link lost) was heard by nobody. The leader sends every socket its
        player's `me` again, read fresh, as after a moderator's hide."""
        if self.leading:
            self.due["ranks"] = asyncio.get_running_loop().time() + GATHER_SECONDS
            self.wake.set()

    def _merge(self, news: dict) -> None:
        """Keep the latest totals per player, all new badges, and where they started."""
        badges = news.get("badges") if isinstance(news.get("badges"), list) else []
        before = int(news["points"]) - int(news.get("awarded", 0))
        self._keep({**news, "badges": badges, "points_before": before})
        self.news_arrived = True
        self.wake.set()

    def _keep(self, item: dict, *, older: bool = False) -> None:
        """One player's news merged into what is pending for them: the later totals, every
        badge, the earlier starting point. `older`: `item` came before what is pending
        (news put back after a failed send)."""
        player_id = int(item["player"])
        pending = self.pending_news.get(player_id)
        if pending is None:
            self.pending_news[player_id] = item
            return
        first, last = (item, pending) if older else (pending, item)
        self.pending_news[player_id] = {
            **first,
            **last,
            "badges": first["badges"] + last["badges"],
            "points_before": first["points_before"],
        }


# One pusher per event loop (a websocket server process has one; each async test has its own).
_running: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def ensure_pusher() -> None:
    """Start this process's pusher when the first socket connects."""
    loop = asyncio.get_running_loop()
    current = _running.get(loop)
    if current is None or current[1].done():
        pusher = Pusher()
        _running[loop] = (pusher, loop.create_task(pusher.run()))


async def wait_until_listening(timeout: float = 5.0) -> None:
    """Until this loop's pusher hears the news channel (tests act right after connecting)."""
    current = _running.get(asyncio.get_running_loop())
    if current is None:
        raise RuntimeError("no pusher runs in this event loop")
    await asyncio.wait_for(current[0].listening.wait(), timeout)


async def stop_pusher() -> None:
    current = _running.pop(asyncio.get_running_loop(), None)
    if current is None:
        return
    pusher, task = current
    pusher.stopping.set()
    pusher.wake.set()
    try:
        await asyncio.wait_for(task, 5)
    except (TimeoutError, asyncio.CancelledError):
        logger.warning("pusher did not stop within 5 s")
