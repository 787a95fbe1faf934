from django.contrib import admin

from habits.models import CheckIn, Habit


@admin.register(Habit)
class HabitAdmin(admin.ModelAdmin):
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


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("habit", "player", "day", "points_awarded", "streak")
    list_filter = ("day",)
    search_fields = ("player__username", "habit__name")
    list_select_related = ("habit", "player")
    raw_id_fields = ("habit", "player")
