"""Hiding reaches the websockets: the board snapshots lose alice within 2 seconds, and
get her back with her points when she is shown again. Through the real ASGI stack, the
real Redis channel layer and the real pusher."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import moderator_make
from common import clock
from focusquest.asgi import application
from gameplay import boards, live
from moderation.services import player_active_set, player_visibility_set
from testkit.personas import make_player
from testkit.sockets import PATH, closed_with, drain, token_socket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("live_store"),
]


@pytest.fixture
def people(transactional_db):
    alice = make_player("alice", display_name="Alice")
    bob = make_player("bob", display_name="Bob")
    mo = moderator_make(player=make_player("mo", display_name="Mo"))
    for player, points in ((alice, 40), (bob, 25)):
        live.adjust(
            actor=player.actor, points=points, moderator_id=mo.pk, reason="t", now=clock.now()
        )
    # On the global boards before a socket opens, as a pusher running since the server
    # started would have put them (these tests' pusher starts with their first socket).
    boards.feed()
    return alice, bob, mo


async def next_boards(socket, within: float) -> tuple[float, dict[str, list]]:
    """The first snapshot of both boards after now, and how long it took to arrive."""
    started = time.monotonic()
    boards: dict[str, list] = {}
    while len(boards) < 2 and time.monotonic() - started < within:
        for message in await drain(socket, 0.1):
            if message["type"] == "leaderboard":
                boards[message["board"]] = [
                    (e["display_name"], e["points"], e["rank"]) for e in message["entries"]
                ]
    return time.monotonic() - started, boards


@pytest.mark.slow
async def test_hiding_alice_leaves_her_out_of_the_snapshots_within_2_s_and_showing_her_restores_her(
    people, pusher_stopped_after
):
    alice, _bob, mo = people
    socket = WebsocketCommunicator(application, PATH)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    opening = [await socket.receive_json_from(timeout=5) for _ in range(3)]
    assert [(e["display_name"], e["points"]) for e in opening[0]["entries"]] == [
        ("Alice", 40),
        ("Bob", 25),
    ]
    await drain(socket, 1.2)  # the pusher's first snapshots as it takes the lead

    await sync_to_async(player_visibility_set)(
        moderator=mo, player=alice, hidden=True, now=clock.now()
    )
    took, boards = await next_boards(socket, within=2.0)

    assert took < 2.0
    assert boards == {"all": [("Bob", 25, 1)], "week": [("Bob", 25, 1)]}

    await sync_to_async(player_visibility_set)(
        moderator=mo, player=alice, hidden=False, now=clock.now()
    )
    took, boards = await next_boards(socket, within=2.0)

    assert took < 2.0
    assert boards == {
        "all": [("Alice", 40, 1), ("Bob", 25, 2)],
        "week": [("Alice", 40, 1), ("Bob", 25, 2)],
    }
    await socket.disconnect()


@pytest.mark.slow
async def test_deactivating_alice_closes_her_open_socket_with_4403(people, pusher_stopped_after):
    alice, bob, mo = people
    alice_socket, bob_socket = token_socket(alice), token_socket(bob)
    assert (await alice_socket.connect(timeout=5))[0]
    assert (await bob_socket.connect(timeout=5))[0]
    await drain(alice_socket, 0.5)
    await drain(bob_socket, 0.5)

    await sync_to_async(player_active_set)(moderator=mo, player=alice, active=False)

    assert await closed_with(alice_socket) == {"type": "websocket.close", "code": 4403}
    assert not any(m.get("type") == "close" for m in await drain(bob_socket, 0.3))
    await bob_socket.send_json_to({"type": "ping"})
    assert await bob_socket.receive_json_from(timeout=2) == {"type": "pong"}
    await bob_socket.disconnect()


async def next_me(socket, within: float) -> dict | None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in await drain(socket, 0.1):
            if message["type"] == "me":
                return message
    return None


@pytest.mark.slow
async def test_hiding_alice_moves_bob_up_one_rank_on_his_open_socket_and_showing_her_moves_him_back(
    people, pusher_stopped_after
):
    alice, bob, mo = people
    bob_socket, alice_socket = token_socket(bob), token_socket(alice)
    assert (await bob_socket.connect(timeout=5))[0]
    assert (await alice_socket.connect(timeout=5))[0]
    bob_opening = await drain(bob_socket, 1.2)
    await drain(alice_socket, 0.1)
    assert [m["rank"] for m in bob_opening if m["type"] == "me"] == [{"all": 2, "week": 2}]

    await sync_to_async(player_visibility_set)(
        moderator=mo, player=alice, hidden=True, now=clock.now()
    )

    bob_hidden, alice_hidden = await next_me(bob_socket, 2.0), await next_me(alice_socket, 2.0)
    assert bob_hidden == {
        "type": "me",
        "points": 25,
        "level": 1,
        "weekly_points": 25,
        "rank": {"all": 1, "week": 1},
    }
    assert alice_hidden == {
        "type": "me",
        "points": 40,
        "level": 1,
        "weekly_points": 40,
        "rank": {"all": None, "week": None},
    }

    await sync_to_async(player_visibility_set)(
        moderator=mo, player=alice, hidden=False, now=clock.now()
    )

    bob_shown = await next_me(bob_socket, 2.0)
    assert bob_shown is not None and bob_shown["rank"] == {"all": 2, "week": 2}
    await bob_socket.disconnect()
    await alice_socket.disconnect()


@pytest.mark.slow
async def test_hiding_six_players_at_once_refreshes_a_socket_at_most_twice_not_six_times(
    people, pusher_stopped_after
):
    alice, bob, mo = people
    others = await sync_to_async(lambda: [make_player(f"p{index}") for index in range(5)])()
    bob_socket = token_socket(bob)
    assert (await bob_socket.connect(timeout=5))[0]
    await drain(bob_socket, 1.2)

    for player in [alice, *others]:
        await sync_to_async(player_visibility_set)(
            moderator=mo, player=player, hidden=True, now=clock.now()
        )
    later = await drain(bob_socket, 1.5)

    refreshes = [m["rank"] for m in later if m["type"] == "me"]
    # Coalesced like the snapshots: one, or two when the hides straddle a snapshot interval.
    assert 1 <= len(refreshes) <= 2
    assert refreshes[-1] == {"all": 1, "week": 1}
    await bob_socket.disconnect()
