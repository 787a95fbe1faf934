"""The flush's batch table: each event decoded once, in Python, and copied as typed columns.

Until issue #10 the batch held each event's JSON as jsonb and PostgreSQL took the fields
out in generated columns and in the projections (`jsonb_to_record`). Parsing the JSON into
jsonb and extracting a dozen fields was a fifth of the flush's PostgreSQL CPU; the flush
scales by adding flushers, PostgreSQL does not, so the decoding moved here: the event is
decoded by `json.loads`, and `COPY` takes plain text columns, which PostgreSQL parses with
the types' own input functions (a uuid, a bigint, a date), no JSON at all for almost
every event. Only what is rare stays JSON: a session's answer, the badges awarded, and
what the ledger keeps in `payload` (nothing, for every kind but freezes and vacations).

The values go to PostgreSQL as the event holds them, as text: a value the column's type
cannot take is refused by COPY, as the casts refused it before, and an event that is not a
JSON object at all is refused here with the same error class (Django's `DataError`), so
the flush isolates it as a dead letter either way.

The columns are named after the event's fields (`COLUMNS`, `RECORDS`: a test checks every
field named here against gameplay.events' schemas).
"""

import json
from collections.abc import Iterable

from django.db import DataError

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
    + ", badges, rest) FROM STDIN"
)

# COPY's text format: a backslash escapes, a tab ends a column, a line break a row.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _value(value: object) -> str:
    """A JSON value as COPY text: what `->>` gave before (a string as it is, a number's
    digits, anything else as JSON), NULL for a missing field or JSON null."""
    if value is None:
        return _NULL
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _json(value)


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":")).translate(_ESCAPES)


def _row(seq: int, event: dict) -> str:
    values = [str(seq)]
    for _, _, field in COLUMNS:
        value = event.get(field)
        values.append(_value(DEFAULTS.get(field) if value is None else value))
    for record, columns in RECORDS:
        held = event.get(record)
        if held is None:
            values += [_NULL] * len(columns)
            continue
        values += [_value(held.get(field)) for _, _, field in columns]
    badges = event.get("badges")
    values.append(_json(badges) if isinstance(badges, list) and badges else _NULL)
    rest = {key: value for key, value in event.items() if key not in LEDGER_ELIDED}
    values.append(_json(rest) if rest else _NULL)
    return "\t".join(values)


def copy_text(events: Iterable[bytes]) -> bytes:
    """The events (their JSON, as the stream holds it) as the COPY's rows, in order."""
    lines = []
    for seq, raw in enumerate(events):
        try:
            event = json.loads(raw)
            if not isinstance(event, dict):
                raise TypeError("an event is a JSON object")
            lines.append(_row(seq, event))
        except (ValueError, TypeError, AttributeError) as error:
            # PostgreSQL would have refused it as jsonb: refused the same way here.
            raise DataError(f"event {seq} of the batch cannot be read: {error}") from error
    try:
        return "\n".join(lines).encode()
    except UnicodeEncodeError as error:  # a lone surrogate ("\ud800"), which jsonb refused
        raise DataError(f"an event of the batch is not valid text: {error}") from error


def copy_batch(cursor, events: Iterable[bytes]) -> None:
    """Empty the batch table (inside an enclosing transaction an earlier batch may still be
    there) and copy the events into it."""
    cursor.execute(BATCH_TABLE_DDL)
    cursor.execute(f"DELETE FROM {BATCH_TABLE}")
    data = copy_text(events)
    # The COPY goes through the driver's own cursor, outside Django's error translation:
    # under the wrapper a value refused here is a django.db.DataError like any statement's,
    # which the flush isolates as a dead letter (a driver's error would jam the shard).
    with cursor.db.wrap_database_errors, cursor.cursor.copy(COPY_SQL) as copy:
        copy.write(data)
