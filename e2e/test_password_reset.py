"""A forgotten password, end to end: the reset mail goes from the Celery worker through a
real SMTP server (aiosmtpd, started here on the port the stack's EMAIL_URL names), and
Alice follows its link in the browser, sets a new password and logs in with it."""

import queue
import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from testkit.personas import PASSWORD, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-new-and-longer-passphrase"


class Inbox:
    """An aiosmtpd handler that keeps every mail it is given."""

    def __init__(self) -> None:
        self.mail: queue.Queue[tuple[list[str], EmailMessage]] = queue.Queue()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.mail.put((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox(stack):
    handler = Inbox()
    server = Controller(handler, hostname="127.0.0.1", port=stack.smtp_port)
    server.start()
    yield handler
    server.stop()


def test_alice_resets_her_password_by_mail_and_logs_in_with_the_new_one(page: Page, stack, inbox):
    make_player("alice", display_name="Alice", email="alice@example.com")
    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    recipients, message = inbox.mail.get(timeout=20)
    assert recipients == ["alice@example.com"]
    assert message["Subject"] == "Reset your FocusQuest password"
    body = message.get_content()
    match = re.search(rf"{re.escape(stack.http)}/password-reset/\S+/\S+/", body)
    assert match, body

    page.goto(match.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password:", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()

    page.locator("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)  # the old one first: refused
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist")).to_contain_text("Please enter a correct username")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
    # The link worked once.
    page.goto(match.group(0))
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert inbox.mail.empty()
