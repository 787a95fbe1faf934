"""Reading a Loop Habit Tracker CSV export (its "Export as CSV": a ZIP).

What Loop writes (uhabits-core's HabitsCSVExporter and HabitList.writeCSV):
- `Habits.csv`: one row a habit, with a header. Since 2025: `Position, Name, Type, Question,
  Description, FrequencyNumerator, FrequencyDenominator, Color, Unit, Target Type, Target
  Value, Archived?`; before: `Position, Name, Question, Description, NumRepetitions,
  Interval, Color`. Columns are found by their header's name.
- `<NNN> <name>/Checkmarks.csv` for each habit, `NNN` its position (`%03d`), the name with
  anything but letters, digits, space, `.`, `_` and `-` taken out: one row a day, newest
  first. Since 2025 a `Date,Value,Notes` header and values `YES_MANUAL`, `YES_AUTO`, `NO`,
  `SKIP`, `UNKNOWN`; before, no header and the same as numbers (2, 1, 0, 3, -1). A numerical
  habit's value is its amount (times 1000). `Scores.csv` files and the wide
  `Checkmarks.csv` beside Habits.csv are not read.

The mapping (docs/architecture.md, "Export and import"):
- A day is checked when Loop says YES_MANUAL (2): the player checked it. YES_AUTO is a day
  Loop counted as done because of the frequency, not a check-in; NO, SKIP and UNKNOWN are
  not checked (FocusQuest has no per-habit skip that an import could give without a freeze).
- "Every day" (1/1), or N times in 7 days with N >= 7, is daily; "N times per week" (N/7,
  N 1..6) is weekly with target N; any other N times in M days is weekly with target
  floor(7N/M), at least 1 (every 2 days: 3 a week; 2 in 3 days: 4 a week; monthly: 1 a
  week), daily from 7 up. FocusQuest's longest interval is a week.
- An archived habit is imported deleted: its history, not one of the habits held.
- A numerical habit (Type NUMERICAL) is left out: FocusQuest habits are done or not done.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date

from accountdata.plan import (
    ImportPlan,
    ImportRefused,
    PlannedHabit,
    checked_day,
    checked_name,
    member,
)
from gameplay import rules

HABITS = "Habits.csv"
CHECKMARKS = "Checkmarks.csv"
CHECKED = {"YES_MANUAL", "2"}
NOT_CHECKED = {"YES_AUTO", "NO", "SKIP", "UNKNOWN", "1", "0", "3", "-1"}
FOLDER = re.compile(r"(\d+)(?: .*)?")
FREQUENCY_COLUMNS = (
    ("FrequencyNumerator", "FrequencyDenominator"),  # since 2025
    ("NumRepetitions", "Interval"),  # before
)


def habits_root(names: list[str]) -> str | None:
    """The folder Habits.csv is in ("" at the top, or one folder down when the export was
    unpacked and zipped again), or None when there is none."""
    roots = sorted(
        name[: -len(HABITS)]
        for name in names
        if name.rsplit("/", 1)[-1] == HABITS and name.count("/") <= 1
    )
    return roots[0] if roots else None


def _rows(archive: zipfile.ZipFile, name: str) -> Iterator[list[str]]:
    with member(archive, name) as opened:
        text = io.TextIOWrapper(opened, encoding="utf-8-sig", newline="")
        try:
            yield from csv.reader(text)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportRefused(f"{name}: not a CSV file Loop wrote ({exc}).") from None


def schedule_of(numerator: int, denominator: int) -> rules.Schedule:
    """Loop's N times in M days, as a FocusQuest schedule (the mapping above)."""
    per_week = 7 * numerator // denominator
    if per_week >= 7:
        return rules.Schedule()
    return rules.Schedule(kind=rules.WEEKLY, target=max(per_week, 1))


def _frequency(row: dict[str, str], where: str) -> tuple[int, int]:
    for numerator, denominator in FREQUENCY_COLUMNS:
        if numerator in row and denominator in row:
            try:
                values = int(row[numerator]), int(row[denominator])
            except ValueError:
                values = (0, 0)
            if min(values) < 1:
                raise ImportRefused(
                    f"{where}: the frequency {row[numerator]!r} in {row[denominator]!r} days "
                    "is not one Loop writes."
                )
            return values
    raise ImportRefused(f"{HABITS} has no frequency columns: not a Loop Habit Tracker export.")


def _habit_table(archive: zipfile.ZipFile, root: str) -> list[tuple[int, dict[str, str], str]]:
    """(position, row by column name, where) of each row of Habits.csv."""
    name = root + HABITS
    rows = list(_rows(archive, name))
    if not rows or "Name" not in rows[0] or "Position" not in rows[0]:
        raise ImportRefused(f"{name} has no Position and Name header: not a Loop export.")
    header = rows[0]
    table = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{name} row {number}"
        if len(cells) != len(header):
            raise ImportRefused(
                f"{where}: {len(cells)} columns where the header has {len(header)}."
            )
        row = dict(zip(header, cells, strict=True))
        try:
            position = int(row["Position"])
        except ValueError:
            raise ImportRefused(
                f"{where}: the position {row['Position']!r} is no number."
            ) from None
        table.append((position, row, where))
    return table


def _folders(archive: zipfile.ZipFile, root: str) -> dict[int, str]:
    """Each habit's Checkmarks.csv by the position its folder starts with."""
    found = {}
    for name in archive.namelist():
        if not name.startswith(root) or not name.endswith("/" + CHECKMARKS):
            continue
        folder = name[len(root) : -len(CHECKMARKS) - 1]
        matched = FOLDER.fullmatch(folder)
        if matched and "/" not in folder:
            found[int(matched[1])] = name
    return found


def _checked_days(archive: zipfile.ZipFile, name: str, today: date) -> set[date]:
    days = set()
    for number, cells in enumerate(_rows(archive, name), start=1):
        if number == 1 and cells and cells[0].strip() == "Date":
            continue  # the header, since 2025
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{name} row {number}"
        if len(cells) < 2:
            raise ImportRefused(f"{where}: a row holds a date and a value.")
        day = checked_day(cells[0], where)
        value = cells[1].strip()
        if value not in CHECKED | NOT_CHECKED:
            raise ImportRefused(
                f"{where}: {value!r} is not a value Loop writes for a yes/no habit."
            )
        if value in CHECKED and day < today:
            days.add(day)
    return days


def read_loop(archive: zipfile.ZipFile, root: str, today: date) -> ImportPlan:
    plan = ImportPlan(source="loop")
    folders = _folders(archive, root)
    seen: dict[str, int] = {}
    for position, row, where in _habit_table(archive, root):
        if row.get("Type", "YES_NO").strip() == "NUMERICAL":
            continue  # left out: see the module's docstring
        name = checked_name(row["Name"], where)
        numerator, denominator = _frequency(row, where)
        # Loop may hold two habits of one name and frequency: the second is another habit.
        identity = f"{name}|{numerator}/{denominator}"
        seen[identity] = seen.get(identity, 0) + 1
        suffix = f"#{seen[identity]}" if seen[identity] > 1 else ""
        habit = PlannedHabit(
            key=f"loop:{identity}{suffix}",
            name=name,
            schedule=schedule_of(numerator, denominator),
            deleted=row.get("Archived?", "false").strip().lower() == "true",
        )
        if position in folders:
            habit.days = _checked_days(archive, folders[position], today)
        plan.habits.append(habit)
    return plan
