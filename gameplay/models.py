from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models

from gameplay.events import EventKind


class LedgerEntry(models.Model):
    """The append-only event log: every gamified event the flush has written, once.

    The table is partitioned by month of `occurred_at` (migration 0005, gameplay.partitions),
    which Django cannot express: the model describes the columns Django reads, and the
    migrations keep its state and the table in step. The database's primary key is
    (event_id, occurred_at), since a key of a partitioned table must hold the partition
    key; Django's `pk` is `event_id`, unique all the same, because an event id is made
    with its event's moment (a time-ordered UUIDv7, gameplay.eventids) and a replayed
    event carries both unchanged. So the key is still the door a replayed batch cannot
    pass, and the sum of a player's `points` here is their total.
    """

    # An entry's kind is its event's: the kinds are written once, in gameplay.events.
    # Django's functional API takes (name, value) pairs; the stubs know only a string of names.
    Kind = models.TextChoices(  # type: ignore[call-overload]
        "Kind", [(kind.name, kind.value) for kind in EventKind]
    )

    event_id = models.UUIDField(primary_key=True)
    # Every index is written by every event the flush inserts, so there are only those the
    # reads need: (player, day) serves the player's own lookups (their stats by day, their
    # history page), hence no index of the foreign key alone nor of (player, occurred_at).
    # A deleted player's rows go with them (accounts.deletion): nothing of them remains.
    # No constraint in the database: the flush, the only writer, inserts no event of a
    # player who is not there, and keeps those it inserts there until COMMIT
    # (pipeline/dropped.py), set-based, once per player of the batch, where the foreign
    # key checked every row again at COMMIT (a tenth of the flush's PostgreSQL CPU). The
    # deletion's cascade is Django's (on_delete), which never needed the constraint.
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
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
        # A moderator who deletes their account leaves their adjustments of others in
        # those players' ledgers, with the reason, signed by nobody.
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # the partial index below: only adjustments have a moderator
        # Checked by the flush, as the player is: the moderator it finds is locked until
        # COMMIT (pipeline/ledger.py), and a moderator gone is nobody.
        db_constraint=False,
    )
    reason = models.TextField(blank=True)
    # What the event says that neither a column here nor another table holds
    # (pipeline.batch.LEDGER_ELIDED names what is held elsewhere); NULL when nothing is
    # left, which is every event of today's contract but a freeze's or a vacation's. A
    # field the contract gains is kept here until it gets a home.
    payload = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger"
        # Event ids grow with time: the tie-break within a moment follows the events.
        ordering = ["-occurred_at", "-event_id"]
        indexes = [
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
    # No constraint in the database: the flush, this table's only writer, writes rows only
    # of players it has locked until COMMIT (pipeline/dropped.py), so the check of every
    # row at COMMIT is not repeated (issue #10). The deletion's cascade is Django's.
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="badges",
        db_constraint=False,
        db_index=False,  # the unique (player, code) leads with the player and serves lookups
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
