"""What a player's export holds, read as it is written: `focusquest.json` (the whole account
in one document) and one CSV per table, the same rows, for a spreadsheet.

Every table is read with a server-side cursor (`.iterator(chunk_size=...)`) and written row
by row into the ZIP as it streams out (accountdata/zipstream.py), so years of history never
sit in a worker's memory. All of it is read in one REPEATABLE READ transaction: the JSON
and the CSVs, read one after the other, show the same moment.
"""

import contextlib
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from django.db import connection, transaction

from accountdata.zipstream import zip_stream
from accounts.models import User
from gameplay import rules
from gameplay.models import Badge, LedgerEntry
from habits.models import CheckIn, FrozenDay, Habit
from sessions_app.models import FocusSession
from vacations.models import Vacation

FORMAT = "focusquest-export"
VERSION = 1
JSON_NAME = "focusquest.json"
ROWS_PER_FETCH = 2000
TEXT_CHUNK = 32 * 1024  # characters gathered before they go to the archive

Row = dict[str, Any]


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """A value as JSON and the CSVs write it: dates ISO, moments in UTC, ids as text."""
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def schedule_of(kind: str, rest_days: list[int], target: int) -> dict:
    """A habit's schedule as the API writes it."""
    if kind == rules.WEEKLY:
        return {"kind": kind, "target": target}
    return {"kind": kind, "rest_days": sorted(rest_days)}


def _habits(player: User) -> Iterator[Row]:
    rows = (
        Habit.objects.filter(player=player)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "name",
            "kind",
            "rest_days",
            "weekly_target",
            "created_at",
            "deleted_at",
            "check_in_count",
            "longest_streak",
        )
    )
    for pk, name, kind, rest, target, created, deleted, count, longest in rows.iterator(
        chunk_size=ROWS_PER_FETCH
    ):
        yield {
            "id": pk,
            "name": name,
            "schedule": schedule_of(kind, rest, target),
            "created_at": created,
            "deleted_at": deleted,
            "check_in_count": count,
            "longest_streak": longest,
        }


def _habit_cells(row: Row) -> Row:
    schedule = row["schedule"]
    rest = " ".join(str(day) for day in schedule.get("rest_days", []))
    return {**row, "kind": schedule["kind"], "rest_days": rest, "target": schedule.get("target")}


def _rows(model, order: tuple[str, ...], columns: tuple[str, ...]) -> Callable:
    """The player's rows of a table, in `order`, as {column: value}."""

    def read(player: User) -> Iterator[Row]:
        rows = model.objects.filter(player=player).order_by(*order).values_list(*columns)
        for values in rows.iterator(chunk_size=ROWS_PER_FETCH):
            yield dict(zip(columns, values, strict=True))

    return read


@dataclass(frozen=True)
class Table:
    name: str  # its key in focusquest.json; its CSV is <name>.csv
    columns: tuple[str, ...]  # the CSV's
    rows: Callable[[User], Iterator[Row]]
    cells: Callable[[Row], Row] = lambda row: row


HABIT_COLUMNS = (
    "id", "name", "kind", "rest_days", "target", "created_at", "deleted_at", "check_in_count",
    "longest_streak",
)  # fmt: skip
CHECK_IN_COLUMNS = ("habit_id", "day", "points_awarded", "streak", "checked_at")
FROZEN_COLUMNS = ("habit_id", "day")
VACATION_COLUMNS = ("id", "start", "end", "created_at")
SESSION_COLUMNS = (
    "id", "habit_id", "planned_minutes", "started_at", "ended_at", "status", "focused_seconds",
    "points_awarded",
)  # fmt: skip
BADGE_COLUMNS = ("code", "awarded_at")
LEDGER_COLUMNS = (
    "event_id", "kind", "points", "occurred_at", "day", "focus_seconds", "reason", "payload",
)  # fmt: skip

TABLES = (
    Table("habits", HABIT_COLUMNS, _habits, _habit_cells),
    Table("check_ins", CHECK_IN_COLUMNS, _rows(CheckIn, ("day", "habit_id"), CHECK_IN_COLUMNS)),
    Table("frozen_days", FROZEN_COLUMNS, _rows(FrozenDay, ("day", "habit_id"), FROZEN_COLUMNS)),
    Table("vacations", VACATION_COLUMNS, _rows(Vacation, ("start", "id"), VACATION_COLUMNS)),
    Table("sessions", SESSION_COLUMNS, _rows(FocusSession, ("started_at", "id"), SESSION_COLUMNS)),
    Table("badges", BADGE_COLUMNS, _rows(Badge, ("awarded_at", "code"), BADGE_COLUMNS)),
    Table(
        "ledger", LEDGER_COLUMNS, _rows(LedgerEntry, ("occurred_at", "event_id"), LEDGER_COLUMNS)
    ),
)


def _profile(player: User) -> Row:
    return {
        "id": player.pk,
        "username": player.username,
        "display_name": player.display_name,
        "email": player.email,
        "timezone": player.timezone,
        "day_start_hour": player.day_start_hour,
        "date_joined": player.date_joined,
        "points": player.points,
        "level": rules.level_for(player.points),
        "completed_sessions": player.completed_sessions,
    }


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False, separators=(", ", ": "))


def _gathered(texts: Iterable[str]) -> Iterator[bytes]:
    """UTF-8 chunks of about TEXT_CHUNK characters."""
    parts: list[str] = []
    size = 0
    for text in texts:
        parts.append(text)
        size += len(text)
        if size >= TEXT_CHUNK:
            yield "".join(parts).encode()
            parts, size = [], 0
    if parts:
        yield "".join(parts).encode()


def _document(player: User, now: datetime) -> Iterator[str]:
    """focusquest.json: its header fields first, then one table a key, one row a line."""
    yield "{\n"
    yield f'"format": "{FORMAT}",\n"version": {VERSION},\n"exported_at": {_json(now)},\n'
    yield f'"profile": {_json(_profile(player))},\n'
    yield f'"freezes": {_json({"held": player.freezes, "max": rules.FREEZES_MAX})}'
    for table in TABLES:
        yield f',\n"{table.name}": ['
        separator = "\n"
        for row in table.rows(player):
            yield separator + _json(row)
            separator = ",\n"
        yield "\n]"
    yield "\n}\n"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell. Text a spreadsheet would run as a formula (a habit named "=HYPERLINK(...)")
    is written with a leading apostrophe, which spreadsheets show as text."""
    value = _plain(value)
    if isinstance(value, dict | list):
        return _json(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(player: User, table: Table) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows(player):
        cells = table.cells(row)
        writer.writerow([_cell(cells.get(column)) for column in table.columns])
        if buffer.tell() >= TEXT_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """One moment for every read of the export: a read-only REPEATABLE READ transaction
    (inside a caller's transaction, a test's, that one)."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_chunks(player_id: int, now: datetime) -> Iterator[bytes]:
    """The export's ZIP, chunk by chunk, read when the response is sent."""
    with _snapshot():
        player = User.objects.get(pk=player_id)
        members = [(JSON_NAME, _gathered(_document(player, now)))]
        members += [(f"{t.name}.csv", _gathered(_csv(player, t))) for t in TABLES]
        yield from zip_stream(members, moment=now)
