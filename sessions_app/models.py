import uuid

from django.conf import settings
from django.db import models


class FocusSession(models.Model):
    """A focus session. Its id is made by the server at the start (no database round trip),
    and the flush writes the row from the session's events."""

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"
        ABANDONED = "abandoned"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No constraint in the database: the flush, this table's only writer, writes rows only
    # of players it has locked until COMMIT (pipeline/dropped.py), so the check of every
    # row at COMMIT is not repeated (issue #10). The deletion's cascade is Django's. No
    # index of its own either: the (player, -started_at) index below serves every lookup
    # by player, and one index fewer is one insert fewer for every session flushed.
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="focus_sessions",
        db_constraint=False,
        db_index=False,
    )
    # A label for stats: the habit this focus time went to. Kept when the habit is deleted.
    habit = models.ForeignKey(
        "habits.Habit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    planned_minutes = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    focused_seconds = models.PositiveIntegerField(null=True, blank=True)
    points_awarded = models.PositiveIntegerField(default=0)
    # The first answer's totals and new badges ({points, weekly, new_badges}), so a repeated
    # completion answers it byte for byte after the live store's copy expired.
    answer = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["player", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.player_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    def first_answer(self) -> dict:
        """The answer the session's closing gave, as the live store keeps it."""
        result = {
            "id": str(self.pk),
            "status": self.status,
            "focused_seconds": self.focused_seconds or 0,
            "points_awarded": self.points_awarded,
        }
        if not self.answer:
            return {"result": result}
        badges = self.answer.get("new_badges")
        return {
            "result": result,
            "points": self.answer["points"],
            "weekly": self.answer["weekly"],
            # Redis's cjson encodes an empty list as {}.
            "new_badges": badges if isinstance(badges, list) else [],
        }
