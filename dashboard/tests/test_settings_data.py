"""The settings page's export and import section: the download and the upload reach the
API's own endpoints with the browser's session."""

import io
import zipfile

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(alice) -> Client:
    browser = Client()
    browser.force_login(alice)
    return browser


def test_the_settings_page_offers_the_download_and_the_upload(browser):
    page = browser.get("/settings/").content.decode()

    assert 'href="/api/me/export"' in page
    assert 'hx-post="/api/me/import"' in page and 'name="file"' in page


def test_the_download_is_the_players_zip(browser):
    answer = browser.get("/api/me/export")

    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    assert "focusquest.json" in archive.namelist()


def test_a_file_that_is_not_a_zip_is_refused(browser):
    upload = io.BytesIO(b"not a zip")
    upload.name = "notes.zip"

    answer = browser.post("/api/me/import", {"file": upload})

    assert answer.status_code == 400
