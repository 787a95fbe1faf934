"""`/api/vacations`: adding, listing and taking back vacations, with the clock stopped at T0
(Monday 2026-11-23, 10:00 in alice's Berlin: her today). Every refusal writes nothing: no
stream entry, no change of the live hash, no row once the flush has run."""

from datetime import date, timedelta

import pytest

from gameplay import keys, live
from gameplay.models import LedgerEntry
from pipeline import flush
from vacations.models import Vacation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

TODAY = date(2026, 11, 23)


def post(client, start: str, end: str, **extra):
    return client.post("/api/vacations", {"start": start, "end": end, **extra}, format="json")


def written(player) -> dict:
    """What a vacation request could have written, once the flush has run: the live hash
    and frozen days, the player's events (every one appended to the stream is in the
    ledger now), the rows."""
    flush.flush_pending()
    r = live.client()
    return {
        "hash": r.hgetall(keys.vacations(player.pk)),
        "frozen": r.hgetall(keys.frozen(player.pk)),
        "events": sorted(LedgerEntry.objects.filter(player=player).values_list("pk", flat=True)),
        "pending": flush.backlog()["pending"],
        "rows": sorted(Vacation.objects.values_list("id", "start", "end")),
    }


def test_a_vacation_is_added_answered_and_listed_live(as_alice, alice, clock):
    response = post(as_alice, "2026-11-22", "2026-11-30")

    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "start": "2026-11-22", "end": "2026-11-30"}
    assert as_alice.get("/api/vacations").json() == [body]
    assert live.client().hget(keys.vacations(alice.pk), body["id"]) == (
        f"{date(2026, 11, 22).toordinal()}:{date(2026, 11, 30).toordinal()}".encode()
    )


def test_the_list_is_ordered_by_first_day_and_is_the_players_own(as_alice, as_bob, clock):
    later = post(as_alice, "2026-12-20", "2026-12-27").json()
    sooner = post(as_alice, "2026-11-25", "2026-11-26").json()
    post(as_bob, "2026-12-01", "2026-12-02")

    assert as_alice.get("/api/vacations").json() == [sooner, later]


def test_the_same_vacation_again_answers_200_with_the_one_held(as_alice, alice, clock):
    first = post(as_alice, "2026-12-01", "2026-12-05").json()
    before = written(alice)

    again = post(as_alice, "2026-12-01", "2026-12-05")

    assert again.status_code == 200
    assert again.json() == first
    assert written(alice) == before


def test_the_flush_writes_the_vacation_row_with_the_events_id(as_alice, alice, clock):
    body = post(as_alice, "2026-11-22", "2026-11-30").json()

    flush.flush_pending()

    row = Vacation.objects.get()
    assert (str(row.id), row.player_id, row.start, row.end) == (
        body["id"],
        alice.pk,
        date(2026, 11, 22),
        date(2026, 11, 30),
    )


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (
            {"start": "2026-11-21", "end": "2026-11-25"},
            {"start": ["A vacation starts yesterday at the earliest."]},
        ),
        (
            {"start": "2026-11-30", "end": "2026-11-29"},
            {"end": ["A vacation ends on or after its first day."]},
        ),
        (
            {"start": "2026-11-23", "end": "2026-12-23"},  # 31 days
            {"end": ["A vacation lasts at most 30 days."]},
        ),
        (
            {"start": "2026-11-23", "end": "2026-11-30", "reason": "beach"},
            {"reason": ["Unknown field."]},
        ),
        ({"start": "2026-11-23"}, {"end": ["This field is required."]}),
        (
            {"start": "next monday", "end": "2026-11-30"},
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
    ],
)
def test_a_vacation_the_rules_refuse_is_a_400_that_writes_nothing(
    as_alice, alice, clock, body, answer
):
    before = written(alice)

    response = as_alice.post("/api/vacations", body, format="json")

    assert response.status_code == 400
    assert response.json() == answer
    assert written(alice) == before


def test_exactly_30_days_is_accepted(as_alice, clock):
    assert post(as_alice, "2026-11-23", "2026-12-22").status_code == 201


def test_60_vacation_days_in_a_year_are_held_and_the_61st_is_a_400_that_writes_nothing(
    as_alice, alice, clock
):
    assert post(as_alice, "2027-01-01", "2027-01-30").status_code == 201  # 30 days
    assert post(as_alice, "2027-02-01", "2027-03-02").status_code == 201  # 30 more: 60
    before = written(alice)

    response = post(as_alice, "2027-03-10", "2027-03-10")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["At most 60 vacation days in 2027: 60 are taken already."]
    }
    assert written(alice) == before
    assert post(as_alice, "2028-01-01", "2028-01-30").status_code == 201  # another year


def test_a_vacation_over_new_year_counts_its_days_in_each_year(as_alice, alice, clock):
    assert post(as_alice, "2027-01-10", "2027-02-08").status_code == 201  # 30 days of 2027
    assert post(as_alice, "2027-02-10", "2027-03-06").status_code == 201  # 25 more: 55
    before = written(alice)

    refused = post(as_alice, "2026-12-24", "2027-01-06")  # 8 days of 2026, 6 of 2027: 61
    accepted = post(as_alice, "2026-12-24", "2027-01-05")  # 5 of 2027: 60

    assert refused.status_code == 400
    assert refused.json() == {
        "non_field_errors": ["At most 60 vacation days in 2027: 55 are taken already."]
    }
    assert accepted.status_code == 201
    assert len(written(alice)["rows"]) == len(before["rows"]) + 1


