"""EMAIL_URL into Django's EMAIL_* settings (focusquest/env.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from focusquest.env import EmailSettings, email_from_url

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", EmailSettings(backend="django.core.mail.backends.console.EmailBackend")),
        ("smtp://mail.example:2525", EmailSettings(backend=SMTP, host="mail.example", port=2525)),
        ("smtp://mail.example", EmailSettings(backend=SMTP, host="mail.example", port=25)),
        (
            "smtp+tls://focus%40example.org:p%40ss%3Aword@smtp.example.org",
            EmailSettings(
                backend=SMTP,
                host="smtp.example.org",
                port=587,
                user="focus@example.org",
                password="p@ss:word",
                use_tls=True,
            ),
        ),
        (
            "smtp+tls://user:secret@smtp.example.org:2587",
            EmailSettings(
                backend=SMTP,
                host="smtp.example.org",
                port=2587,
                user="user",
                password="secret",
                use_tls=True,
            ),
        ),
    ],
)
def test_an_email_url_gives_djangos_mail_settings(url, expected):
    assert email_from_url(url) == expected


@pytest.mark.parametrize(
    "url", ["smtps://mail.example", "mail.example:25", "smtp://", "smtp://mail.example:port"]
)
def test_an_email_url_it_cannot_read_stops_the_process_with_its_reason(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_from_url(url)
