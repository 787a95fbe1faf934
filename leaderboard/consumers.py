"""The live leaderboard socket: authenticate, join groups, forward.

Anyone may connect and gets the boards and the community counters; a session cookie or
an `Authorization: Token` header also brings the player's own news. Close codes:
4401 a token that does not authenticate (also when the socket's token is deleted while it
is open: a logout, a new password; or when another browser's new password ended the
session it came with), 4400 a malformed client message, 4403 the account was deactivated
while the socket was open.
"""

import json

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.authentication import session_group, token_group
from gameplay import live
from leaderboard.pusher import (
    BOARDS_GROUP,
    board_messages,
    community_message,
    ensure_pusher,
    player_group,
)
from leaderboard.selectors import me_message

CLOSE_BAD_CREDENTIALS = 4401
CLOSE_BAD_MESSAGE = 4400
CLOSE_ACCOUNT_CLOSED = 4403


class LeaderboardConsumer(AsyncJsonWebsocketConsumer):
    groups = [BOARDS_GROUP]

    async def connect(self) -> None:
        if self.scope.get("token_error"):
            await self.accept()
            await self.close(code=CLOSE_BAD_CREDENTIALS)
            return
        user = self.scope.get("user")
        self.player_id: int | None = user.pk if user is not None and user.is_authenticated else None
        self.token_group = (
            token_group(self.scope["token_key"]) if "token_key" in self.scope else None
        )
        self.session_group = self._session_group()
        ensure_pusher()
        await self.accept()
        if self.player_id is not None:
            await self.channel_layer.group_add(player_group(self.player_id), self.channel_name)
        for group in (self.token_group, self.session_group):
            if group is not None:
                await self.channel_layer.group_add(group, self.channel_name)
        for message in await board_messages():
            await self.send_json(message)
        await self.send_json(await community_message())
        if self.player_id is not None:
            await self.send_json(await self._me(self.player_id))

    async def dispatch(self, message: dict) -> None:
        # Channels' own dispatch first closes stale database connections, a hop to a
        # worker thread for every message, which costs most of the process's CPU with a
        # thousand sockets. Nothing here touches the database outside
        # database_sync_to_async, which closes them itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        # A socket refused in connect() never set its attributes.
        player_id = getattr(self, "player_id", None)
        if player_id is not None:
            await self.channel_layer.group_discard(player_group(player_id), self.channel_name)
        for group in (getattr(self, "token_group", None), getattr(self, "session_group", None)):
            if group is not None:
                await self.channel_layer.group_discard(group, self.channel_name)

    def _session_group(self) -> str | None:
        """The group of the browser session a player's socket authenticated with (none
        when a token did)."""
        session = self.scope.get("session")
        if self.player_id is None or self.token_group is not None or session is None:
            return None
        return session_group(session.session_key) if session.session_key else None

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        await self.send_json({"type": "pong"})

    async def push(self, event: dict) -> None:
        # The pusher encoded it once for every socket.
        await self.send(text_data=event["text"])

    async def account_closed(self, event: dict) -> None:
        # A moderator deactivated the account: its sockets stop at once, like its token.
        await self.close(code=CLOSE_ACCOUNT_CLOSED)

    async def token_revoked(self, event: dict) -> None:
        # The token this socket authenticated with was deleted: it is a bad token now.
        await self.close(code=CLOSE_BAD_CREDENTIALS)

    async def session_ended(self, event: dict) -> None:
        # Likewise the browser session it authenticated with.
        await self.close(code=CLOSE_BAD_CREDENTIALS)

    async def push_many(self, event: dict) -> None:
        for text in event["texts"]:
            await self.send(text_data=text)

    async def me_refresh(self, event: dict) -> None:
        # Ranks moved without news for this player (a moderator hid or showed someone).
        if self.player_id is not None:
            await self.send_json(await self._me(self.player_id))

    @database_sync_to_async
    def _me(self, player_id: int) -> dict:
        snapshot = live.player_snapshot(player_id=player_id)
        return me_message(
            points=snapshot.points,
            weekly_points=snapshot.weekly_points,
            rank_all=snapshot.rank_all,
            rank_week=snapshot.rank_week,
        )
