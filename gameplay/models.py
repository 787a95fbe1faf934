from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models.functions import Now

from gameplay.events import EventKind


class LedgerEntry(models.Model):
    """The append-only event log: every gamified event the flush has written, once.

    The unique `event_id` is what makes a replayed batch insert nothing, and the sum of
    a player's `points` here is their total.
    """

    # An entry's kind is its event's: the kinds are written once, in gameplay.events.
    # Django's functional API takes (name, value) pairs; the stubs know only a string of names.
    Kind = models.TextChoices(  # type: ignore[call-overload]
        "Kind", [(kind.name, kind.value) for kind in EventKind]
    )

    event_id = models.UUIDField(unique=True)
    # Every index is written by every event the flush inserts, so there are only those the
    # reads need: (player, occurred_at) serves the player's own lookups, hence no index
    # of the foreign key alone.
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    points = models.IntegerField()
    occurred_at = models.DateTimeField()
    # The player's local day of the action (their time zone and day start at the time).
    day = models.DateField()
    focus_seconds = models.PositiveIntegerField(default=0)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the partial index below: only adjustments have a moderator
    )
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict)
    recorded_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["player", "occurred_at"]),
            models.Index(fields=["player", "day"]),
            models.Index(
                fields=["moderator"],
                condition=models.Q(moderator__isnull=False),
                name="ledger_moderator_idx",
            ),
            # The fair-play queue reads a recent window of everyone's events. The ledger
            # is appended in (nearly) time order, so a block-range index finds the window
            # at almost no cost to each insert.
            BrinIndex(fields=["occurred_at"], name="ledger_occurred_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d} for {self.player_id}"


class Badge(models.Model):
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges"
    )
    code = models.CharField(max_length=32)
    awarded_at = models.DateTimeField()
    event_id = models.UUIDField()

    class Meta:
        ordering = ["awarded_at"]
        constraints = [models.UniqueConstraint(fields=["player", "code"], name="badge_once")]

    def __str__(self) -> str:
        return f"{self.code} for {self.player_id}"


class DiscardedEvent(models.Model):
    """An event PostgreSQL refused that an operator chose to drop: the audit of what a
    player lost, who decided it and why (`manage.py dead_letters discard`)."""

    event_id = models.UUIDField(null=True)
    payload = models.JSONField()
    error = models.TextField()
    reason = models.TextField()
    discarded_by = models.CharField(max_length=150)
    discarded_at = models.DateTimeField()

    class Meta:
        ordering = ["-discarded_at"]

    def __str__(self) -> str:
        return f"{self.event_id} discarded by {self.discarded_by}"
