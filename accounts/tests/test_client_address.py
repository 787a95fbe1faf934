"""Which client an attempt comes from: REMOTE_ADDR, unless NUM_PROXIES trusted proxies
stand in front, when it is the address the outermost of them saw. A client that writes
X-Forwarded-For itself gets no fresh throttle bucket; behind the proxy, clients do not
share one."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

RATE = 30  # THROTTLE_AUTH's default, 30/min


def proxies(settings, count: int) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}


def log_in(username: str, **meta):
    return Client().post("/login/", {"username": username, "password": "wrong"}, **meta)


def test_no_proxy_is_trusted_unless_configured(settings):
    assert settings.NUM_PROXIES == 0
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


# Each attempt claims another address in X-Forwarded-For: without a trusted proxy the
# header is not read at all; behind one, only the entry that proxy wrote counts.
@pytest.mark.parametrize(
    ("trusted", "forwarded_for"),
    [(0, "198.51.100.{index}"), (1, "10.9.9.{index}, 198.51.100.7")],
    ids=["no-proxy", "behind-one-proxy"],
)
def test_a_changed_x_forwarded_for_does_not_dodge_the_api_throttle(
    settings, clock, anon, alice, trusted, forwarded_for
):
    proxies(settings, trusted)
    answers = [
        anon.post(
            "/api/auth/token",
            {"username": f"guess{index}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=forwarded_for.format(index=index),
        ).status_code
        for index in range(RATE + 1)
    ]

    assert answers == [400] * RATE + [429]


def test_without_trusted_proxies_a_changed_x_forwarded_for_does_not_dodge_the_log_in_page(
    settings, clock, alice
):
    proxies(settings, 0)
    answers = [
        log_in(f"guess{index}", HTTP_X_FORWARDED_FOR=f"198.51.100.{index}").status_code
        for index in range(RATE + 1)
    ]

    assert answers == [200] * RATE + [429]


def test_behind_one_proxy_each_forwarded_client_has_its_own_bucket(settings, clock, anon, alice):
    proxies(settings, 1)
    # Every request comes from the proxy's address; the proxy names the client last.
    answers = [
        anon.post(
            "/api/auth/token",
            {"username": f"guess{index}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{index}",
        ).status_code
        for index in range(RATE + 1)
    ]
    pages = [
        log_in(f"other{index}", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}").status_code
        for index in range(RATE + 1)
    ]

    assert answers == [400] * (RATE + 1)
    assert pages == [200] * (RATE + 1)
