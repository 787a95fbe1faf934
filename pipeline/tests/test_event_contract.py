"""The flush reads events by field name (pipeline/batch.py decodes each into the batch's
columns); every name it reads must be in the event contract (gameplay.events), or a
renamed field would silently project as NULL."""

import typing

from gameplay import events
from pipeline import batch


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


def test_every_top_level_field_the_flush_reads_is_in_a_schema() -> None:
    read = {field for _, _, field in batch.COLUMNS}
    read |= {record for record, _ in batch.RECORDS} | {"badges"}
    known = {name for schema in events.SCHEMAS.values() for name in fields_of(schema)}

    assert read - known == set()
    # The reader found the columns (an empty set above would prove nothing).
    assert {"id", "type", "player", "points", "ts", "day", "cday", "session", "check_in"} <= read


def test_every_record_field_the_flush_reads_is_in_that_records_schema() -> None:
    columns = {(record, field) for record, listing in batch.RECORDS for _, _, field in listing}

    assert {record for record, _ in batch.RECORDS} == {"session", "check_in", "freeze", "vacation"}
    assert {(r, f) for r, f in columns if f not in nested_fields(r)} == set()


def test_the_ledger_elides_only_fields_of_the_contract() -> None:
    known = {name for schema in events.SCHEMAS.values() for name in fields_of(schema)}

    assert batch.LEDGER_ELIDED - known == set()
