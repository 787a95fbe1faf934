"""The pusher's subscription to the shards' news channels (sharded pub/sub, SSUBSCRIBE).

On one server one SSUBSCRIBE names every channel. On a cluster a shard channel lives on
the master of its slot, and one SSUBSCRIBE may name channels of one slot only: each master
gets a connection of its own, subscribed channel by channel to the channels of the slots
it serves. The subscription ends, and the pusher subscribes again from a fresh slot map,
when a connection fails, when a master drops a channel unasked (an `sunsubscribe`: its
slot moved, or it became a replica), or when the slot map, re-read every
`TOPOLOGY_CHECK_SECONDS`, puts a channel on another node: a stalled master that was
replaced says nothing, and news published on its successor would go unheard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

TOPOLOGY_CHECK_SECONDS = 2.0
# How long a node may take to confirm its subscriptions before it counts as lost.
CONFIRM_SECONDS = 5.0
SOCKET_TIMEOUT_SECONDS = 5.0


class SubscriptionMoved(aioredis.RedisError):
    """A channel is no longer on the node its subscription is on: subscribe again."""


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
        self.pubsubs: list[PubSub] = []
        self.clients: list[aioredis.Redis] = []
        self.owners: dict[str, str] = {}  # channel -> the node it is subscribed on

    async def open(self) -> None:
        """Subscribed, every subscription confirmed: news published from now is heard."""
        if not isinstance(self.live, aioredis.RedisCluster):
            pubsub = self.live.pubsub()
            self.pubsubs.append(pubsub)
            await pubsub.ssubscribe(*self.channels)
            await self._confirmed(pubsub, len(self.channels))
            return
        await self.live.nodes_manager.initialize()
        self.owners = self._owners()
        for name in sorted(set(self.owners.values())):
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
            self.pubsubs.append(pubsub)
            own = [channel for channel, owner in self.owners.items() if owner == name]
            for channel in own:
                await pubsub.ssubscribe(channel)  # one slot per SSUBSCRIBE on a cluster
            await self._confirmed(pubsub, len(own))

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
        """Until `stopping` is set; raises when the subscription is lost (see the module)."""
        tasks = [asyncio.create_task(self._pump(pubsub, stopping)) for pubsub in self.pubsubs]
        if self.owners:
            tasks.append(asyncio.create_task(self._watch_topology(stopping)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a failure's exception
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), TOPOLOGY_CHECK_SECONDS)
            if stopping.is_set():
                return
            await self.live.nodes_manager.initialize()
            if self._owners() != self.owners:
                raise SubscriptionMoved("the slot map moved a news channel to another node")

    async def close(self) -> None:
        for pubsub in self.pubsubs:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), 2)
        for client in self.clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.aclose(), 2)
