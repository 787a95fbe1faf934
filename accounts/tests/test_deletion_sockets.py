"""A deletion closes the player's open websockets at once (by token and by session cookie,
through the real ASGI stack and Redis channel layer), leaves everyone else's open, and the
sockets watching the boards get a snapshot without them."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.services import player_delete
from common import clock
from focusquest.asgi import application
from gameplay import live
from leaderboard.pusher import wait_until_listening
from pipeline import flush
from testkit.personas import PASSWORD, make_player
from testkit.sockets import PATH, closed_with, token_header
from testkit.traces import distinct_player, traces_of

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("live_store"),
]


async def connect(headers=()) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, PATH, headers=list(headers))
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def board_without(socket: WebsocketCommunicator, player_id: int, seconds: float) -> float:
    """Seconds until the socket's next "all" snapshot leaves the player out."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await socket.receive_nothing(timeout=0.05, interval=0.01):
            continue
        message = await socket.receive_json_from(timeout=1)
        listed = [entry["user_id"] for entry in message.get("entries", [])]
        if message.get("board") == "all" and player_id not in listed:
            return time.monotonic() - started
    raise AssertionError(f"player {player_id} still on the board after {seconds} s")


def award(player, points: int) -> None:
    live.adjust(
        actor=player.actor, points=points, moderator_id=player.pk, reason="t", now=clock.now()
    )


@pytest.fixture
def dora_and_bob(transactional_db):
    dora, trace = distinct_player("dora-deletes-7q", display_name="Dora Q7", email="dq7@x.test")
    bob = make_player("bob", display_name="Bob")
    return dora, trace, bob


@pytest.mark.slow
async def test_deleting_closes_the_players_sockets_and_no_other(dora_and_bob, pusher_stopped_after):
    dora, trace, bob = dora_and_bob
    await sync_to_async(award)(dora, 50)
    await sync_to_async(award)(bob, 20)
    browser = Client()
    await sync_to_async(browser.force_login)(dora)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    by_token = await connect([token_header(dora)])
    by_cookie = await connect([(b"cookie", cookie), (b"origin", b"http://127.0.0.1:8000")])
    bobs = await connect([token_header(bob)])
    watcher = await connect()
    await wait_until_listening()

    await sync_to_async(player_delete)(player=dora, password=PASSWORD)

    assert await closed_with(by_token) == {"type": "websocket.close", "code": 4401}
    # Its session ended (4401, accounts.browser_sessions), its account closed (4403): either.
    assert (await closed_with(by_cookie) or {}).get("code") in (4401, 4403)
    assert await board_without(watcher, dora.pk, seconds=2) < 2
    await bobs.send_json_to({"type": "ping"})
    assert await closed_with(bobs, seconds=0.5) is None
    for socket in (by_token, by_cookie):
        await socket.wait(timeout=2)  # their disconnect left the channel layer's groups
    # Once their waiting award is flushed (dropped), nothing of them is left, the channel
    # layer's groups included.
    await sync_to_async(flush.flush_pending)()
    assert (await sync_to_async(traces_of)(trace)).found == []
    await bobs.disconnect()
    await watcher.disconnect()
