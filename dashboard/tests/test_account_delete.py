"""The settings page's account deletion (its section, posting to /settings/delete): the
password asked for, a wrong one shown beside the field with nothing deleted, a right one
logging the browser out onto the landing page with a message, as a plain form or by
htmx."""

import re

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import PASSWORD_NOT_YOURS
from dashboard.account import DELETED
from testkit.personas import PASSWORD, client_for

pytestmark = pytest.mark.django_db

URL = "/settings/delete"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def browser(alice) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    return browser


def csrf(browser: Client) -> str:
    page = browser.get(URL).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_form_asks_for_the_password_and_needs_a_login(browser):
    page = browser.get(URL)

    assert page.status_code == 200
    assert b'name="password" type="password"' in page.content
    assert b"Delete my account" in page.content
    assert Client().get(URL).status_code == 302


def test_the_settings_page_has_the_form_in_its_delete_section(browser):
    page = browser.get("/settings/").content.decode()

    section = page[page.index('id="delete-account"') :]
    assert f'hx-post="{URL}"' in section and 'name="password"' in section
    assert 'id="delete-body"' in section


def test_a_wrong_password_is_shown_beside_the_field_and_deletes_nothing(browser, alice):
    token = csrf(browser)

    answer = browser.post(URL, {"password": "not-it", "csrfmiddlewaretoken": token})

    assert answer.status_code == 400
    assert PASSWORD_NOT_YOURS in answer.content.decode()
    assert b'aria-invalid="true"' in answer.content
    assert User.objects.filter(pk=alice.pk, is_active=True).exists()
    assert browser.get("/dashboard/").status_code == 200


def test_the_right_password_deletes_logs_out_and_lands_with_a_message(browser, alice):
    token = client_for(alice)

    answer = browser.post(URL, {"password": PASSWORD, "csrfmiddlewaretoken": csrf(browser)})

    assert (answer.status_code, answer["Location"]) == (302, "/")
    assert not User.objects.filter(pk=alice.pk).exists()
    assert DELETED in browser.get("/").content.decode()
    assert browser.get("/dashboard/").status_code == 302  # to the log-in page
    assert token.get("/api/me").status_code == 401


def test_by_htmx_a_wrong_password_comes_back_in_place_and_a_deletion_redirects(browser, alice):
    token = csrf(browser)

    wrong = browser.post(URL, {"password": "nope", "csrfmiddlewaretoken": token}, **HTMX)
    assert wrong.status_code == 400
    assert b"<html" not in wrong.content and PASSWORD_NOT_YOURS in wrong.content.decode()

    right = browser.post(URL, {"password": PASSWORD, "csrfmiddlewaretoken": token}, **HTMX)
    assert (right.status_code, right["HX-Redirect"]) == (204, "/")
    assert not User.objects.filter(pk=alice.pk).exists()
