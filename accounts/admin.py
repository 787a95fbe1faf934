from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User


@admin.register(User)
class PlayerAdmin(UserAdmin):
    list_display = (
        "username",
        "display_name",
        "email",
        "points",
        "hidden_from_leaderboards",
        "is_active",
        "date_joined",
    )
    list_filter = ("hidden_from_leaderboards", "is_active", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "email")
    readonly_fields = ("points", "completed_sessions", "last_login", "date_joined")
    # Only a superuser may grant powers; moderators see these fields but cannot change them.
    privilege_fields = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            fields = (*fields, *self.privilege_fields, "password")
        return fields

    fieldsets = (
        *UserAdmin.fieldsets,
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
