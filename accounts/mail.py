"""The mail FocusQuest sends: a link to reset a password."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User


def password_reset_link(*, player: User, domain: str, use_https: bool) -> str:
    """The one-time link to the reset page (Django's token generator: it stops working
    once the password changes, or after PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(player.pk)),
            "token": default_token_generator.make_token(player),
        },
    )
    return f"{'https' if use_https else 'http'}://{domain}{path}"


def password_reset_mails_send(*, player_ids: list[int], domain: str, use_https: bool) -> int:
    """Send each player a reset link, if they can still use one (active, with a password
    and an email). Returns how many mails went out."""
    sent = 0
    for player in User.objects.filter(pk__in=player_ids, is_active=True).exclude(email=""):
        if not player.has_usable_password():
            continue
        context = {
            "player": player,
            "link": password_reset_link(player=player, domain=domain, use_https=use_https),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        subject = render_to_string("accounts/password_reset_subject.txt", context)
        body = render_to_string("accounts/password_reset_email.txt", context)
        message = EmailMultiAlternatives(
            " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [player.email]
        )
        message.send()
        sent += 1
    return sent
