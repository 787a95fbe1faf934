"""Every request /api/schema/ documents, sent to a real gunicorn by schemathesis: each is
answered with a documented status, in a documented content type and body, never a 5xx.

Driven through schemathesis' Python API (an operation's Hypothesis strategy, then
`case.call_and_validate`): its lazy pytest schema does not run under pytest 9."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from gameplay.tests.servers import gunicorn
from testkit.personas import make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 15  # per operation and mode: the whole run stays well under a minute


def test_every_documented_request_is_answered_as_documented():
    player = make_player("schemathesis", display_name="Schema Thesis")
    headers = {"Authorization": f"Token {player.auth_token.key}"}
    failures: list[str] = []
    answered: set[str] = set()  # operations that answered 2xx at least once
    with gunicorn(workers=2) as url:
        schema = schemathesis.openapi.from_url(f"{url}/api/schema/")
        schema.config.generation.update(deterministic=True, allow_x00=True)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 18
        # Logging out deletes the token every request here uses: last.
        operations.sort(key=lambda operation: operation.label == "POST /api/auth/logout")
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                def run(case):
                    response = case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)
                    if response.status_code < 300:
                        answered.add(case.operation.label)

                try:
                    run()
                except Unsatisfiable:
                    assert mode is GenerationMode.NEGATIVE  # nothing to get wrong: no input
                except (Exception, BaseExceptionGroup) as failure:
                    failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)
    # Not only refusals: the valid requests reached the actions themselves.
    assert {
        "PATCH /api/me",
        "POST /api/sessions",
        "POST /api/habits",
        "GET /api/leaderboard",
        "GET /api/stats",
    } <= answered
