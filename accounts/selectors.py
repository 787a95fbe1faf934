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
