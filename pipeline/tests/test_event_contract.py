"""The flush's SQL reads events by field name; every name it reads must be in the event
contract (gameplay.events), or a renamed field would silently project as NULL."""

import inspect
import re
import sys
import typing

from django.conf import settings
from django.utils.module_loading import import_string

from gameplay import events
from pipeline import flush

FIELD = re.compile(r"payload\s*->>?\s*'(\w+)'")
RECORD = re.compile(r"payload\s*->\s*'(\w+)'\)\s*AS\s+\w+\(([^)]*)\)")


def flush_sql() -> str:
    """The source of the flush and of every projection it runs: the SQL is in there."""
    modules = [flush] + [
        sys.modules[import_string(path).__module__] for path in settings.FLUSH_PROJECTIONS
    ]
    return "\n".join(inspect.getsource(module) for module in modules)


def fields_of(schema: object) -> dict[str, typing.Any]:
    return typing.get_type_hints(schema, include_extras=True)


def nested_fields(field: str) -> set[str]:
    """Every name the record under `field` has, in any kind that carries it."""
    names: set[str] = set()
    for schema in events.SCHEMAS.values():
        hint = fields_of(schema).get(field)
        if hint is None:
            continue
        if typing.get_origin(hint) in (typing.Required, typing.NotRequired):
            hint = typing.get_args(hint)[0]
        names |= set(fields_of(hint))
    return names


def test_every_top_level_field_the_sql_reads_is_in_a_schema() -> None:
    read = set(FIELD.findall(flush_sql()))
    known = {name for schema in events.SCHEMAS.values() for name in fields_of(schema)}

    assert read - known == set()
    # The reader found the SQL (an empty set above would prove nothing).
    assert {"id", "type", "player", "points", "ts", "day", "cday", "session", "check_in"} <= read


def test_every_record_column_the_sql_reads_is_in_that_records_schema() -> None:
    records = RECORD.findall(flush_sql())
    # A column named by a keyword is quoted ("end").
    columns = {
        (field, column.split()[0].strip('"'))
        for field, listing in records
        for column in listing.split(",")
    }

    assert {field for field, _ in records} == {"session", "check_in", "freeze", "vacation"}
    assert {(f, c) for f, c in columns if c not in nested_fields(f)} == set()
