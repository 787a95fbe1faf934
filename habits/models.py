import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from gameplay import rules


class HabitQuerySet(models.QuerySet):
    def active(self) -> "HabitQuerySet":
        return self.filter(deleted_at__isnull=True)


class Habit(models.Model):
    """A habit, daily (with rest days, perhaps) or N times a week: its schedule is fixed
    when it is created. Deleting one keeps its check-ins (and the points they earned) as
    history, so a habit is marked deleted rather than removed."""

    class Kind(models.TextChoices):
        DAILY = rules.DAILY
        WEEKLY = rules.WEEKLY

    player = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="habits"
    )
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DAILY)
    # ISO weekdays (1 = Monday) a daily habit rests on; empty for a weekly one.
    rest_days = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    # Check-ins a weekly habit asks for in each of the player's weeks; 0 for a daily one.
    weekly_target = models.PositiveSmallIntegerField(default=0)
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
        constraints = [
            # The rules' schedules only (gameplay.rules.schedule_refusal says why in words).
            models.CheckConstraint(
                condition=(
                    models.Q(kind=rules.DAILY, weekly_target=0)
                    | models.Q(
                        kind=rules.WEEKLY,
                        weekly_target__gte=rules.WEEKLY_TARGET_MIN,
                        weekly_target__lte=rules.WEEKLY_TARGET_MAX,
                        rest_days=[],
                    )
                ),
                name="habit_schedule_is_a_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule(self) -> rules.Schedule:
        return rules.Schedule(
            kind=self.kind, rest_days=frozenset(self.rest_days), target=self.weekly_target
        )


class CheckIn(models.Model):
    """One checked day of a habit, written by the flush (unique per habit and day)."""

    # No index of their own for the habit and the player: the unique (habit, day) and the
    # (player, day) index lead with them and serve every lookup; two indexes fewer are two
    # inserts fewer for every check-in flushed.
    habit = models.ForeignKey(
        Habit, on_delete=models.CASCADE, related_name="check_ins", db_index=False
    )
    # No constraint in the database (issue #10: it checked every row at COMMIT again): the
    # flush writes rows only of players it holds locked until COMMIT (pipeline/dropped.py),
    # the import only of its own player's habits, and the habit's constraint (kept) makes
    # the habit, and so its player, be there. The deletion's cascade is Django's.
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="check_ins",
        db_constraint=False,
        db_index=False,
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


class FrozenDay(models.Model):
    """A day of a daily habit a streak freeze was spent on, written by the flush; a check-in
    of that day later refunds the freeze and removes the row."""

    # No index of their own for the habit and the player, as for a check-in.
    habit = models.ForeignKey(
        Habit, on_delete=models.CASCADE, related_name="frozen_days", db_index=False
    )
    # No constraint in the database (issue #10: it checked every row at COMMIT again): the
    # flush writes rows only of players it holds locked until COMMIT (pipeline/dropped.py),
    # the import only of its own player's habits, and the habit's constraint (kept) makes
    # the habit, and so its player, be there. The deletion's cascade is Django's.
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="frozen_days",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()
    event_id = models.UUIDField(unique=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["habit", "day"], name="frozen_one_per_habit_day")
        ]
        indexes = [models.Index(fields=["player", "day"])]

    def __str__(self) -> str:
        return f"{self.habit_id} {self.day} (frozen)"
