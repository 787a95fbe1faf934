"""The log-in page (Django's, throttled)."""

from django.contrib.auth import views as auth_views

from accounts.forms import LoginForm
from accounts.throttles import throttled_response


class LoginView(auth_views.LoginView):
    """Django's log-in page; a throttled attempt answers 429 with the form's error."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def form_invalid(self, form):
        return throttled_response(super().form_invalid(form), form)
