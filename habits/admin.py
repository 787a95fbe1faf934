from django.contrib import admin

from gameplay.admin import WrittenByTheFlushAdmin
from habits.models import CheckIn, Habit


@admin.register(Habit)
class HabitAdmin(admin.ModelAdmin):
    readonly_fields = ("check_in_count", "longest_streak", "created_at", "deleted_at")
    list_display = (
        "name",
        "player",
        "check_in_count",
        "longest_streak",
        "created_at",
        "deleted_at",
    )
    search_fields = ("name", "player__username")
    list_select_related = ("player",)
    raw_id_fields = ("player",)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting here would take the check-ins, and the points they earned, with it
        # behind the live store's back; players delete habits in the app (kept as history).
        return False


@admin.register(CheckIn)
class CheckInAdmin(WrittenByTheFlushAdmin):
    list_display = ("habit", "player", "day", "points_awarded", "streak")
    list_filter = ("day",)
    search_fields = ("player__username", "habit__name")
    list_select_related = ("habit", "player")
    raw_id_fields = ("habit", "player")
