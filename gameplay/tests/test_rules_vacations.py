"""Table-driven tests of the vacation rules (gameplay.rules, "Vacations"): which vacations a
player may add, how the yearly limit counts, what taking one back does.

Pure functions only: no database, no Redis.
"""

from datetime import date

import pytest

from gameplay import rules
from gameplay.rules import VacationRefusal

TODAY = date(2026, 3, 10)
LATE = date(2026, 12, 25)  # a today near New Year


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_the_vacation_limits_have_their_published_values() -> None:
    assert rules.VACATION_MAX_DAYS == 30
    assert rules.VACATION_DAYS_PER_YEAR == 60


# today, start, end, the player's other vacations, the refusal (None: accepted)
REFUSALS = [
    # When it may start: yesterday at the earliest.
    (TODAY, "2026-03-10", "2026-03-10", [], None),
    (TODAY, "2026-03-09", "2026-03-12", [], None),
    (
        TODAY,
        "2026-03-08",
        "2026-03-12",
        [],
        VacationRefusal("A vacation starts yesterday at the earliest.", "start"),
    ),
    (TODAY, "2027-06-01", "2027-06-03", [], None),
    # Its end: on or after its start, at most 30 days in all.
    (
        TODAY,
        "2026-03-12",
        "2026-03-11",
        [],
        VacationRefusal("A vacation ends on or after its first day.", "end"),
    ),
    (TODAY, "2026-03-10", "2026-04-08", [], None),  # exactly 30 days
    (
        TODAY,
        "2026-03-10",
        "2026-04-09",
        [],
        VacationRefusal("A vacation lasts at most 30 days.", "end"),
    ),
    # Overlaps: one shared day is one too many; touching is fine.
    (
        TODAY,
        "2026-03-10",
        "2026-03-15",
        [(d("2026-03-15"), d("2026-03-20"))],
        VacationRefusal("It overlaps your vacation from 2026-03-15 to 2026-03-20.", overlap=True),
    ),
    (
        TODAY,
        "2026-03-12",
        "2026-03-14",
        [(d("2026-03-01"), d("2026-03-12"))],
        VacationRefusal("It overlaps your vacation from 2026-03-01 to 2026-03-12.", overlap=True),
    ),
    (
        TODAY,
        "2026-03-11",
        "2026-03-12",
        [(d("2026-03-09"), d("2026-03-20"))],
        VacationRefusal("It overlaps your vacation from 2026-03-09 to 2026-03-20.", overlap=True),
    ),
    (TODAY, "2026-03-10", "2026-03-15", [(d("2026-03-16"), d("2026-03-20"))], None),
    (TODAY, "2026-03-10", "2026-03-15", [(d("2026-03-01"), d("2026-03-09"))], None),
    # 60 days in a calendar year: 30 + 20 taken, 10 more is 60, 11 more is 61.
    (
        TODAY,
        "2026-03-10",
        "2026-03-19",
        [(d("2026-01-01"), d("2026-01-30")), (d("2026-02-01"), d("2026-02-20"))],
        None,
    ),
    (
        TODAY,
        "2026-03-10",
        "2026-03-20",
        [(d("2026-01-01"), d("2026-01-30")), (d("2026-02-01"), d("2026-02-20"))],
        VacationRefusal("At most 60 vacation days in 2026: 50 are taken already."),
    ),
    # Another vacation over New Year counts only its days in this year: 10 + 29 taken.
    (
        TODAY,
        "2026-03-10",
        "2026-03-30",
        [(d("2025-12-20"), d("2026-01-10")), (d("2026-02-01"), d("2026-03-01"))],
        None,
    ),
    (
        TODAY,
        "2026-03-10",
        "2026-03-31",
        [(d("2025-12-20"), d("2026-01-10")), (d("2026-02-01"), d("2026-03-01"))],
        VacationRefusal("At most 60 vacation days in 2026: 39 are taken already."),
    ),
    # A new vacation over New Year counts its days in each year: 53 taken in 2026 ...
    (
        LATE,
        "2026-12-25",
        "2027-01-05",
        [(d("2026-10-01"), d("2026-10-30")), (d("2026-11-01"), d("2026-11-23"))],
        None,  # 7 days of 2026: 60
    ),
    (
        LATE,
        "2026-12-24",
        "2027-01-05",
        [(d("2026-10-01"), d("2026-10-30")), (d("2026-11-01"), d("2026-11-23"))],
        VacationRefusal("At most 60 vacation days in 2026: 53 are taken already."),
    ),
    # ... and 55 taken in 2027.
    (
        LATE,
        "2026-12-24",
        "2027-01-05",
        [(d("2027-01-10"), d("2027-02-08")), (d("2027-02-10"), d("2027-03-06"))],
        None,  # 5 days of 2027: 60
    ),
    (
        LATE,
        "2026-12-24",
        "2027-01-06",
        [(d("2027-01-10"), d("2027-02-08")), (d("2027-02-10"), d("2027-03-06"))],
        VacationRefusal("At most 60 vacation days in 2027: 55 are taken already."),
    ),
    # The first rule broken is the one named: an overlap before the yearly limit.
    (
        TODAY,
        "2026-03-10",
        "2026-04-08",
        [(d("2026-01-01"), d("2026-01-30")), (d("2026-04-08"), d("2026-04-09"))],
        VacationRefusal("It overlaps your vacation from 2026-04-08 to 2026-04-09.", overlap=True),
    ),
]


