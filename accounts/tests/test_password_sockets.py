"""A new password closes, at once, the open sockets of every credential it ends: the old
token's and the other browsers' (4401), not the socket of the browser that changed it."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.passwords import password_change
from focusquest.asgi import application
from testkit.personas import browser_for, make_player
from testkit.sockets import PATH, closed_with, drain, token_header

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def connect(headers: list) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await drain(communicator, 0.3)  # the opening snapshots
    return communicator


async def answers_ping(communicator: WebsocketCommunicator) -> bool:
    """Whether the socket is open and answers (a board snapshot may come first)."""
    await communicator.send_json_to({"type": "ping"})
    return {"type": "pong"} in await drain(communicator, 1.0)


def cookie_of(browser: Client) -> list:
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    return [(b"cookie", cookie), (b"origin", b"http://127.0.0.1:8000")]


@pytest.mark.slow
async def test_a_new_password_closes_the_other_browsers_and_the_tokens_sockets(
    pusher_stopped_after,
):
    alice = await sync_to_async(make_player)("alice", display_name="Alice")
    bob = await sync_to_async(make_player)("bob", display_name="Bob")
    laptop, phone = await sync_to_async(browser_for)(alice), await sync_to_async(browser_for)(alice)
    by_laptop = await connect(cookie_of(laptop))
    by_phone = await connect(cookie_of(phone))
    by_token = await connect([token_header(alice)])
    bobs = await connect([token_header(bob)])

    def change_on_the_laptop() -> None:
        request = laptop.get("/dashboard/").wsgi_request  # the laptop's session, loaded
        password_change(player=alice, new_password="a-new-and-longer-passphrase", browser=request)

    await sync_to_async(change_on_the_laptop)()

    assert await closed_with(by_phone) == {"type": "websocket.close", "code": 4401}
    assert await closed_with(by_token) == {"type": "websocket.close", "code": 4401}
    for still_open in (by_laptop, bobs):
        assert await answers_ping(still_open)
        await still_open.disconnect()
