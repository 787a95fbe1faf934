"""The board feeder: the global boards (`{lb}`) fed from the shard streams by a process of
its own, the Procfile's `feeder` (`manage.py feed_boards`).

The elected pusher can feed them (leaderboard/pusher.py), but in the websocket process's
event loop an award's feed waits whenever the loop is busy sending a snapshot to every
socket: with 1,000 sockets the board lag's p95 was 0.43-0.50 s (docs/benchmarks.md), where
the architecture allows about 0.2 s. Here nothing else waits in the loop:

- it hears the same news channels as the pusher (leaderboard/subscription.py); every award
  publishes its player's news from its script, so the news names the shard whose stream
  just got the award's event, and that shard is fed at once (gameplay.boards.feed: the
  shard's consumer group, the versions' guard), the shards of the news that came during a
  feed together right after it;
- every `FULL_SECONDS` it feeds every shard with entries, for what no news announced (news
  is not kept while a subscription is lost, and a master's failover loses some);
- while it runs it keeps `keys.BOARD_FEEDER` on the plain Redis (REDIS_URL, beside the
  pusher's leader lock), set with an expiry of `HEARTBEAT_TTL_MS` and renewed every
  `HEARTBEAT_SECONDS`, and the pusher does not feed. Should the feeder die, the heartbeat
  expires and the pusher feeds again from its next renewal: the boards then lag by a few
  seconds once, never lose an award (its event waits on the stream, pending or new).

Two feeders (one per machine, say) read through the one consumer group, so each event
goes to one of them; should both get one (a reclaim), the versions make the second a no-op.
"""

import asyncio
import contextlib
import logging
import signal
import uuid

from gameplay import boards, keys
from leaderboard.pusher import live_client, lock_client
from leaderboard.subscription import listen, news_channels, sleep_until_woken, wind_down

logger = logging.getLogger(__name__)

FULL_SECONDS = 1.0
HEARTBEAT_SECONDS = 1.0
HEARTBEAT_TTL_MS = 3000
RETRY_SECONDS = 0.2
LISTEN_WAIT_SECONDS = 5.0


class Feeder:
    def __init__(self) -> None:
        self.identity = uuid.uuid4().hex
        self.redis = live_client()
        self.locks = lock_client()
        self.announced: set[int] = set()  # shards named by news not yet fed
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.listening = asyncio.Event()
        self.moved = 0  # scores moved on the global boards, for the tests and the log

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        listener = asyncio.create_task(
            listen(
                self.redis,
                news_channels(),
                self._announce,
                stopping=self.stopping,
                listening=self.listening,
                on_again=lambda: None,  # the next full feed takes what went unheard
            )
        )
        try:
            # The heartbeat tells the pusher to stop feeding: not before news is heard
            # (unless no master answers for a while: the full feeds go on meanwhile).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.listening.wait(), LISTEN_WAIT_SECONDS)
            beat_at = full_at = loop.time()
            while not self.stopping.is_set():
                if loop.time() >= beat_at:
                    beat_at = loop.time() + await self._beat()
                if loop.time() >= full_at:
                    full_at = loop.time() + FULL_SECONDS
                    self.announced.clear()
                    await self._feed(None)
                elif self.announced:
                    shards, self.announced = sorted(self.announced), set()
                    await self._feed(shards)
                if not self.announced:
                    await self._sleep(min(beat_at, full_at) - loop.time())
        finally:
            await wind_down(listener, self._resign, [self.redis, self.locks])

    async def _feed(self, shards: list[int] | None) -> None:
        """Feed the shards (None: every shard with entries) in a thread, so that news goes
        on being heard meanwhile. A failure (a master failing over) leaves the entries on
        their streams: the shards are tried again shortly."""
        try:
            self.moved += await asyncio.to_thread(boards.feed, shards=shards)
        except Exception:
            logger.warning("board feed failed; trying again", exc_info=True)
            if shards:
                self.announced.update(shards)
            await self._sleep(RETRY_SECONDS)

    async def _beat(self) -> float:
        """Renew the heartbeat; seconds until the next renewal (sooner after a failure: the
        plain Redis being down only means the pusher may feed too, which is harmless)."""
        try:
            await self.locks.set(keys.BOARD_FEEDER, self.identity, px=HEARTBEAT_TTL_MS)
        except Exception:
            logger.warning("board feeder heartbeat failed", exc_info=True)
            return RETRY_SECONDS
        return HEARTBEAT_SECONDS

    async def _resign(self) -> None:
        """A feeder that stops takes its heartbeat down (if it is still its own), so the
        pusher feeds again at its next renewal rather than after the expiry."""
        if await self.locks.get(keys.BOARD_FEEDER) == self.identity.encode():
            await self.locks.delete(keys.BOARD_FEEDER)

    async def _sleep(self, seconds: float) -> None:
        """Until `seconds` pass, news arrives, or the feeder stops."""
        await sleep_until_woken(self.wake, seconds)

    def _announce(self, news: dict) -> None:
        self.announced.add(keys.shard_of(int(news["player"])))
        self.wake.set()


async def serve() -> None:
    """Run a feeder until SIGTERM or SIGINT."""
    feeder = Feeder()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _stop, feeder)
    logger.info("board feeder %s started", feeder.identity)
    await feeder.run()
    logger.info("board feeder stopped (%s scores moved)", feeder.moved)


def _stop(feeder: Feeder) -> None:
    feeder.stopping.set()
    feeder.wake.set()
