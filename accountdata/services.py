"""A player's data out (`account_export`): it first flushes the player's shard
(pipeline.player_flush), so the export holds every action answered before it began."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from accountdata.export import export_chunks
from accounts.models import User
from gameplay import live
from pipeline.player_flush import flush_player


@dataclass(frozen=True)
class Export:
    filename: str
    chunks: Iterator[bytes]


def account_export(*, player: User, now: datetime) -> Export:
    """The player's export, as chunks read when they are sent. The days that ended are
    settled first (the freezes they spend are in it, as /api/me shows them), then the
    player's shard is flushed."""
    live.settle(actor=player.actor, now=now)
    flush_player(player.pk)
    filename = f"focusquest-{player.username}-{player.actor.day(now).isoformat()}.zip"
    return Export(filename, export_chunks(player.pk, now))
