"""Reads about players."""

from accounts.models import User
from gameplay import keys, live
from gameplay.models import LedgerEntry


def player_has_played(*, player: User) -> bool:
    """Whether the player has any live state or flushed history: an award, a running
    session, or a row in the ledger (events still pending leave live state behind)."""
    if live.client().exists(keys.player(player.pk), keys.running_session(player.pk)):
        return True
    return LedgerEntry.objects.filter(player=player).exists()


NAME_TAKEN = "That name is already shown for another player."


def public_name_taken(name: str, *, player_pk: int | None = None) -> bool:
    """Whether `name` is what the boards already show for another player (their display
    name, or their username when they have none), case-insensitively: one player must
    not pass as another on the boards."""
    others = User.objects.exclude(pk=player_pk) if player_pk else User.objects.all()
    return (
        others.filter(display_name__iexact=name).exists()
        or others.filter(display_name="", username__iexact=name).exists()
    )
