"""The live leaderboard socket. Snapshots on connect; live pushes come with the pusher."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from leaderboard.api import board_payload, community_payload


class LeaderboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        for board in ("all", "week"):
            payload = await database_sync_to_async(board_payload)(board=board, limit=10, me_id=None)
            await self.send_json(
                {"type": "leaderboard", "board": board, "entries": payload["entries"]}
            )
        community = await database_sync_to_async(community_payload)()
        await self.send_json(
            {"type": "community", **community, "date": community["date"].isoformat()}
        )
