"""The event contract (gameplay.events) against what the Lua scripts really emit.

Every action runs through the live store (real Redis, a fixed clock) so that each script
emits each of its kinds; every event in the stream must match its kind's schema exactly.
"""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from gameplay import events, keys, live, vacations
from gameplay.events import EventKind
from gameplay.live import Actor

pytestmark = pytest.mark.usefixtures("live_store")

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ALICE = Actor(1, "Europe/Berlin", 4)


def session(planned: int, *, at: datetime, habit_id: int | None = None) -> str:
    session_id = str(uuid.uuid4())
    outcome = live.session_start(
        actor=ALICE, session_id=session_id, planned_minutes=planned, habit_id=habit_id, now=at
    )
    assert outcome.status == "ok"
    return session_id


def finish(session_id: str, action: str, focused: int, *, at: datetime) -> None:
    outcome = live.session_finish(
        actor=ALICE, session_id=session_id, action=action, focused_seconds=focused, now=at
    )
    assert outcome.status == "ok"


def play_every_kind() -> None:
    """Every script that emits, each event shape it can write (with and without badges)."""
    finish(session(25, at=START, habit_id=7), "complete", 1500, at=START + timedelta(minutes=25))
    finish(
        session(25, at=START + timedelta(hours=1)), "complete", 120, at=START + timedelta(hours=2)
    )
    finish(session(25, at=START + timedelta(hours=3)), "abandon", 0, at=START + timedelta(hours=4))
    session(25, at=START + timedelta(hours=5))
    # A start two days later closes the forgotten one as abandoned: a second event shape.
    session(25, at=START + timedelta(days=2))
    day = ALICE.day(START)
    for offset in (1, 0):  # yesterday (a backfill), then today
        live.check_in(
            actor=ALICE, habit_id=7, day=day - timedelta(days=offset), today=day, now=START
        )
    live.adjust(actor=ALICE, points=1000, moderator_id=9, reason="found points", now=START)
    live.adjust(actor=ALICE, points=-3, moderator_id=9, reason="a typo", now=START)
    # A vacation under way that is ended, one not begun that is removed.
    under_way = vacations.vacation_add(
        actor=ALICE, start=day - timedelta(days=1), end=day + timedelta(days=3), now=START
    ).vacation
    coming = vacations.vacation_add(
        actor=ALICE, start=day + timedelta(days=10), end=day + timedelta(days=12), now=START
    ).vacation
    assert under_way is not None and coming is not None
    vacations.vacation_cut(actor=ALICE, vacation=under_way, last=day - timedelta(days=1), now=START)
    vacations.vacation_cut(actor=ALICE, vacation=coming, last=None, now=START)
    # Seven days running earn a freeze, the missed eighth spends it, its backfill refunds it.
    for n in range(10, 17):
        live.check_in(
            actor=ALICE,
            habit_id=8,
            day=day + timedelta(days=n),
            today=day + timedelta(days=n),
            now=START + timedelta(days=n),
        )
    later = START + timedelta(days=18)
    live.settle(actor=ALICE, now=later)
    missed = day + timedelta(days=17)
    live.check_in(actor=ALICE, habit_id=8, day=missed, today=ALICE.day(later), now=later)


def stream_events() -> list[dict]:
    entries = cast(
        list[live.StreamEntry], live.client().xrange(keys.stream(keys.shard_of(ALICE.player_id)))
    )
    return [json.loads(fields[b"e"]) for _, fields in entries]


def test_every_event_a_script_emits_matches_its_kinds_schema() -> None:
    play_every_kind()
    emitted = stream_events()

    assert [events.validate(event)["type"] for event in emitted] == [
        EventKind.SESSION_STARTED,
        EventKind.SESSION_COMPLETED,
        EventKind.SESSION_STARTED,
        EventKind.SESSION_SHORT,
        EventKind.SESSION_STARTED,
        EventKind.SESSION_ABANDONED,
        EventKind.SESSION_STARTED,
        EventKind.SESSION_ABANDONED,  # closed by the next start, which follows
        EventKind.SESSION_STARTED,
        EventKind.CHECK_IN,
        EventKind.CHECK_IN,
        EventKind.ADJUSTMENT,
        EventKind.ADJUSTMENT,
        EventKind.VACATION_ADDED,
        EventKind.VACATION_ADDED,
        EventKind.VACATION_ENDED,
        EventKind.VACATION_REMOVED,
        *[EventKind.CHECK_IN] * 6,
        EventKind.FREEZE_EARNED,  # by the seventh check-in, which follows
        EventKind.CHECK_IN,
        EventKind.FREEZE_SPENT,
        EventKind.FREEZE_REFUNDED,
        EventKind.CHECK_IN,
    ]
    assert {event["type"] for event in emitted} == set(EventKind)


