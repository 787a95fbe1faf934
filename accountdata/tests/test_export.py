"""`GET /api/me/export`: a streamed ZIP attachment of focusquest.json and one CSV per table,
holding every action answered before it began (flushed or not), the player's own data and
nobody else's. The clock is stopped at T0, Monday 2026-11-23 (alice's today in Berlin)."""

import csv
import io
import json
from datetime import timedelta

import pytest

from gameplay.models import LedgerEntry
from pipeline.player_flush import ShardBusy
from testkit.actions import focus_session
from testkit.archives import export_document, export_members
from testkit.personas import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

CSV_NAMES = [
    "habits.csv",
    "check_ins.csv",
    "frozen_days.csv",
    "vacations.csv",
    "sessions.csv",
    "badges.csv",
    "ledger.csv",
]


def table(members: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(members[name].decode())))


@pytest.mark.slow
def test_the_export_is_a_streamed_zip_attachment_named_for_the_player_and_day(as_alice, clock):
    response = as_alice.get("/api/me/export")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        'attachment; filename="focusquest-alice-2026-11-23.zip"'
    )
    assert response["Cache-Control"] == "no-store"
    assert list(export_members(response)) == ["focusquest.json", *CSV_NAMES]


def test_the_export_holds_every_action_answered_before_it_began(as_alice, alice, clock):
    habit = as_alice.post("/api/habits", {"name": "Read"}, format="json").json()
    as_alice.post(f"/api/habits/{habit['id']}/check-ins", {"date": "2026-11-22"}, format="json")
    as_alice.post(f"/api/habits/{habit['id']}/check-ins", {}, format="json")
    focus_session(alice, start=T0 - timedelta(hours=1), planned=25)
    assert LedgerEntry.objects.filter(player=alice).count() == 0  # answered, not flushed

    document = export_document(as_alice.get("/api/me/export"))

    assert [(c["habit_id"], c["day"], c["points_awarded"]) for c in document["check_ins"]] == [
        (habit["id"], "2026-11-22", 10),
        (habit["id"], "2026-11-23", 12),
    ]
    sessions = [
        (s["status"], s["focused_seconds"], s["points_awarded"]) for s in document["sessions"]
    ]
    assert sessions == [("completed", 1500, 35)]
    assert [b["code"] for b in document["badges"]] == ["first_focus"]
    kinds = sorted(entry["kind"] for entry in document["ledger"])
    assert kinds == ["check_in", "check_in", "session_completed", "session_started"]
    assert sum(entry["points"] for entry in document["ledger"]) == 57
    assert document["profile"]["points"] == 57


def test_each_csv_holds_the_same_rows_as_the_document(as_alice, alice, clock):
    habit = as_alice.post(
        "/api/habits",
        {"name": "Stretch", "schedule": {"kind": "daily", "rest_days": [6, 7]}},
        format="json",
    ).json()
    as_alice.post(f"/api/habits/{habit['id']}/check-ins", {}, format="json")
    as_alice.post("/api/vacations", {"start": "2026-12-01", "end": "2026-12-03"}, format="json")
    focus_session(alice, start=T0 - timedelta(hours=2), planned=25)

    members = export_members(as_alice.get("/api/me/export"))

    document = json.loads(members["focusquest.json"])
    for name in CSV_NAMES:
        key = name.removesuffix(".csv")
        assert len(table(members, name)) == len(document[key]), name
    (row,) = table(members, "habits.csv")
    assert (row["name"], row["kind"], row["rest_days"], row["target"]) == (
        "Stretch",
        "daily",
        "6 7",
        "",
    )
    assert document["habits"][0]["schedule"] == {"kind": "daily", "rest_days": [6, 7]}
    (vacation,) = table(members, "vacations.csv")
    assert (vacation["start"], vacation["end"]) == ("2026-12-01", "2026-12-03")
    assert document["freezes"] == {"held": 0, "max": 2}
    ledger = table(members, "ledger.csv")
    assert {entry["kind"] for entry in ledger} >= {"check_in", "vacation_added"}
    assert [entry["event_id"] for entry in ledger] == [e["event_id"] for e in document["ledger"]]


FORMULA = '=HYPERLINK("http://x","y")'


def test_text_a_spreadsheet_would_run_is_written_as_text_in_the_csvs(as_alice, clock):
    as_alice.post("/api/habits", {"name": FORMULA}, format="json")

    members = export_members(as_alice.get("/api/me/export"))

    assert table(members, "habits.csv")[0]["name"] == "'" + FORMULA
    assert json.loads(members["focusquest.json"])["habits"][0]["name"] == FORMULA


def test_another_players_data_never_appears(as_alice, alice, as_charlie, charlie, clock):
    for client, name in ((as_alice, "Alice reads"), (as_charlie, "Charlie runs")):
        habit = client.post("/api/habits", {"name": name}, format="json").json()
        client.post(f"/api/habits/{habit['id']}/check-ins", {}, format="json")
    focus_session(charlie, start=T0 - timedelta(hours=1))

    members = export_members(as_alice.get("/api/me/export"))

    document = json.loads(members["focusquest.json"])
    assert document["profile"]["username"] == "alice"
    assert [h["name"] for h in document["habits"]] == ["Alice reads"]
    assert document["sessions"] == [] and document["badges"] == []
    assert len(document["check_ins"]) == 1 == len(document["ledger"])
    everything = b"".join(members.values())
    assert b"Charlie" not in everything and b"charlie" not in everything
    charlies = export_document(as_charlie.get("/api/me/export"))
    assert [h["name"] for h in charlies["habits"]] == ["Charlie runs"]


def test_the_export_answers_401_without_credentials(anon):
    response = anon.get("/api/me/export")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_a_client_that_asks_for_a_zip_gets_one_and_its_refusals_in_json(as_alice, anon, clock):
    assert as_alice.get("/api/me/export", HTTP_ACCEPT="application/zip").status_code == 200

    refused = anon.get("/api/me/export", HTTP_ACCEPT="application/zip")

    assert (refused.status_code, refused["Content-Type"]) == (401, "application/json")
    assert "detail" in refused.json()


def test_a_flush_that_holds_the_shard_too_long_is_a_503_to_retry(as_alice, clock, monkeypatch):
    def busy(player_id: int, **_kwargs) -> int:
        raise ShardBusy("held")

    monkeypatch.setattr("accountdata.services.flush_player", busy)

    response = as_alice.get("/api/me/export")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.json()["detail"]
