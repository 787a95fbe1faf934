from django.contrib import admin

from leaderboard.models import CommunityActivity, CommunityDay


@admin.register(CommunityDay)
class CommunityDayAdmin(admin.ModelAdmin):
    list_display = ("day", "shard", "focus_minutes", "sessions", "active_players")


@admin.register(CommunityActivity)
class CommunityActivityAdmin(admin.ModelAdmin):
    list_display = ("day", "player")
    raw_id_fields = ("player",)
