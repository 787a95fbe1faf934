"""Helpers for tests that drive the leaderboard socket through the real ASGI stack."""

import time


async def drain(communicator, seconds: float) -> list[dict]:
    """Every message for `seconds`. (A timed-out receive_json_from would cancel the app.)"""
    messages = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await communicator.receive_nothing(timeout=0.05, interval=0.01):
            messages.append(await communicator.receive_json_from(timeout=1))
    return messages
