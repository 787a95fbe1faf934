from django.conf import settings
from django.db import models


class FairPlayDismissal(models.Model):
    """A moderator looked at a fair-play flag and found nothing wrong.

    The flag stays dismissed while its evidence is the same: a flag whose latest evidence
    is newer than `evidence_through` comes back to the queue.
    """

    player = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=40)
    evidence_through = models.DateTimeField()
    evidence = models.TextField()
    # A moderator who deletes their account leaves their dismissals, by nobody.
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField()

    class Meta:
        verbose_name = "fair-play flag"
        verbose_name_plural = "fair-play queue"
        ordering = ["-dismissed_at"]
        # Only the queue's own actions add dismissals, and nothing edits one.
        default_permissions = ("add", "view")
        indexes = [models.Index(fields=["player", "rule", "-evidence_through"])]

    def __str__(self) -> str:
        return f"{self.rule} for {self.player_id} dismissed"


class PendingEvents(models.Model):
    """No table: the admin's page for the flush (backlog, last flush, "Flush now") hangs
    its URL and its permission on this model."""

    class Meta:
        managed = False
        verbose_name = "flush"
        verbose_name_plural = "flush"
        default_permissions = ("view",)
        permissions = [("flush_now", "Can flush pending events to PostgreSQL now")]

    def __str__(self) -> str:
        return "flush"
