"""Differential tests: each rule that a Lua script applies again, fed the rows of the rule
tables in test_rules.py, through the Python rule and through the real script (real Redis,
the clock passed in); both must give the same answer.

The scripts apply: focus points, the short session, the completion refusals and the
24-hour window (session_finish, session_start), the streak, current and longest streaks
and check-in points (checkin), badges (prelude, every action) and the competition rank
(snapshot, board, the news every award publishes). Levels, weeks and days are computed in
Python only and handed to the scripts, so they have no second implementation to compare.
"""

import json
import uuid
from datetime import date, datetime, timedelta

import pytest

from gameplay import boards, keys, live, rules, scripts
from gameplay.live import Actor
from gameplay.tests.test_rules import (
    BADGES_EARNED,
    CHECKIN_POINTS,
    COMPETITION_RANK,
    COMPLETION_REFUSALS,
    CURRENT_STREAK,
    FOCUS_POINTS,
    LONGEST_STREAK,
    SESSION_EXPIRY,
    SHORT_SESSIONS,
    START,
    STREAK_AT,
    TODAY,
)

pytestmark = pytest.mark.usefixtures("live_store")

ME = Actor(1, "UTC", 0)
HABIT = 5


def start(planned: int, *, actor: Actor = ME, at: datetime = START) -> str:
    session_id = str(uuid.uuid4())
    outcome = live.session_start(
        actor=actor, session_id=session_id, planned_minutes=planned, habit_id=None, now=at
    )
    assert outcome.status == "ok"
    return session_id


def finish(session_id: str, focused: int, *, at: datetime, action: str = "complete"):
    return live.session_finish(
        actor=ME, session_id=session_id, action=action, focused_seconds=focused, now=at
    )


def complete(planned: int, focused: int, *, at: datetime = START):
    return finish(start(planned, at=at), focused, at=at + timedelta(minutes=planned))


# --- Focus sessions (session_finish, session_start) -----------------------------------------


@pytest.mark.parametrize(("planned", "focused", "points"), FOCUS_POINTS)
def test_a_completion_earns_the_rules_focus_points(planned, focused, points) -> None:
    script = complete(planned, focused).data["result"]["points_awarded"]
    python = rules.focus_points(planned_minutes=planned, focused_seconds=focused)

    assert script == python == points


@pytest.mark.parametrize(("focused", "short"), SHORT_SESSIONS)
def test_a_completion_is_short_where_the_rule_says(focused, short) -> None:
    kind = json.loads(complete(25, focused).data["event"])["type"]

    assert (kind == "session_short") is rules.is_short_session(focused) is short
    # Only a session that is not short counts as completed anywhere.
    assert live.player_snapshot(player_id=ME.player_id).completed_sessions == int(not short)


# The script answers a refusal by status; the rule by a sentence, which the view shows.
SCRIPT_STATUS_OF_REFUSAL = {
    "24 hours": "expired",
    "negative": "too_long",
    "planned length": "too_long",
    "since the start": "too_fast",
}


def status_of(refusal: str | None) -> str:
    if refusal is None:
        return "ok"
    (status,) = {s for phrase, s in SCRIPT_STATUS_OF_REFUSAL.items() if phrase in refusal}
    return status


@pytest.mark.parametrize(("planned", "focused", "elapsed", "refused_because"), COMPLETION_REFUSALS)
def test_a_completion_is_refused_where_the_rule_refuses_it(
    planned, focused, elapsed, refused_because
) -> None:
    script = finish(start(planned), focused, at=START + elapsed).status
    python = rules.focus_completion_refusal(
        planned_minutes=planned, focused_seconds=focused, started_at=START, now=START + elapsed
    )

    assert script == status_of(python) == status_of(refused_because)


@pytest.mark.parametrize(("elapsed", "expired"), SESSION_EXPIRY)
def test_abandoning_is_refused_exactly_when_the_session_expired(elapsed, expired) -> None:
    script = finish(start(25), 0, at=START + elapsed, action="abandon").status
    python = rules.session_expired(started_at=START, now=START + elapsed)

    assert (script == "expired") is python is expired
    assert script == ("expired" if expired else "ok")


@pytest.mark.parametrize(("elapsed", "expired"), SESSION_EXPIRY)
def test_a_new_start_closes_the_running_session_exactly_when_it_expired(elapsed, expired) -> None:
    running = start(25)
    outcome = live.session_start(
        actor=ME,
        session_id=str(uuid.uuid4()),
        planned_minutes=25,
        habit_id=None,
        now=START + elapsed,
    )
    python = rules.session_expired(started_at=START, now=START + elapsed)

    assert (outcome.status == "ok") is python is expired
    if not expired:
        assert outcome.data["running_session_id"] == running


# --- Habit check-ins (checkin) --------------------------------------------------------------


def check_in(day: date, *, today: date = TODAY):
    return live.check_in(actor=ME, habit_id=HABIT, day=day, today=today, now=START)


def check_in_all(days, *, order=sorted):
    """Every day checked, in the given order; the last outcome."""
    outcome = None
    for day in order(days):
        outcome = check_in(day)
        assert outcome.status == "ok"
    return outcome


# The script measures a streak by checking a day in: only rows whose day is checked can be
# asked of it (and the empty set has no check-in to ask with).
STREAK_AT_CHECKED = [row for row in STREAK_AT if TODAY - timedelta(days=row[1]) in row[0]]


def test_most_streak_rows_can_be_asked_of_the_script() -> None:
    assert len(STREAK_AT_CHECKED) == 8


