"""Event ids are UUIDv7 made from the action's moment: they sort by time, never repeat,
and say which moment (and so which ledger partition) their event belongs to."""

import uuid
from datetime import timedelta

from gameplay import eventids, live
from testkit.personas import T0


def test_an_id_is_a_version_7_uuid_that_gives_back_its_moment() -> None:
    moment = live.micros(T0) + 123_456
    made = eventids.time_ordered_uuid(moment)

    assert (made.version, made.variant) == (7, uuid.RFC_4122)
    assert eventids.micros_of(made) == moment
    assert made.int >> 80 == moment // 1000  # the RFC's 48-bit millisecond prefix


def test_ids_sort_as_their_moments_do_to_the_microsecond() -> None:
    moments = [live.micros(T0 + timedelta(microseconds=step * 7)) for step in range(5_000)]
    moments += [live.micros(T0 + timedelta(days=40 * month)) for month in range(1, 30)]

    ids = [eventids.time_ordered_uuid(moment) for moment in moments]

    # By value and by text: PostgreSQL's uuid order is the bytes', which the text keeps.
    assert sorted(ids) == ids
    assert sorted(ids, key=str) == ids


def test_ids_of_one_microsecond_are_all_different() -> None:
    moment = live.micros(T0)

    ids = {eventids.time_ordered_uuid(moment) for _ in range(100_000)}

    assert len(ids) == 100_000
    assert {eventids.micros_of(made) for made in ids} == {moment}


def test_the_live_store_makes_its_events_ids_from_their_moment(alice) -> None:
    actor = live.Actor(player_id=alice.pk, timezone="UTC", day_start_hour=0)

    base = live._base(actor, T0)

    assert eventids.micros_of(uuid.UUID(base["id"])) == int(base["ts"])
