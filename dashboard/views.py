"""The pages: the landing page, sign-up, and the dashboard players land on."""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from redis.exceptions import RedisError

from accounts.forms import SignupForm
from accounts.player import player_of
from accounts.services import player_register
from accounts.throttles import throttled_response
from common import clock
from dashboard.selectors import habits_context, player_card_context, running_session
from dashboard.vacations import vacations_context
from gameplay import rules
from leaderboard.selectors import board_payload, community_payload, me_message

TIMER_PRESETS = (25, 50, 90)


def landing(request: HttpRequest) -> HttpResponse:
    try:
        community = community_payload()
    except RedisError:
        # The landing page stays up without Redis; its script retries the counters.
        community = None
    return render(request, "dashboard/landing.html", {"community": community})


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            player, _token = player_register(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data.get("email") or "",
                display_name=form.cleaned_data.get("display_name") or "",
                timezone=form.cleaned_data["timezone"],
                day_start_hour=form.cleaned_data["day_start_hour"],
            )
        login(request, player, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("dashboard")
    return throttled_response(render(request, "dashboard/signup.html", {"form": form}), form)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    player, now = player_of(request), clock.now()
    card = player_card_context(player=player, now=now)
    # What the page's scripts start from; the websocket keeps it current afterwards.
    page_data = {
        "playerId": player.pk,
        "level": card["level"],
        "earnedBadges": [badge["code"] for badge in card["badges"] if badge["earned"]],
        "badgeTitles": {rule.code: rule.title for rule in rules.BADGE_RULES},
        "boards": {
            board: board_payload(board=board, limit=10, me_id=player.pk)
            for board in ("all", "week")
        },
        "me": me_message(
            points=card["points"],
            weekly_points=card["weekly_points"],
            rank_all=card["rank_all"],
            rank_week=card["rank_week"],
        ),
        "running": running_session(player_id=player.pk, now=now),
        "flushSeconds": settings.FLUSH_INTERVAL_SECONDS,
        "fullBonus": rules.FULL_SESSION_BONUS,
        "shortSeconds": rules.SHORT_SESSION_SECONDS,
    }
    context = {
        **card,
        **habits_context(player=player, now=now),
        **vacations_context(player=player, now=now),
        "community": community_payload(),
        "presets": TIMER_PRESETS,
        "minutes_min": rules.PLANNED_MINUTES_MIN,
        "minutes_max": rules.PLANNED_MINUTES_MAX,
        "full_bonus": rules.FULL_SESSION_BONUS,
        "short_minutes": rules.SHORT_SESSION_SECONDS // 60,
        "page_data": page_data,
    }
    return render(request, "dashboard/dashboard.html", context)
