"""Admin clients for the personas: a browser session logged in as mo, or as anyone."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from accounts.models import User


def browser_for(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def as_mo_admin(mo) -> Client:
    return browser_for(mo)


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", "root-password-1234")


def log_messages(user: User) -> list[str]:
    """What the admin log holds for a user's actions, oldest first."""
    return [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(user=user).order_by("action_time", "id")
    ]
