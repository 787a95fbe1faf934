"""The flush's batch table: each event decoded once, in Python, and copied as typed columns.

Until issue #10 the batch held each event's JSON as jsonb and PostgreSQL took the fields
out in generated columns and in the projections (`jsonb_to_record`). Parsing the JSON into
jsonb and extracting a dozen fields was a fifth of the flush's PostgreSQL CPU; the flush
scales by adding flushers, PostgreSQL does not, so the decoding moved here: the event is
decoded by `json.loads`, each field the statements read is made the column's Python value
(an int, a UUID, a date), and `COPY` takes the rows in its binary format, which PostgreSQL
reads without parsing any text (the text format's input functions, a date's above all,
cost it 1.8 µs an event more; the flusher's Python pays no more for binary). Only what is
rare stays JSON: a session's answer, the badges awarded, and what the ledger keeps in
`payload` (nothing, for every kind but freezes and vacations).

A value its column cannot take is refused here as PostgreSQL refused it in the text
format: a number that is not an integer (a bool, a fraction, text that is not digits) or
out of the column's range (binary COPY would wrap it silently), an id that is no UUID, a
day that is no ISO date, text that is not valid UTF-8. So is an event that is not a JSON
object at all. Each raises Django's `DataError`, the class PostgreSQL's own refusals
arrive as, so the flush isolates the event as a dead letter either way.

The columns are named after the event's fields (`COLUMNS`, `RECORDS`: a test checks every
field named here against gameplay.events' schemas).
"""

import json
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import date

from django.db import DataError
from psycopg.types.json import Jsonb

BATCH_TABLE = "fq_events"

# (column, type, the event's field) for the base of every event; missing fields are NULL.
# A day is an ISO date (YYYY-MM-DD), which a date column reads the same in every DateStyle.
COLUMNS = (
    ("event_id", "uuid", "id"),
    ("kind", "text", "type"),
    ("player_id", "bigint", "player"),
    ("points", "integer", "points"),
    ("ts", "bigint", "ts"),
    ("day", "date", "day"),
    ("cday", "date", "cday"),
    ("focus_seconds", "integer", "focus_seconds"),
    ("moderator", "bigint", "moderator"),
    ("reason", "text", "reason"),
)
# What a missing (or null) field of the base counts as: an event without points is worth
# none, one without focused seconds focused none.
DEFAULTS = {"points": 0, "focus_seconds": 0}
# The records some kinds carry, a column per field: (record, ((column, type, field), ...)).
RECORDS = (
    (
        "session",
        (
            ("session_id", "uuid", "id"),
            ("started", "bigint", "started"),
            ("ended", "bigint", "ended"),
            ("planned", "integer", "planned"),
            ("session_habit", "text", "habit"),
            ("status", "text", "status"),
            ("focused", "integer", "focused"),
            ("answer", "jsonb", "answer"),
        ),
    ),
    (
        "check_in",
        (
            ("check_in_habit", "bigint", "habit"),
            ("check_in_day", "date", "day"),
            ("streak", "integer", "streak"),
            ("longest", "integer", "longest"),
        ),
    ),
    (
        "freeze",
        (
            ("freeze_habit", "bigint", "habit"),
            ("freeze_day", "date", "day"),
            ("freeze_delta", "integer", "delta"),
        ),
    ),
    (
        "vacation",
        (
            ("vacation_id", "uuid", "id"),
            ("vacation_start", "date", "start"),
            ("vacation_end", "date", "end"),
        ),
    ),
)

# The event's fields a ledger row does not keep in `payload`, because they are held
# elsewhere: in its columns (id, type, player, ts, day, points, focus_seconds, moderator,
# reason), computed from `ts` by gameplay.rules (cday: the UTC date; week: its ISO week),
# or in the rows the projections write from the same event (badges: gameplay_badge with
# this event id; session: the focus session's row, whose started and ended are the ts of
# its first and last events; check_in: the check-in row with this event id, the habit's
# longest streak; board: the board feeder's copy of the new totals, which the ledger's own
# sums give). What is left (a freeze's or a vacation's record; nothing, for every other
# kind of today's contract) is kept.
LEDGER_ELIDED = frozenset(
    ("id", "type", "player", "ts", "day", "points", "focus_seconds", "moderator", "reason",
     "cday", "week", "badges", "session", "check_in", "board")
)  # fmt: skip

