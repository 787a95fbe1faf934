"""Focus sessions through the API, with the clock stopped (time-machine)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipeline import flush
from testkit.db import no_writes
from testkit.personas import T0

pytestmark = pytest.mark.django_db


def start(client, planned=25, **extra):
    return client.post("/api/sessions", {"planned_minutes": planned, **extra}, format="json")


def complete(client, session_id, focused):
    return client.post(
        f"/api/sessions/{session_id}/complete", {"focused_seconds": focused}, format="json"
    )


def test_starting_a_session_answers_201_with_the_server_start_time(as_alice, clock):
    response = start(as_alice, planned=25)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "running"
    assert body["planned_minutes"] == 25
    assert body["started_at"] == "2026-11-23T09:00:00Z"


@pytest.mark.parametrize("planned", [4, 181, 0, "ten", None])
def test_a_planned_length_outside_5_to_180_is_refused(as_alice, clock, planned):
    response = start(as_alice, planned=planned)

    assert response.status_code == 400
    assert "planned_minutes" in response.json()
    assert flush.backlog()["pending"] == 0


def test_a_second_running_session_answers_409_naming_the_running_one(as_alice, clock):
    first = start(as_alice).json()

    response = start(as_alice, planned=50)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "A focus session is already running.",
        "running_session_id": first["id"],
    }


@pytest.mark.parametrize(
    ("planned", "elapsed", "focused", "points"),
    [
        (25, 25 * 60, 25 * 60, 35),  # full session: 25 + bonus 10
        (25, 25 * 60, 1499, 24),  # one second short of the bonus
        (25, 20 * 60, 20 * 60 + 5, 20),  # the 5-second grace
        (50, 3600, 59, 0),  # less than a minute
        (180, 180 * 60, 10800, 190),
        (90, 95 * 60, 5400, 100),
    ],
)
def test_completing_a_session_awards_the_rules_points(
    as_alice, clock, planned, elapsed, focused, points
):
    session_id = start(as_alice, planned=planned).json()["id"]
    clock.shift(timedelta(seconds=elapsed))

    response = complete(as_alice, session_id, focused)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed"
    assert body["focused_seconds"] == focused
    assert body["points_awarded"] == points
    assert body["totals"]["points"] == points
    assert body["totals"]["weekly_points"] == points
    assert as_alice.get("/api/me").json()["points"] == points


@pytest.mark.parametrize(
    ("elapsed", "focused", "message"),
    [
        (20 * 60, 20 * 60 + 6, "exceed the time since the start"),
        (30 * 60, 25 * 60 + 1, "exceed the planned length"),
    ],
)
def test_focused_seconds_beyond_the_limits_are_refused_and_award_nothing(
    as_alice, clock, elapsed, focused, message
):
    session_id = start(as_alice, planned=25).json()["id"]
    clock.shift(timedelta(seconds=elapsed))

    response = complete(as_alice, session_id, focused)

    assert response.status_code == 400
    assert message in response.json()["focused_seconds"][0]
    assert as_alice.get("/api/me").json()["points"] == 0
    # The refused completion appended nothing: only the start is in the stream.
    assert flush.backlog()["pending"] == 1


def test_negative_focused_seconds_are_refused(as_alice, clock):
    session_id = start(as_alice).json()["id"]

    assert complete(as_alice, session_id, -1).status_code == 400


def test_a_session_can_be_completed_exactly_24_hours_after_its_start(as_alice, clock):
    session_id = start(as_alice, planned=25).json()["id"]
    clock.shift(timedelta(hours=24))

    assert complete(as_alice, session_id, 1500).json()["points_awarded"] == 35


def test_a_session_older_than_24_hours_can_no_longer_be_completed(as_alice, clock):
    session_id = start(as_alice, planned=25).json()["id"]
    clock.shift(timedelta(hours=24, seconds=1))

    response = complete(as_alice, session_id, 1500)

    assert response.status_code == 400
    assert "24 hours" in response.json()["detail"][0]
    assert as_alice.get("/api/me").json()["points"] == 0


def test_starting_after_an_expired_session_closes_it_as_abandoned(as_alice, clock):
    old = start(as_alice).json()["id"]
    clock.shift(timedelta(hours=25))

    response = start(as_alice)

    assert response.status_code == 201
    repeat = as_alice.post(f"/api/sessions/{old}/abandon")
    assert repeat.json() == {"id": old, "status": "abandoned", "points_awarded": 0}


def test_repeating_a_completion_answers_the_first_answer_byte_for_byte(as_alice, clock):
    session_id = start(as_alice, planned=25).json()["id"]
    clock.shift(timedelta(minutes=25))
    first = complete(as_alice, session_id, 1500)

    second = complete(as_alice, session_id, 1500)
    third = complete(as_alice, session_id, 600)

    assert second.status_code == third.status_code == 200
    assert first.json()["new_badges"] == ["first_focus"]
    assert second.content == third.content == first.content
    assert as_alice.get("/api/me").json()["points"] == 35
    assert flush.backlog()["pending"] == 2


def test_abandoning_awards_zero_and_a_later_completion_is_a_conflict(as_alice, clock):
    session_id = start(as_alice).json()["id"]
    clock.shift(timedelta(minutes=10))

    abandoned = as_alice.post(f"/api/sessions/{session_id}/abandon")
    completed = complete(as_alice, session_id, 600)

    assert abandoned.status_code == 200
    assert abandoned.json() == {"id": session_id, "status": "abandoned", "points_awarded": 0}
    assert completed.status_code == 409
    assert as_alice.get("/api/me").json()["points"] == 0
    assert start(as_alice).status_code == 201


def test_charlie_gets_404_on_alices_session_and_changes_nothing(as_alice, as_charlie, clock):
    session_id = start(as_alice).json()["id"]
    clock.shift(timedelta(minutes=25))

    assert complete(as_charlie, session_id, 1500).status_code == 404
    assert as_charlie.post(f"/api/sessions/{session_id}/abandon").status_code == 404
    assert complete(as_alice, session_id, 1500).json()["points_awarded"] == 35


def test_an_unknown_session_answers_404(as_alice, clock):
    response = complete(as_alice, "6f1c1a1e-0000-4000-8000-000000000000", 60)

    assert response.status_code == 404


def test_a_session_may_be_labelled_with_the_players_own_habit_only(as_alice, as_charlie, clock):
    habit_id = as_alice.post("/api/habits", {"name": "Write"}, format="json").json()["id"]

    assert start(as_charlie, habit_id=habit_id).status_code == 400
    assert start(as_alice, habit_id=habit_id).status_code == 201


def test_session_requests_write_nothing_to_postgres(as_alice, clock):
    with CaptureQueriesContext(connection) as queries:
        session_id = start(as_alice, planned=25).json()["id"]
        clock.shift(timedelta(minutes=25))
        complete(as_alice, session_id, 1500)
        start(as_alice)

    assert no_writes(queries.captured_queries) == []


def test_session_endpoints_answer_401_without_credentials(anon):
    assert anon.post("/api/sessions", {"planned_minutes": 25}).status_code == 401
    assert anon.get("/api/sessions").status_code == 401


def test_the_start_time_is_the_servers_and_a_client_that_sends_one_is_refused(as_alice, clock):
    refused = start(as_alice, started_at="2026-11-22T09:00:00Z")
    response = start(as_alice)

    assert refused.status_code == 400
    assert refused.json() == {"started_at": ["Unknown field."]}
    assert response.json()["started_at"] == T0.isoformat().replace("+00:00", "Z")
