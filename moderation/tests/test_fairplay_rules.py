"""The fair-play rules, one table each: pure functions, no database."""

from datetime import UTC, date, datetime, timedelta

import pytest

from moderation.fairplay import (
    CompletedSession,
    FocusDay,
    HourlyPoints,
    focus_per_day_flags,
    max_length_streak_flags,
    points_per_hour_flags,
    still_open,
)

MON = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
GAP = timedelta(minutes=10)


def day(player_id, offset, minutes, sessions=1):
    return FocusDay(
        player_id=player_id,
        day=date(2026, 11, 23) + timedelta(days=offset),
        focus_minutes=minutes,
        sessions=sessions,
        latest_at=MON + timedelta(days=offset, hours=12),
    )


@pytest.mark.parametrize(
    ("days", "max_minutes", "expected"),
    [
        ([], 720, {}),
        ([day(1, 0, 720)], 720, {}),  # at the limit is fine
        (
            [day(1, 0, 721, sessions=5)],
            720,
            {1: ["2026-11-23: 721 focus minutes in 5 sessions (more than 720)"]},
        ),
        (
            [day(1, 1, 800, 6), day(1, 0, 900, 7), day(1, 2, 100)],
            720,
            {
                1: [
                    "2026-11-23: 900 focus minutes in 7 sessions (more than 720)",
                    "2026-11-24: 800 focus minutes in 6 sessions (more than 720)",
                ]
            },
        ),
        (
            [day(1, 0, 500), day(2, 0, 601, 4)],
            600,
            {2: ["2026-11-23: 601 focus minutes in 4 sessions (more than 600)"]},
        ),
    ],
)
def test_focus_per_day_flags_days_over_the_limit(days, max_minutes, expected):
    flags = focus_per_day_flags(days, max_minutes=max_minutes)

    assert {f.player_id: f.evidence for f in flags} == expected
    for flag in flags:
        assert flag.rule == "focus_per_day"
        # The latest evidence: days under the limit are not evidence.
        over = [d for d in days if d.player_id == flag.player_id and d.focus_minutes > max_minutes]
        assert flag.latest_at == max(d.latest_at for d in over)


def sessions_from(plan, *, player_id=1):
    """Sessions one after another from MON: (planned, focused minutes, gap before, in min)."""
    made, moment = [], MON
    for planned, focused, gap_before in plan:
        start = moment + timedelta(minutes=gap_before)
        end = start + timedelta(minutes=planned)
        made.append(CompletedSession(player_id, start, end, planned, focused * 60))
        moment = end
    return made


FULL = (180, 180, 5)


@pytest.mark.parametrize(
    ("plan", "max_streak", "expected_runs"),
    [
        ([FULL, FULL], 2, []),
        ([FULL, FULL, FULL], 2, [3]),
        ([FULL, FULL, FULL], 3, []),
        ([FULL, FULL, (180, 180, 10), FULL], 2, [4]),  # a gap of exactly 10 minutes follows
        ([FULL, FULL, (180, 180, 11), FULL], 2, []),  # 11 minutes is a break
        ([FULL, FULL, (180, 179, 5), FULL], 2, []),  # one short of full breaks the run
        ([FULL, FULL, (170, 170, 5), FULL], 2, []),  # not the longest plannable length
        ([FULL, FULL, FULL, (25, 25, 5), FULL, FULL, FULL], 2, [3, 3]),
        ([(25, 25, 0), FULL, FULL, FULL, FULL], 3, [4]),
    ],
)
def test_max_length_streak_flags_runs_of_back_to_back_full_180_minute_sessions(
    plan, max_streak, expected_runs
):
    sessions = sessions_from(plan)

    flags = max_length_streak_flags(reversed(sessions), max_streak=max_streak, gap=GAP)

    assert [len(f.evidence) for f in flags] == ([len(expected_runs)] if expected_runs else [])
    if expected_runs:
        (flag,) = flags
        assert flag.rule == "max_length_streak"
        assert [int(line.split()[0]) for line in flag.evidence] == expected_runs
        assert flag.latest_at == sessions[-1].ended_at


def test_max_length_streak_evidence_names_the_run_in_utc():
    (flag,) = max_length_streak_flags(sessions_from([FULL] * 3), max_streak=2, gap=GAP)

    assert flag.evidence == [
        "3 full 180-minute sessions in a row from 2026-11-23 06:05 to 2026-11-23 15:15 UTC "
        "(more than 2)"
    ]


def test_max_length_streak_keeps_players_apart():
    alice = sessions_from([FULL, FULL], player_id=1)
    start = alice[-1].ended_at + timedelta(minutes=5)
    bob = [CompletedSession(2, start, start + timedelta(minutes=180), 180, 180 * 60)]
    # Taken together, bob's session would make alice's two a run of three.
    assert max_length_streak_flags(alice + bob, max_streak=2, gap=GAP) == []


def rates(*per_player):
    """HourlyPoints from (points, active hours) pairs, player ids from 1."""
    return [
        HourlyPoints(i, points, hours, MON + timedelta(hours=i))
        for i, (points, hours) in enumerate(per_player, start=1)
    ]


@pytest.mark.parametrize(
    ("players", "factor", "floor", "flagged"),
    [
        ([], 5.0, 300, []),
        (rates((100, 2)), 5.0, 10, []),  # alone, a player is their own median
        (rates((20, 1), (24, 1), (28, 1), (500, 1)), 5.0, 300, [4]),  # median 26, floor 300
        (rates((20, 1), (24, 1), (28, 1), (290, 1)), 5.0, 300, []),  # under the floor
        (rates((100, 1), (100, 1), (100, 1), (400, 1)), 5.0, 300, []),  # under 5 x median
        (rates((100, 1), (100, 1), (100, 1), (501, 1)), 5.0, 300, [4]),
        (rates((100, 1), (100, 1), (100, 1), (500, 1)), 5.0, 300, []),  # at the limit is fine
        (rates((1000, 10), (30, 1), (35, 1), (40, 1)), 2.0, 50, [1]),  # 100/h vs median 37.5
        (rates((0, 0), (30, 1), (30, 1), (400, 1)), 5.0, 100, [4]),  # no active hour: not counted
    ],
)
def test_points_per_hour_flags_players_far_above_the_median(players, factor, floor, flagged):
    flags = points_per_hour_flags(players, factor=factor, floor=floor)

    assert [f.player_id for f in flags] == flagged
    assert all(f.rule == "points_per_hour" for f in flags)


def test_points_per_hour_evidence_gives_the_rate_the_median_and_the_limit():
    (flag,) = points_per_hour_flags(
        rates((20, 1), (24, 1), (28, 1), (1500, 3)), factor=5.0, floor=300
    )

    assert flag.evidence == [
        "500 points per hour (1500 points in 3 active hours); median 26 across 4 players, limit 300"
    ]
    assert flag.latest_at == MON + timedelta(hours=4)


@pytest.mark.parametrize(
    ("dismissed_through", "open_"),
    [
        (None, True),
        (MON, False),
        (MON + timedelta(seconds=1), False),
        (MON - timedelta(microseconds=1), True),  # newer evidence brings the flag back
    ],
)
def test_a_dismissed_flag_stays_dismissed_until_newer_evidence(dismissed_through, open_):
    (flag,) = points_per_hour_flags(
        [HourlyPoints(1, 900, 1, MON), HourlyPoints(2, 10, 1, MON)], factor=1.5, floor=100
    )

    assert still_open(flag, dismissed_through) is open_
