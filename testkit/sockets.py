"""Helpers for tests that drive the leaderboard socket: through the real ASGI stack in the
test's own process, or on a real websocket server (`receive_until`)."""

import json
import time
from collections.abc import Callable

from channels.testing import WebsocketCommunicator

from accounts.models import User
from focusquest.asgi import application

PATH = "/ws/leaderboard/"


def token_header(player: User) -> tuple[bytes, bytes]:
    return (b"authorization", f"Token {player.auth_token.key}".encode())


def token_socket(player: User) -> WebsocketCommunicator:
    """A leaderboard socket (not yet connected) that authenticates with the player's token."""
    return WebsocketCommunicator(application, PATH, headers=[token_header(player)])


async def drain(communicator, seconds: float) -> list[dict]:
    """Every message for `seconds`. (A timed-out receive_json_from would cancel the app.)"""
    messages = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await communicator.receive_nothing(timeout=0.05, interval=0.01):
            messages.append(await communicator.receive_json_from(timeout=1))
    return messages


async def closed_with(communicator, seconds: float = 2.0) -> dict | None:
    """The close the server sent within `seconds` (messages before it are skipped), or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await communicator.receive_nothing(timeout=0.05, interval=0.01):
            output = await communicator.receive_output(timeout=1)
            if output["type"] == "websocket.close":
                return output
    return None


def receive_until(socket, wanted: Callable[[dict], bool], seconds: float) -> dict:
    """The first message on `socket` (a websockets sync client, connected to a real
    server) that `wanted` accepts, within `seconds`; earlier ones are skipped."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(socket.recv(timeout=left))
        except TimeoutError:
            break
        if wanted(message):
            return message
    raise AssertionError(f"no such message within {seconds} s")
