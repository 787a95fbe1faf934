from django.contrib import admin

from focusquest.admin_base import ReadOnlyAdmin
from gameplay.models import Badge, LedgerEntry


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
    list_display = ("player", "code", "awarded_at")
    list_filter = ("code",)
    search_fields = ("player__username",)
    list_select_related = ("player",)
