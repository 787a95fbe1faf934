"""The settings page's account deletion: a form asking for the password, posted plainly
(it works without scripts) or by htmx (a wrong password is then shown in place). It calls
the one service `DELETE /api/me` calls, then logs the browser out and sends it to the
landing page with a message. The settings page includes the form
(`dashboard/settings/_delete.html`); GET shows it on a page of its own too."""

import math

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.player import player_of
from accounts.services import player_delete
from accounts.throttles import attempt_refused_for, too_many_attempts
from common.refusals import Refusal
from dashboard.partials import partial_login_required

DELETED = "Your account and everything in it have been deleted. Thank you for playing."


def _form(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    if request.headers.get("HX-Request"):
        context = {"delete_error": error, "partial": True}
        return render(request, "dashboard/settings/_delete.html", context, status=status)
    return render(request, "dashboard/account_delete.html", {"delete_error": error}, status=status)


@partial_login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form(request)
    wait = attempt_refused_for(request)  # like a log-in: per address and the player's name
    if wait is not None:
        response = _form(request, error=too_many_attempts(wait), status=429)
        response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    try:
        player_delete(player=player_of(request), password=request.POST.get("password", ""))
    except Refusal as refusal:
        return _form(request, error=refusal.message, status=400)
    logout(request)
    messages.success(request, DELETED)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("landing")
        return response
    return redirect("landing")
