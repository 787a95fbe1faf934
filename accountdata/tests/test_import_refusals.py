"""`POST /api/me/import` refuses what it cannot take, whole: each malformed upload is a 400
naming the file and the row, a file too large is a 413 before it is read, an account past
the 50 habits it may hold is a 400, and none of them writes a row or a live key. 401
without credentials; a player imports into their own account only."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from accountdata.models import ImportedHabit
from accountdata.uploads import CappedUpload, UploadTooLarge
from gameplay import live
from habits.models import CheckIn, FrozenDay, Habit
from testkit.archives import post_import, upload, zip_of
from vacations.models import Vacation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

HABITS_CSV = (
    "Position,Name,Type,Question,Description,FrequencyNumerator,FrequencyDenominator,Color,"
    "Unit,Target Type,Target Value,Archived?\n"
    "001,Wake up early,YES_NO,,,2,3,#00897B,,,,false\n"
)
CHECKMARKS = "Date,Value,Notes\n2026-11-20,YES_MANUAL,\n2026-11-19,YES_MANUAL,\n"


def loop_zip(habits: str = HABITS_CSV, checkmarks: str = CHECKMARKS) -> bytes:
    return zip_of({"Habits.csv": habits, "001 Wake up early/Checkmarks.csv": checkmarks})


def focusquest_zip(**tables) -> bytes:
    document = {
        "format": "focusquest-export",
        "version": 1,
        "profile": {"id": 99},
        "habits": [{"id": 5, "name": "Read", "schedule": {"kind": "daily", "rest_days": []}}],
        "check_ins": [{"habit_id": 5, "day": "2026-11-20"}],
        **tables,
    }
    return zip_of({"focusquest.json": json.dumps(document)})


@pytest.fixture
def written():
    """Everything an import could write: the rows and every live key."""

    def state() -> dict:
        r = live.client()
        return {
            "rows": [
                model.objects.count()
                for model in (Habit, CheckIn, FrozenDay, Vacation, ImportedHabit)
            ],
            "live": {
                key: r.dump(key)
                for key in sorted(cast(list[bytes], r.keys("*")))
                if not key.startswith(b"fq:cache")
            },
        }

    return state


def refused(client, content: bytes, commit, **fields) -> list[str]:
    response = post_import(client, content, commit=commit, **fields)
    assert response.status_code == 400, response.content
    return response.json()["file"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"habit,date\nread,2026-11-20\n", "not a ZIP archive"),
        (b"", "The submitted file is empty."),
        (b"PK\x03\x04 truncated", "not a ZIP archive"),
        (zip_of({"notes.txt": "hello"}), "Unknown format"),
        (zip_of({"001 Meditate/Checkmarks.csv": CHECKMARKS}), "Habits.csv is missing"),
        (
            loop_zip(checkmarks="Date,Value,Notes\n2026-11-20,YES_MANUAL,\n20-11-2026,NO,\n"),
            "001 Wake up early/Checkmarks.csv row 3: '20-11-2026' is not a date",
        ),
        (
            loop_zip(checkmarks="Date,Value,Notes\n2026-02-30,YES_MANUAL,\n"),
            "001 Wake up early/Checkmarks.csv row 2: '2026-02-30' is not a date",
        ),
        (
            loop_zip(checkmarks="Date,Value,Notes\n2026-11-20,MAYBE,\n"),
            "row 2: 'MAYBE' is not a value Loop writes",
        ),
        (loop_zip(HABITS_CSV.replace(",2,3,", ",0,3,")), "Habits.csv row 2: the frequency"),
        (loop_zip(HABITS_CSV.replace("Wake up early,", ",")), "Habits.csv row 2: a habit needs"),
        (loop_zip(HABITS_CSV.replace("Wake up early", "x" * 81)), "at most 80"),
        (loop_zip(HABITS_CSV.replace("001,", "one,")), "Habits.csv row 2: the position"),
        (zip_of({"focusquest.json": "{not json"}), "focusquest.json is not valid JSON"),
        (zip_of({"focusquest.json": '{"format": "other"}'}), "not a FocusQuest export"),
        (
            zip_of({"focusquest.json": '{"format": "focusquest-export", "version": 2}'}),
            "format version 2",
        ),
        (
            focusquest_zip(check_ins=[{"habit_id": 5, "day": "2026-11-20"}, {"habit_id": 5}]),
            "focusquest.json: check_ins item 2: None is not a date",
        ),
        (
            focusquest_zip(check_ins=[{"habit_id": 6, "day": "2026-11-20"}]),
            "check_ins item 1: habit_id 6 is no exported habit",
        ),
        (
            focusquest_zip(habits=[{"id": 5, "name": "Read", "schedule": {"kind": "monthly"}}]),
            "habits item 1: the schedule is refused",
        ),
        (
            focusquest_zip(vacations=[{"start": "2026-11-10", "end": "2026-11-01"}]),
            "vacations item 1: it ends before it starts",
        ),
    ],
)
def test_a_file_it_cannot_read_is_a_400_naming_why_and_nothing_is_written(
    as_alice, clock, django_capture_on_commit_callbacks, written, content, says
):
    before = written()

    (message,) = refused(as_alice, content, django_capture_on_commit_callbacks)

    assert says in message
    assert written() == before


def test_a_damaged_member_is_a_400_naming_it(
    as_alice, clock, django_capture_on_commit_callbacks, written
):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("Habits.csv", HABITS_CSV)
    damaged = buffer.getvalue().replace(b"Wake up early", b"Wake up later")
    before = written()

    (message,) = refused(as_alice, damaged, django_capture_on_commit_callbacks)

    assert message.startswith("Habits.csv: the archive's copy cannot be read (Bad CRC-32")
    assert written() == before


def test_a_body_without_the_file_field_is_a_400(as_alice, written):
    before = written()

    response = as_alice.post("/api/me/import", {}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}
    assert written() == before


def test_a_field_the_endpoint_does_not_know_is_a_400_naming_it(
    as_alice, clock, django_capture_on_commit_callbacks, written
):
    before = written()
    response = post_import(
        as_alice, loop_zip(), commit=django_capture_on_commit_callbacks, mode="merge"
    )

    assert response.status_code == 400
    assert response.json() == {"mode": ["Unknown field."]}
    assert written() == before


def test_a_json_body_is_a_400_that_says_how_to_send_the_file(as_alice, written):
    before = written()

    response = as_alice.post("/api/me/import", {"file": "export.zip"}, format="json")

    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["detail"]
    assert written() == before


def test_a_50_mb_upload_is_a_413_before_it_is_read(as_alice, clock, written):
    before = written()
    big = upload(b"PK\x03\x04" + bytes(50 * 1024 * 1024))

    response = as_alice.post("/api/me/import", {"file": big}, format="multipart")

    assert response.status_code == 413
    assert "larger than an import takes (10 MB)" in response.json()["detail"]
    assert written() == before


def test_a_body_longer_than_it_said_is_stopped_at_the_limit(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    handler = CappedUpload()
    chunk = bytes(40 * 1024)
    handler.receive_data_chunk(chunk, 0)

    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(chunk, len(chunk))


def test_the_import_answers_401_without_credentials(anon, written):
    before = written()

    response = anon.post("/api/me/import", {"file": upload(loop_zip())}, format="multipart")

    assert response.status_code == 401
    assert written() == before


def test_a_player_imports_into_their_own_account_only(
    as_alice, alice, charlie, clock, django_capture_on_commit_callbacks
):
    response = post_import(as_alice, loop_zip(), commit=django_capture_on_commit_callbacks)

    assert response.json() == {"habits": 1, "check_ins": 2}
    assert list(Habit.objects.values_list("player_id", flat=True)) == [alice.pk]
    assert set(CheckIn.objects.values_list("player_id", flat=True)) == {alice.pk}
    assert not Habit.objects.filter(player=charlie).exists()
    assert not live.client().keys(f"*p:{charlie.pk}:*")


def many_habits(player, count: int, *, created_at: datetime) -> None:
    Habit.objects.bulk_create(
        Habit(player=player, name=f"Habit {n}", created_at=created_at) for n in range(count)
    )


def test_an_import_past_the_50_habits_a_player_holds_is_a_400_that_creates_nothing(
    as_alice, alice, clock, django_capture_on_commit_callbacks, written
):
    many_habits(alice, 48, created_at=datetime.now(UTC) - timedelta(days=3))
    three = HABITS_CSV + "002,Floss,YES_NO,,,1,1,#00897B,,,,false\n"
    three += "003,Stretch,YES_NO,,,1,1,#00897B,,,,false\n"
    before = written()

    (message,) = refused(as_alice, loop_zip(three), django_capture_on_commit_callbacks)

    assert "at most 50" in message
    assert written() == before


def test_an_import_is_not_held_to_the_20_creations_a_day(
    as_alice, alice, clock, django_capture_on_commit_callbacks
):
    many_habits(alice, 20, created_at=datetime.now(UTC))  # today's twenty, made already
    rows = "".join(
        f"{n:03d},Habit from Loop {n},YES_NO,,,1,1,#00897B,,,,false\n" for n in range(1, 26)
    )
    header = HABITS_CSV.splitlines()[0] + "\n"

    response = post_import(
        as_alice, zip_of({"Habits.csv": header + rows}), commit=django_capture_on_commit_callbacks
    )

    assert response.json() == {"habits": 25, "check_ins": 0}
    assert Habit.objects.active().filter(player=alice).count() == 45


def test_imported_habits_take_none_of_the_days_twenty_creations(
    as_alice, clock, django_capture_on_commit_callbacks
):
    rows = "".join(
        f"{n:03d},Habit from Loop {n},YES_NO,,,1,1,#00897B,,,,false\n" for n in range(1, 31)
    )
    header = HABITS_CSV.splitlines()[0] + "\n"
    post_import(
        as_alice, zip_of({"Habits.csv": header + rows}), commit=django_capture_on_commit_callbacks
    )

    created = as_alice.post("/api/habits", {"name": "Made today"}, format="json")

    assert created.status_code == 201
