"""What a hostile or careless client sends the API: a body that is not a JSON object, a
10,000-deep array, NUL characters, fields the endpoint does not know, query parameters
outside their set. Each is a 400 and writes nothing, on every endpoint that reads it."""

import json
from typing import cast

import pytest
from rest_framework.authtoken.models import Token

from accounts.models import User
from gameplay import live
from habits.models import CheckIn, Habit
from sessions_app.models import FocusSession
from testkit.personas import PASSWORD
from vacations.models import Vacation

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 10_000 + "]" * 10_000


@pytest.fixture
def world(alice, as_alice, anon, clock):
    """Alice with a habit and a running session, and a way to read everything a request
    could have written: rows, her profile, and every live key (the cache's own keys, where
    a token's user is remembered, aside)."""
    habit = as_alice.post("/api/habits", {"name": "Read"}, format="json").json()
    session = as_alice.post("/api/sessions", {"planned_minutes": 25}, format="json").json()
    vacation = as_alice.post(
        "/api/vacations", {"start": "2026-12-01", "end": "2026-12-05"}, format="json"
    ).json()

    def state() -> dict:
        r = live.client()
        alice.refresh_from_db()
        return {
            "rows": [
                model.objects.count()
                for model in (User, Token, Habit, CheckIn, FocusSession, Vacation)
            ],
            "habit": list(Habit.objects.values_list("name", "deleted_at")),
            "profile": (
                alice.display_name,
                alice.timezone,
                alice.day_start_hour,
                alice.email,
                alice.password,
            ),
            "live": {
                key: r.dump(key)
                for key in sorted(cast(list[bytes], r.keys("*")))  # the live client's are bytes
                if not key.startswith(b"fq:cache")
            },
        }

    return {
        "habit": habit["id"],
        "session": session["id"],
        "vacation": vacation["id"],
        "state": state,
    }


# Every endpoint that reads a body: who calls it, the method, the path.
BODY_ENDPOINTS = [
    ("anon", "post", "/api/auth/register"),
    ("anon", "post", "/api/auth/token"),
    ("alice", "post", "/api/auth/password"),
    ("anon", "post", "/api/auth/password-reset"),
    ("alice", "patch", "/api/me"),
    ("alice", "post", "/api/sessions"),
    ("alice", "post", "/api/sessions/{session}/complete"),
    ("alice", "post", "/api/sessions/{session}/abandon"),
    ("alice", "post", "/api/habits"),
    ("alice", "patch", "/api/habits/{habit}"),
    ("alice", "delete", "/api/habits/{habit}"),
    ("alice", "post", "/api/habits/{habit}/check-ins"),
    ("alice", "post", "/api/vacations"),
    ("alice", "delete", "/api/vacations/{vacation}"),
]
IDS = [f"{method.upper()} {path}" for _, method, path in BODY_ENDPOINTS]


def send(world, anon, as_alice, who, method, path, body, content_type="application/json"):
    client = anon if who == "anon" else as_alice
    url = path.format(**world)
    return getattr(client, method)(url, data=body, content_type=content_type)


@pytest.mark.parametrize(("who", "method", "path"), BODY_ENDPOINTS, ids=IDS)
def test_a_10000_deep_array_is_refused_with_400_and_writes_nothing(
    world, anon, as_alice, who, method, path
):
    before = world["state"]()

    response = send(world, anon, as_alice, who, method, path, DEEP_ARRAY)

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body nests too deeply."}
    assert world["state"]() == before


@pytest.mark.parametrize(("who", "method", "path"), BODY_ENDPOINTS, ids=IDS)
def test_a_10000_deep_array_inside_an_object_is_refused_too(
    world, anon, as_alice, who, method, path
):
    before = world["state"]()

    response = send(world, anon, as_alice, who, method, path, '{"name": ' + DEEP_ARRAY + "}")

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body nests too deeply."}
    assert world["state"]() == before


@pytest.mark.parametrize(("who", "method", "path"), BODY_ENDPOINTS, ids=IDS)
@pytest.mark.parametrize(
    ("body", "what"),
    [("[]", "an array"), ('"Read"', "a string"), ("25", "a number"), ("null", "null")],
)
def test_a_body_that_is_not_a_json_object_is_refused_with_400_and_writes_nothing(
    world, anon, as_alice, who, method, path, body, what
):
    before = world["state"]()

    response = send(world, anon, as_alice, who, method, path, body)

    assert response.status_code == 400
    assert response.json() == {"detail": f"Expected a JSON object, but got {what}."}
    assert world["state"]() == before


