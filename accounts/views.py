"""The log-in page (Django's, throttled) and the password reset pages (Django's views, our
service and templates)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import views as auth_views
from django.db import transaction

from accounts.forms import LoginForm, PasswordResetRequestForm
from accounts.passwords import player_credentials_end
from accounts.throttles import throttled_response


class LoginView(auth_views.LoginView):
    """Django's log-in page; a throttled attempt answers 429 with the form's error."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def form_invalid(self, form):
        return throttled_response(super().form_invalid(form), form)


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for the email; the answer is the same page whether or not an account has it."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        return throttled_response(super().form_invalid(form), form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The mailed link's page: a new password, after which every token and browser session
    of the player ends (this browser's too, if it was logged in as them)."""

    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            player_credentials_end(player=form.user)
        if self.request.session.get(SESSION_KEY) == str(form.user.pk):
            # Its row is gone with the others: saving it again would fail the request.
            self.request.session.flush()
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
