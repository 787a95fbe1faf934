from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.validators import validate_timezone
from gameplay.live import Actor


class User(AbstractUser):
    """A player (or a moderator: staff in the `moderators` group).

    `points` and `completed_sessions` are the flushed totals: the flush moves them in
    batches, so they trail the live values in Redis by at most one flush interval.
    """

    display_name = models.CharField(max_length=60, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    day_start_hour = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    hidden_from_leaderboards = models.BooleanField(default=False)
    points = models.BigIntegerField(default=0, editable=False)
    completed_sessions = models.PositiveIntegerField(default=0, editable=False)
    # Streak freezes held, as flushed (the sum of the freeze events' deltas): 0..2.
    freezes = models.PositiveSmallIntegerField(default=0, editable=False)
    # Set when the player asked to be deleted (their credentials stopped working then);
    # the row itself goes once the rest of them has (accounts.deletion).
    deletion_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "player"
        verbose_name_plural = "players"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_start_hour__gte=0, day_start_hour__lte=23),
                name="user_day_start_hour_0_23",
            )
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def actor(self) -> Actor:
        """The player as the live store and the rules need them: who, and their local day."""
        return Actor(player_id=self.pk, timezone=self.timezone, day_start_hour=self.day_start_hour)


class BrowserSession(AbstractBaseSession):
    """A browser's session: Django's database session (SESSION_ENGINE is
    `accounts.browser_sessions`) with the player it is logged in as, so that a new password
    can end that player's other sessions without decoding everyone's.

    A plain indexed number, not a foreign key: a session may name a player who is being
    deleted, and its save must not fail for that."""

    player_id = models.BigIntegerField(null=True, db_index=True)

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "browser session"
        verbose_name_plural = "browser sessions"

    @classmethod
    def get_session_store_class(cls):
        from accounts.browser_sessions import SessionStore

        return SessionStore