@pytest.mark.parametrize(("today", "start", "end", "others", "refusal"), REFUSALS)
def test_which_vacations_a_player_may_add(today, start, end, others, refusal) -> None:
    assert rules.vacation_refusal(d(start), d(end), today=today, others=others) == refusal


DAYS_IN_YEAR = [
    ("2026-12-20", "2027-01-10", 2026, 12),
    ("2026-12-20", "2027-01-10", 2027, 10),
    ("2026-12-20", "2027-01-10", 2025, 0),
    ("2026-03-10", "2026-03-10", 2026, 1),
    ("2028-02-01", "2028-03-01", 2028, 30),  # a leap year's February
]


@pytest.mark.parametrize(("first", "last", "year", "days"), DAYS_IN_YEAR)
def test_a_vacation_counts_its_days_in_each_calendar_year(first, last, year, days) -> None:
    assert rules.vacation_days_in_year(d(first), d(last), year) == days


def test_the_years_a_vacation_touches_are_whole_calendar_years() -> None:
    assert rules.vacation_years(d("2026-12-24"), d("2027-01-06")) == [
        (d("2026-01-01"), d("2026-12-31")),
        (d("2027-01-01"), d("2027-12-31")),
    ]
    assert rules.vacation_years(d("2026-03-10"), d("2026-03-12")) == [
        (d("2026-01-01"), d("2026-12-31"))
    ]


# start, end, what taking it back on TODAY (2026-03-10) does, its new last day
CUTS = [
    ("2026-03-11", "2026-03-15", rules.VACATION_REMOVED, None),  # not begun
    ("2026-03-10", "2026-03-15", rules.VACATION_REMOVED, None),  # begins today: nothing left
    ("2026-03-09", "2026-03-15", rules.VACATION_ENDED, date(2026, 3, 9)),
    ("2026-03-01", "2026-03-10", rules.VACATION_ENDED, date(2026, 3, 9)),  # its last day
    ("2026-03-01", "2026-03-09", rules.VACATION_OVER, None),
]


@pytest.mark.parametrize(("start", "end", "cut", "last"), CUTS)
def test_taking_a_vacation_back_removes_only_the_days_not_yet_begun(start, end, cut, last) -> None:
    assert rules.vacation_cut(d(start), d(end), today=TODAY) == (cut, last)
