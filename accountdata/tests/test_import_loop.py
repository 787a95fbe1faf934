"""Importing a Loop Habit Tracker CSV export: the real exports of Loop's own exporter test
(fixtures/loop, both of Loop's formats) with their schedules mapped and exact counts, and
archives built the way Loop's exporter writes them for the other frequencies, archived and
numerical habits, and days from today on. The clock is stopped at T0 (alice's today:
Monday 2026-11-23)."""

from datetime import date, timedelta
from pathlib import Path

import pytest

from accountdata.loop import schedule_of
from gameplay import keys, live, rules
from habits.models import CheckIn, Habit
from pipeline import flush
from pipeline.consistency import consistency_drift
from testkit.archives import post_import, zip_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

FIXTURES = Path(__file__).parent / "fixtures" / "loop"
TODAY = date(2026, 11, 23)
HABITS_HEADER = (
    "Position,Name,Type,Question,Description,FrequencyNumerator,FrequencyDenominator,Color,"
    "Unit,Target Type,Target Value,Archived?"
)


def loop_export(folder: str) -> bytes:
    """A fixture folder zipped in the order Loop's exporter adds its files."""
    root = FIXTURES / folder
    habits = sorted(path for path in root.iterdir() if path.is_dir())
    names = ["Habits.csv"]
    for habit in habits:
        names += [f"{habit.name}/Scores.csv", f"{habit.name}/Checkmarks.csv"]
    names += ["Scores.csv", "Checkmarks.csv"]
    return zip_of({name: (root / name).read_bytes() for name in names})


def built(habits: list[tuple[str, int, int, str, str]], checkmarks: dict[int, list[str]]) -> bytes:
    """An export in Loop's 2025 format: (name, numerator, denominator, type, archived) per
    habit, and each habit's Checkmarks.csv rows by position."""
    rows = [HABITS_HEADER]
    members: dict[str, str] = {}
    for position, (name, numerator, denominator, kind, archived) in enumerate(habits, start=1):
        rows.append(
            f"{position:03d},{name},{kind},,,{numerator},{denominator},#FF8F00,,,,{archived}"
        )
        lines = ["Date,Value,Notes", *checkmarks.get(position, [])]
        members[f"{position:03d} {name}/Checkmarks.csv"] = "\n".join(lines) + "\n"
    return zip_of({"Habits.csv": "\n".join(rows) + "\n", **members})


def schedules(player) -> list[tuple[str, str, int, tuple[int, ...], bool]]:
    return [
        (h.name, h.kind, h.weekly_target, tuple(h.rest_days), h.deleted_at is not None)
        for h in Habit.objects.filter(player=player).order_by("id")
    ]


