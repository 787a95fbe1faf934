"""What an import remembers: which habit of the player each imported habit became, by its
import key, so that importing the same file again adds nothing to it."""

from django.conf import settings
from django.db import models

from habits.models import Habit


class ImportedHabit(models.Model):
    """A habit an import made (or matched), named by its key: the source and the habit's
    identity there, e.g. `focusquest:<player id>:<habit id>` for a FocusQuest export or
    `loop:<name>|<numerator>/<denominator>` for a Loop Habit Tracker one."""

    habit = models.OneToOneField(Habit, on_delete=models.CASCADE, related_name="+")
    player = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player", "key"], name="imported_habit_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} -> {self.habit_id}"
