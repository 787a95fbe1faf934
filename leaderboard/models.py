from django.conf import settings
from django.db import models


class CommunityDayQuerySet(models.QuerySet):
    def totals(self, day) -> dict[str, int]:
        """The UTC day's totals: the sum of its shards' rows."""
        sums = self.filter(day=day).aggregate(
            focus_minutes=models.Sum("focus_minutes"),
            sessions=models.Sum("sessions"),
            active_players=models.Sum("active_players"),
        )
        return {name: int(value or 0) for name, value in sums.items()}


class CommunityDay(models.Model):
    """Everyone's totals for one UTC day in one live-store shard: the hot row of a naive
    design, moved here only by the flush, once per batch, and split by shard so that the
    flushers of different shards never write the same row (reads sum the day's rows)."""

    day = models.DateField()
    shard = models.PositiveIntegerField(default=0)
    focus_minutes = models.BigIntegerField(default=0)
    sessions = models.PositiveIntegerField(default=0)
    active_players = models.PositiveIntegerField(default=0)
    # Of `active_players`, those whose account has been deleted since: their activity rows
    # went with them, the count they made stays (accounts.deletion, leaderboard.signals).
    departed = models.PositiveIntegerField(default=0, db_default=0)

    objects = CommunityDayQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "shard"]
        constraints = [
            models.UniqueConstraint(fields=["day", "shard"], name="community_day_shard_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} shard {self.shard}"


class CommunityActivity(models.Model):
    """Who was active on a UTC day, so that a player active in two batches counts once."""

    day = models.DateField()
    # No constraint in the database: the flush, this table's only writer, writes rows only
    # of players it has locked until COMMIT (pipeline/dropped.py), so the check of every
    # row at COMMIT is not repeated (issue #10). The deletion's cascade is Django's.
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        verbose_name_plural = "community activity"
        constraints = [
            models.UniqueConstraint(fields=["day", "player"], name="community_activity_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.player_id}"
