"""The schema documents the export as a ZIP download and the import as a multipart upload
of one file, answered with its two counts."""

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


def test_the_export_is_documented_as_a_zip(schema):
    ok = schema["paths"]["/api/me/export"]["get"]["responses"]["200"]

    assert ok["content"] == {"application/zip": {"schema": {"type": "string", "format": "binary"}}}


def test_the_import_is_documented_as_one_file_answered_with_its_counts(schema):
    operation = schema["paths"]["/api/me/import"]["post"]
    body = operation["requestBody"]["content"]

    assert list(body) == ["multipart/form-data"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    upload = schema["components"]["schemas"][ref]
    assert upload["properties"]["file"]["format"] == "binary"
    assert upload["required"] == ["file"] and upload["additionalProperties"] is False
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    counts = schema["components"]["schemas"][answer.rsplit("/", 1)[-1]]
    assert sorted(counts["required"]) == ["check_ins", "habits"]