_RECORD_COLUMNS = [column for _record, columns in RECORDS for column in columns]
# `seq`: the event's place in the batch (0 is the first event copied; a repeat of an event
# keeps the first copy). `badges`: the codes awarded, NULL when none (Redis's cjson
# encodes an empty list as {}). `rest`: the ledger's `payload`. `occurred_at` is computed
# from `ts` as the ledger's rows always were (`to_timestamp(ts / 1000000.0)`), in double
# precision instead of numeric: both give the double nearest to the exact quotient, so a
# replay of an event written before brings the same key (pipeline/tests/test_batch.py).
BATCH_TABLE_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {BATCH_TABLE} (\n    seq integer NOT NULL,\n"
    + "".join(f"    {name} {kind},\n" for name, kind, _ in COLUMNS + tuple(_RECORD_COLUMNS))
    + "    badges jsonb,\n    rest jsonb,\n"
    + "    occurred_at timestamptz\n"
    + "        GENERATED ALWAYS AS (to_timestamp(ts::float8 / 1000000)) STORED\n"
    + ") ON COMMIT DELETE ROWS"
)
COPY_SQL = (
    f"COPY {BATCH_TABLE} (seq, "
    + ", ".join(name for name, _, _ in COLUMNS + tuple(_RECORD_COLUMNS))
    + ", badges, rest) FROM STDIN (FORMAT BINARY)"
)


# An integer as text: what PostgreSQL's integer input took (ASCII digits, a sign, spaces).
_DIGITS = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


def _integer(bits: int) -> Callable[[object], int]:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1)

    def integer(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"{value!r} is not an integer")
        if isinstance(value, str) and not _DIGITS.fullmatch(value):
            raise ValueError(f"{value!r} is not an integer")
        number = int(value)
        if not low <= number < high:
            raise ValueError(f"{value!r} is out of range for a {bits}-bit integer")
        return number

    return integer


def _uuid(value: object) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a UUID")
    return uuid.UUID(value)


def _date(value: object) -> date:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a day")
    return date.fromisoformat(value)


def _text(value: object) -> str:
    """What `->>` gave before: a string as it is, a number's digits, anything else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


_CONVERT: dict[str, Callable[[object], object]] = {
    "uuid": _uuid,
    "bigint": _integer(64),
    "integer": _integer(32),
    "date": _date,
    "text": _text,
    "jsonb": Jsonb,
}
TYPES = ["integer", *(kind for _, kind, _ in COLUMNS + tuple(_RECORD_COLUMNS)), "jsonb", "jsonb"]
_BASE = [(field, _CONVERT[kind], DEFAULTS.get(field)) for _, kind, field in COLUMNS]
_RECORDS = [
    (record, [(f, _CONVERT[kind]) for _, kind, f in columns]) for record, columns in RECORDS
]


def _row(seq: int, event: dict) -> list:
    values: list = [seq]
    for field, convert, default in _BASE:
        value = event.get(field)
        value = default if value is None else value
        values.append(None if value is None else convert(value))
    for record, columns in _RECORDS:
        held = event.get(record)
        if held is None:
            values += [None] * len(columns)
            continue
        for field, convert in columns:
            value = held.get(field)
            values.append(None if value is None else convert(value))
    badges = event.get("badges")
    values.append(Jsonb(badges) if isinstance(badges, list) and badges else None)
    rest = {key: value for key, value in event.items() if key not in LEDGER_ELIDED}
    values.append(Jsonb(rest) if rest else None)
    return values


def copy_rows(events: Iterable[bytes]) -> list[list]:
    """The events (their JSON, as the stream holds it) as the COPY's rows, in order."""
    rows = []
    for seq, raw in enumerate(events):
        try:
            event = json.loads(raw)
            if not isinstance(event, dict):
                raise TypeError("an event is a JSON object")
            rows.append(_row(seq, event))
        except (ValueError, TypeError, AttributeError) as error:
            # PostgreSQL refused it as jsonb, or its value as the column's text: here too.
            raise DataError(f"event {seq} of the batch cannot be read: {error}") from error
    return rows


def copy_batch(cursor, events: Iterable[bytes]) -> None:
    """Empty the batch table (inside an enclosing transaction an earlier batch may still be
    there) and copy the events into it."""
    cursor.execute(BATCH_TABLE_DDL)
    cursor.execute(f"DELETE FROM {BATCH_TABLE}")
    rows = copy_rows(events)
    # The COPY goes through the driver's own cursor, outside Django's error translation:
    # under the wrapper a value refused here is a django.db.DataError like any statement's,
    # which the flush isolates as a dead letter (a driver's error would jam the shard).
    try:
        with cursor.db.wrap_database_errors, cursor.cursor.copy(COPY_SQL) as copy:
            copy.set_types(TYPES)
            for row in rows:
                copy.write_row(row)
    except UnicodeEncodeError as error:  # a lone surrogate ("\ud800"), which jsonb refused
        raise DataError(f"an event of the batch is not valid text: {error}") from error
