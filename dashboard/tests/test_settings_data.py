"""The settings page's export and import section: the download is the API's export with the
browser's session; the upload is the page's own form, which imports through the same service
and answers with the section and a sentence (what was imported, or why nothing was), never
JSON, and writes nothing when it refuses."""

import io
import zipfile

import pytest
from django.test import Client, override_settings

from habits.models import CheckIn, Habit
from testkit.archives import upload, zip_of

pytestmark = pytest.mark.django_db

HABITS_CSV = (
    "Position,Name,Type,Question,Description,FrequencyNumerator,FrequencyDenominator,Color,"
    "Unit,Target Type,Target Value,Archived?\n"
    "001,Wake up early,YES_NO,,,1,1,#00897B,,,,false\n"
)
CHECKMARKS = "Date,Value,Notes\n2026-11-20,YES_MANUAL,\n2026-11-19,YES_MANUAL,\n"
LOOP = zip_of({"Habits.csv": HABITS_CSV, "001 Wake up early/Checkmarks.csv": CHECKMARKS})
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def browser(alice) -> Client:
    browser = Client()
    browser.force_login(alice)
    return browser


def rows(player) -> tuple[int, int]:
    return Habit.objects.filter(player=player).count(), CheckIn.objects.filter(
        player=player
    ).count()


def post(browser, content: bytes | None, *, commit, **headers):
    data = {} if content is None else {"file": upload(content)}
    with commit(execute=True):
        return browser.post("/settings/import", data, **headers)


def test_the_settings_page_offers_the_download_and_the_upload(browser):
    page = browser.get("/settings/").content.decode()

    assert 'href="/api/me/export"' in page
    assert 'hx-post="/settings/import"' in page and 'name="file"' in page
    assert 'enctype="multipart/form-data"' in page  # it works without scripts too


def test_the_download_is_the_players_zip(browser, clock):
    answer = browser.get("/api/me/export")

    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    assert "focusquest.json" in archive.namelist()


def test_an_import_says_what_it_added_and_a_repeat_that_it_added_nothing(
    browser, alice, clock, django_capture_on_commit_callbacks
):
    first = post(browser, LOOP, commit=django_capture_on_commit_callbacks, **HTMX)

    assert first.status_code == 200
    assert first["Content-Type"].startswith("text/html")
    assert "Imported 1 new habit and 2 check-ins." in first.content.decode()
    assert rows(alice) == (1, 2)

    again = post(browser, LOOP, commit=django_capture_on_commit_callbacks, **HTMX)

    assert again.status_code == 200
    assert "Nothing new: everything in this file is here already." in again.content.decode()
    assert rows(alice) == (1, 2)


def test_a_plain_post_answers_with_the_whole_settings_page(
    browser, alice, clock, django_capture_on_commit_callbacks
):
    answer = post(browser, LOOP, commit=django_capture_on_commit_callbacks)

    page = answer.content.decode()
    assert answer.status_code == 200
    assert "<h1>Settings</h1>" in page and "Imported 1 new habit and 2 check-ins." in page


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"not a zip", 400, "is not a ZIP"),
        (
            zip_of(
                {
                    "Habits.csv": HABITS_CSV,
                    "001 Wake up early/Checkmarks.csv": "Date,Value\n20-11-2026,YES_MANUAL\n",
                }
            ),
            400,
            "Checkmarks.csv row 2",
        ),
        (None, 400, "Choose the ZIP file to import."),
    ],
)
def test_a_refused_file_is_named_in_the_section_and_writes_nothing(
    browser, alice, clock, django_capture_on_commit_callbacks, content, status, message
):
    answer = post(browser, content, commit=django_capture_on_commit_callbacks, **HTMX)

    assert answer.status_code == status
    assert 'role="alert"' in answer.content.decode()
    assert message in answer.content.decode()
    assert rows(alice) == (0, 0)


@override_settings(IMPORT_MAX_UPLOAD_BYTES=1024)
def test_a_file_too_large_is_refused_before_it_is_read(
    browser, alice, clock, django_capture_on_commit_callbacks
):
    answer = post(browser, b"x" * 200_000, commit=django_capture_on_commit_callbacks, **HTMX)

    assert answer.status_code == 413
    assert "larger than an import takes" in answer.content.decode()
    assert rows(alice) == (0, 0)


def test_a_post_without_the_pages_csrf_token_imports_nothing(
    alice, clock, django_capture_on_commit_callbacks
):
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(alice)

    answer = post(forged, LOOP, commit=django_capture_on_commit_callbacks, **HTMX)

    assert answer.status_code == 403
    assert rows(alice) == (0, 0)


def test_logged_out_the_form_leads_to_the_login_page(client, django_capture_on_commit_callbacks):
    answer = post(client, LOOP, commit=django_capture_on_commit_callbacks)

    assert answer.status_code == 302 and answer["Location"].startswith("/login/")