@pytest.mark.parametrize(("who", "method", "path"), BODY_ENDPOINTS, ids=IDS)
@pytest.mark.parametrize(
    "body",
    [
        {"name": "Re\x00ad", "username": "eve\x00", "planned_minutes": 25},
        {"name\x00": "Read"},
        {"name": ["Read", {"deep": "\x00"}]},
    ],
    ids=["value", "key", "nested"],
)
def test_a_nul_character_anywhere_in_the_body_is_refused_with_400_and_writes_nothing(
    world, anon, as_alice, who, method, path, body
):
    before = world["state"]()

    response = send(world, anon, as_alice, who, method, path, json.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - the body holds a NUL character."}
    assert world["state"]() == before


@pytest.mark.parametrize(("who", "method", "path"), BODY_ENDPOINTS, ids=IDS)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("name=Read&planned_minutes=25", "application/x-www-form-urlencoded"),
        ("name=Read", "text/plain"),
    ],
    ids=["form", "text"],
)
def test_a_body_that_is_not_json_is_refused_with_400_and_writes_nothing(
    world, anon, as_alice, who, method, path, body, content_type
):
    before = world["state"]()

    response = send(world, anon, as_alice, who, method, path, body, content_type)

    assert response.status_code == 400
    assert response.json() == {
        "detail": f'Unsupported media type "{content_type}" in request. '
        "Send JSON (Content-Type: application/json)."
    }
    assert world["state"]() == before


