"""Reading an import file: which format it is (a FocusQuest export holds focusquest.json; a
Loop Habit Tracker export holds Habits.csv, accountdata/loop.py), and a FocusQuest export's
habits, check-ins, frozen days and vacations, streamed from its focusquest.json (ijson) so
that a long ledger beside them is passed over, never held. Anything it cannot take refuses
the whole file, naming the member and the item."""

import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

import ijson
from django.conf import settings

from accountdata import loop
from accountdata.export import FORMAT, JSON_NAME, VERSION
from accountdata.plan import (
    ImportPlan,
    ImportRefused,
    PlannedHabit,
    check_size,
    checked_day,
    checked_name,
    member,
)
from gameplay import rules


def read_upload(upload: IO[bytes], *, today: date) -> ImportPlan:
    """The plan of an uploaded file: its habits and check-ins before `today`."""
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ImportRefused(
            "The file is not a ZIP archive: send a FocusQuest export or a Loop Habit "
            "Tracker CSV export, as downloaded."
        ) from None
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
            raise ImportRefused(
                f"The archive unpacks to {unpacked} bytes; an import reads at most "
                f"{settings.IMPORT_MAX_UNPACKED_BYTES}."
            )
        plan = _read(archive, today)
    check_size(plan)
    return plan


def _read(archive: zipfile.ZipFile, today: date) -> ImportPlan:
    names = archive.namelist()
    if JSON_NAME in names:
        return read_focusquest(archive, today)
    root = loop.habits_root(names)
    if root is not None:
        return loop.read_loop(archive, root, today)
    if any(name.rsplit("/", 1)[-1] == "Checkmarks.csv" for name in names):
        raise ImportRefused(
            "Habits.csv is missing: a Loop Habit Tracker export holds it beside the habits' "
            "folders. Send the ZIP as Loop wrote it."
        )
    raise ImportRefused(
        "Unknown format: the archive holds neither focusquest.json (a FocusQuest export) "
        "nor Habits.csv (a Loop Habit Tracker CSV export)."
    )


def _items(archive: zipfile.ZipFile, prefix: str) -> Iterator[Any]:
    with member(archive, JSON_NAME) as opened:
        try:
            yield from ijson.items(opened, prefix)
        except ijson.JSONError as exc:
            raise ImportRefused(f"{JSON_NAME} is not valid JSON ({exc}).") from None


def _first(archive: zipfile.ZipFile, prefix: str) -> Any:
    # Stops reading at the value: the header fields come first in an export.
    for value in _items(archive, prefix):
        return value
    return None


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ImportRefused(f"{where}: expected an object.")
    return value


def _moment(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ImportRefused(f"{where}: {value!r} is not a moment (ISO 8601).") from None
    if moment.tzinfo is None:
        raise ImportRefused(f"{where}: {value!r} has no time zone.")
    return moment


def _schedule(value: Any, where: str) -> rules.Schedule:
    schedule = _object(value, f"{where}, schedule")
    kind = schedule.get("kind")
    rest = schedule.get("rest_days", [])
    target = schedule.get("target", 0)
    if not isinstance(kind, str) or not isinstance(rest, list) or type(target) is not int:
        raise ImportRefused(f"{where}: the schedule is malformed.")
    if any(type(d) is not int for d in rest):
        raise ImportRefused(f"{where}: the schedule's rest days are not weekday numbers.")
    refusal = rules.schedule_refusal(kind, rest, target)
    if refusal:
        raise ImportRefused(f"{where}: the schedule is refused: {refusal}")
    return rules.Schedule(kind=kind, rest_days=frozenset(rest), target=target)


def _habit(value: Any, where: str, origin: int) -> PlannedHabit:
    row = _object(value, where)
    habit_id = row.get("id")
    if type(habit_id) is not int:
        raise ImportRefused(f"{where}: a habit needs its id (a number).")
    return PlannedHabit(
        key=f"focusquest:{origin}:{habit_id}",
        name=checked_name(row.get("name"), where),
        schedule=_schedule(row.get("schedule"), where),
        deleted=_moment(row.get("deleted_at"), f"{where}, deleted_at") is not None,
        created_at=_moment(row.get("created_at"), f"{where}, created_at"),
        source_id=habit_id,
    )


def _header(archive: zipfile.ZipFile) -> int:
    """The exporting player's id, once the format and its version are known."""
    if _first(archive, "format") != FORMAT:
        raise ImportRefused(f"{JSON_NAME} is not a FocusQuest export (its format is not {FORMAT}).")
    version = _first(archive, "version")
    if type(version) is not int or not 1 <= version <= VERSION:
        raise ImportRefused(
            f"{JSON_NAME} has format version {version!r}; this server reads version {VERSION}."
        )
    origin = _first(archive, "profile.id")
    if type(origin) is not int:
        raise ImportRefused(f"{JSON_NAME}: the profile has no id.")
    return origin


def _days(archive: zipfile.ZipFile, table: str, habits: dict[int, PlannedHabit], today: date):
    """(habit, day) of each row of a table of days (check_ins, frozen_days) before today."""
    for number, value in enumerate(_items(archive, f"{table}.item"), start=1):
        where = f"{JSON_NAME}: {table} item {number}"
        row = _object(value, where)
        habit = habits.get(row.get("habit_id"))  # type: ignore[arg-type]
        if habit is None:
            raise ImportRefused(f"{where}: habit_id {row.get('habit_id')!r} is no exported habit.")
        day = checked_day(row.get("day"), where)
        if day < today:
            yield habit, day


def read_focusquest(archive: zipfile.ZipFile, today: date) -> ImportPlan:
    origin = _header(archive)
    plan = ImportPlan(source="focusquest", origin_player=origin)
    habits: dict[int, PlannedHabit] = {}
    for number, value in enumerate(_items(archive, "habits.item"), start=1):
        habit = _habit(value, f"{JSON_NAME}: habits item {number}", origin)
        if habit.source_id in habits:
            raise ImportRefused(f"{JSON_NAME}: habits item {number}: its id is used twice.")
        habits[habit.source_id] = habit  # type: ignore[index]
    plan.habits = list(habits.values())
    for habit, day in _days(archive, "check_ins", habits, today):
        habit.days.add(day)
    for habit, day in _days(archive, "frozen_days", habits, today):
        habit.frozen.add(day)
    for number, value in enumerate(_items(archive, "vacations.item"), start=1):
        where = f"{JSON_NAME}: vacations item {number}"
        row = _object(value, where)
        start, end = checked_day(row.get("start"), where), checked_day(row.get("end"), where)
        if end < start:
            raise ImportRefused(f"{where}: it ends before it starts.")
        plan.vacations.append((start, end))
    return plan
