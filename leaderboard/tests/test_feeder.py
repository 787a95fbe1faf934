"""The board feeder (leaderboard/feeder.py) on real servers, one Redis and the 3+3 cluster:
an award is on the global boards within a fraction of a second of its news; while the
feeder's heartbeat stands the pusher does not feed, and once it is gone the pusher does;
the Procfile's process stops cleanly on SIGTERM and, SIGKILLed, leaves a heartbeat that
expires."""

import asyncio
import contextlib
import os
import signal
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django_redis import get_redis_connection

from common import clock
from focusquest.asgi import application
from gameplay import keys, live
from gameplay.tests.servers import board_feeder
from leaderboard import feeder
from leaderboard.pusher import POLL_SECONDS, RENEW_SECONDS, wait_until_listening
from testkit.personas import make_player
from testkit.sockets import PATH

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]

# The architecture: board reads lag an award by about 0.2 s; a loaded machine gets more.
FED_WITHIN = 0.5


def award(player, points: int) -> None:
    live.adjust(
        actor=player.actor, points=points, moderator_id=player.pk, reason="t", now=clock.now()
    )


def on_board(player) -> int | None:
    score = live.client().zscore(keys.BOARD_ALL, player.pk)
    return None if score is None else int(score)


def until(check, seconds: float) -> float:
    """Seconds until `check()` is true; fails past `seconds`."""
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < seconds, f"not within {seconds} s"
        time.sleep(0.005)
    return time.monotonic() - began


async def until_async(check, seconds: float) -> float:
    return await asyncio.to_thread(until, check, seconds)


def heartbeat() -> bytes | None:
    return get_redis_connection("default").get(keys.BOARD_FEEDER)


@contextlib.asynccontextmanager
async def running_feeder():
    """A feeder in this event loop, heard and beating; stopped after the block."""
    running = feeder.Feeder()
    task = asyncio.create_task(running.run())
    await asyncio.wait_for(running.listening.wait(), 10)
    await until_async(lambda: heartbeat() == running.identity.encode(), 5)
    try:
        yield running
    finally:
        running.stopping.set()
        running.wake.set()
        await asyncio.wait_for(task, 5)


@pytest.mark.asyncio
async def test_an_award_is_on_the_global_boards_within_half_a_second_of_its_news(monkeypatch):
    # No full feed after the first: only the news can bring the awards.
    monkeypatch.setattr(feeder, "FULL_SECONDS", 3600)
    ada = await sync_to_async(make_player)("ada")
    async with running_feeder() as running:
        lags = []
        for points, total in ((40, 40), (2, 42), (15, 57)):
            await asyncio.to_thread(award, ada, points)
            lags.append(await until_async(lambda total=total: on_board(ada) == total, FED_WITHIN))
    # Counted once each feed returns (after the boards moved): read once the feeder stopped.
    assert running.moved == 3
    # A feeder that stops takes its heartbeat down: the pusher feeds again at once.
    assert heartbeat() is None
    assert max(lags) < FED_WITHIN
    # The player was made in the shared sync thread: its connection must not outlive the test.
    await sync_to_async(connections.close_all)()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_pusher_feeds_only_while_no_feeder_heartbeat_stands(pusher_stopped_after):
    ada = await sync_to_async(make_player)("ada")
    locks = get_redis_connection("default")
    await asyncio.to_thread(locks.set, keys.BOARD_FEEDER, "another", px=60_000)
    socket = WebsocketCommunicator(application, PATH)
    assert (await socket.connect(timeout=5))[0]  # starts this loop's pusher
    await wait_until_listening()
    await asyncio.to_thread(award, ada, 40)
    # The pusher wakes on the news and every 0.2 s, and feeds nothing.
    await asyncio.sleep(RENEW_SECONDS + 5 * POLL_SECONDS)
    assert await asyncio.to_thread(on_board, ada) is None

    await asyncio.to_thread(locks.delete, keys.BOARD_FEEDER)
    # From its next renewal (once a second) the pusher feeds again.
    await until_async(lambda: on_board(ada) == 40, RENEW_SECONDS + 1.0)
    await socket.disconnect()


@pytest.mark.live
def test_the_procfiles_feeder_feeds_then_stops_on_sigterm_and_a_killed_ones_heartbeat_expires(
    tmp_path,
):
    ada = make_player("ada")
    with board_feeder(log=tmp_path / "feeder-1.log") as proc:
        award(ada, 40)
        until(lambda: on_board(ada) == 40, FED_WITHIN)
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(10) == 0
        assert heartbeat() is None

    with board_feeder(log=tmp_path / "feeder-2.log") as proc:
        award(ada, 2)
        until(lambda: on_board(ada) == 42, FED_WITHIN)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert heartbeat() is not None
        # It was renewed less than a second before the kill: gone within its expiry.
        until(lambda: heartbeat() is None, feeder.HEARTBEAT_TTL_MS / 1000 + 0.2)
