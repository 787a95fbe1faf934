from django.contrib import admin

from gameplay.admin import WrittenByTheFlushAdmin
from sessions_app.models import FocusSession


@admin.register(FocusSession)
class FocusSessionAdmin(WrittenByTheFlushAdmin):
    list_display = (
        "player",
        "started_at",
        "planned_minutes",
        "status",
        "focused_seconds",
        "points_awarded",
    )
    list_filter = ("status",)
    search_fields = ("player__username",)
    list_select_related = ("player",)
    raw_id_fields = ("player", "habit")
