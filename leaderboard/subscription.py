"""The pusher's subscription to the shards' news channels (sharded pub/sub, SSUBSCRIBE).

On one server one SSUBSCRIBE names every channel. On a cluster a shard channel lives on
the master of its slot, and one SSUBSCRIBE may name channels of one slot only: each master
gets a connection of its own, subscribed channel by channel to the channels of the slots
it serves. A master that cannot be subscribed (down, or stalled past CONFIRM_SECONDS) is
left out, its channels `missing`, while every other master's news is heard: a dead master
does not silence the others. The subscription ends, and the pusher subscribes again from
a fresh slot map, when a connection fails, when a master drops a channel unasked (an
`sunsubscribe`: its slot moved, or it became a replica), when the slot map, re-read every
`TOPOLOGY_CHECK_SECONDS` (every `MISSING_CHECK_SECONDS` while channels are missing), puts a
channel on another node (a stalled master that was replaced says nothing, and news
published on its successor would go unheard), or when a missing master answers again.
News published while a channel was not subscribed is not heard: the pusher makes up for it
after subscribing again (leaderboard/pusher.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.client import PubSub
from redis.exceptions import RedisClusterException

from gameplay import keys

logger = logging.getLogger(__name__)

TOPOLOGY_CHECK_SECONDS = 2.0
MISSING_CHECK_SECONDS = 0.5
# How long a node may take to confirm its subscriptions before it counts as lost.
CONFIRM_SECONDS = 5.0
SOCKET_TIMEOUT_SECONDS = 5.0


class SubscriptionMoved(aioredis.RedisError):
    """A channel is no longer on the node its subscription is on: subscribe again."""


def lost_link(error: BaseException) -> bool:
    """A connection to a node failed (not a channel that moved)."""
    if isinstance(error, SubscriptionMoved):
        return False
    return isinstance(error, (ConnectionError, OSError, aioredis.RedisError))


class Subscription:
    """The news channels, heard on every node that serves them; `on_news` gets each
    piece of news (decoded JSON) in the order its node sent it."""

    def __init__(
        self,
        live: aioredis.Redis | aioredis.RedisCluster,
        channels: list[str],
        on_news: Callable[[dict], None],
    ) -> None:
        self.live = live
        self.channels = channels
        self.on_news = on_news
        self.pubsubs: dict[str, PubSub] = {}  # node name ("" for one server) -> its pubsub
        self.clients: list[aioredis.Redis] = []
        self.owners: dict[str, str] = {}  # channel -> the node it is subscribed on
        self.missing: set[str] = set()  # nodes whose channels could not be subscribed

    async def open(self) -> None:
        """Subscribed, every subscription confirmed: news published from now is heard, on
        every master that answers (at least one; the others' channels are `missing`)."""
        if not isinstance(self.live, aioredis.RedisCluster):
            pubsub = self.live.pubsub()
            self.pubsubs[""] = pubsub
            await pubsub.ssubscribe(*self.channels)
            await self._confirmed(pubsub, len(self.channels))
            return
        await self.live.nodes_manager.initialize()
        self.owners = self._owners()
        names = sorted(set(self.owners.values()))
        results = await asyncio.gather(
            *(self._subscribe_node(name) for name in names), return_exceptions=True
        )
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, (ConnectionError, OSError, aioredis.RedisError)):
                    raise result
                logger.warning("news from %s not heard (%s); hearing the others", name, result)
                self.missing.add(name)
        if len(self.missing) == len(names):
            raise SubscriptionMoved(f"no master of the news channels answers: {results[0]!r}")

    async def _subscribe_node(self, name: str) -> None:
        assert isinstance(self.live, aioredis.RedisCluster)
        node = self.live.get_node(node_name=name)
        assert node is not None  # named by the slot map just read
        client = aioredis.Redis(
            host=node.host,
            port=int(node.port),
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        self.clients.append(client)
        pubsub = client.pubsub()
        own = [channel for channel, owner in self.owners.items() if owner == name]
        try:
            for channel in own:
                await pubsub.ssubscribe(channel)  # one slot per SSUBSCRIBE on a cluster
            await self._confirmed(pubsub, len(own))
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), 2)
            raise
        self.pubsubs[name] = pubsub

    def _owners(self) -> dict[str, str]:
        assert isinstance(self.live, aioredis.RedisCluster)
        owners = {}
        for channel in self.channels:
            node = self.live.get_node_from_key(channel)
            if node is None:
                raise SubscriptionMoved(f"no master serves the slot of {channel}")
            owners[channel] = node.name
        return owners

    async def _confirmed(self, pubsub: PubSub, expected: int) -> None:
        """Read until the node confirmed `expected` subscriptions (news on the way
        delivered as it comes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONFIRM_SECONDS
        while expected:
            if loop.time() > deadline:
                raise SubscriptionMoved("a node did not confirm its subscriptions")
            raw = await pubsub.get_message(timeout=0.5)
            if raw is not None and raw["type"] == "ssubscribe":
                expected -= 1
            elif raw is not None:
                self._handle(raw)

    async def receive(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set; raises when the subscription is lost (see the module).
        On a cluster, a master whose connection fails is left out (`missing`) and the
        others go on being heard, until the topology watch sees it replaced or back."""
        pumps = {
            asyncio.create_task(self._pump(pubsub, stopping)): name
            for name, pubsub in self.pubsubs.items()
        }
        tasks = set(pumps)
        if self.owners:
            tasks.add(asyncio.create_task(self._watch_topology(stopping)))
        try:
            while True:
                done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    error = task.exception()
                    if error is None:
                        return  # stopping
                    name = pumps.get(task)
                    if name is None or not self.owners or not lost_link(error):
                        raise error
                    logger.warning("news from %s lost (%s); hearing the others", name, error)
                    self.missing.add(name)
                    await self._drop(name)
                if not tasks & pumps.keys():
                    raise SubscriptionMoved("no master of the news channels is heard")
        finally:
            for task in pumps.keys() | tasks:
                task.cancel()
            await asyncio.gather(*pumps.keys(), *tasks, return_exceptions=True)

    async def _drop(self, name: str) -> None:
        pubsub = self.pubsubs.pop(name)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pubsub.aclose(), 2)

    async def _pump(self, pubsub: PubSub, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            raw = await pubsub.get_message(timeout=1.0)
            if raw is not None:
                self._handle(raw)

    def _handle(self, raw: dict[str, Any]) -> None:
        if raw["type"] == "smessage":
            self.on_news(json.loads(raw["data"]))
        elif raw["type"] == "sunsubscribe":
            raise SubscriptionMoved(f"a node dropped {raw['channel']!r}: its slot moved")

    async def _watch_topology(self, stopping: asyncio.Event) -> None:
        assert isinstance(self.live, aioredis.RedisCluster)
        while not stopping.is_set():
            every = MISSING_CHECK_SECONDS if self.missing else TOPOLOGY_CHECK_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), every)
            if stopping.is_set():
                return
            await self.live.nodes_manager.initialize()
            if self._owners() != self.owners:
                raise SubscriptionMoved("the slot map moved a news channel to another node")
            for name in self.missing:
                if await self._answers(name):
                    raise SubscriptionMoved(f"{name}, missing from the subscription, is back")

    async def _answers(self, name: str) -> bool:
        host, _, port = name.rpartition(":")
        probe = aioredis.Redis(
            host=host, port=int(port), socket_timeout=0.5, socket_connect_timeout=0.5
        )
        try:
            return bool(await probe.ping())
        except (ConnectionError, OSError, aioredis.RedisError):
            return False
        finally:
            with contextlib.suppress(Exception):
                await probe.aclose()

    async def close(self) -> None:
        for pubsub in self.pubsubs.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), 2)
        for client in self.clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.aclose(), 2)


