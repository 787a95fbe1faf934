import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class HabitQuerySet(models.QuerySet):
    def active(self) -> "HabitQuerySet":
        return self.filter(deleted_at__isnull=True)


class Habit(models.Model):
    """A daily habit. Deleting one keeps its check-ins (and the points they earned) as
    history, so a habit is marked deleted rather than removed."""

    player = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="habits"
    )
    name = models.CharField(max_length=80)
    # Set by habit_create from its clock: the day's creation limit counts by it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Flushed projections of the check-ins (the live values are in Redis).
    check_in_count = models.PositiveIntegerField(default=0, editable=False)
    longest_streak = models.PositiveIntegerField(default=0, editable=False)

    objects = HabitQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["player", "deleted_at"])]

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """One checked day of a habit, written by the flush (unique per habit and day)."""

    habit = models.ForeignKey(Habit, on_delete=models.CASCADE, related_name="check_ins")
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_ins"
    )
    day = models.DateField()
    points_awarded = models.PositiveIntegerField()
    streak = models.PositiveIntegerField(help_text="streak_at(day) when it was checked")
    checked_at = models.DateTimeField()
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["habit", "day"], name="checkin_one_per_habit_day")
        ]
        indexes = [models.Index(fields=["player", "day"])]

    def __str__(self) -> str:
        return f"{self.habit_id} {self.day}"
