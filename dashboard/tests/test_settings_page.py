"""The settings page (/settings/): the profile, the password and the vacations card. Each
change applies at once, through the API's rules and services: the local day, the boards'
name, the cached token user; a refusal shows beside its field and changes nothing."""

import pytest
from django.test import Client

from accounts.models import BrowserSession, User
from gameplay import keys, live
from testkit.personas import PASSWORD, T0, browser_for, client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-and-longer-passphrase"
PROFILE = {
    "display_name": "Alice",
    "email": "",
    "timezone": "Europe/Berlin",
    "day_start_hour": "0",
}
RATE = 30  # THROTTLE_AUTH's default, 30/min


def save_profile(browser: Client, **change):
    return browser.post("/settings/profile", {**PROFILE, **change}, HTTP_HX_REQUEST="true")


def change_password(browser: Client, old=PASSWORD, new=NEW_PASSWORD, again=None):
    body = {"old_password": old, "new_password": new, "new_password_again": again or new}
    return browser.post("/settings/password", body, HTTP_HX_REQUEST="true")


def test_the_page_needs_a_log_in_and_the_header_links_to_it(alice):
    assert Client().get("/settings/").url == "/login/?next=/settings/"

    dashboard = browser_for(alice).get("/dashboard/").content.decode()

    assert '<a href="/settings/">Settings</a>' in dashboard


def test_the_page_shows_each_section_and_alices_profile(alice, clock):
    page = browser_for(alice).get("/settings/")

    assert page.status_code == 200
    html = page.content.decode()
    for title in ("Profile", "Password", "Vacations", "Export and import", "Delete account"):
        assert f">{title}</h2>" in html
    assert 'name="display_name" value="Alice"' in html
    assert 'list="timezones" value="Europe/Berlin"' in html
    assert '<option value="Pacific/Apia"></option>' in html  # the searchable list
    assert '<option value="0" selected>00:00</option>' in html
    assert 'hx-post="/dashboard/vacations"' in html  # the dashboard's card, the same views


def test_alices_new_profile_applies_at_once_everywhere(alice, clock):
    as_alice = client_for(alice)
    assert as_alice.get("/api/me").json()["timezone"] == "Europe/Berlin"  # the token is cached

    response = save_profile(
        browser_for(alice),
        display_name="Alice L.",
        email="alice@example.com",
        timezone="Pacific/Apia",
        day_start_hour="4",
    )

    assert response.status_code == 200
    assert (
        '<div id="profile-status" hx-swap-oob="innerHTML">Saved.</div>' in response.content.decode()
    )
    me = as_alice.get("/api/me").json()
    assert (me["display_name"], me["timezone"], me["day_start_hour"]) == (
        "Alice L.",
        "Pacific/Apia",
        4,
    )
    fresh = User.objects.get(pk=alice.pk)
    assert fresh.email == "alice@example.com"
    # 09:00 UTC on Monday is 22:00 in Apia: the day that started at 04:00 there.
    assert str(fresh.actor.day(T0)) == "2026-11-23"
    assert live.client().hget(keys.NAMES, str(alice.pk)) == b"Alice L."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"day_start_hour": "24"}, "day_start_hour"),
        ({"display_name": "x" * 61}, "display_name"),
        ({"display_name": "Bob"}, "display_name"),  # what the boards show for bob
        ({"email": "not an email"}, "email"),
    ],
)
def test_a_refused_profile_shows_the_apis_own_message_and_changes_nothing(
    alice, bob, change, field
):
    as_alice, browser = client_for(alice), browser_for(alice)
    api = as_alice.patch("/api/me", change, format="json") if field != "email" else None
    before = User.objects.filter(pk=alice.pk).values().get()

    response = save_profile(browser, **change)

    assert response.status_code == 400
    errors = response.context["profile_errors"]
    assert list(errors) == [field]
    if api is not None:
        assert errors[field] == api.json()[field][0]  # one set of rules
    assert f'id="profile-{field.replace("_", "-").replace("-hour", "")}-error"' in (
        response.content.decode()
    )
    assert User.objects.filter(pk=alice.pk).values().get() == before


def test_a_field_the_profile_form_does_not_have_is_refused(alice):
    response = save_profile(browser_for(alice), display_name="Al", points="1000")

    assert response.status_code == 400
    assert response.context["profile_errors"] == {"form": "Unknown field."}
    assert User.objects.get(pk=alice.pk).display_name == "Alice"


def test_changing_the_password_keeps_this_browser_and_logs_out_every_other(alice):
    laptop, phone, as_alice = browser_for(alice), browser_for(alice), client_for(alice)

    response = change_password(laptop)

    assert response.status_code == 200
    assert "Every other browser and app logged in to your account is logged out." in (
        response.content.decode()
    )
    assert laptop.get("/settings/").status_code == 200
    assert phone.get("/settings/").status_code == 302
    assert as_alice.get("/api/me").status_code == 401
    assert BrowserSession.objects.filter(player_id=alice.pk).count() == 1
    assert Client().login(username="alice", password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("attempt", "field"),
    [
        ({"old": "not-it"}, "old_password"),
        ({"new": "short"}, "new_password"),
        ({"again": "a-new-and-longer-passphrasE"}, "new_password_again"),
    ],
)
def test_a_refused_password_shows_beside_its_field_and_changes_nothing(alice, attempt, field):
    laptop, phone = browser_for(alice), browser_for(alice)
    before = User.objects.get(pk=alice.pk).password

    response = change_password(laptop, **attempt)

    assert response.status_code == 400
    assert list(response.context["password_errors"]) == [field]
    assert User.objects.get(pk=alice.pk).password == before
    assert phone.get("/settings/").status_code == 200
    assert client_for(alice).get("/api/me").status_code == 200


def test_the_31st_password_attempt_a_minute_is_429(alice, clock):
    laptop = browser_for(alice)
    answers = [change_password(laptop, old="guess").status_code for _ in range(RATE)]

    refused = change_password(laptop)

    assert answers == [400] * RATE
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.context["password_errors"] == {
        "form": "Too many attempts. Please wait 60 seconds and try again."
    }
    assert Client().login(username="alice", password=PASSWORD)


def test_the_forms_answer_an_htmx_request_without_a_session_with_the_log_in_page(db):
    response = Client().post("/settings/profile", PROFILE, HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/")
