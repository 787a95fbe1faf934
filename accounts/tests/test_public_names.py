"""One player cannot pass as another on the boards: the name shown (a display name, or
the username when there is none) is free, case-insensitively."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from testkit.personas import PASSWORD, client_for, make_player

pytestmark = pytest.mark.django_db

TAKEN = "That name is already shown for another player."


def register(**body):
    return APIClient().post("/api/auth/register", {"password": PASSWORD, **body}, format="json")


def test_a_display_name_already_shown_is_refused_at_sign_up(alice):
    response = register(username="mallory", display_name="ALICE")

    assert response.status_code == 400
    assert response.json() == {"display_name": [TAKEN]}
    assert not User.objects.filter(username="mallory").exists()


def test_a_username_shown_as_a_name_cannot_be_taken_as_a_display_name(db):
    make_player("carol")  # no display name: the boards show "carol"

    assert register(username="mallory", display_name="Carol").json() == {"display_name": [TAKEN]}


def test_a_username_that_another_shows_as_their_name_needs_a_display_name(alice):
    assert register(username="alice2", display_name="").status_code == 201
    assert register(username="Alice").json()["username"] == ["That username is taken."]
    make_player("dora", display_name="Mallory")
    assert register(username="mallory").json() == {"username": [TAKEN]}
    assert register(username="mallory", display_name="Mal").status_code == 201


def test_renaming_to_another_players_name_is_refused_and_keeping_ones_own_is_fine(alice, bob):
    as_bob = client_for(bob)

    refused = as_bob.patch("/api/me", {"display_name": "alice"}, format="json")
    kept = as_bob.patch("/api/me", {"display_name": "Bob"}, format="json")

    assert (refused.status_code, refused.json()) == (400, {"display_name": [TAKEN]})
    assert kept.status_code == 200
    assert User.objects.get(pk=bob.pk).display_name == "Bob"


def test_the_sign_up_page_refuses_a_name_already_shown(alice):
    page = Client().post(
        "/signup/",
        {
            "username": "mallory",
            "display_name": "Alice",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "timezone": "UTC",
            "day_start_hour": 0,
        },
    )

    assert page.status_code == 200
    assert TAKEN in page.content.decode()
    assert not User.objects.filter(username="mallory").exists()
