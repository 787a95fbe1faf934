"""The vacation script (gameplay/lua/vacation.lua through gameplay.vacations) on the live
store: what it writes, the events it appends, the refusals it decides atomically (nothing
written), the freezes it gives back. On one server and on the cluster."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import cast

import pytest

from gameplay import events, keys, live, vacations
from gameplay.live import Actor
from gameplay.vacations import Status, Vacation

pytestmark = pytest.mark.usefixtures("live_store")

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Berlin: the local day 2026-03-10
TODAY = date(2026, 3, 10)
YESTERDAY = TODAY - timedelta(days=1)
ALICE = Actor(1, "Europe/Berlin", 4)


def d(text: str) -> date:
    return date.fromisoformat(text)


def add(start: str, end: str, *, now: datetime = NOW) -> vacations.Added:
    return vacations.vacation_add(actor=ALICE, start=d(start), end=d(end), now=now)


def held() -> dict[str, str]:
    raw = cast(live.Fields, live.client().hgetall(keys.vacations(ALICE.player_id)))
    return {k.decode(): v.decode() for k, v in raw.items()}


def stream() -> list[dict]:
    entries = cast(
        list[live.StreamEntry], live.client().xrange(keys.stream(keys.shard_of(ALICE.player_id)))
    )
    return [json.loads(fields[b"e"]) for _, fields in entries]


def span(start: str, end: str) -> str:
    return f"{d(start).toordinal()}:{d(end).toordinal()}"


def test_adding_a_vacation_holds_its_days_and_appends_one_event_whose_id_is_its_id() -> None:
    added = add("2026-03-09", "2026-03-15")

    assert added.status == Status.OK
    assert added.vacation is not None
    assert added.vacation == Vacation(added.vacation.id, d("2026-03-09"), d("2026-03-15"))
    assert held() == {added.vacation.id: span("2026-03-09", "2026-03-15")}
    (event,) = stream()
    events.validate(event)  # raises InvalidEvent off the contract
    assert (event["type"], event["id"], event["points"], event["day"]) == (
        "vacation_added",
        added.vacation.id,
        0,
        "2026-03-10",
    )
    assert event["vacation"] == {
        "id": added.vacation.id,
        "start": "2026-03-09",
        "end": "2026-03-15",
    }
    assert vacations.vacations_of(ALICE.player_id) == [added.vacation]


def test_the_same_vacation_again_answers_the_one_held_and_writes_nothing() -> None:
    first = add("2026-03-12", "2026-03-14")

    again = add("2026-03-12", "2026-03-14", now=NOW + timedelta(minutes=1))

    assert again.status == Status.REPEAT
    assert again.vacation == first.vacation
    assert len(stream()) == 1
    assert len(held()) == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-03-15", "2026-03-20"), ("2026-03-01", "2026-03-12"), ("2026-03-13", "2026-03-13")],
)
def test_an_overlapping_vacation_is_refused_by_the_script_with_nothing_written(start, end) -> None:
    first = add("2026-03-12", "2026-03-15")
    before = (held(), stream())

    refused = add(start, end)

    assert refused.status == Status.OVERLAP
    assert refused.vacation is None
    assert refused.held == [first.vacation]
    assert (held(), stream()) == before


def test_a_year_over_its_days_is_refused_by_the_script_in_either_year_a_vacation_touches() -> None:
    late = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)
    add("2027-01-10", "2027-02-08", now=late)  # 30 days of 2027
    add("2027-02-10", "2027-03-06", now=late)  # 25 more
    before = (held(), stream())

    refused = add("2026-12-24", "2027-01-06", now=late)  # 6 days of 2027: 61
    accepted = add("2026-12-24", "2027-01-05", now=late)  # 5: 60

    assert refused.status == Status.YEAR_LIMIT
    assert [(v.start, v.end) for v in refused.held] == [
        (d("2027-01-10"), d("2027-02-08")),
        (d("2027-02-10"), d("2027-03-06")),
    ]
    assert accepted.status == Status.OK
    assert len(stream()) == len(before[1]) + 1


def test_of_overlapping_vacations_added_at_once_exactly_one_is_held() -> None:
    spans = [("2026-03-12", f"2026-03-{day}") for day in range(12, 20)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda s: add(*s).status, spans))

    assert sorted(answers) == [Status.OK] + [Status.OVERLAP] * 7
    assert len(held()) == 1
    assert [event["type"] for event in stream()] == ["vacation_added"]


def test_of_vacations_added_at_once_past_the_years_limit_only_those_within_it_are_held() -> None:
    add("2026-03-10", "2026-04-08")  # 30 days
    months = [
        ("2026-05-01", "2026-05-30"),
        ("2026-06-01", "2026-06-30"),
        ("2026-07-01", "2026-07-30"),
    ]

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda s: add(*s).status, months))

    assert sorted(answers) == [Status.OK, Status.YEAR_LIMIT, Status.YEAR_LIMIT]
    assert len(held()) == 2
    assert len(stream()) == 2


def test_a_new_vacation_gives_back_the_freezes_spent_on_its_days() -> None:
    r = live.client()
    frozen = keys.frozen(ALICE.player_id)
    two_days_ago = YESTERDAY - timedelta(days=1)
    r.hset(
        frozen,
        mapping={
            f"7:{YESTERDAY.toordinal()}": 1,
            f"3:{YESTERDAY.toordinal()}": 1,
            f"7:{two_days_ago.toordinal()}": 1,  # before the vacation: stays spent
        },
    )
    r.hset(keys.player(ALICE.player_id), "freezes", 1)

    added = add("2026-03-09", "2026-03-12")

    assert added.freezes == 2
    assert r.hkeys(frozen) == [f"7:{two_days_ago.toordinal()}".encode()]
    assert r.hget(keys.player(ALICE.player_id), "freezes") == b"2"
    vacation_event, *refunds = stream()
    assert vacation_event["type"] == "vacation_added"
    for event in refunds:
        events.validate(event)  # raises InvalidEvent off the contract
    # Habit 3 first (same day, lower id); the second refund finds the player at the cap.
    assert [(e["type"], e["day"], e["points"], e["freeze"]) for e in refunds] == [
        ("freeze_refunded", "2026-03-09", 0, {"habit": "3", "day": "2026-03-09", "delta": 1}),
        ("freeze_refunded", "2026-03-09", 0, {"habit": "7", "day": "2026-03-09", "delta": 0}),
    ]
    ids = {event["id"] for event in (vacation_event, *refunds)}
    assert len(ids) == 3


def test_a_vacation_over_no_frozen_day_leaves_the_freezes_alone() -> None:
    r = live.client()
    r.hset(keys.frozen(ALICE.player_id), f"7:{(YESTERDAY - timedelta(days=1)).toordinal()}", 1)
    r.hset(keys.player(ALICE.player_id), "freezes", 0)

    added = add("2026-03-09", "2026-03-12")

    assert added.freezes == 0
    assert r.hlen(keys.frozen(ALICE.player_id)) == 1
    assert [event["type"] for event in stream()] == ["vacation_added"]


def test_ending_a_vacation_keeps_its_first_days_and_says_its_new_last_day() -> None:
    vacation = add("2026-03-09", "2026-03-15").vacation
    assert vacation is not None

    status = vacations.vacation_cut(actor=ALICE, vacation=vacation, last=YESTERDAY, now=NOW)

    assert status == Status.OK
    assert held() == {vacation.id: span("2026-03-09", "2026-03-09")}
    ended = stream()[-1]
    events.validate(ended)  # raises InvalidEvent off the contract
    assert (ended["type"], ended["vacation"]) == (
        "vacation_ended",
        {"id": vacation.id, "start": "2026-03-09", "end": "2026-03-09"},
    )
    assert ended["id"] != vacation.id


def test_removing_a_vacation_takes_it_away_whole() -> None:
    vacation = add("2026-03-20", "2026-03-25").vacation
    assert vacation is not None

    status = vacations.vacation_cut(actor=ALICE, vacation=vacation, last=None, now=NOW)

    assert status == Status.OK
    assert held() == {}
    removed = stream()[-1]
    events.validate(removed)  # raises InvalidEvent off the contract
    assert (removed["type"], removed["vacation"]) == (
        "vacation_removed",
        {"id": vacation.id, "start": "2026-03-20", "end": "2026-03-25"},
    )


def test_a_change_to_a_span_no_longer_held_writes_nothing() -> None:
    vacation = add("2026-03-09", "2026-03-15").vacation
    assert vacation is not None
    vacations.vacation_cut(actor=ALICE, vacation=vacation, last=YESTERDAY, now=NOW)
    before = (held(), stream())

    # Read before the first change: the span it decided on is gone.
    again = vacations.vacation_cut(actor=ALICE, vacation=vacation, last=None, now=NOW)
    unknown = vacations.vacation_cut(
        actor=ALICE,
        vacation=Vacation("0190f0e4-0000-7000-8000-000000000000", TODAY, TODAY),
        last=None,
        now=NOW,
    )

    assert (again, unknown) == (Status.CHANGED, Status.CHANGED)
    assert (held(), stream()) == before
