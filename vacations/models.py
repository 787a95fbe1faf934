"""A player's vacations as the flush writes them (vacations/projections.py); the live
values are the live store's (`gameplay.keys.vacations`), which `rebuild_redis` restores
from these rows."""

import uuid

from django.conf import settings
from django.db import models


class Vacation(models.Model):
    """Local days on which every habit of the player is a skip day, `start` to `end`
    included. Its id is its `vacation_added` event's; a removed one is deleted, an ended
    one keeps its new `end`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vacations"
    )
    start = models.DateField()
    end = models.DateField()
    created_at = models.DateTimeField(help_text="when it was added (its first event)")

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["player", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="vacation_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"
