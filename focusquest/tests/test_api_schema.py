"""/api/schema/ documents each request and answer as the API really gives it."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    # Once per module: generating the document takes about half a second, and it is the
    # same for every test here (they only read it). An anonymous GET writes nothing.
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def request_schema(schema: dict, path: str, method: str) -> dict:
    ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def query_parameters(schema: dict, path: str) -> dict:
    return {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"][path]["get"].get("parameters", [])
        if parameter["in"] == "query"
    }


def test_no_two_endpoints_share_a_component_named_after_a_nested_class(schema):
    names = set(schema["components"]["schemas"])

    assert not {name for name in names if name.startswith(("Input", "Output"))}


@pytest.mark.parametrize(
    ("path", "method", "fields", "required"),
    [
        ("/api/auth/register", "post", {"username", "password", "email", "display_name",
                                        "timezone", "day_start_hour"}, {"username", "password"}),
        ("/api/auth/token", "post", {"username", "password"}, {"username", "password"}),
        ("/api/auth/password", "post", {"old_password", "new_password"},
         {"old_password", "new_password"}),
        ("/api/auth/password-reset", "post", {"email"}, {"email"}),
        ("/api/me", "patch", {"display_name", "timezone", "day_start_hour"}, set()),
        ("/api/sessions", "post", {"planned_minutes", "habit_id"}, {"planned_minutes"}),
        ("/api/sessions/{session_id}/complete", "post", {"focused_seconds"},
         {"focused_seconds"}),
        ("/api/habits", "post", {"name", "schedule"}, {"name"}),
        ("/api/habits/{habit_id}", "patch", {"name"}, set()),
        ("/api/habits/{habit_id}/check-ins", "post", {"date"}, set()),
        ("/api/vacations", "post", {"start", "end"}, {"start", "end"}),
    ],
)  # fmt: skip
def test_each_request_body_is_documented_with_its_own_fields_and_nothing_else(
    schema, path, method, fields, required
):
    body = request_schema(schema, path, method)

    assert set(body["properties"]) == fields
    assert set(body.get("required", [])) == required
    assert body["additionalProperties"] is False


def test_a_check_in_documents_its_date(schema):
    body = request_schema(schema, "/api/habits/{habit_id}/check-ins", "post")

    assert body["properties"]["date"]["format"] == "date"


def test_query_parameters_are_documented_with_their_sets(schema):
    assert query_parameters(schema, "/api/leaderboard") == {
        "board": {"type": "string", "enum": ["all", "week"], "default": "all", "minLength": 1},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    }
    assert query_parameters(schema, "/api/stats") == {
        "days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 28}
    }
    check_ins = query_parameters(schema, "/api/habits/{habit_id}/check-ins")
    assert check_ins == {
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
    }
    assert query_parameters(schema, "/api/sessions") == {"page": {"type": "integer", "minimum": 1}}


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/auth/register", "post", {"201", "400", "429", "503"}),
        ("/api/auth/token", "post", {"200", "400", "429", "503"}),
        ("/api/auth/password", "post", {"200", "400", "401", "403", "429", "503"}),
        ("/api/auth/password-reset", "post", {"202", "400", "429", "503"}),
        ("/api/me", "get", {"200", "401", "503"}),
        ("/api/me", "patch", {"200", "400", "401", "403", "503"}),
        ("/api/me/export", "get", {"200", "401", "429", "503"}),
        ("/api/me/import", "post", {"200", "400", "401", "403", "413", "429", "503"}),
        ("/api/sessions", "get", {"200", "400", "401", "404", "503"}),
        ("/api/sessions", "post", {"201", "400", "401", "403", "409", "503"}),
        ("/api/sessions/{session_id}/complete", "post", {"200", "400", "401", "403", "404", "503"}),
        ("/api/sessions/{session_id}/abandon", "post", {"200", "400", "401", "403", "404", "503"}),
        ("/api/stats", "get", {"200", "400", "401", "503"}),
        ("/api/habits", "get", {"200", "401", "503"}),
        ("/api/habits", "post", {"201", "400", "401", "403", "503"}),
        ("/api/habits/{habit_id}", "get", {"200", "401", "404", "503"}),
        ("/api/habits/{habit_id}", "delete", {"204", "400", "401", "403", "404", "503"}),
        ("/api/habits/{habit_id}/check-ins", "post",
         {"200", "201", "400", "401", "403", "404", "503"}),
        ("/api/habits/{habit_id}/check-ins", "get", {"200", "400", "401", "404", "503"}),
        ("/api/vacations", "get", {"200", "401", "503"}),
        ("/api/vacations", "post", {"200", "201", "400", "401", "403", "409", "429", "503"}),
        ("/api/vacations/{vacation_id}", "delete",
         {"204", "400", "401", "403", "404", "409", "429", "503"}),
        ("/api/leaderboard", "get", {"200", "400", "401", "429", "503"}),
        ("/api/community", "get", {"200", "401", "429", "503"}),
        ("/healthz", "get", {"200", "503"}),
    ],
)  # fmt: skip
def test_each_operation_documents_the_refusals_it_can_give(schema, path, method, codes):
    responses = schema["paths"][path][method]["responses"]

    assert set(responses) == codes
    for code in {"429", "503"} & codes:
        assert "Retry-After" in responses[code]["headers"]


def test_a_running_session_conflict_documents_the_running_sessions_id(schema):
    conflict = schema["paths"]["/api/sessions"]["post"]["responses"]["409"]
    ref = conflict["content"]["application/json"]["schema"]["$ref"]

    assert schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["required"] == [
        "detail",
        "running_session_id",
    ]
