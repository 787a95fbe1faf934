"""A weekly habit's check-in costs the live store the same one round trip as a daily one."""

import pytest

from perf import roundtrips
from testkit.personas import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]


def test_a_weekly_check_in_costs_the_round_trips_of_a_daily_one() -> None:
    assert roundtrips.check_in_round_trips(now=T0) == {"daily": 1, "weekly": 1}


def test_the_counter_sees_every_round_trip() -> None:
    from gameplay import live

    with roundtrips.counted() as count:
        live.client().get("fq:{t}:a")
        pipe = live.client().pipeline(transaction=False)
        pipe.get("fq:{t}:a")
        pipe.get("fq:{t}:b")
        pipe.execute()

    assert count[0] == 2  # a command, then a pipeline's batch