@pytest.mark.parametrize("folder", ["2025", "2021"])
def test_a_real_loop_export_imports_with_its_schedules_and_exact_counts(
    as_alice, alice, clock, django_capture_on_commit_callbacks, folder
):
    response = post_import(as_alice, loop_export(folder), commit=django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.json()
    assert response.json() == {"habits": 2, "check_ins": 6}
    # Every day (1 in 1) is daily; 2 times in 3 days is floor(7 * 2 / 3) = 4 a week.
    assert schedules(alice) == [
        ("Meditate", "daily", 0, (), False),
        ("Wake up early", "weekly", 4, (), False),
    ]
    early = Habit.objects.get(name="Wake up early")
    checked = sorted(CheckIn.objects.filter(habit=early).values_list("day", flat=True))
    assert checked == [date(2015, 1, d) for d in (16, 17, 20, 21, 22, 25)]  # YES_MANUAL only
    assert set(CheckIn.objects.values_list("points_awarded", flat=True)) == {0}
    # The week of 19 January holds 4: met, one week long; the week before holds 2.
    assert (early.check_in_count, early.longest_streak) == (6, 1)
    r = live.client()
    assert r.scard(keys.habit_days(alice.pk, early.pk)) == 6
    assert int(r.hget(keys.habit(alice.pk, early.pk), "longest")) == 1
    flush.flush_pending()
    assert consistency_drift() == []


def test_the_api_shows_the_imported_habits(as_alice, clock, django_capture_on_commit_callbacks):
    post_import(as_alice, loop_export("2025"), commit=django_capture_on_commit_callbacks)

    habits = as_alice.get("/api/habits").json()

    assert [(h["name"], h["schedule"], h["longest_streak"]) for h in habits] == [
        ("Meditate", {"kind": "daily", "rest_days": []}, 0),
        ("Wake up early", {"kind": "weekly", "target": 4}, 1),
    ]


@pytest.mark.parametrize(
    ("numerator", "denominator", "kind", "target"),
    [
        (1, 1, rules.DAILY, 0),  # every day
        (7, 7, rules.DAILY, 0),  # 7 times a week
        (8, 7, rules.DAILY, 0),
        (3, 7, rules.WEEKLY, 3),  # 3 times per week
        (1, 7, rules.WEEKLY, 1),  # every week
        (6, 7, rules.WEEKLY, 6),
        (1, 2, rules.WEEKLY, 3),  # every 2 days
        (2, 3, rules.WEEKLY, 4),
        (1, 30, rules.WEEKLY, 1),  # once a month: once a week, the longest interval
        (20, 30, rules.WEEKLY, 4),
        (6, 6, rules.DAILY, 0),
    ],
)
def test_loops_frequencies_map_to_schedules(numerator, denominator, kind, target):
    schedule = schedule_of(numerator, denominator)

    assert (schedule.kind, schedule.target) == (kind, target)


def test_frequencies_archived_and_numerical_habits_and_days_from_today_on(
    as_alice, alice, clock, django_capture_on_commit_callbacks
):
    content = built(
        [
            ("Run", 3, 7, "YES_NO", "false"),
            ("Floss", 7, 7, "YES_NO", "false"),
            ("Old hobby", 1, 1, "YES_NO", "true"),
            ("Pages read", 1, 1, "NUMERICAL", "false"),
        ],
        {
            1: [
                "2026-11-24,YES_MANUAL,",  # tomorrow: never imported
                "2026-11-23,YES_MANUAL,",  # today: not imported (before today only)
                "2026-11-22,YES_MANUAL,",
                "2026-11-21,YES_AUTO,",  # done by the frequency, not checked
                "2026-11-20,SKIP,",
                '2026-11-19,YES_MANUAL,"Notes, with a comma"',
            ],
            3: ["2020-05-02,YES_MANUAL,", "2020-05-01,YES_MANUAL,"],
            4: ["2026-11-20,12000,"],
        },
    )

    response = post_import(as_alice, content, commit=django_capture_on_commit_callbacks)

    assert response.json() == {"habits": 3, "check_ins": 4}
    assert schedules(alice) == [
        ("Run", "weekly", 3, (), False),
        ("Floss", "daily", 0, (), False),
        ("Old hobby", "daily", 0, (), True),  # archived: history, not held
    ]
    assert [h["name"] for h in as_alice.get("/api/habits").json()] == ["Run", "Floss"]
    old = Habit.objects.get(name="Old hobby")
    assert not live.client().hexists(keys.roster(alice.pk), str(old.pk))
    assert live.client().scard(keys.habit_days(alice.pk, old.pk)) == 2
    flush.flush_pending()
    assert consistency_drift() == []


def test_an_export_zipped_again_inside_its_folder_imports_the_same(
    as_alice, clock, django_capture_on_commit_callbacks
):
    root = FIXTURES / "2025"
    content = zip_of(
        {
            f"Loop Habits CSV 2026-11-22/{path.relative_to(root)}": path.read_bytes()
            for path in sorted(root.rglob("*.csv"))
        }
    )

    response = post_import(as_alice, content, commit=django_capture_on_commit_callbacks)

    assert response.json() == {"habits": 2, "check_ins": 6}


def test_two_habits_of_one_name_and_frequency_stay_two(
    as_alice, clock, django_capture_on_commit_callbacks
):
    content = built(
        [("Walk", 1, 1, "YES_NO", "false"), ("Walk", 1, 1, "YES_NO", "false")],
        {1: ["2026-11-20,YES_MANUAL,"], 2: ["2026-11-19,YES_MANUAL,", "2026-11-18,2,"]},
    )

    first = post_import(as_alice, content, commit=django_capture_on_commit_callbacks)
    again = post_import(as_alice, content, commit=django_capture_on_commit_callbacks)

    assert first.json() == {"habits": 2, "check_ins": 3}
    assert again.json() == {"habits": 0, "check_ins": 0}
    counts = sorted(Habit.objects.values_list("check_in_count", flat=True))
    assert counts == [1, 2]


def test_an_imported_day_counts_for_the_streak_of_the_next_check_in(
    as_alice, clock, django_capture_on_commit_callbacks
):
    days = [f"{TODAY - timedelta(days=n)},YES_MANUAL," for n in range(1, 4)]
    post_import(
        as_alice,
        built([("Read", 1, 1, "YES_NO", "false")], {1: days}),
        commit=django_capture_on_commit_callbacks,
    )
    habit = as_alice.get("/api/habits").json()[0]
    assert (habit["current_streak"], habit["longest_streak"]) == (3, 3)

    checked = as_alice.post(f"/api/habits/{habit['id']}/check-ins", {}, format="json").json()

    # streak_at(today) = 4: 10 + 2 * min(4 - 1, 5) points, the imported days counted.
    assert checked["points_awarded"] == 16
    assert checked["streak"] == {"current": 4, "longest": 4}
