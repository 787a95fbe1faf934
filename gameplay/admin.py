from django.contrib import admin

from common.admin_base import ReadOnlyAdmin
from gameplay import rules
from gameplay.models import Badge, LedgerEntry

BADGE_TITLES = {rule.code: rule.title for rule in rules.BADGE_RULES}


def badge_title(code: str) -> str:
    """A badge's name as players see it (a code the rules no longer know shows as is)."""
    return BADGE_TITLES.get(code, code)


class BadgeFilter(admin.SimpleListFilter):
    title = "badge"
    parameter_name = "code"

    def lookups(self, request, model_admin):
        return list(BADGE_TITLES.items())

    def queryset(self, request, queryset):
        return queryset.filter(code=self.value()) if self.value() else queryset


class WrittenByTheFlushAdmin(ReadOnlyAdmin):
    """Rows only the flush writes, from events the live store recorded: an edit here
    would leave Redis (and the ledger sums) behind, so nobody makes one, superusers
    included. Moderators change points through the adjustment, which is an event."""


@admin.register(LedgerEntry)
class LedgerEntryAdmin(WrittenByTheFlushAdmin):
    """The ledger is append-only."""

    list_display = ("occurred_at", "player", "kind", "points", "moderator", "reason")
    list_filter = ("kind", "occurred_at")
    search_fields = ("player__username", "player__email", "event_id", "reason")
    list_select_related = ("player", "moderator")
    date_hierarchy = "occurred_at"


@admin.register(Badge)
class BadgeAdmin(WrittenByTheFlushAdmin):
    list_display = ("player", "badge", "awarded_at")
    list_filter = (BadgeFilter,)
    search_fields = ("player__username",)
    list_select_related = ("player",)

    @admin.display(description="badge", ordering="code")
    def badge(self, obj: Badge) -> str:
        return badge_title(obj.code)
