"""The admin site moderators use: FocusQuest's name on it, and its log-in throttled like
the log-in page (accounts/throttles.py)."""

from django.contrib import admin

from accounts.forms import AdminLoginForm
from accounts.throttles import form_of, throttled_response


class ModerationSite(admin.AdminSite):
    site_header = "FocusQuest moderation"
    site_title = "FocusQuest moderation"
    index_title = "Players, fair play and the flush"
    login_form = AdminLoginForm

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        return throttled_response(response, form_of(response))
