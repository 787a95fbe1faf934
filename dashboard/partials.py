"""The dashboard's htmx partials: the player card and the habits list (dashboard/selectors.py
reads what they show).

The views are thin: they check the owner, call the same services the JSON API calls and
render a partial. A habit action's answer carries an `HX-Trigger: fq-progress` header
with the award, so the player card refreshes and new badges are announced even while
the websocket is down (the page announces each badge and level once, whichever source
reports it first).
"""

import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import cast

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.player import player_of
from common import clock
from dashboard.selectors import WEEKDAYS, habits_context, player_card_context
from gameplay import rules
from habits.models import Habit
from habits.selectors import habit_owned_active
from habits.services import (
    CheckInRefused,
    HabitLimitReached,
    habit_check_in,
    habit_create,
    habit_delete,
    habit_rename,
)

PROGRESS_EVENT = "fq-progress"


class HabitNameForm(forms.Form):
    name = forms.CharField(min_length=1, max_length=80, strip=True)


class HabitNewForm(HabitNameForm):
    """A name and a schedule. The form sends the fields of both kinds (the page hides the
    other kind's), so only the chosen kind's are read; whether they make a schedule is
    `rules.schedule_refusal`'s to say, as for the API."""

    kind = forms.ChoiceField(choices=Habit.Kind.choices, required=False)
    rest_days = forms.TypedMultipleChoiceField(choices=WEEKDAYS, coerce=int, required=False)
    target = forms.IntegerField(required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        kind = data.get("kind") or rules.DAILY
        rest_days = (data.get("rest_days") or []) if kind == rules.DAILY else []
        target = (data.get("target") or 0) if kind == rules.WEEKLY else 0
        refusal = rules.schedule_refusal(kind, rest_days, target)
        if refusal:
            self.add_error(None, refusal)
        else:
            data["schedule"] = rules.Schedule(
                kind=kind, rest_days=frozenset(rest_days), target=target
            )
        return data

    def refusals(self) -> dict:
        """The first error of the name ("new") and of the schedule ("schedule")."""
        errors: dict[str, str] = {}
        for field_, messages in self.errors.items():
            which = "new" if field_ == "name" else "schedule"
            errors.setdefault(which, str(messages[0]))
        return errors

    def sent(self) -> dict:
        """What the form shows again after a refusal, as the player left it."""
        data = cast(QueryDict, self.data)
        return {
            "name": data.get("name", ""),
            "kind": data.get("kind") or rules.DAILY,
            "rest_days": [int(d) for d in data.getlist("rest_days") if d.isdigit()],
            "target": int(t) if (t := data.get("target", "")).isdigit() else 0,
        }


def partial_login_required(view: Callable) -> Callable:
    """Like login_required, but an htmx request is sent to the login page as a whole
    page (HX-Redirect) instead of having the login form swapped into a card."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{reverse('login')}?next={reverse('dashboard')}"
            return response
        return redirect_to_login(request.get_full_path())

    return wrapper


# --- Partials -------------------------------------------------------------------------------


def _context(request: HttpRequest, **kwargs) -> dict:
    context = habits_context(player=player_of(request), now=clock.now(), **kwargs)
    context["partial"] = True
    return context


def _render(request: HttpRequest, context: dict, *, status: int = 200, award=None) -> HttpResponse:
    response = render(request, "dashboard/partials/habits.html", context, status=status)
    if award is not None:
        response["HX-Trigger"] = json.dumps({PROGRESS_EVENT: award})
    return response


def _habits(
    request: HttpRequest, *, status: int = 200, errors=None, message: str = "", award=None
) -> HttpResponse:
    context = _context(request, errors=errors, message=message)
    return _render(request, context, status=status, award=award)


@require_GET
@partial_login_required
def player_card(request: HttpRequest) -> HttpResponse:
    context = player_card_context(player=player_of(request), now=clock.now())
    return render(request, "dashboard/partials/player_card.html", context)


@require_http_methods(["GET", "POST"])
@partial_login_required
def habit_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _habits(request)
    form = HabitNewForm(request.POST)
    if not form.is_valid():
        context = _context(request, errors=form.refusals(), new=form.sent())
        return _render(request, context, status=400)
    try:
        habit = habit_create(
            player=player_of(request),
            name=form.cleaned_data["name"],
            schedule=form.cleaned_data["schedule"],
            now=clock.now(),
        )
    except HabitLimitReached as refusal:
        context = _context(request, errors={"new": str(refusal)}, new=form.sent())
        return _render(request, context, status=400)
    return _habits(request, status=201, message=f"Added “{habit.name}”.")


@require_POST
@partial_login_required
def habit_rename_view(request: HttpRequest, habit_id: int) -> HttpResponse:
    habit = habit_owned_active(player=player_of(request), habit_id=habit_id)
    form = HabitNameForm(request.POST)
    if not form.is_valid():
        return _habits(request, status=400, errors={habit.pk: form.errors["name"][0]})
    old_name = habit.name
    habit = habit_rename(habit=habit, name=form.cleaned_data["name"])
    return _habits(request, message=f"Renamed “{old_name}” to “{habit.name}”.")


@require_POST
@partial_login_required
def habit_delete_view(request: HttpRequest, habit_id: int) -> HttpResponse:
    habit = habit_owned_active(player=player_of(request), habit_id=habit_id)
    habit_delete(habit=habit, now=clock.now())
    return _habits(request, message=f"Deleted “{habit.name}”; its points stay.")


@require_POST
@partial_login_required
def habit_check_in_view(request: HttpRequest, habit_id: int) -> HttpResponse:
    player = player_of(request)
    habit = habit_owned_active(player=player, habit_id=habit_id)
    which = request.POST.get("day", "today")
    if which not in ("today", "yesterday"):
        return _habits(request, status=400, errors={habit.pk: "Check in for today or yesterday."})
    now = clock.now()
    today = player.actor.day(now)
    day = today if which == "today" else today - timedelta(days=1)
    try:
        result = habit_check_in(player=player, habit=habit, day=day, now=now)
    except CheckInRefused as refusal:
        return _habits(request, status=400, errors={habit.pk: str(refusal)})
    award = {"points_awarded": result.points_awarded, "new_badges": result.new_badges}
    context = _context(request)
    if result.created:
        award["points"] = result.totals["points"]
        award["level"] = rules.level_for(result.totals["points"])
        context["habit_message"] = (
            f"Checked in “{habit.name}” for {which}: +{result.points_awarded} points, "
            f"{_progress(habit, context)}."
        )
    else:
        context["habit_message"] = f"“{habit.name}” was already checked in for {which}."
    return _render(request, context, status=201 if result.created else 200, award=award)


def _progress(habit: Habit, context: dict) -> str:
    """How the habit stands after a check-in, as its row shows it: "3-day streak", or
    "2/3 this week" for a weekly habit (whose week streak grows only once a week)."""
    state = next(row["state"] for row in context["habit_rows"] if row["habit"].pk == habit.pk)
    if state.this_week is not None:
        return f"{state.this_week['done']}/{state.this_week['target']} this week"
    return f"{state.current_streak}-day streak"