def news_channels() -> list[str]:
    """Every shard's news channel (gameplay.keys), in shard order."""
    return [keys.news_channel(n, settings.LIVE_REDIS_DB) for n in keys.shards()]


async def listen(
    live: aioredis.Redis | aioredis.RedisCluster,
    channels: list[str],
    on_news: Callable[[dict], None],
    *,
    stopping: asyncio.Event,
    listening: asyncio.Event,
    on_again: Callable[[], None],
) -> None:
    """Hear the channels until `stopping` is set, subscribing again whenever the
    subscription is lost. `listening` is set once the first subscription is live (news
    published before it is not heard); `on_again` is called each time a later one is,
    since the news published in between was heard by nobody."""
    while not stopping.is_set():
        subscription = Subscription(live, channels, on_news)
        opened = False
        try:
            await subscription.open()
            opened = True
            if listening.is_set():
                on_again()
            listening.set()
            await subscription.receive(stopping)
        except (ConnectionError, OSError, aioredis.RedisError, RedisClusterException):
            logger.warning("news subscription lost; subscribing again", exc_info=True)
            if not opened:  # nothing answers: do not spin
                await asyncio.sleep(1)
        finally:
            await subscription.close()


async def wind_down(
    listener: asyncio.Task, resign: Callable[[], Awaitable[None]], clients: list
) -> None:
    """The end of a listening loop (the pusher's, the feeder's): the listener stopped, the
    process's lock or heartbeat given up, its clients closed; none waited on past 2 s."""
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(listener, 2)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(resign(), 2)
    for client in clients:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.aclose(), 2)


async def sleep_until_woken(wake: asyncio.Event, seconds: float) -> None:
    """Until `seconds` pass or `wake` is set (news arrived, or the loop stops); clears it."""
    if seconds > 0 and not wake.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), seconds)
    wake.clear()
