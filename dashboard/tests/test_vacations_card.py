"""The dashboard's vacations card (dashboard/vacations.py): listed with the button each one
has while it can be taken back, added and taken back through htmx, refusals shown inline
with nothing written. Alice's today at T0 is Monday 2026-11-23 (Berlin)."""

from datetime import date, timedelta

import pytest
from django.test import Client

from gameplay import keys, live
from testkit.personas import T0
from vacations.services import vacation_add, vacations_list

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

TODAY = date(2026, 11, 23)


def browser_of(player) -> Client:
    client = Client()
    client.force_login(player)
    return client


def held(player, start: date, end: date):
    return vacation_add(player=player, start=start, end=end, now=T0).vacation


def states(response) -> list[tuple[date, date, str, str]]:
    return [
        (row["vacation"].start, row["vacation"].end, row["state"], row["action"])
        for row in response.context["vacation_rows"]
    ]


def test_the_dashboard_lists_the_vacations_with_what_each_button_does(alice, clock):
    held(alice, TODAY - timedelta(days=1), TODAY + timedelta(days=2))
    held(alice, TODAY + timedelta(days=10), TODAY + timedelta(days=12))

    response = browser_of(alice).get("/dashboard/")

    assert response.status_code == 200
    assert states(response) == [
        (TODAY - timedelta(days=1), TODAY + timedelta(days=2), "now", "End it today"),
        (TODAY + timedelta(days=10), TODAY + timedelta(days=12), "coming", "Remove"),
    ]
    page = response.content.decode()
    assert 'id="vacations-body"' in page
    assert 'min="2026-11-22"' in page  # the form offers yesterday at the earliest
    assert "Sun 22 Nov 2026 \N{EN DASH} Wed 25 Nov 2026" in page


def test_a_vacation_is_added_from_the_form(alice, clock):
    response = browser_of(alice).post(
        "/dashboard/vacations", {"start": "2026-12-24", "end": "2026-12-27"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 201
    assert states(response) == [(date(2026, 12, 24), date(2026, 12, 27), "coming", "Remove")]
    assert "Vacation from Thu 24 Dec 2026 to Sun 27 Dec 2026 added." in response.content.decode()


@pytest.mark.parametrize(
    ("form", "code", "error"),
    [
        ({"start": "", "end": "2026-11-30"}, 400, "From: This field is required."),
        ({"start": "2026-11-24", "end": "soon"}, 400, "To: Enter a valid date."),
        (
            {"start": "2026-11-20", "end": "2026-11-30"},
            400,
            "A vacation starts yesterday at the earliest.",
        ),
        ({"start": "2026-11-24", "end": "2026-12-30"}, 400, "A vacation lasts at most 30 days."),
        (
            {"start": "2026-11-30", "end": "2026-12-02"},
            409,
            "It overlaps your vacation from 2026-12-01 to 2026-12-05.",
        ),
    ],
)
def test_a_refused_vacation_is_shown_beside_the_form_and_nothing_is_written(
    alice, clock, form, code, error
):
    held(alice, date(2026, 12, 1), date(2026, 12, 5))
    before = live.client().hgetall(keys.vacations(alice.pk))

    response = browser_of(alice).post("/dashboard/vacations", form, HTTP_HX_REQUEST="true")

    assert response.status_code == code
    assert response.context["vacation_new_error"] == error
    assert 'aria-invalid="true"' in response.content.decode()
    assert live.client().hgetall(keys.vacations(alice.pk)) == before


def test_a_coming_vacation_is_removed_and_one_under_way_ends_yesterday(alice, clock):
    coming = held(alice, TODAY + timedelta(days=3), TODAY + timedelta(days=4))
    now = held(alice, TODAY - timedelta(days=1), TODAY + timedelta(days=1))
    browser = browser_of(alice)

    removed = browser.post(f"/dashboard/vacations/{coming.id}/remove")
    ended = browser.post(f"/dashboard/vacations/{now.id}/remove")

    assert (removed.status_code, ended.status_code) == (200, 200)
    assert "Removed the vacation." in removed.content.decode()
    assert "from today your habits count again" in ended.content.decode()
    yesterday = TODAY - timedelta(days=1)
    assert states(ended) == [(yesterday, yesterday, "past", "")]
    assert [(v.start, v.end) for v in vacations_list(player=alice)] == [(yesterday, yesterday)]


def test_a_past_vacation_has_no_button_and_cannot_be_taken_back(alice, clock):
    past = held(alice, TODAY - timedelta(days=1), TODAY - timedelta(days=1))

    response = browser_of(alice).post(f"/dashboard/vacations/{past.id}/remove")

    assert response.status_code == 409
    assert response.context["vacation_rows"][0]["error"] == (
        "This vacation is over: its days stay in your history."
    )
    assert states(response) == [(past.start, past.end, "past", "")]


def test_charlie_cannot_take_back_alices_vacation(alice, charlie, clock):
    alices = held(alice, TODAY + timedelta(days=3), TODAY + timedelta(days=4))

    response = browser_of(charlie).post(f"/dashboard/vacations/{alices.id}/remove")

    assert response.status_code == 404
    assert response.context["vacation_rows"] == []
    assert vacations_list(player=alice) == [alices]


def test_the_31st_change_in_an_hour_is_refused_beside_the_form(alice, clock, settings):
    browser = browser_of(alice)
    for _ in range(15):
        browser.post("/dashboard/vacations", {"start": "2026-12-01", "end": "2026-12-02"})
        browser.post(f"/dashboard/vacations/{vacations_list(player=alice)[0].id}/remove")

    response = browser.post("/dashboard/vacations", {"start": "2026-12-01", "end": "2026-12-02"})

    assert response.status_code == 429
    assert response.context["vacation_new_error"] == "Too many changes: try again in 60 minutes."
    assert response["Retry-After"] == "3600"
    assert vacations_list(player=alice) == []


def test_the_card_without_a_session_sends_htmx_to_the_login_page(db):
    response = Client().post("/dashboard/vacations", HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=/dashboard/"