@pytest.mark.parametrize(("days", "at", "streak"), STREAK_AT_CHECKED)
def test_a_check_in_is_scored_by_the_rules_streak_at_its_day(days, at, streak) -> None:
    day = TODAY - timedelta(days=at)
    check_in_all(days - {day})
    outcome = check_in(day)
    event = json.loads(outcome.data["event"])

    assert event["check_in"]["streak"] == rules.streak_at(days, day) == streak
    assert outcome.data["points_awarded"] == rules.checkin_points(streak)


@pytest.mark.parametrize(("days", "streak"), [row for row in CURRENT_STREAK if row[0]])
def test_the_current_streak_is_the_rules(days, streak) -> None:
    last = check_in_all(days)
    # A repeat answers the current streak too, by the same code path's other branch.
    repeat = check_in(min(days))

    python = rules.current_streak(days, today=TODAY)
    assert last.data["current"] == repeat.data["current"] == python == streak
    assert repeat.status == "repeat"


@pytest.mark.parametrize("order", [sorted, lambda days: sorted(days, reverse=True)])
@pytest.mark.parametrize(("days", "streak"), [row for row in LONGEST_STREAK if row[0]])
def test_the_longest_streak_is_the_rules_whatever_the_order_of_check_ins(
    days, streak, order
) -> None:
    last = check_in_all(days, order=order)
    event = json.loads(last.data["event"])

    python = rules.longest_streak(days)
    assert last.data["longest"] == event["check_in"]["longest"] == python == streak


@pytest.mark.parametrize(("streak", "points"), CHECKIN_POINTS)
def test_the_check_in_that_reaches_a_streak_earns_the_rules_points(streak, points) -> None:
    last = check_in_all({TODAY - timedelta(days=n) for n in range(streak)})

    assert last.data["points_awarded"] == rules.checkin_points(streak) == points


# --- Badges (prelude: award_badges, run by every action) ------------------------------------


def award_badges(measures: dict[str, int]) -> set[str]:
    """The prelude's own award_badges, run in Redis on `measures` for a player who has no
    badge yet: the script's half of the rule, without an action around it."""
    prelude = (scripts.LUA_DIR / "prelude.lua").read_text()
    probe = prelude + "\nreturn cjson.encode(award_badges(cjson.decode(ARGV[8])))"
    award_keys = live._award_keys(ME.player_id, START)
    award_args = live._award_args(ME, START, "{}")
    raw = live.client().eval(
        probe,
        len(award_keys),
        *[award_keys[name] for name in scripts.PRELUDE.keys],
        *[award_args[name] for name in scripts.PRELUDE.args],
        json.dumps(measures),
    )
    return set(json.loads(raw))  # an empty Lua table encodes as {}: no codes either way


@pytest.mark.parametrize(("measures", "earned"), BADGES_EARNED)
def test_the_scripts_badges_for_a_measure_are_the_rules(measures, earned) -> None:
    assert award_badges(measures) == rules.badges_earned(measures) == earned


def reach(measure: str, value: int) -> dict[str, int]:
    """Play until the measure has the value, through the action that measures it; the
    measures the player then has (points come with every action)."""
    if measure == rules.MEASURE_TOTAL_POINTS:
        live.adjust(actor=ME, points=value, moderator_id=2, reason="test", now=START)
        return {measure: value}
    if measure == rules.MEASURE_COMPLETED_SESSIONS:
        for n in range(value):
            complete(5, 300, at=START + timedelta(hours=n))
        return {measure: value, rules.MEASURE_TOTAL_POINTS: 15 * value}
    if measure == rules.MEASURE_SESSION_FOCUSED_SECONDS:
        complete(120, value)
        return {
            measure: value,
            rules.MEASURE_COMPLETED_SESSIONS: 1,
            rules.MEASURE_TOTAL_POINTS: value // 60,
        }
    check_in_all({TODAY - timedelta(days=n) for n in range(value)})
    points = sum(rules.checkin_points(s) for s in range(1, value + 1))
    return {measure: value, rules.MEASURE_TOTAL_POINTS: points}


@pytest.mark.parametrize(
    ("measure", "value"),
    [next(iter(m.items())) for m, _ in BADGES_EARNED if len(m) == 1],
)
def test_playing_to_a_measure_holds_the_badges_the_rule_awards(measure, value) -> None:
    measures = reach(measure, value)
    held = {code for code, _ in live.player_snapshot(player_id=ME.player_id).badges}

    assert held == rules.badges_earned(measures)


# --- Competition rank (snapshot, board) -----------------------------------------------------


def give(player_id: int, points: int) -> None:
    actor = Actor(player_id, "UTC", 0)
    live.adjust(actor=actor, points=points, moderator_id=99, reason="test", now=START)


@pytest.mark.parametrize(("points", "others", "rank"), COMPETITION_RANK)
def test_a_players_rank_is_the_rules_competition_rank(points, others, rank) -> None:
    for player_id, other in enumerate(others, start=2):
        give(player_id, other)
    give(ME.player_id, points)
    # Ranks are read from the global boards, which the feeder moves from the shards'
    # streams (the running pusher within 0.2 s).
    boards.feed()
    snapshot = live.player_snapshot(player_id=ME.player_id, now=START)
    _, me = live.leaderboard_top(board="all", limit=1, me_id=ME.player_id, now=START)
    assert me is not None

    python = rules.competition_rank(points, others)
    assert snapshot.rank_all == snapshot.rank_week == me["rank"] == python == rank
    assert live.client().zcard(keys.BOARD_ALL) == len(others) + 1
