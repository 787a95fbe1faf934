"""A password reset by email: POST /api/auth/password-reset and the "Forgot your password?"
pages answer the same whether or not an account has the email, mail a link that works once
and for an hour, and the new password ends every token and session of the player."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from accounts import passwords
from accounts.models import BrowserSession
from accounts.services import player_update
from focusquest.celery import app as celery_app
from testkit.personas import PASSWORD, browser_for, client_for

pytestmark = pytest.mark.django_db

EMAIL = "alice@example.com"
NEW_PASSWORD = "a-new-and-longer-passphrase"
ASKED = {"detail": "If an account has that email, a link to reset its password is on its way."}
RATE = 30  # THROTTLE_AUTH's default, 30/min


@pytest.fixture
def alice_mails(alice):
    return player_update(player=alice, email=EMAIL)


@pytest.fixture
def worker_here():
    """The Celery worker here and now: a task runs where it is queued (and its mail goes
    to Django's test outbox)."""
    celery_app.conf.update(task_always_eager=True)
    yield
    celery_app.conf.update(task_always_eager=False)


@pytest.fixture
def ask(django_capture_on_commit_callbacks, worker_here):
    """Ask for a reset through the API; the mail task runs when the request commits."""

    def ask(email: str, client=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or Client()).post(
                "/api/auth/password-reset", {"email": email, **extra}, "application/json"
            )

    return ask


def link_in(message) -> str:
    match = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def set_password(browser: Client, link: str, password: str = NEW_PASSWORD):
    """Open the mailed link, then choose the password on the page it leads to."""
    opened = browser.get(link)
    if opened.status_code != 302:
        return opened
    return browser.post(opened["Location"], {"new_password1": password, "new_password2": password})


def logs_in(password: str) -> bool:
    return Client().post("/login/", {"username": "alice", "password": password}).status_code == 302


def test_an_email_no_account_has_is_answered_202_and_nothing_is_sent(alice_mails, ask):
    response = ask("nobody@example.com")

    assert (response.status_code, response.json()) == (202, ASKED)
    assert mail.outbox == []


def test_alices_email_gets_one_mail_with_a_link_to_the_reset_page(alice_mails, ask):
    response = ask("Alice@Example.com")  # the case of an address does not matter

    assert (response.status_code, response.json()) == (202, ASKED)
    [message] = mail.outbox
    assert message.to == [EMAIL]
    assert message.subject == "Reset your FocusQuest password"
    assert "within 1 hour" in message.body
    assert set_password(Client(), link_in(message)).url == "/password-reset/done/"
    assert logs_in(NEW_PASSWORD)
    assert not logs_in(PASSWORD)


def test_the_request_does_the_same_work_whether_or_not_the_email_has_an_account(
    alice_mails, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[list[int]] = []
    monkeypatch.setattr(
        passwords.password_reset_mail, "delay", lambda *, player_ids, **_: queued.append(player_ids)
    )

    def work(email: str) -> int:
        with (
            django_capture_on_commit_callbacks(execute=True),
            CaptureQueriesContext(connection) as captured,
        ):
            passwords.password_reset_request(email=email, domain="testserver", use_https=False)
        return len(captured.captured_queries)

    assert work(EMAIL) == work("nobody@example.com") == 1
    assert queued == [[alice_mails.pk], []]  # the mail is the worker's to send, or not


def test_an_account_without_a_password_or_inactive_gets_no_mail(alice_mails, bob, ask):
    bob.email = "bob@example.com"
    bob.set_unusable_password()
    bob.save()
    alice_mails.is_active = False
    alice_mails.save()

    assert ask("bob@example.com").status_code == ask(EMAIL).status_code == 202
    assert mail.outbox == []


def test_the_link_works_once(alice_mails, ask):
    ask(EMAIL)
    link = link_in(mail.outbox[0])
    assert set_password(Client(), link).status_code == 302

    again = set_password(Client(), link, "yet-another-passphrase")

    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()
    assert logs_in(NEW_PASSWORD)


@pytest.mark.parametrize(("after", "works"), [(timedelta(minutes=59, seconds=59), True),
                                              (timedelta(hours=1, seconds=1), False)])  # fmt: skip
def test_the_link_expires_after_an_hour(alice_mails, ask, clock, after, works):
    ask(EMAIL)
    clock.shift(after)

    answer = set_password(Client(), link_in(mail.outbox[0]))

    assert (answer.status_code == 302) is works
    assert logs_in(NEW_PASSWORD) is works


def test_a_completed_reset_ends_every_token_and_session_of_alice(alice_mails, bob, ask):
    as_alice, laptop, bobs = client_for(alice_mails), browser_for(alice_mails), browser_for(bob)
    assert as_alice.get("/api/me").status_code == 200  # cached
    ask(EMAIL)

    done = set_password(laptop, link_in(mail.outbox[0]))  # even the browser she resets it in

    assert (done.status_code, done.url) == (302, "/password-reset/done/")

    assert as_alice.get("/api/me").status_code == 401
    assert not Token.objects.filter(user=alice_mails).exists()
    assert laptop.get("/dashboard/").status_code == 302
    assert not BrowserSession.objects.filter(player_id=alice_mails.pk).exists()
    assert bobs.get("/dashboard/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({"email": "not an email"}, "email"), ({}, "email"), ({"email": EMAIL, "user": 1}, "user")],
    ids=["malformed", "missing", "unknown"],
)
def test_a_malformed_request_is_400_and_sends_nothing(
    alice_mails, django_capture_on_commit_callbacks, body, field
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = Client().post("/api/auth/password-reset", body, "application/json")

    assert response.status_code == 400
    assert field in response.json()
    assert callbacks == []


def test_the_31st_request_for_one_email_is_429_from_any_address(alice_mails, ask, clock):
    answers = [
        ask(EMAIL, Client(REMOTE_ADDR=f"10.0.0.{index}")).status_code for index in range(RATE)
    ]

    refused = ask(EMAIL, Client(REMOTE_ADDR="10.0.1.1"))

    assert answers == [202] * RATE
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert len(mail.outbox) == RATE


def test_the_31st_request_from_one_address_is_429_whatever_the_email(alice_mails, ask, clock):
    answers = [ask(f"someone{index}@example.com").status_code for index in range(RATE)]

    assert answers == [202] * RATE
    assert ask(EMAIL).status_code == 429
    assert mail.outbox == []


# -- the pages ------------------------------------------------------------------------------


def test_the_log_in_page_links_to_the_reset_page(db):
    page = Client().get("/login/").content.decode()

    assert '<a href="/password-reset/">Forgot your password?</a>' in page
    assert 'name="email"' in Client().get("/password-reset/").content.decode()


@pytest.mark.parametrize("email", [EMAIL, "nobody@example.com"])
def test_the_reset_page_answers_the_same_for_any_email_and_mails_alice_only(
    alice_mails, email, django_capture_on_commit_callbacks, worker_here
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/password-reset/", {"email": email})

    assert (response.status_code, response.url) == (302, "/password-reset/sent/")
    assert len(mail.outbox) == (1 if email == EMAIL else 0)
    sent = Client().get(response.url).content.decode()
    assert "If an account has that email, a link to reset its password is on its way." in sent


def test_the_reset_page_is_throttled_like_sign_up(alice_mails, clock):
    browser = Client()
    for index in range(RATE):
        browser.post("/password-reset/", {"email": f"someone{index}@example.com"})

    refused = browser.post("/password-reset/", {"email": EMAIL})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Too many attempts. Please wait 60 seconds and try again." in refused.content.decode()
