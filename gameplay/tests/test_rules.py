"""Table-driven tests of the game rules: every expected number is the product contract.

Pure functions only, so no database and no Django: run with ``pytest -p no:django``.
The tables that a live-store script also answers are module constants (FOCUS_POINTS, ...):
test_rules_differential.py feeds the same rows to the Lua scripts.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from gameplay import rules

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
NAIVE = datetime(2026, 3, 10, 9, 0)  # noqa: DTZ001 - the rejected input itself
TODAY = date(2026, 3, 10)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def days_ago(*offsets: int) -> set[date]:
    return {TODAY - timedelta(days=n) for n in offsets}


# --- Constants ------------------------------------------------------------------------------


def test_the_contract_constants_have_their_published_values() -> None:
    assert rules.PLANNED_MINUTES_MIN == 5
    assert rules.PLANNED_MINUTES_MAX == 180
    assert rules.COMPLETION_GRACE_SECONDS == 5
    assert rules.SESSION_WINDOW.total_seconds() == 24 * 60 * 60
    assert rules.FULL_SESSION_BONUS == 10
    assert rules.DEEP_WORK_SECONDS == 5400


# --- Focus points ---------------------------------------------------------------------------


FOCUS_POINTS = [
    (25, 0, 0),
    (25, 59, 0),
    (25, 60, 1),
    (25, 1499, 24),
    (25, 1500, 35),
    (5, 299, 4),
    (5, 300, 15),
    (180, 10799, 179),
    (180, 10800, 190),
]


@pytest.mark.parametrize(("planned_minutes", "focused_seconds", "points"), FOCUS_POINTS)
def test_a_session_earns_one_point_per_whole_minute_plus_the_full_session_bonus(
    planned_minutes: int, focused_seconds: int, points: int
) -> None:
    assert (
        rules.focus_points(planned_minutes=planned_minutes, focused_seconds=focused_seconds)
        == points
    )


def test_a_full_session_earns_the_bonus() -> None:
    assert rules.focus_points(planned_minutes=25, focused_seconds=1500) == 25 + 10


@pytest.mark.parametrize(
    ("planned_minutes", "focused_seconds"),
    [(25, -1), (25, 1501), (4, 60), (181, 60)],
)
def test_focus_points_reject_inputs_that_could_never_be_accepted(
    planned_minutes: int, focused_seconds: int
) -> None:
    with pytest.raises(ValueError):
        rules.focus_points(planned_minutes=planned_minutes, focused_seconds=focused_seconds)


# --- Focus completion refusals --------------------------------------------------------------


COMPLETION_REFUSALS = [
    # Exactly what the server can vouch for.
    (25, 1500, timedelta(minutes=25), None),
    (25, 0, timedelta(0), None),
    # The 5 s grace over the server-side elapsed time.
    (25, 605, timedelta(seconds=600), None),
    (25, 606, timedelta(seconds=600), "since the start"),
    (25, 5, timedelta(0), None),
    (25, 6, timedelta(0), "since the start"),
    (25, 15, timedelta(seconds=10, microseconds=1), None),
    (25, 15, timedelta(seconds=9, microseconds=999_999), "since the start"),
    # The planned length.
    (25, 1500, timedelta(hours=1), None),
    (25, 1501, timedelta(hours=1), "planned length"),
    (5, 300, timedelta(hours=1), None),
    (5, 301, timedelta(hours=1), "planned length"),
    (180, 10800, timedelta(hours=3), None),
    (180, 10801, timedelta(hours=4), "planned length"),
    # Negative seconds.
    (25, -1, timedelta(minutes=10), "negative"),
    # The 24-hour window: exactly 24 h is still allowed.
    (25, 1500, timedelta(hours=24), None),
    (25, 1500, timedelta(hours=24, seconds=1), "24 hours"),
    (25, 0, timedelta(hours=24, microseconds=1), "24 hours"),
]


@pytest.mark.parametrize(
    ("planned_minutes", "focused_seconds", "elapsed", "refused_because"), COMPLETION_REFUSALS
)
def test_a_completion_is_refused_exactly_past_each_limit(
    planned_minutes: int, focused_seconds: int, elapsed: timedelta, refused_because: str | None
) -> None:
    refusal = rules.focus_completion_refusal(
        planned_minutes=planned_minutes,
        focused_seconds=focused_seconds,
        started_at=START,
        now=START + elapsed,
    )
    if refused_because is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert refused_because in refusal


def test_a_completion_reported_before_the_recorded_start_is_refused_beyond_the_grace() -> None:
    # A server clock step backwards must not open a loophole.
    early = START - timedelta(seconds=3)
    refusals = [
        rules.focus_completion_refusal(
            planned_minutes=25, focused_seconds=seconds, started_at=START, now=early
        )
        for seconds in (2, 3)
    ]
    assert refusals[0] is None
    assert refusals[1] == "Focused seconds (3) exceed the time since the start plus 5 s."


def test_the_start_and_now_may_be_in_different_timezones() -> None:
    now_in_india = (START + timedelta(minutes=25)).astimezone(timezone(timedelta(hours=5.5)))
    refusal = rules.focus_completion_refusal(
        planned_minutes=25, focused_seconds=1500, started_at=START, now=now_in_india
    )
    assert refusal is None


@pytest.mark.parametrize("planned_minutes", [4, 181])
def test_a_completion_with_an_impossible_planned_length_is_a_programming_error(
    planned_minutes: int,
) -> None:
    with pytest.raises(ValueError):
        rules.focus_completion_refusal(
            planned_minutes=planned_minutes, focused_seconds=60, started_at=START, now=START
        )


SESSION_EXPIRY = [
    (timedelta(0), False),
    (timedelta(hours=23, minutes=59, seconds=59), False),
    (timedelta(hours=24), False),
    (timedelta(hours=24, microseconds=1), True),
    (timedelta(hours=24, seconds=1), True),
    (timedelta(days=3), True),
]


@pytest.mark.parametrize(("elapsed", "expired"), SESSION_EXPIRY)
def test_a_session_expires_strictly_after_twenty_four_hours(
    elapsed: timedelta, expired: bool
) -> None:
    assert rules.session_expired(started_at=START, now=START + elapsed) is expired


# --- Player's day ---------------------------------------------------------------------------


def test_a_day_that_starts_at_four_counts_half_past_two_as_yesterday() -> None:
    assert rules.player_day(utc(2026, 3, 10, 2, 30), timezone="UTC", day_start_hour=4) == date(
        2026, 3, 9
    )


@pytest.mark.parametrize(
    ("moment", "tz", "day_start_hour", "day"),
    [
        # UTC itself.
        (utc(2026, 3, 10, 0, 0), "UTC", 0, date(2026, 3, 10)),
        (utc(2026, 3, 9, 23, 59, 59), "UTC", 0, date(2026, 3, 9)),
        (utc(2026, 3, 10, 3, 59, 59), "UTC", 4, date(2026, 3, 9)),
        (utc(2026, 3, 10, 4, 0), "UTC", 4, date(2026, 3, 10)),
        (utc(2026, 3, 10, 22, 59, 59), "UTC", 23, date(2026, 3, 9)),
        (utc(2026, 3, 10, 23, 0), "UTC", 23, date(2026, 3, 10)),
        # Asia/Kolkata is UTC+05:30 all year.
        (utc(2026, 3, 7, 18, 29, 59), "Asia/Kolkata", 0, date(2026, 3, 7)),
        (utc(2026, 3, 7, 18, 30), "Asia/Kolkata", 0, date(2026, 3, 8)),
        (utc(2026, 3, 7, 22, 29, 59), "Asia/Kolkata", 4, date(2026, 3, 7)),
        (utc(2026, 3, 7, 22, 30), "Asia/Kolkata", 4, date(2026, 3, 8)),
        # The input's own offset is irrelevant: 2026-03-08 04:00 IST is 2026-03-07 22:30 UTC.
        (
            datetime(2026, 3, 8, 4, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "Asia/Kolkata",
            4,
            date(2026, 3, 8),
        ),
        (utc(2026, 3, 7, 22, 30), "UTC", 0, date(2026, 3, 7)),
    ],
)
def test_the_players_day_follows_their_zone_and_day_start(
    moment: datetime, tz: str, day_start_hour: int, day: date
) -> None:
    assert rules.player_day(moment, timezone=tz, day_start_hour=day_start_hour) == day


@pytest.mark.parametrize(
    ("moment", "day_start_hour", "day"),
    [
        # 2026-03-08: at 02:00 EST (07:00 UTC) clocks jump to 03:00 EDT; 02:xx never happens.
        (utc(2026, 3, 8, 4, 59, 59), 0, date(2026, 3, 7)),  # 23:59:59 EST on the 7th
        (utc(2026, 3, 8, 5, 0), 0, date(2026, 3, 8)),  # 00:00 EST
        (utc(2026, 3, 8, 6, 59, 59), 0, date(2026, 3, 8)),  # 01:59:59 EST
        (utc(2026, 3, 8, 6, 59, 59), 2, date(2026, 3, 7)),
        (utc(2026, 3, 8, 7, 0), 2, date(2026, 3, 8)),  # 03:00 EDT
        (utc(2026, 3, 8, 6, 59, 59), 3, date(2026, 3, 7)),
        (utc(2026, 3, 8, 7, 0), 3, date(2026, 3, 8)),  # 03:00 EDT
        (utc(2026, 3, 8, 7, 59, 59), 4, date(2026, 3, 7)),  # 03:59:59 EDT
        (utc(2026, 3, 8, 8, 0), 4, date(2026, 3, 8)),  # 04:00 EDT
        # 2026-11-01: at 02:00 EDT (06:00 UTC) clocks fall back to 01:00 EST; 01:xx happens twice.
        (utc(2026, 11, 1, 3, 59, 59), 0, date(2026, 10, 31)),  # 23:59:59 EDT on the 31st
        (utc(2026, 11, 1, 4, 0), 0, date(2026, 11, 1)),  # 00:00 EDT
        (utc(2026, 11, 1, 5, 30), 2, date(2026, 10, 31)),  # first 01:30 (EDT)
        (utc(2026, 11, 1, 6, 30), 2, date(2026, 10, 31)),  # second 01:30 (EST)
        (utc(2026, 11, 1, 6, 59, 59), 2, date(2026, 10, 31)),  # 01:59:59 EST
        (utc(2026, 11, 1, 7, 0), 2, date(2026, 11, 1)),  # 02:00 EST
        (utc(2026, 11, 1, 7, 59, 59), 3, date(2026, 10, 31)),  # 02:59:59 EST
        (utc(2026, 11, 1, 8, 0), 3, date(2026, 11, 1)),  # 03:00 EST
        (utc(2026, 11, 1, 8, 59, 59), 4, date(2026, 10, 31)),  # 03:59:59 EST
        (utc(2026, 11, 1, 9, 0), 4, date(2026, 11, 1)),  # 04:00 EST
    ],
)
def test_the_players_day_is_right_across_new_york_dst_changes(
    moment: datetime, day_start_hour: int, day: date
) -> None:
    assert (
        rules.player_day(moment, timezone="America/New_York", day_start_hour=day_start_hour) == day
    )


@pytest.mark.parametrize(
    ("moment", "day_start_hour", "day"),
    [
        # 2026-03-29: at 02:00 CET (01:00 UTC) clocks jump to 03:00 CEST; 02:xx never happens.
        (utc(2026, 3, 28, 22, 59, 59), 0, date(2026, 3, 28)),  # 23:59:59 CET on the 28th
        (utc(2026, 3, 28, 23, 0), 0, date(2026, 3, 29)),  # 00:00 CET
        (utc(2026, 3, 29, 0, 59, 59), 0, date(2026, 3, 29)),  # 01:59:59 CET
        (utc(2026, 3, 29, 0, 59, 59), 2, date(2026, 3, 28)),
        (utc(2026, 3, 29, 1, 0), 2, date(2026, 3, 29)),  # 03:00 CEST
        (utc(2026, 3, 29, 0, 59, 59), 3, date(2026, 3, 28)),
        (utc(2026, 3, 29, 1, 0), 3, date(2026, 3, 29)),  # 03:00 CEST
        (utc(2026, 3, 29, 1, 59, 59), 4, date(2026, 3, 28)),  # 03:59:59 CEST
        (utc(2026, 3, 29, 2, 0), 4, date(2026, 3, 29)),  # 04:00 CEST
        # 2026-10-25: at 03:00 CEST (01:00 UTC) clocks fall back to 02:00 CET; 02:xx twice.
        (utc(2026, 10, 24, 21, 59, 59), 0, date(2026, 10, 24)),  # 23:59:59 CEST on the 24th
        (utc(2026, 10, 24, 22, 0), 0, date(2026, 10, 25)),  # 00:00 CEST
        (utc(2026, 10, 24, 23, 59, 59), 2, date(2026, 10, 24)),  # 01:59:59 CEST
        (utc(2026, 10, 25, 0, 0), 2, date(2026, 10, 25)),  # first 02:00 (CEST)
        (utc(2026, 10, 25, 1, 0), 2, date(2026, 10, 25)),  # second 02:00 (CET)
        (utc(2026, 10, 25, 0, 30), 3, date(2026, 10, 24)),  # first 02:30 (CEST)
        (utc(2026, 10, 25, 1, 30), 3, date(2026, 10, 24)),  # second 02:30 (CET)
        (utc(2026, 10, 25, 1, 59, 59), 3, date(2026, 10, 24)),  # 02:59:59 CET
        (utc(2026, 10, 25, 2, 0), 3, date(2026, 10, 25)),  # 03:00 CET
        (utc(2026, 10, 25, 2, 59, 59), 4, date(2026, 10, 24)),  # 03:59:59 CET
        (utc(2026, 10, 25, 3, 0), 4, date(2026, 10, 25)),  # 04:00 CET
    ],
)
def test_the_players_day_is_right_across_berlin_dst_changes(
    moment: datetime, day_start_hour: int, day: date
) -> None:
    assert rules.player_day(moment, timezone="Europe/Berlin", day_start_hour=day_start_hour) == day


@pytest.mark.parametrize(
    ("tz", "day_start_hour"),
    [("Not/AZone", 0), ("", 0), ("UTC", -1), ("UTC", 24)],
)
def test_an_unknown_zone_or_a_day_start_outside_the_clock_is_rejected(
    tz: str, day_start_hour: int
) -> None:
    with pytest.raises(ValueError):
        rules.player_day(START, timezone=tz, day_start_hour=day_start_hour)


# --- Check-in days and streaks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "refused_because"),
    [
        (date(2026, 3, 10), None),
        (date(2026, 3, 9), None),
        (date(2026, 3, 8), "today or yesterday"),
        (date(2025, 3, 10), "today or yesterday"),
        (date(2026, 3, 11), "future"),
    ],
)
def test_a_check_in_may_name_only_today_or_yesterday(
    day: date, refused_because: str | None
) -> None:
    refusal = rules.checkin_day_refusal(day, today=TODAY)
    if refused_because is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert refused_because in refusal


def test_yesterday_is_found_across_a_month_and_year_boundary() -> None:
    assert rules.checkin_day_refusal(date(2025, 12, 31), today=date(2026, 1, 1)) is None
    assert rules.checkin_day_refusal(date(2024, 2, 29), today=date(2024, 3, 1)) is None


STREAK_AT = [
    (set(), 0, 0),
    (days_ago(0), 0, 1),
    (days_ago(0, 1, 2), 0, 3),
    (days_ago(0, 1, 2), 1, 2),
    (days_ago(0, 1, 2), 3, 0),
    (days_ago(1, 2), 0, 0),
    (days_ago(0, 2, 3), 0, 1),  # a gap yesterday breaks the run
    (days_ago(0, 2, 3), 2, 2),
    (days_ago(0, 1, 2, 3, 4, 5, 6), 0, 7),
    (days_ago(*range(30)), 0, 30),
    (days_ago(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 3, 7),  # later days do not count
]


@pytest.mark.parametrize(("days", "at", "streak"), STREAK_AT)
def test_the_streak_at_a_day_counts_consecutive_checked_days_ending_there(
    days: set[date], at: int, streak: int
) -> None:
    assert rules.streak_at(days, TODAY - timedelta(days=at)) == streak


def test_a_backfilled_yesterday_joins_two_runs() -> None:
    days = days_ago(0, 2, 3, 4)
    assert rules.streak_at(days, TODAY) == 1
    days |= days_ago(1)
    assert rules.streak_at(days, TODAY - timedelta(days=1)) == 4
    assert rules.streak_at(days, TODAY) == 5
    assert rules.current_streak(days, today=TODAY) == 5
    assert rules.longest_streak(days) == 5


def test_streaks_accept_lists_and_runs_across_a_month_end() -> None:
    days = [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 1)]
    assert rules.streak_at(days, date(2026, 3, 1)) == 3
    assert rules.longest_streak(days) == 3


CURRENT_STREAK = [
    (set(), 0),
    (days_ago(0), 1),
    (days_ago(0, 1, 2), 3),
    (days_ago(1, 2, 3), 3),  # today not checked yet: yesterday's run is still alive
    (days_ago(2, 3, 4), 0),  # missed yesterday
    (days_ago(0, 2, 3), 1),
    (days_ago(1, 3, 4, 5), 1),
    (days_ago(-1, 1, 2), 2),  # a day after today is ignored
]


@pytest.mark.parametrize(("days", "streak"), CURRENT_STREAK)
def test_the_current_streak_ends_today_or_else_yesterday(days: set[date], streak: int) -> None:
    assert rules.current_streak(days, today=TODAY) == streak


LONGEST_STREAK = [
    (set(), 0),
    (days_ago(5), 1),
    (days_ago(0, 1, 2), 3),
    (days_ago(0, 1, 5, 6, 7, 8, 20), 4),
    (days_ago(0, 1, 2, 3, 10, 11), 4),
    (days_ago(0, 2, 4, 6), 1),
    (days_ago(*range(40), *range(50, 60)), 40),
]


@pytest.mark.parametrize(("days", "streak"), LONGEST_STREAK)
def test_the_longest_streak_is_the_longest_run_ever(days: set[date], streak: int) -> None:
    assert rules.longest_streak(days) == streak


CHECKIN_POINTS = [(1, 10), (2, 12), (3, 14), (4, 16), (5, 18), (6, 20), (7, 20), (8, 20), (365, 20)]


@pytest.mark.parametrize(("streak", "points"), CHECKIN_POINTS)
def test_check_in_points_grow_by_two_per_streak_day_up_to_twenty(streak: int, points: int) -> None:
    assert rules.checkin_points(streak) == points


@pytest.mark.parametrize("streak", [0, -1])
def test_check_in_points_need_a_streak_of_at_least_one(streak: int) -> None:
    with pytest.raises(ValueError):
        rules.checkin_points(streak)


def test_the_check_in_points_table_matches_the_rule_when_indexed_by_the_capped_streak() -> None:
    table = rules.checkin_points_table()
    assert table == [10, 12, 14, 16, 18, 20]
    for streak in range(1, 50):
        assert table[min(streak, len(table)) - 1] == rules.checkin_points(streak)


# --- Levels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "level", "next_at"),
    [
        (-50, 1, 100),
        (-1, 1, 100),
        (0, 1, 100),
        (99, 1, 100),
        (100, 2, 300),
        (299, 2, 300),
        (300, 3, 600),
        (599, 3, 600),
        (600, 4, 1000),
        (999, 4, 1000),
        (1000, 5, 1500),
        (1499, 5, 1500),
        (1500, 6, 2100),
    ],
)
def test_the_level_and_the_next_threshold_follow_the_total_points(
    points: int, level: int, next_at: int
) -> None:
    assert rules.level_for(points) == level
    assert rules.next_level_at(points) == next_at


@pytest.mark.parametrize(
    ("level", "threshold"), [(1, 0), (2, 100), (3, 300), (4, 600), (5, 1000), (10, 4500)]
)
def test_level_l_is_reached_at_fifty_l_times_l_minus_one(level: int, threshold: int) -> None:
    assert rules.level_threshold(level) == threshold


@pytest.mark.parametrize("level", [0, -1])
def test_there_is_no_level_below_one(level: int) -> None:
    with pytest.raises(ValueError):
        rules.level_threshold(level)


def test_the_level_is_exact_at_and_just_below_every_threshold_up_to_level_two_hundred() -> None:
    for level in range(2, 200):
        threshold = rules.level_threshold(level)
        assert rules.level_for(threshold) == level
        assert rules.level_for(threshold - 1) == level - 1


# --- Badges ---------------------------------------------------------------------------------


def test_the_badge_rules_are_the_published_thresholds_in_order() -> None:
    table = [(rule.code, rule.measure, rule.threshold) for rule in rules.BADGE_RULES]
    assert table == [
        ("first_focus", "completed_sessions", 1),
        ("focus_10", "completed_sessions", 10),
        ("deep_work", "session_focused_seconds", 5400),
        ("streak_7", "streak", 7),
        ("streak_30", "streak", 30),
        ("points_1000", "total_points", 1000),
    ]
    assert rules.BADGE_CODES == (
        "first_focus",
        "focus_10",
        "deep_work",
        "streak_7",
        "streak_30",
        "points_1000",
    )
    assert rules.BADGE_RULES[0].title == "First focus"
    assert rules.BADGE_RULES[0].description == "Complete your first focus session."
    assert all(rule.title and rule.description for rule in rules.BADGE_RULES)


BADGES_EARNED = [
    ({}, set()),
    ({"completed_sessions": 0}, set()),
    ({"completed_sessions": 1}, {"first_focus"}),
    ({"completed_sessions": 9}, {"first_focus"}),
    ({"completed_sessions": 10}, {"first_focus", "focus_10"}),
    ({"session_focused_seconds": 5399}, set()),
    ({"session_focused_seconds": 5400}, {"deep_work"}),
    ({"streak": 6}, set()),
    ({"streak": 7}, {"streak_7"}),
    ({"streak": 29}, {"streak_7"}),
    ({"streak": 30}, {"streak_7", "streak_30"}),
    ({"total_points": 999}, set()),
    ({"total_points": 1000}, {"points_1000"}),
    ({"total_points": -20}, set()),
    (
        {
            "completed_sessions": 10,
            "session_focused_seconds": 5400,
            "streak": 30,
            "total_points": 1000,
        },
        set(rules.BADGE_CODES),
    ),
]


@pytest.mark.parametrize(("measures", "earned"), BADGES_EARNED)
def test_a_badge_is_earned_exactly_at_its_threshold(
    measures: dict[str, int], earned: set[str]
) -> None:
    assert rules.badges_earned(measures) == earned


def test_a_misspelled_badge_measure_is_rejected() -> None:
    with pytest.raises(ValueError):
        rules.badges_earned({"streaks": 30})


# --- Leaderboard ----------------------------------------------------------------------------


COMPETITION_RANK = [
    (300, [200, 200, 100], 1),
    (200, [300, 200, 100], 2),
    (100, [300, 200, 200], 4),
    (200, [300, 200, 200, 100], 2),  # the player's own total among the others is harmless
    (0, [], 1),
    (-10, [0, 0], 3),
]


@pytest.mark.parametrize(("points", "others", "rank"), COMPETITION_RANK)
def test_the_rank_is_one_plus_the_players_with_strictly_more_points(
    points: int, others: list[int], rank: int
) -> None:
    assert rules.competition_rank(points, others) == rank


def test_tied_players_share_a_rank_and_the_next_rank_is_skipped() -> None:
    scores = [("dan", 100), ("bea", 200), ("ann", 300), ("cal", 200)]
    assert rules.competition_ranks(scores) == [
        ("ann", 300, 1),
        ("bea", 200, 2),
        ("cal", 200, 2),
        ("dan", 100, 4),
    ]


@pytest.mark.parametrize(
    ("points", "ranks"),
    [
        ([], []),
        ([50], [1]),
        ([7, 7, 7], [1, 1, 1]),
        ([5, 4, 4, 4, 3], [1, 2, 2, 2, 5]),
        ([0, -5, 10, -5], [1, 2, 3, 3]),
    ],
)
def test_competition_ranks_agree_with_the_single_rank(points: list[int], ranks: list[int]) -> None:
    ranked = rules.competition_ranks(list(enumerate(points)))
    assert [rank for _, _, rank in ranked] == ranks
    for key, score, rank in ranked:
        others = [p for i, p in enumerate(points) if i != key]
        assert rules.competition_rank(score, others) == rank


def test_competition_ranks_keep_input_order_among_ties() -> None:
    scores = [("z", 10), ("a", 10), ("m", 20), ("b", 10)]
    assert [key for key, _, _ in rules.competition_ranks(scores)] == ["m", "z", "a", "b"]


# --- Weeks and community days ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "week", "start"),
    [
        (utc(2026, 11, 29, 23, 59, 59), "2026-W48", utc(2026, 11, 23)),  # a Sunday
        (utc(2026, 11, 30, 0, 0), "2026-W49", utc(2026, 11, 30)),  # the next Monday
        (utc(2026, 12, 31, 12, 0), "2026-W53", utc(2026, 12, 28)),
        (utc(2027, 1, 3, 23, 59, 59), "2026-W53", utc(2026, 12, 28)),
        (utc(2027, 1, 4, 0, 0), "2027-W01", utc(2027, 1, 4)),
        (utc(2026, 1, 1, 0, 0), "2026-W01", utc(2025, 12, 29)),  # ISO 2026 starts in 2025
        # Monday 00:30 in Berlin is still Sunday in UTC, so it belongs to the earlier week.
        (
            datetime(2026, 11, 30, 0, 30, tzinfo=timezone(timedelta(hours=1))),
            "2026-W48",
            utc(2026, 11, 23),
        ),
    ],
)
def test_the_week_is_the_iso_week_of_the_utc_moment(
    moment: datetime, week: str, start: datetime
) -> None:
    assert rules.week_id(moment) == week
    assert rules.week_start(moment) == start
    assert rules.week_start(moment).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("day", "iso_year", "iso_week"),
    [
        (date(2026, 11, 29), 2026, 48),
        (date(2026, 11, 30), 2026, 49),
        (date(2026, 12, 31), 2026, 53),
        (date(2027, 1, 4), 2027, 1),
    ],
)
def test_the_expected_weeks_agree_with_the_real_iso_calendar(
    day: date, iso_year: int, iso_week: int
) -> None:
    assert tuple(day.isocalendar())[:2] == (iso_year, iso_week)
    assert rules.week_id(datetime(day.year, day.month, day.day, 12, tzinfo=UTC)) == (
        f"{iso_year}-W{iso_week:02d}"
    )


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (utc(2026, 3, 10, 0, 0), date(2026, 3, 10)),
        (utc(2026, 3, 10, 23, 59, 59), date(2026, 3, 10)),
        (datetime(2026, 3, 10, 20, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 3, 11)),
        (datetime(2026, 3, 11, 1, 0, tzinfo=timezone(timedelta(hours=5))), date(2026, 3, 10)),
    ],
)
def test_the_community_day_is_the_utc_date(moment: datetime, day: date) -> None:
    assert rules.community_day(moment) == day


# --- Naive datetimes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: rules.session_expired(started_at=NAIVE, now=START),
        lambda: rules.session_expired(started_at=START, now=NAIVE),
        lambda: rules.focus_completion_refusal(
            planned_minutes=25, focused_seconds=60, started_at=NAIVE, now=START
        ),
        lambda: rules.focus_completion_refusal(
            planned_minutes=25, focused_seconds=60, started_at=START, now=NAIVE
        ),
        lambda: rules.player_day(NAIVE, timezone="UTC", day_start_hour=0),
        lambda: rules.week_id(NAIVE),
        lambda: rules.week_start(NAIVE),
        lambda: rules.community_day(NAIVE),
    ],
    ids=[
        "session_expired-start",
        "session_expired-now",
        "refusal-start",
        "refusal-now",
        "player_day",
        "week_id",
        "week_start",
        "community_day",
    ],
)
def test_a_naive_datetime_is_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


SHORT_SESSIONS = [(0, True), (1, True), (299, True), (300, False), (301, False)]


@pytest.mark.parametrize(("focused_seconds", "short"), SHORT_SESSIONS)
def test_a_completion_under_300_focused_seconds_is_a_short_session(focused_seconds, short):
    assert rules.is_short_session(focused_seconds) is short


@pytest.mark.parametrize(
    ("held", "created_today", "refused"),
    [
        (0, 0, None),
        (49, 19, None),
        (50, 0, "You already have 50 habits; delete one to add another."),
        (
            0,
            20,
            "You have created 20 habits today, the most in one day; try again tomorrow.",
        ),
        (50, 20, "You already have 50 habits; delete one to add another."),
    ],
)
def test_habit_creation_is_refused_at_50_held_or_20_created_today(held, created_today, refused):
    assert rules.habit_creation_refusal(held=held, created_today=created_today) == refused
