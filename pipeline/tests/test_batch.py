"""The batch as the flush copies it (pipeline/batch.py): every event decoded once in Python
into typed columns. What PostgreSQL used to parse as jsonb must arrive the same: text with
COPY's special characters, the moment a ledger row was always keyed by, and an event that
is not readable refused (so that the flush sets it aside) rather than lost."""

import json
import uuid

import pytest
from django.db import DataError, connection

from gameplay import eventids
from gameplay.models import LedgerEntry
from pipeline import batch, flush
from testkit.actions import focus_session, pending_events
from testkit.personas import T0

pytestmark = pytest.mark.django_db


def test_text_with_copys_special_characters_arrives_as_it_was(alice, clock) -> None:
    focus_session(alice, start=T0)
    event = json.loads(pending_events()[0])
    event["id"] = str(eventids.time_ordered_uuid(int(event["ts"]) + 1))
    odd = "a\ttab, a\nline, a \\ backslash, a \\N, a \r return and é"
    event["reason"] = odd
    event["note"] = odd

    flush.apply_events([json.dumps(event).encode()])

    entry = LedgerEntry.objects.get(event_id=event["id"])
    assert (entry.reason, entry.payload) == (odd, {"note": odd})


def test_the_moment_is_the_one_the_jsonb_batch_computed(alice, clock) -> None:
    """A replay of an event written by the flush of before must bring the same key."""
    focus_session(alice, start=T0)
    events = pending_events()
    flush.apply_events(events)
    with connection.cursor() as cursor:
        for raw in events:
            cursor.execute(
                "SELECT to_timestamp(((%s::jsonb)->>'ts')::bigint / 1000000.0)",
                [raw.decode()],
            )
            then = cursor.fetchone()[0]
            assert LedgerEntry.objects.get(event_id=json.loads(raw)["id"]).occurred_at == then


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"id": "x", "session": "x"}'])
def test_an_event_that_cannot_be_read_is_refused_as_postgresql_refused_it(raw) -> None:
    with pytest.raises(DataError):
        batch.copy_rows([raw])


@pytest.mark.parametrize(
    "field, value",
    [
        ("points", "ten"),
        ("points", True),  # the text format sent "true", which an integer column refused
        ("points", 2.5),
        ("points", 2**31),  # binary COPY would keep its low 32 bits: 0
        ("player", 2**63),
        ("ts", "1795413600000000.5"),
        ("id", "not-a-uuid"),
        ("day", "23/11/2026"),
        ("day", 20261123),
    ],
)
def test_a_value_its_column_cannot_take_is_refused_as_postgresql_refused_it(field, value):
    event = {"id": "01a206fd-6700-7000-84e8-fa8ea3e5d7fa", "type": "check_in", "player": 1}
    event.update({"points": 10, "ts": "1795413600000000", "day": "2026-11-23", field: value})

    with pytest.raises(DataError, match="cannot be read"):
        batch.copy_rows([json.dumps(event).encode()])


def test_the_limits_of_each_integer_column_are_taken() -> None:
    event_id = "01a206fd-6700-7000-84e8-fa8ea3e5d7fa"
    event = {"id": event_id, "type": "check_in", "player": 2**63 - 1, "points": -(2**31)}
    event["ts"] = " +1795413600000000 "

    (row,) = batch.copy_rows([json.dumps(event).encode()])

    assert row[1:6] == [
        uuid.UUID(event_id),
        "check_in",
        2**63 - 1,
        -(2**31),
        1795413600000000,
    ]


def test_an_empty_list_of_badges_is_none() -> None:
    (row,) = batch.copy_rows([json.dumps({"badges": {}, "type": "check_in"}).encode()])
    assert row[-2:] == [None, None]  # no badges, nothing left for the ledger's payload


def test_double_precision_gives_the_numeric_moment_to_the_microsecond() -> None:
    """The batch computes `occurred_at` in double precision; the ledger's rows were keyed
    with numeric division. A million moments around now (and the extremes of the digits
    the live store writes) come out the same both ways."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM (
                   SELECT (1.6e15 + random() * 3e14)::bigint AS ts
                   FROM generate_series(1, 1000000)
                   UNION ALL SELECT unnest(ARRAY[0, 1, 999999, 1000000, 4102444799999999])
               ) moments
               WHERE to_timestamp(ts::float8 / 1000000) <> to_timestamp(ts / 1000000.0)"""
        )
        assert cursor.fetchone()[0] == 0
