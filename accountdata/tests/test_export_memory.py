"""A player with years of history exports without the worker holding it: 50,000 ledger
rows stream out with a small, flat peak of Python memory (tracemalloc), the archive is
whole, and every row is in it."""

import io
import json
import tempfile
import tracemalloc
import zipfile

import pytest
from django.db import connection

from gameplay.models import LedgerEntry
from testkit.personas import T0

pytestmark = pytest.mark.django_db

ROWS = 50_000
PEAK_LIMIT = 4 * 1024 * 1024  # bytes of Python memory the export may hold at once


def years_of_history(player) -> None:
    """ROWS check-in events over about five years, as the flush writes them (one statement:
    the rows' content is not what is measured)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO gameplay_ledgerentry
                   (occurred_at, player_id, event_id, points, day, focus_seconds, kind, reason)
               SELECT at, %s, gen_random_uuid(), 10 + 2 * (n %% 6),
                      (at AT TIME ZONE %s)::date, 0, %s, ''
               FROM generate_series(1, %s) AS n,
                    LATERAL (SELECT %s::timestamptz - n * interval '50 minutes') AS t(at)""",
            [player.pk, player.timezone, LedgerEntry.Kind.CHECK_IN, ROWS, T0],
        )


@pytest.mark.slow
def test_fifty_thousand_ledger_rows_stream_out_in_little_memory(as_alice, alice, clock):
    years_of_history(alice)
    response = as_alice.get("/api/me/export")
    assert response.status_code == 200
    assert response.streaming

    sent = 0
    with tempfile.TemporaryFile() as archive:
        tracemalloc.start()
        try:
            baseline, _ = tracemalloc.get_traced_memory()
            for chunk in response.streaming_content:
                sent += len(chunk)
                archive.write(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        archive.seek(0)
        with zipfile.ZipFile(archive) as opened:
            unpacked = sum(info.file_size for info in opened.infolist())
            with opened.open("focusquest.json") as document:
                ledger = json.load(io.TextIOWrapper(document))["ledger"]
            with opened.open("ledger.csv") as table:
                lines = sum(1 for _ in io.TextIOWrapper(table, newline=""))

    assert len(ledger) == ROWS
    assert lines == ROWS + 1  # and the header
    # The rows are about 15 MB unpacked; the export held a small part of that at any time.
    assert unpacked > 12 * 1024 * 1024
    assert peak - baseline < PEAK_LIMIT, (peak - baseline, sent, unpacked)
