import pytest
from django.test import override_settings

from gameplay.tests.servers import redis_server

pytestmark = pytest.mark.django_db


def test_healthz_reports_both_dependencies_ok(anon):
    response = anon.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["postgres"], body["redis"]) == ("ok", "ok", "ok")
    assert body["backlog"] == {"pending_events": 0, "oldest_age_seconds": None}


def test_healthz_answers_503_when_redis_is_stopped(anon, tmp_path):
    with redis_server(tmp_path) as server, override_settings(CACHES=server.caches()):
        assert anon.get("/healthz").status_code == 200

        server.kill()
        response = anon.get("/healthz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["status"], body["postgres"]) == ("unavailable", "ok")
    assert body["redis"].startswith("error")
