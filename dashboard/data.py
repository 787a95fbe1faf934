"""The settings page's export and import. The download is `GET /api/me/export` itself (the
browser's session is its credential). The upload is a form of this page's own, posted by
htmx or plainly: it calls the one service `POST /api/me/import` calls, under the same cap
on the upload's size, and answers with the section, a sentence saying what was imported or
why nothing was, where the API would answer JSON."""

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accountdata.services import account_import
from accountdata.uploads import UploadTooLarge, cap_upload
from accounts.player import player_of
from common import clock
from common.refusals import Refusal
from dashboard.partials import partial_login_required
from dashboard.settings_page import page_context
from pipeline.player_flush import ShardBusy

BUSY = "Your latest actions are still on their way to your history; try again in a moment."
NO_FILE = "Choose the ZIP file to import."


def _section(
    request: HttpRequest, *, message: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    """The section alone for htmx; the whole settings page for a plain post."""
    context: dict[str, object] = {"import_message": message, "import_error": error}
    if request.headers.get("HX-Request"):
        template, context = "dashboard/settings/_data.html", {**context, "partial": True}
    else:
        template, context = (
            "dashboard/settings.html",
            {**page_context(player_of(request)), **context},
        )
    return render(request, template, context, status=status)


def _imported(habits: int, check_ins: int) -> str:
    made = f"{habits} new habit{'' if habits == 1 else 's'}"
    added = f"{check_ins} check-in{'' if check_ins == 1 else 's'}"
    if not habits and not check_ins:
        return "Nothing new: everything in this file is here already."
    return f"Imported {made} and {added}. Your streaks count them from your next check-in."


def _checked_view(request: HttpRequest) -> HttpResponse:
    """What the CSRF check is told it guards: a view that is not exempt."""
    return HttpResponse()


_csrf_check = CsrfViewMiddleware(_checked_view)


@csrf_exempt  # checked in the view, after the cap: the check reads the whole form
@require_POST
@partial_login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    try:
        cap_upload(request)
        refused = _csrf_check.process_view(request, _checked_view, (), {})
    except UploadTooLarge as exc:
        return _section(request, error=str(exc.detail), status=413)
    if refused is not None:
        return _section(request, error="Reload the page and try again.", status=403)
    upload = request.FILES.get("file")
    if upload is None:
        return _section(request, error=NO_FILE, status=400)
    try:
        done = account_import(player=player_of(request), upload=upload, now=clock.now())
    except ShardBusy:
        return _section(request, error=BUSY, status=503)
    except Refusal as exc:
        return _section(request, error=exc.message, status=exc.status)
    return _section(request, message=_imported(done.habits, done.check_ins))
