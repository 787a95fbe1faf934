from django.contrib import admin
from django.http import HttpRequest

from gameplay.models import Badge, LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """The ledger is append-only: nobody edits or deletes it here, superusers included."""

    list_display = ("occurred_at", "player", "kind", "points", "moderator", "reason")
    list_filter = ("kind",)
    search_fields = ("player__username", "event_id")
    list_select_related = ("player", "moderator")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ("player", "code", "awarded_at")
    list_filter = ("code",)
    search_fields = ("player__username",)
    raw_id_fields = ("player",)