@pytest.mark.parametrize(
    ("start", "end"), [("2026-11-25", "2026-12-01"), ("2026-12-05", "2026-12-06")]
)
def test_a_vacation_overlapping_another_by_one_day_is_a_409_that_writes_nothing(
    as_alice, alice, clock, start, end
):
    post(as_alice, "2026-12-01", "2026-12-05")
    before = written(alice)

    response = post(as_alice, start, end)

    assert response.status_code == 409
    assert response.json() == {"detail": "It overlaps your vacation from 2026-12-01 to 2026-12-05."}
    assert written(alice) == before


def test_adjacent_vacations_are_both_held(as_alice, clock):
    post(as_alice, "2026-12-01", "2026-12-05")

    before = post(as_alice, "2026-11-28", "2026-11-30")
    after = post(as_alice, "2026-12-06", "2026-12-08")

    assert (before.status_code, after.status_code) == (201, 201)
    assert len(as_alice.get("/api/vacations").json()) == 3


def test_without_credentials_every_vacation_endpoint_is_a_401_that_writes_nothing(
    anon, as_alice, alice, clock
):
    held = post(as_alice, "2026-12-01", "2026-12-05").json()
    before = written(alice)

    answers = [
        anon.get("/api/vacations").status_code,
        anon.post("/api/vacations", {"start": "2026-12-10", "end": "2026-12-11"}).status_code,
        anon.delete(f"/api/vacations/{held['id']}").status_code,
    ]

    assert answers == [401, 401, 401]
    assert written(alice) == before


def test_a_vacation_not_yet_begun_is_removed(as_alice, alice, clock):
    held = post(as_alice, "2026-11-24", "2026-11-30").json()
    flush.flush_pending()

    response = as_alice.delete(f"/api/vacations/{held['id']}")

    assert response.status_code == 204
    assert as_alice.get("/api/vacations").json() == []
    assert written(alice)["rows"] == []
    assert as_alice.delete(f"/api/vacations/{held['id']}").status_code == 404


def test_a_vacation_beginning_today_is_removed_whole(as_alice, alice, clock):
    held = post(as_alice, "2026-11-23", "2026-11-30").json()

    assert as_alice.delete(f"/api/vacations/{held['id']}").status_code == 204
    assert as_alice.get("/api/vacations").json() == []
    assert written(alice)["rows"] == []


def test_a_vacation_under_way_ends_yesterday(as_alice, alice, clock):
    held = post(as_alice, "2026-11-22", "2026-11-30").json()
    flush.flush_pending()

    response = as_alice.delete(f"/api/vacations/{held['id']}")

    assert response.status_code == 204
    ended = {**held, "end": "2026-11-22"}
    assert as_alice.get("/api/vacations").json() == [ended]
    (row,) = written(alice)["rows"]
    assert (str(row[0]), row[1], row[2]) == (held["id"], date(2026, 11, 22), TODAY - timedelta(1))


def test_a_vacation_already_over_is_a_409_that_writes_nothing(as_alice, alice, clock):
    held = post(as_alice, "2026-11-22", "2026-11-24").json()
    clock.shift(timedelta(days=3))  # today is 2026-11-26: it ended on the 24th
    before = written(alice)

    response = as_alice.delete(f"/api/vacations/{held['id']}")

    assert response.status_code == 409
    assert response.json() == {"detail": "This vacation is over: its days stay in your history."}
    assert written(alice) == before
    assert as_alice.get("/api/vacations").json() == [held]


def test_an_ended_vacation_cannot_be_taken_back_twice(as_alice, clock):
    held = post(as_alice, "2026-11-22", "2026-11-30").json()

    first = as_alice.delete(f"/api/vacations/{held['id']}")
    second = as_alice.delete(f"/api/vacations/{held['id']}")

    assert (first.status_code, second.status_code) == (204, 409)


def test_another_players_or_an_unknown_vacation_is_a_404_that_writes_nothing(
    as_alice, as_bob, alice, bob, clock
):
    bobs = post(as_bob, "2026-12-01", "2026-12-05").json()
    before = (written(alice), written(bob))

    answers = [
        as_alice.delete(f"/api/vacations/{bobs['id']}"),
        as_alice.delete("/api/vacations/0190f0e4-0000-7000-8000-000000000000"),
        as_alice.delete("/api/vacations/not-a-uuid"),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert [a.json() for a in answers[:2]] == [{"detail": "Not found."}] * 2
    assert (written(alice), written(bob)) == before


def test_a_delete_with_a_body_field_is_a_400_that_writes_nothing(as_alice, alice, clock):
    held = post(as_alice, "2026-12-01", "2026-12-05").json()
    before = written(alice)

    response = as_alice.delete(f"/api/vacations/{held['id']}", {"end": "2026-12-03"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"end": ["Unknown field."]}
    assert written(alice) == before


def test_the_31st_change_in_an_hour_is_a_429_that_writes_nothing(as_alice, alice, clock):
    for _ in range(15):  # 30 changes: an add and a removal each
        held = post(as_alice, "2026-12-01", "2026-12-05")
        assert held.status_code == 201
        assert as_alice.delete(f"/api/vacations/{held.json()['id']}").status_code == 204
    before = written(alice)

    refused = post(as_alice, "2026-12-01", "2026-12-05")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert written(alice) == before
    assert as_alice.get("/api/vacations").status_code == 200  # reads are not throttled
    clock.shift(timedelta(hours=1))
    assert post(as_alice, "2026-12-01", "2026-12-05").status_code == 201
