"""Admin clients for the personas: a browser session logged in as mo, or as anyone."""

import pytest
from django.test import Client

from accounts.models import User
from testkit.personas import browser_for


@pytest.fixture
def as_mo_admin(mo) -> Client:
    return browser_for(mo)


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", "root-password-1234")