def test_a_multipart_form_is_refused_like_any_body_that_is_not_json(world, as_alice):
    before = world["state"]()

    response = as_alice.post("/api/habits", {"name": "Read"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["detail"].startswith('Unsupported media type "multipart/form-data')
    assert world["state"]() == before


def test_broken_json_is_refused_with_drfs_parse_error(world, as_alice):
    before = world["state"]()

    response = as_alice.post("/api/habits", '{"name": "Read"', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")
    assert world["state"]() == before


# An unknown field next to valid ones: each endpoint's valid body, plus one it does not know.
VALID_BODIES = {
    "POST /api/auth/register": {"username": "eve", "password": PASSWORD},
    "POST /api/auth/token": {"username": "alice", "password": PASSWORD},
    "POST /api/auth/password": {"old_password": PASSWORD, "new_password": "a-longer-passphrase"},
    "POST /api/auth/password-reset": {"email": "alice@example.com"},
    "PATCH /api/me": {"display_name": "Al"},
    "POST /api/sessions": {"planned_minutes": 25},
    "POST /api/sessions/{session}/complete": {"focused_seconds": 60},
    "POST /api/sessions/{session}/abandon": {},
    "POST /api/habits": {"name": "Run"},
    "PATCH /api/habits/{habit}": {"name": "Run"},
    "DELETE /api/habits/{habit}": {},
    "POST /api/habits/{habit}/check-ins": {},
    "POST /api/vacations": {"start": "2026-12-10", "end": "2026-12-12"},
    "DELETE /api/vacations/{vacation}": {},
}


@pytest.mark.parametrize(("who", "method", "path"), BODY_ENDPOINTS, ids=IDS)
def test_a_field_the_endpoint_does_not_know_is_refused_by_name_and_writes_nothing(
    world, anon, as_alice, who, method, path
):
    if path == "/api/sessions":
        as_alice.post(f"/api/sessions/{world['session']}/abandon")  # so a start could succeed
    before = world["state"]()
    body = {**VALID_BODIES[f"{method.upper()} {path}"], "day": "yesterday"}

    response = send(world, anon, as_alice, who, method, path, json.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"day": ["Unknown field."]}
    assert world["state"]() == before


def test_an_unknown_field_is_named_beside_the_known_fields_errors(world, as_alice):
    response = as_alice.post(
        "/api/habits", {"name": "", "colour": "red", "points": 100}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "name": ["This field may not be blank."],
        "colour": ["Unknown field."],
        "points": ["Unknown field."],
    }


def test_checking_in_with_day_yesterday_checks_in_no_day_at_all(world, as_alice):
    response = as_alice.post(
        f"/api/habits/{world['habit']}/check-ins", {"day": "yesterday"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"day": ["Unknown field."]}
    assert as_alice.get(f"/api/habits/{world['habit']}").json()["checked_today"] is False


def test_a_body_of_known_fields_still_works(world, as_alice):
    response = as_alice.post(
        f"/api/habits/{world['habit']}/check-ins", {"date": "2026-11-22"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["date"] == "2026-11-22"


def test_an_empty_body_still_abandons_and_checks_in(world, as_alice):
    abandon = as_alice.post(f"/api/sessions/{world['session']}/abandon")
    check_in = as_alice.post(f"/api/habits/{world['habit']}/check-ins")

    assert (abandon.status_code, check_in.status_code) == (200, 201)


# -- query parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("board=", {"board": ['"" is not a valid choice.']}),
        ("board=month", {"board": ['"month" is not a valid choice.']}),
        ("limit=", {"limit": ["A valid integer is required."]}),
        ("limit=abc", {"limit": ["A valid integer is required."]}),
        ("limit=0", {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ("limit=101", {"limit": ["Ensure this value is less than or equal to 100."]}),
        ("board=%00", {"board": ['"\x00" is not a valid choice.']}),
    ],
)
def test_a_leaderboard_parameter_outside_its_set_is_refused_with_400(anon, query, errors):
    response = anon.get(f"/api/leaderboard?{query}")

    assert response.status_code == 400
    assert response.json() == errors


def test_the_leaderboard_defaults_to_the_all_board_top_10_and_ignores_unknown_parameters(
    anon,
):
    response = anon.get("/api/leaderboard?_=1700000000")

    assert response.status_code == 200
    assert response.json() == {"board": "all", "entries": [], "me": None}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("days=", {"days": ["A valid integer is required."]}),
        ("days=x", {"days": ["A valid integer is required."]}),
        ("days=0", {"days": ["Ensure this value is greater than or equal to 1."]}),
        ("days=366", {"days": ["Ensure this value is less than or equal to 365."]}),
    ],
)
def test_a_stats_parameter_outside_its_set_is_refused_with_400(as_alice, query, errors):
    response = as_alice.get(f"/api/stats?{query}")

    assert response.status_code == 400
    assert response.json() == errors


WRONG_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("from=", {"from": [WRONG_DATE]}),
        ("to=", {"to": [WRONG_DATE]}),
        ("from=&to=", {"from": [WRONG_DATE], "to": [WRONG_DATE]}),
        ("from=yesterday", {"from": [WRONG_DATE]}),
        ("to=2026-02-30", {"to": [WRONG_DATE]}),
    ],
)
def test_a_check_in_range_outside_its_set_is_refused_with_400(world, as_alice, query, errors):
    response = as_alice.get(f"/api/habits/{world['habit']}/check-ins?{query}")

    assert response.status_code == 400
    assert response.json() == errors


def test_a_check_in_range_of_real_days_lists_the_checked_days(world, as_alice):
    as_alice.post(f"/api/habits/{world['habit']}/check-ins")

    inside = as_alice.get(f"/api/habits/{world['habit']}/check-ins?from=2026-11-23&to=2026-11-23")
    before = as_alice.get(f"/api/habits/{world['habit']}/check-ins?to=2026-11-22")

    # History is what the flush wrote: nothing yet, and no error either way.
    assert (inside.status_code, before.status_code) == (200, 200)
    assert before.json() == []


@pytest.mark.parametrize("page", ["", "0", "-1", "abc", "1.5", "last"])
def test_a_session_page_that_is_not_a_positive_integer_is_refused_with_400(world, as_alice, page):
    response = as_alice.get(f"/api/sessions?page={page}")

    assert response.status_code == 400
    assert response.json() == {"page": ["A page number is a positive integer."]}


def test_sessions_keep_their_pages_and_a_page_past_the_last_is_404(world, as_alice):
    first = as_alice.get("/api/sessions?page=1")
    past = as_alice.get("/api/sessions?page=2")

    assert first.status_code == 200
    assert first.json()["count"] == FocusSession.objects.filter(player__username="alice").count()
    assert past.status_code == 404
    assert past.json() == {"detail": "Invalid page."}


def test_the_state_these_tests_compare_does_see_a_check_in_and_a_rename(world, as_alice):
    before = world["state"]()
    as_alice.post(f"/api/habits/{world['habit']}/check-ins")
    after_check_in = world["state"]()
    as_alice.patch(f"/api/habits/{world['habit']}", {"name": "Run"}, format="json")

    assert before["live"] != after_check_in["live"]
    assert world["state"]()["habit"] != after_check_in["habit"]


@pytest.mark.parametrize(
    "path", ["/api/habits/-1", "/api/habits/abc", "/api/sessions/nope/complete", "/api/nothing"]
)
def test_a_path_no_endpoint_takes_answers_a_json_404(as_alice, path):
    response = as_alice.post(path, {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_schema_and_docs_still_redirect_to_their_slash(anon):
    assert anon.get("/api/schema").status_code == 301
    assert anon.get("/api/docs")["Location"] == "/api/docs/"
