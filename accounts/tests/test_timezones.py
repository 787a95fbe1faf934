"""A player's time zone is an IANA place (or UTC), never the server's own alias."""

import pytest
from rest_framework.test import APIClient

from accounts.forms import SignupForm
from accounts.models import User
from testkit.personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone", ["localtime", "Factory", "Etc/GMT+5", "posix/Europe/Berlin"])
def test_a_zone_that_is_no_place_is_refused_at_sign_up(zone):
    response = APIClient().post(
        "/api/auth/register",
        {"username": "dora", "password": PASSWORD, "timezone": zone},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"timezone": [f"'{zone}' is not a known IANA time zone."]}
    assert not User.objects.filter(username="dora").exists()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Kiritimati"])
def test_places_and_utc_are_accepted(zone):
    response = APIClient().post(
        "/api/auth/register",
        {"username": "dora", "password": PASSWORD, "timezone": zone},
        format="json",
    )

    assert response.status_code == 201
    assert User.objects.get(username="dora").timezone == zone


def test_the_sign_up_form_offers_places_with_readable_names():
    choices = dict(SignupForm().fields["timezone"].choices)

    assert choices["America/New_York"] == "America/New York"
    assert "localtime" not in choices and "Factory" not in choices
    assert len(choices) == len(set(choices))
