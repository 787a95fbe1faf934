"""PostgreSQL's ceiling per mode, at a tiny size on the test servers: both modes are
driven and every figure of their steps is measured."""

from types import SimpleNamespace

import pytest

from focusquest.env import database_from_url
from perf import databases
from perf import stack as stacks
from perf.__main__ import run_ceiling
from perf.tests.test_spike_smoke import _database_url

pytestmark = [pytest.mark.live, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def ceiling(tmp_path_factory):
    from django.conf import settings

    services = stacks.Services(
        database_url=_database_url(), redis_url=settings.REDIS_URL, embedded=False
    )
    template = stacks.database_template(services, lambda message: None)
    options = SimpleNamespace(writers="1,2", batches="500")
    yield run_ceiling(options, services, template, tmp_path_factory.mktemp("ceiling"))
    base = services.database_url
    name = database_from_url(base)["NAME"]
    for database in (template, f"{name}{stacks.DATABASE_SUFFIX}_ceiling"):
        databases.database_drop(databases.database_url_named(base, database))


def test_both_modes_are_driven_and_every_step_is_measured(ceiling):
    direct, buffered = ceiling["direct"]["steps"], ceiling["buffered"]["steps"]
    assert [step["writers"] for step in direct] == [1, 2]
    assert [step["batch_size"] for step in buffered] == [500]
    for step in direct + buffered:
        assert step["actions"] > 0 and step["actions_per_second"] > 0
        assert step["postgres_cpu_ms_per_action"] > 0
        assert step["transactions_per_action"] > 0 and step["wal_bytes_per_action"] > 0
        # The mean of the samples never exceeds their peak (both 0 when nobody waited).
        assert 0 <= step["avg_lock_waiters"] <= step["peak_lock_waiters"]
    # Direct mode commits about once per action, the flush once per batch.
    assert all(step["transactions_per_action"] >= 0.9 for step in direct)
    assert buffered[0]["transactions_per_action"] < 0.05
    assert ceiling["ratio"] == ceiling["buffered"]["ceiling"] / ceiling["direct"]["ceiling"]
