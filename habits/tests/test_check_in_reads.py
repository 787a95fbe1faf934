"""A check-in reads PostgreSQL once per habit, not once per request, and the cached habit
is still only its owner's: charlie gets a 404, a deleted habit refuses check-ins."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testkit.personas import client_for

pytestmark = pytest.mark.django_db


def new_habit(client, name="Stretch") -> int:
    return client.post("/api/habits", {"name": name}, format="json").json()["id"]


def check_in_queries(client, habit_id: int, body=None) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        status = client.post(
            f"/api/habits/{habit_id}/check-ins", body or {}, format="json"
        ).status_code
    return status, len(captured.captured_queries)


def test_alices_second_check_in_reads_nothing_from_postgres(alice, clock):
    as_alice = client_for(alice)
    habit_id = new_habit(as_alice)

    assert check_in_queries(as_alice, habit_id) == (201, 1)  # the habit, once
    assert check_in_queries(as_alice, habit_id) == (200, 0)
    assert check_in_queries(as_alice, habit_id, {"date": "2026-11-22"}) == (201, 0)


def test_charlie_gets_a_404_for_alices_cached_habit(alice, charlie, clock):
    as_alice = client_for(alice)
    habit_id = new_habit(as_alice)
    assert check_in_queries(as_alice, habit_id)[0] == 201

    assert check_in_queries(client_for(charlie), habit_id)[0] == 404


def test_a_deleted_habit_refuses_check_ins_although_it_was_cached(alice, clock):
    as_alice = client_for(alice)
    habit_id = new_habit(as_alice)
    assert check_in_queries(as_alice, habit_id)[0] == 201

    assert as_alice.delete(f"/api/habits/{habit_id}").status_code == 204

    assert check_in_queries(as_alice, habit_id)[0] == 404


def test_a_new_habits_first_check_in_reads_nothing_once_its_creation_committed(
    alice, clock, django_capture_on_commit_callbacks
):
    as_alice = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        habit_id = new_habit(as_alice)

    assert check_in_queries(as_alice, habit_id) == (201, 0)