def test_the_events_carry_the_values_of_the_action() -> None:
    play_every_kind()
    completed, closed, adjustment = (stream_events()[i] for i in (1, 7, 11))

    assert completed["session"]["habit"] == "7"
    assert (completed["points"], completed["focus_seconds"], completed["badges"]) == (
        35,
        1500,
        ["first_focus"],
    )
    assert completed["session"]["answer"] == {
        "points": 35,
        "weekly": 35,
        "new_badges": ["first_focus"],
    }
    # The closed session has no answer: nobody asked for one.
    assert "answer" not in closed["session"]
    assert closed["session"]["ended"] == str(live.micros(START + timedelta(days=2)))
    assert (adjustment["moderator"], adjustment["reason"], adjustment["badges"]) == (
        9,
        "found points",
        ["points_1000"],
    )
    assert adjustment["day"] == "2026-03-10"


def an_event(kind: EventKind) -> dict:
    play_every_kind()
    return next(event for event in stream_events() if event["type"] == kind)


def without(record: dict, field: str) -> dict:
    return {name: value for name, value in record.items() if name != field}


# Each is a real event broken in one way, and what the refusal must name.
BREAKAGES = [
    (EventKind.CHECK_IN, lambda e: without(e, "cday"), "missing cday"),
    (EventKind.CHECK_IN, lambda e: {**e, "streak": 3}, "unknown field streak"),
    (EventKind.CHECK_IN, lambda e: {**e, "points": "10"}, "points: expected int"),
    (EventKind.CHECK_IN, lambda e: {**e, "points": True}, "points: expected int"),
    (EventKind.CHECK_IN, lambda e: {**e, "player": 1.5}, "player: expected int"),
    (EventKind.CHECK_IN, lambda e: {**e, "type": "checkin"}, "unknown event kind"),
    (EventKind.CHECK_IN, lambda e: {**e, "id": "not-a-uuid"}, "id: expected a UUID"),
    (EventKind.CHECK_IN, lambda e: {**e, "day": "10/03/2026"}, "day: expected an ISO date"),
    (EventKind.CHECK_IN, lambda e: {**e, "ts": "-5"}, "ts: expected a non-negative integer"),
    (EventKind.CHECK_IN, lambda e: {**e, "badges": ["gold"]}, "badge codes"),
    (EventKind.CHECK_IN, lambda e: {**e, "badges": {"a": 1}}, "an empty object"),
    (
        EventKind.CHECK_IN,
        lambda e: {**e, "check_in": without(e["check_in"], "longest")},
        "check_in: missing longest",
    ),
    (
        EventKind.SESSION_COMPLETED,
        lambda e: {**e, "session": without(e["session"], "answer")},
        "session: missing answer",
    ),
    (
        EventKind.SESSION_COMPLETED,
        lambda e: {**e, "session": {**e["session"], "status": "abandoned"}},
        "session.status: expected one of ['completed']",
    ),
    (
        EventKind.SESSION_STARTED,
        lambda e: {**e, "session": {**e["session"], "ended": "1"}},
        "session: unknown field ended",
    ),
    (EventKind.SESSION_STARTED, lambda e: {**e, "badges": []}, "unknown field badges"),
    (EventKind.ADJUSTMENT, lambda e: without(e, "reason"), "missing reason"),
    (EventKind.ADJUSTMENT, lambda e: {**e, "moderator": "9"}, "moderator: expected int"),
]


@pytest.mark.parametrize(("kind", "break_", "named"), BREAKAGES)
def test_an_event_off_the_contract_is_refused_with_the_field_named(kind, break_, named) -> None:
    event = an_event(kind)
    assert events.validate(event) is event

    with pytest.raises(events.InvalidEvent, match=re.escape(named)):
        events.validate(break_(event))


@pytest.mark.parametrize("value", [None, [], "event"])
def test_what_is_not_an_object_is_refused(value) -> None:
    with pytest.raises(events.InvalidEvent, match="an event is a JSON object"):
        events.validate(value)


def test_the_sql_list_of_kinds_is_quoted_enum_values() -> None:
    assert events.sql_in(EventKind.CHECK_IN, EventKind.SESSION_SHORT) == (
        "('check_in', 'session_short')"
    )
