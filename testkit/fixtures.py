"""The shared fixtures (a pytest plugin; the root conftest.py loads it): personas (alice,
bob, charlie, mo), API clients, a clean Redis, the stopped clock.

Tests run against the real PostgreSQL and Redis that DATABASE_URL and REDIS_URL name
(`make test` starts embedded ones). Each test starts with an empty Redis database: point
REDIS_URL at a database you can spare.
"""

import importlib

import pytest
import pytest_asyncio
import time_machine
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, Permission
from django.db import connections
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import MODERATORS_GROUP
from gameplay import live
from leaderboard.pusher import stop_pusher
from testkit.personas import T0, client_for, make_alice, make_bob, make_charlie, make_mo


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness buys nothing in tests that make hundreds of players.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The data migrations that make the moderators group and give it its permissions.
GROUP_MIGRATIONS = (
    "accounts.migrations.0002_moderators_group",
    "moderation.migrations.0002_moderators_permissions",
)


@pytest.fixture(autouse=True)
def moderators_group_exists(request):
    """Transactional tests (and the browser tests' stack) end by emptying every table, the
    migration-made moderators group included (Django remakes permissions, not groups):
    make it again, from the migrations' own lists, for every database test that follows,
    whatever order the tests run in. In a plain database test it is rolled back after."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if transactional or marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("transactional_db" if transactional else "db")
        group, created = Group.objects.get_or_create(name=MODERATORS_GROUP)
        if created:
            wanted = [
                pair
                for module in GROUP_MIGRATIONS
                for pair in importlib.import_module(module).MODERATOR_PERMISSIONS
            ]
            group.permissions.set(
                [
                    Permission.objects.get(content_type__app_label=app, codename=codename)
                    for app, codename in wanted
                ]
            )
    yield


@pytest.fixture(autouse=True)
def clean_redis():
    live.client().flushdb()
    yield


@pytest.fixture
def alice(db) -> User:
    return make_alice()


@pytest.fixture
def bob(db) -> User:
    return make_bob()


@pytest.fixture
def charlie(db) -> User:
    return make_charlie()


@pytest.fixture
def mo(db) -> User:
    return make_mo()


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def as_alice(alice) -> APIClient:
    return client_for(alice)


@pytest.fixture
def as_bob(bob) -> APIClient:
    return client_for(bob)


@pytest.fixture
def as_charlie(charlie) -> APIClient:
    return client_for(charlie)


@pytest.fixture
def clock():
    """The clock, stopped at T0; `clock.shift(timedelta)` moves it."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest_asyncio.fixture
async def pusher_stopped_after():
    """For socket tests: stop the pusher their first connection started in this loop."""
    yield
    await stop_pusher()
    # The consumers' database work ran in the shared sync thread: close its connection so
    # the test database can be dropped.
    await sync_to_async(connections.close_all)()
