"""The dashboard's vacations card: the player's vacations, each with the button that takes
it back while it can be, and a form to add one; an htmx partial swapped in whole after each
change, its errors shown beside the form or the vacation. The views call the same services
as `/api/vacations` and count in the same throttle."""

import math
from datetime import date, datetime, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.player import player_of
from common import clock
from common.refusals import Missing, Refusal
from dashboard.partials import partial_login_required
from gameplay import rules
from vacations.services import vacation_add, vacation_take_back, vacations_list
from vacations.throttles import change_refused_for

# What the button of a vacation says, by what taking it back would do (none once over).
ACTIONS = {rules.VACATION_REMOVED: "Remove", rules.VACATION_ENDED: "End it today"}
MESSAGES = {
    rules.VACATION_REMOVED: "Removed the vacation.",
    rules.VACATION_ENDED: "Ended the vacation: from today your habits count again.",
}


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


class VacationForm(forms.Form):
    start = forms.DateField(input_formats=["%Y-%m-%d"])
    end = forms.DateField(input_formats=["%Y-%m-%d"])


def vacations_context(
    *, player: User, now: datetime, errors: dict | None = None, message: str = ""
) -> dict:
    """The player's vacations (live) with what each one's button does; `errors` maps a
    vacation id, or "new" (the form), to a message shown beside it."""
    errors = errors or {}
    today = player.actor.day(now)
    rows = []
    for vacation in vacations_list(player=player):
        cut, _ = rules.vacation_cut(vacation.start, vacation.end, today=today)
        under_way = vacation.start <= today <= vacation.end
        state = "now" if under_way else ("past" if cut == rules.VACATION_OVER else "coming")
        rows.append(
            {
                "vacation": vacation,
                "state": state,
                "action": ACTIONS.get(cut, ""),
                "error": errors.get(vacation.id, ""),
            }
        )
    return {
        "vacation_rows": rows,
        "vacation_new_error": errors.get("new", ""),
        "vacation_earliest": (today - timedelta(days=1)).isoformat(),
        "vacation_max_days": rules.VACATION_MAX_DAYS,
        "vacation_days_per_year": rules.VACATION_DAYS_PER_YEAR,
        "vacation_message": message,
    }


def _vacations(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    page = vacations_context(player=player_of(request), now=clock.now(), **context)
    page["partial"] = True
    return render(request, "dashboard/partials/vacations.html", page, status=status)


def _throttled(request: HttpRequest, where: str) -> HttpResponse | None:
    wait = change_refused_for(request)
    if wait is None:
        return None
    minutes = max(1, math.ceil(wait / 60))
    message = f"Too many changes: try again in {minutes} minute{'s' if minutes != 1 else ''}."
    response = _vacations(request, status=429, errors={where: message})
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


@require_http_methods(["GET", "POST"])
@partial_login_required
def vacation_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _vacations(request)
    form = VacationForm(request.POST)
    if not form.is_valid():
        field, problems = next(iter(form.errors.items()))
        label = {"start": "From", "end": "To"}.get(field, "")
        return _vacations(request, status=400, errors={"new": f"{label}: {problems[0]}"})
    throttled = _throttled(request, "new")
    if throttled is not None:
        return throttled
    try:
        added = vacation_add(player=player_of(request), now=clock.now(), **form.cleaned_data)
    except Refusal as refusal:
        return _vacations(request, status=refusal.status, errors={"new": refusal.message})
    vacation = added.vacation
    message = f"Vacation from {_day(vacation.start)} to {_day(vacation.end)} added."
    return _vacations(request, status=201 if added.created else 200, message=message)


@require_POST
@partial_login_required
def vacation_remove_view(request: HttpRequest, vacation_id) -> HttpResponse:
    throttled = _throttled(request, str(vacation_id))
    if throttled is not None:
        return throttled
    try:
        cut = vacation_take_back(
            player=player_of(request), vacation_id=str(vacation_id), now=clock.now()
        )
    except Missing:
        return _vacations(request, status=404, message="That vacation is not yours or is gone.")
    except Refusal as refusal:
        return _vacations(
            request, status=refusal.status, errors={str(vacation_id): refusal.message}
        )
    return _vacations(request, message=MESSAGES[cut])
