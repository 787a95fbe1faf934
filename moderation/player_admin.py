"""The players' pages moderators work in: the list, a player's history, the points
adjustment, hiding and deactivating."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.player import player_of
from accounts.selectors import player_has_played
from common import clock
from gameplay import live
from gameplay.admin import badge_title
from moderation import selectors, services
from moderation.forms import PointsAdjustForm

LEDGER_PAGE_SIZE = 50
RECENT_SESSIONS = 20
RECENT_CHECK_INS = 30


class PointsRangeFilter(admin.SimpleListFilter):
    title = "points (flushed)"
    parameter_name = "points"
    # (label, lowest, highest); None leaves that side open.
    RANGES = {
        "negative": ("below 0", None, -1),
        "0": ("0", 0, 0),
        "1-99": ("1 to 99", 1, 99),
        "100-999": ("100 to 999", 100, 999),
        "1000-9999": ("1,000 to 9,999", 1000, 9999),
        "10000+": ("10,000 or more", 10000, None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _low, _high) in self.RANGES.items()]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in self.RANGES:
            return queryset
        _label, low, high = self.RANGES[value]
        if low is not None:
            queryset = queryset.filter(points__gte=low)
        if high is not None:
            queryset = queryset.filter(points__lte=high)
        return queryset


@admin.register(User)
class PlayerAdmin(UserAdmin):
    """Players, for moderators: every change of points, visibility and activity goes
    through `moderation.services`, which move the live store with PostgreSQL and write
    the admin log; the form itself edits only the profile."""

    change_form_template = "moderation/player_change_form.html"
    list_display = (
        "username",
        "display_name",
        "email",
        "points",
        "hidden_from_leaderboards",
        "is_active",
        "date_joined",
    )
    list_filter = (
        "hidden_from_leaderboards",
        "is_active",
        PointsRangeFilter,
        "date_joined",
        "is_staff",
    )
    search_fields = ("username", "display_name", "email")
    # Points and the two moderation flags change only through the actions below, which
    # keep Redis in step; the form would write PostgreSQL alone.
    readonly_fields = (
        "points",
        "completed_sessions",
        "hidden_from_leaderboards",
        "is_active",
        "last_login",
        "date_joined",
    )
    # Only a superuser may grant powers; moderators see these fields but cannot change them.
    privilege_fields = ("is_staff", "is_superuser", "groups", "user_permissions")
    actions = ("hide_on_boards", "show_on_boards", "deactivate", "reactivate")

    fieldsets = (
        # Django's UserAdmin always has them; the stubs type any admin's as optional.
        *(UserAdmin.fieldsets or ()),
        (
            "Player",
            {
                "fields": (
                    "display_name",
                    "timezone",
                    "day_start_hour",
                    "hidden_from_leaderboards",
                    "points",
                    "completed_sessions",
                )
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            # Django's summary: the algorithm and masked salt and hash, beside the link
            # that sets a new password (superusers only).
            return fieldsets
        # A moderator never sees the stored hash, not even read-only (a read-only field
        # shows its raw value: algorithm, iterations, salt and hash).
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            fields = (*fields, *self.privilege_fields)
        return fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        # Staff accounts are for superusers to change (a moderator could otherwise take
        # over another moderator's account through its email).
        staff = obj is not None and (obj.is_staff or obj.is_superuser)
        return request.user.is_superuser or not staff

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A player who has played has events the flush may still be writing and a ledger
        # that must stay whole: deleting them would strand those events. Deactivate them
        # instead; the admin deletes only accounts that never played.
        if obj is not None and player_has_played(player=obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one account at a time, checked as above
        return actions

    def user_change_password(self, request: HttpRequest, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Only what the form changed: a full save would write back the points read at
        # the start of the request over what a flush added since.
        concrete = {f.name for f in obj._meta.concrete_fields}
        fields = [name for name in form.changed_data if name in concrete]
        if fields:
            obj.save(update_fields=fields)
        if "display_name" in fields:
            # Inside the admin's transaction: if Redis refuses, the change rolls back.
            live.player_name_set(player_id=obj.pk, name=obj.public_name)

    # --- The player page --------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/adjust/", view(self.adjust_view), name="accounts_user_adjust"),
            path(
                "<path:object_id>/visibility/",
                view(require_POST(self.visibility_view)),
                name="accounts_user_visibility",
            ),
            path(
                "<path:object_id>/active/",
                view(require_POST(self.active_view)),
                name="accounts_user_active",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        player = self.get_object(request, unquote(object_id))
        if player is not None and self.has_view_or_change_permission(request, player):
            extra_context = {**(extra_context or {}), **self._moderation_context(request, player)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _moderation_context(self, request: HttpRequest, player: User) -> dict:
        overview = selectors.player_overview(player=player, now=clock.now())
        ledger = Paginator(overview.ledger, LEDGER_PAGE_SIZE).get_page(
            request.GET.get("ledger_page")
        )
        return {
            "moderation": {
                "overview": overview,
                "can_moderate": self.has_change_permission(request, player)
                and player.pk != request.user.pk,
                "badges": [
                    {"title": badge_title(badge.code), "awarded_at": badge.awarded_at}
                    for badge in overview.badges
                ],
                "sessions": overview.sessions[:RECENT_SESSIONS],
                "sessions_count": overview.sessions.count(),
                "check_ins": overview.check_ins[:RECENT_CHECK_INS],
                "check_ins_count": overview.check_ins.count(),
                "ledger": ledger,
                "links": {
                    "sessions": reverse("admin:sessions_app_focussession_changelist")
                    + f"?player__id__exact={player.pk}",
                    "check_ins": reverse("admin:habits_checkin_changelist")
                    + f"?player__id__exact={player.pk}",
                    "adjust": reverse("admin:accounts_user_adjust", args=[player.pk]),
                    "visibility": reverse("admin:accounts_user_visibility", args=[player.pk]),
                    "active": reverse("admin:accounts_user_active", args=[player.pk]),
                },
            }
        }

    def _player_to_moderate(self, request: HttpRequest, object_id: str) -> User:
        player = self.get_object(request, unquote(object_id))
        if player is None:
            raise Http404("No such player.")
        if not self.has_change_permission(request, player):
            raise PermissionDenied
        return player

    def _back_to(self, player: User) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[player.pk]))

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        player = self._player_to_moderate(request, object_id)
        form = PointsAdjustForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                outcome = services.player_points_adjust(
                    moderator=player_of(request),
                    player=player,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    now=clock.now(),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                self.message_user(
                    request,
                    f"Adjusted {player}'s points by {form.cleaned_data['points']:+d}; "
                    f"live total {outcome.totals['points']}.",
                    messages.SUCCESS,
                )
                return self._back_to(player)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust points: {player}",
            "opts": self.opts,
            "original": player,
            "form": form,
            "live_points": live.player_snapshot(player_id=player.pk).points,
        }
        status = 400 if request.method == "POST" else 200
        return render(request, "moderation/adjust_points.html", context, status=status)

    def visibility_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        player = self._player_to_moderate(request, object_id)
        hidden = _flag(request, "hidden")
        if hidden is None:
            return HttpResponseBadRequest("hidden must be 0 or 1.")
        services.player_visibility_set(
            moderator=player_of(request), player=player, hidden=hidden, now=clock.now()
        )
        state = "hidden from" if hidden else "shown on"
        self.message_user(request, f"{player} is {state} the leaderboards.", messages.SUCCESS)
        return self._back_to(player)

    def active_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        player = self._player_to_moderate(request, object_id)
        active = _flag(request, "active")
        if active is None:
            return HttpResponseBadRequest("active must be 0 or 1.")
        services.player_active_set(moderator=player_of(request), player=player, active=active)
        state = "active again" if active else "deactivated"
        self.message_user(request, f"{player}'s account is {state}.", messages.SUCCESS)
        return self._back_to(player)

    # --- List actions -----------------------------------------------------------------------

    def _each(self, request, queryset, act, done: str) -> None:
        changed, refused = 0, []
        for player in queryset:
            if not self.has_change_permission(request, player) or player.pk == request.user.pk:
                refused.append(player.username)
                continue
            changed += act(player)
        self.message_user(request, f"{changed} players {done}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"Left alone (staff or yourself): {', '.join(refused)}.",
                messages.WARNING,
            )

    @admin.action(permissions=["change"], description="Hide from the leaderboards")
    def hide_on_boards(self, request, queryset) -> None:
        now = clock.now()
        self._each(
            request,
            queryset,
            lambda p: services.player_visibility_set(
                moderator=player_of(request), player=p, hidden=True, now=now
            ),
            "hidden from the leaderboards",
        )

    @admin.action(permissions=["change"], description="Show on the leaderboards")
    def show_on_boards(self, request, queryset) -> None:
        now = clock.now()
        self._each(
            request,
            queryset,
            lambda p: services.player_visibility_set(
                moderator=player_of(request), player=p, hidden=False, now=now
            ),
            "shown on the leaderboards",
        )

    @admin.action(permissions=["change"], description="Deactivate the accounts")
    def deactivate(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda p: services.player_active_set(
                moderator=player_of(request), player=p, active=False
            ),
            "deactivated",
        )

    @admin.action(permissions=["change"], description="Reactivate the accounts")
    def reactivate(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda p: services.player_active_set(
                moderator=player_of(request), player=p, active=True
            ),
            "reactivated",
        )


def _flag(request: HttpRequest, name: str) -> bool | None:
    value = request.POST.get(name)
    return None if value not in ("0", "1") else value == "1"
