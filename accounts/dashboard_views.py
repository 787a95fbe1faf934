"""The dashboard's htmx partials (the player card, the habits list) and what they show.

The views are thin: they check the owner, call the same services the JSON API calls and
render a partial. A habit action's answer carries an `HX-Trigger: fq-progress` header
with the award, so the player card refreshes and new badges are announced even while
the websocket is down (the page announces each badge and level once, whichever source
reports it first).
"""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from common import clock
from gameplay import keys, live, rules
from habits.models import Habit
from habits.services import (
    CheckInRefused,
    HabitLimitReached,
    habit_check_in,
    habit_create,
    habit_delete,
    habit_rename,
    habit_states,
)

PROGRESS_EVENT = "fq-progress"


class HabitNameForm(forms.Form):
    name = forms.CharField(min_length=1, max_length=80, strip=True)


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


# --- What the dashboard shows (selectors) ---------------------------------------------------


def player_card_context(*, player: User, now: datetime) -> dict:
    """Points, level and the way to the next, weekly points, both ranks, every badge."""
    snapshot = live.player_snapshot(player_id=player.pk, now=now)
    level_floor = rules.level_threshold(snapshot.level)
    level_span = snapshot.next_level_at - level_floor
    into_level = max(0, snapshot.points - level_floor)
    earned = dict(snapshot.badges)
    return {
        "points": snapshot.points,
        "level": snapshot.level,
        "next_level_at": snapshot.next_level_at,
        "level_points": into_level,
        "level_span": level_span,
        "level_percent": min(100, into_level * 100 // level_span),
        "points_to_next": snapshot.next_level_at - snapshot.points,
        "weekly_points": snapshot.weekly_points,
        "rank_all": snapshot.rank_all,
        "rank_week": snapshot.rank_week,
        "hidden": snapshot.hidden,
        "badges": [
            {
                "code": rule.code,
                "title": rule.title,
                "description": rule.description,
                "earned": rule.code in earned,
                "awarded_at": earned.get(rule.code),
            }
            for rule in rules.BADGE_RULES
        ],
    }


def habits_context(
    *, player: User, now: datetime, errors: dict | None = None, message: str = ""
) -> dict:
    """The player's habits with today's state.

    `errors` maps a habit id (or "new") to a message shown beside that habit's form;
    `message` is announced in the card's status line.
    """
    errors = errors or {}
    habits = list(Habit.objects.active().filter(player=player))
    states = habit_states(player=player, habits=habits, now=now)
    rows = []
    for habit in habits:
        state = states[habit.pk]
        # The streak counts back from today when today is checked, else from yesterday.
        yesterday_checked = state.current_streak >= (2 if state.checked_today else 1)
        rows.append(
            {
                "habit": habit,
                "state": state,
                "yesterday_checked": yesterday_checked,
                "error": errors.get(habit.pk, ""),
            }
        )
    return {"habit_rows": rows, "habit_new_error": errors.get("new", ""), "habit_message": message}


def running_session(*, player_id: int, now: datetime) -> dict | None:
    """The player's running session as the live store recorded it, or None.

    The page adopts it when the browser has no timer of its own for it (another device,
    cleared storage); the timer then counts from the server's start, with no pauses.
    `elapsed_seconds` lets it do so without trusting the browser's clock to match ours.
    """
    data = live.client().hgetall(keys.running_session(player_id))
    if not data or b"sid" not in data:
        return None
    started_at = live.from_micros(data[b"started"].decode())
    if rules.session_expired(started_at=started_at, now=now):
        return None
    return {
        "id": data[b"sid"].decode(),
        "started_at": started_at.isoformat(),
        "elapsed_seconds": (now - started_at).total_seconds(),
        "planned_minutes": int(data[b"planned"]),
    }


# --- Partials -------------------------------------------------------------------------------


def _habits(
    request: HttpRequest, *, status: int = 200, errors=None, message: str = "", award=None
) -> HttpResponse:
    context = habits_context(player=request.user, now=clock.now(), errors=errors, message=message)
    context["partial"] = True
    response = render(request, "partials/habits.html", context, status=status)
    if award is not None:
        response["HX-Trigger"] = json.dumps({PROGRESS_EVENT: award})
    return response


def _own_habit(request: HttpRequest, habit_id: int) -> Habit:
    # Another player's habit answers 404, exactly as a missing one.
    return get_object_or_404(Habit.objects.active(), pk=habit_id, player=request.user)


@require_GET
@partial_login_required
def player_card(request: HttpRequest) -> HttpResponse:
    context = player_card_context(player=request.user, now=clock.now())
    return render(request, "partials/player_card.html", context)


@require_http_methods(["GET", "POST"])
@partial_login_required
def habit_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _habits(request)
    form = HabitNameForm(request.POST)
    if not form.is_valid():
        return _habits(request, status=400, errors={"new": form.errors["name"][0]})
    try:
        habit = habit_create(player=request.user, name=form.cleaned_data["name"], now=clock.now())
    except HabitLimitReached as refusal:
        return _habits(request, status=400, errors={"new": str(refusal)})
    return _habits(request, status=201, message=f"Added “{habit.name}”.")


@require_POST
@partial_login_required
def habit_rename_view(request: HttpRequest, habit_id: int) -> HttpResponse:
    habit = _own_habit(request, habit_id)
    form = HabitNameForm(request.POST)
    if not form.is_valid():
        return _habits(request, status=400, errors={habit.pk: form.errors["name"][0]})
    old_name = habit.name
    habit = habit_rename(habit=habit, name=form.cleaned_data["name"])
    return _habits(request, message=f"Renamed “{old_name}” to “{habit.name}”.")


@require_POST
@partial_login_required
def habit_delete_view(request: HttpRequest, habit_id: int) -> HttpResponse:
    habit = _own_habit(request, habit_id)
    habit_delete(habit=habit, now=clock.now())
    return _habits(request, message=f"Deleted “{habit.name}”; its points stay.")


@require_POST
@partial_login_required
def habit_check_in_view(request: HttpRequest, habit_id: int) -> HttpResponse:
    habit = _own_habit(request, habit_id)
    which = request.POST.get("day", "today")
    if which not in ("today", "yesterday"):
        return _habits(request, status=400, errors={habit.pk: "Check in for today or yesterday."})
    now = clock.now()
    today = request.user.actor.day(now)
    day = today if which == "today" else today - timedelta(days=1)
    try:
        result = habit_check_in(player=request.user, habit=habit, day=day, now=now)
    except CheckInRefused as refusal:
        return _habits(request, status=400, errors={habit.pk: str(refusal)})
    award = {"points_awarded": result.points_awarded, "new_badges": result.new_badges}
    if result.created:
        award["points"] = result.totals["points"]
        award["level"] = rules.level_for(result.totals["points"])
        message = (
            f"Checked in “{habit.name}” for {which}: +{result.points_awarded} points, "
            f"{result.current_streak}-day streak."
        )
    else:
        message = f"“{habit.name}” was already checked in for {which}."
    return _habits(request, status=201 if result.created else 200, message=message, award=award)
