"""Admin pages for moderation: the fair-play queue, the flush, and the admin log; the
players' pages are moderation/player_admin.py, registered from here."""

from datetime import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.player import player_of
from common import clock
from common.admin_base import ReadOnlyAdmin
from moderation import (
    fairplay,
    player_admin,  # noqa: F401  (registers the players' pages)
    selectors,
    services,
)
from moderation.models import FairPlayDismissal, PendingEvents
from pipeline import flush


class PageAdmin(ReadOnlyAdmin):
    """An admin page on a model's changelist URL, with no add, change or delete."""

    def page(self, request: HttpRequest, template: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                # Django always fills it in (from verbose_name); the stubs type it optional.
                "title": str(self.opts.verbose_name_plural).capitalize(),
                **context,
            },
        )


@admin.register(FairPlayDismissal)
class FairPlayQueueAdmin(PageAdmin):
    """The queue of players whose recent activity looks implausible, with the evidence;
    a moderator dismisses a flag or hides the player."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dismiss/", view(require_POST(self.dismiss_view)), name="moderation_dismiss"),
            path("hide/", view(require_POST(self.hide_view)), name="moderation_hide"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = clock.now()
        return self.page(
            request,
            "moderation/fairplay_queue.html",
            queue=selectors.fairplay_queue(now=now),
            limits=selectors.thresholds(),
            window_days=settings.FAIRPLAY_WINDOW_DAYS,
            can_dismiss=request.user.has_perm("moderation.add_fairplaydismissal"),
            can_hide=request.user.has_perm("accounts.change_user"),
            recent=FairPlayDismissal.objects.select_related("player", "dismissed_by")[:20],
        )

    def _queue(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:moderation_fairplaydismissal_changelist"))

    def dismiss_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("moderation.add_fairplaydismissal"):
            raise PermissionDenied
        rule = request.POST.get("rule", "")
        try:
            seen_through = datetime.fromisoformat(request.POST.get("seen_through", ""))
        except ValueError:
            seen_through = None
        if rule not in fairplay.RULE_TITLES or seen_through is None:
            return HttpResponseBadRequest("Name a rule and the evidence time the queue showed.")
        player = get_object_or_404(User, pk=request.POST.get("player"))
        try:
            services.fairplay_flag_dismiss(
                moderator=player_of(request),
                player=player,
                rule=rule,
                seen_through=seen_through,
                now=clock.now(),
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.WARNING)
        else:
            self.message_user(
                request, f"Dismissed “{fairplay.RULE_TITLES[rule]}” for {player}.", messages.SUCCESS
            )
        return self._queue()

    def hide_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("accounts.change_user"):
            raise PermissionDenied
        player = get_object_or_404(User, pk=request.POST.get("player"))
        services.player_visibility_set(
            moderator=player_of(request), player=player, hidden=True, now=clock.now()
        )
        self.message_user(request, f"{player} is hidden from the leaderboards.", messages.SUCCESS)
        return self._queue()


@admin.register(PendingEvents)
class FlushAdmin(PageAdmin):
    """The flush at a glance (backlog, oldest pending event, last flush) and a button
    that flushes now."""

    def get_urls(self):
        # The page only: the model has no table behind the usual object URLs.
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="moderation_pendingevents_changelist",
            )
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        can_flush = request.user.has_perm("moderation.flush_now")
        if request.method == "POST":
            if not can_flush:
                raise PermissionDenied
            report = services.flush_now(moderator=player_of(request))
            left = flush.backlog()["pending"]
            done = (
                f"Flushed {report.events} events for {report.players} players"
                if report.events
                else "Nothing was pending: the flush wrote nothing"
            )
            self.message_user(
                request, done + (f"; {left} still pending." if left else "."), messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:moderation_pendingevents_changelist"))
        return self.page(
            request, "moderation/flush.html", backlog=flush.backlog(), can_flush=can_flush
        )


@admin.register(LogEntry)
class LogEntryAdmin(PageAdmin):
    """Django's admin log, read-only: every moderator action is recorded here."""

    list_display = ("action_time", "user", "content_type", "object_repr", "message")
    list_filter = ("action_flag", "content_type")
    search_fields = ("object_repr", "change_message", "user__username")
    list_select_related = ("user", "content_type")
    date_hierarchy = "action_time"

    @admin.display(description="message")
    def message(self, entry: LogEntry) -> str:
        return entry.get_change_message()
