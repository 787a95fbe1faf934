"""What an import file says, once read and checked, before anything is written: the same
for a FocusQuest export and a Loop Habit Tracker one (the readers: accountdata/readers.py,
accountdata/loop.py). A file the readers cannot take is refused whole (`ImportRefused`,
400, naming the file and the row), so nothing of it is written."""

import contextlib
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from django.conf import settings

from common.refusals import Invalid
from gameplay import rules

NAME_MAX = 80  # a habit's name, as the API takes it
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class ImportRefused(Invalid):
    """The file cannot be imported: 400, `{"file": [why, naming the file and the row]}`."""

    default_field = "file"


@dataclass
class PlannedHabit:
    """One habit of the file: what it is, and its checked days before the player's today."""

    key: str  # its identity in the source: the import key (accountdata.models)
    name: str
    schedule: rules.Schedule
    deleted: bool = False  # deleted (FocusQuest) or archived (Loop): history, not held
    days: set[date] = field(default_factory=set)
    frozen: set[date] = field(default_factory=set)  # days a freeze was spent on (FocusQuest)
    created_at: datetime | None = None
    source_id: int | None = None  # its id in a FocusQuest export


@dataclass
class ImportPlan:
    source: str  # "focusquest" or "loop"
    habits: list[PlannedHabit] = field(default_factory=list)
    vacations: list[tuple[date, date]] = field(default_factory=list)  # first, last day
    origin_player: int | None = None  # the exporting player's id (FocusQuest)

    @property
    def check_ins(self) -> int:
        return sum(len(habit.days) for habit in self.habits)


def checked_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ImportRefused(f"{where}: a habit needs a name.")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise ImportRefused(
            f"{where}: the name {name[:20]!r}... has {len(name)} characters; "
            f"a habit's name has at most {NAME_MAX}."
        )
    if "\x00" in name:
        raise ImportRefused(f"{where}: the name holds a NUL character.")
    return name


def checked_day(value: object, where: str) -> date:
    try:
        if not isinstance(value, str) or not ISO_DAY.fullmatch(value.strip()):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ImportRefused(f"{where}: {value!r} is not a date (YYYY-MM-DD).") from None


# What reading a damaged or encrypted member raises.
UNREADABLE = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError)


@contextlib.contextmanager
def member(archive: zipfile.ZipFile, name: str) -> Iterator[IO[bytes]]:
    """A member of the archive, opened; a broken copy (bad CRC, bad deflate, encrypted) is
    a refusal naming it."""
    try:
        with archive.open(name) as opened:
            yield opened
    except UNREADABLE as exc:
        raise ImportRefused(f"{name}: the archive's copy cannot be read ({exc}).") from None


def check_size(plan: ImportPlan) -> None:
    """The most check-ins one import takes (IMPORT_MAX_CHECK_INS)."""
    limit = settings.IMPORT_MAX_CHECK_INS
    if plan.check_ins > limit:
        raise ImportRefused(
            f"The file holds {plan.check_ins} check-ins; an import takes at most {limit}."
        )
