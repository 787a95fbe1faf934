from django.conf import settings
from django.db import models


class CommunityDay(models.Model):
    """Everyone's totals for one UTC day: the hot row of a naive design, moved here only
    by the flush, once per batch."""

    day = models.DateField(primary_key=True)
    focus_minutes = models.BigIntegerField(default=0)
    sessions = models.PositiveIntegerField(default=0)
    active_players = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)


class CommunityActivity(models.Model):
    """Who was active on a UTC day, so that a player active in two batches counts once."""

    day = models.DateField()
    player = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name_plural = "community activity"
        constraints = [
            models.UniqueConstraint(fields=["day", "player"], name="community_activity_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.player_id}"
