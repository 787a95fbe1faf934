"""The API's token and sign-up endpoints count attempts per username as well as per
address (accounts/throttles.py): many addresses guessing one player's password get 30
tries a minute between them."""

import pytest
from rest_framework.test import APIClient

from testkit.personas import PASSWORD

pytestmark = pytest.mark.django_db

RATE = 30  # THROTTLE_AUTH's default, 30/min


def test_the_31st_token_request_for_one_username_is_refused_from_any_address(clock, alice):
    answers = [
        APIClient()
        .post(
            "/api/auth/token",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR=f"10.0.0.{index}",
        )
        .status_code
        for index in range(RATE)
    ]

    refused = APIClient().post(
        "/api/auth/token", {"username": "Alice", "password": PASSWORD}, REMOTE_ADDR="10.0.1.1"
    )

    assert answers == [400] * RATE
    assert refused.status_code == 429
    other = APIClient().post(
        "/api/auth/token", {"username": "bob", "password": "x"}, REMOTE_ADDR="10.0.1.2"
    )
    assert other.status_code == 400


def test_the_31st_sign_up_for_one_username_is_refused_from_any_address(clock, db):
    answers = [
        APIClient()
        .post(
            "/api/auth/register",
            {"username": "dora", "password": "short"},
            REMOTE_ADDR=f"10.0.0.{index}",
        )
        .status_code
        for index in range(RATE + 1)
    ]

    assert answers == [400] * RATE + [429]
