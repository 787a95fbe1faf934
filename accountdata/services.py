"""A player's data out (`account_export`) and in (`account_import`).

Both first flush the player's shard (pipeline.player_flush): the export then holds every
action answered before it began, and the import reads the habits and days the player was
answered. The import reads and checks the whole file before it writes a row, writes every
row in one transaction under the player's row lock (so two imports, or an import and a
habit's creation, take turns with the limits), and gives the live store the imported days
only after COMMIT, so the live store never holds what PostgreSQL rolled back.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from http import HTTPStatus
from typing import IO

from django.db import transaction
from redis.exceptions import RedisError

from accountdata.export import export_chunks
from accountdata.plan import ImportPlan
from accountdata.readers import read_upload
from accountdata.writes import Written, write_import
from accounts.models import User
from common.refusals import Refusal
from gameplay import history, keys, live
from gameplay.store import LiveStoreUnavailable
from habits.selectors import habit_cache_remember
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


@dataclass(frozen=True)
class Imported:
    habits: int  # habits made
    check_ins: int  # check-ins added


class ImportNotLive(Refusal):
    """The rows were committed but the live store could not take the days: 503. The same
    file again adds no row and gives the live store what it missed."""

    status = HTTPStatus.SERVICE_UNAVAILABLE


def _go_live(player: User, written: Written, now: datetime) -> None:
    try:
        history.history_import(
            actor=player.actor,
            habits=written.live_habits,
            vacations=written.vacations,
            frozen=written.frozen,
            now=now,
        )
    except (RedisError, LiveStoreUnavailable) as exc:
        raise ImportNotLive(
            "The import was saved, but its streaks could not reach the game just now: "
            "send the same file again in a moment (it adds nothing twice)."
        ) from exc
    for habit in written.habits_created:
        habit_cache_remember(habit)


def account_import(*, player: User, upload: IO[bytes], now: datetime) -> Imported:
    """Import a FocusQuest or Loop Habit Tracker export: its habits and their check-ins
    before the player's today, no points, badges or freezes, no focus sessions. Raises
    ImportRefused (nothing written) for a file it cannot take."""
    plan: ImportPlan = read_upload(upload, today=player.actor.day(now))
    # The live store answers before a row is written (a read of the player's hash: a
    # refused import writes nothing anywhere). The history script settles the days that
    # ended before it shows the imported ones.
    live.client().exists(keys.player(player.pk))
    flush_player(player.pk)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=player.pk).values_list("pk").first()
        written = write_import(player, plan, now)
        transaction.on_commit(partial(_go_live, player, written, now))
    return Imported(habits=len(written.habits_created), check_ins=written.check_ins)
